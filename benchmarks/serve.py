"""`ember serve` against the usual way of serving a PyTorch/Keras model: a plain ASGI endpoint that calls
`model.predict` once per request.

The model is the digits CNN (`ember train`'s default architecture, 8x8x1 -> ... -> 10 softmax). Three
servers, each in its own process on a loopback port, one at a time, the same uvicorn underneath:
  baseline      a Starlette app: POST /predict {"instances": [...]} -> model.predict -> {"predictions"}
  ember-nobatch `ember serve --max-batch-size 1` (each request runs alone)
  ember-batch   `ember serve --max-batch-size 32 --batch-timeout-ms 2` (concurrent requests merged)
A load generator in this process (asyncio, a minimal keep-alive HTTP/1.1 client) keeps C clients busy (C = 1, 8, 64), each sending one
image per request in TF Serving's row format; it reports requests/s, p50 and p99 latency, and each
server's throughput as a ratio to the baseline at the same C, and the server process's CPU time per
request (user + system, from /proc: unlike wall time it hardly depends on what else the machine
runs). Every answer is checked against `model.predict` on its own input.

    python benchmarks/serve.py                     # 1, 8, 64 clients, 1,000 requests per level
    python benchmarks/serve.py --requests 3000 --clients 64
    python benchmarks/serve.py --baseline-worker MODEL PORT    # (internal) the baseline server
"""
import argparse
import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
ENV = {**os.environ, "PYTHONPATH": ROOT, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def baseline_worker(path, port):
    """The peer: one endpoint, model.predict per request, in the event loop (predict is not safe to
    run from several threads at once: it switches the model between eval and train)."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route
    from ember import keras
    model = keras.models.load_model(path, compile=False)

    async def predict(request):
        body = await request.json()
        x = np.asarray(body["instances"], dtype=np.float32)
        return JSONResponse({"predictions": model.predict(x, verbose=0).tolist()})
    app = Starlette(routes=[Route("/predict", predict, methods=["POST"])])
    print(f"listening on {port}", flush=True)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(kind, path):
    port = free_port()
    if kind == "baseline":
        cmd = [sys.executable, os.path.abspath(__file__), "--baseline-worker", path, str(port)]
        url = f"http://127.0.0.1:{port}/predict"
    else:
        batch = "1" if kind == "ember-nobatch" else "32"
        cmd = [sys.executable, "-m", "ember.cli", "serve", path, "--name", "digits", "--port", str(port),
               "--max-batch-size", batch, "--batch-timeout-ms", "2"]
        url = f"http://127.0.0.1:{port}/v1/models/digits:predict"
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, env=ENV, stdout=log, stderr=subprocess.STDOUT)
    _wait(url, proc)
    return proc, url


def _wait(url, proc, timeout=120):
    import httpx
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.post(url, json={"instances": np.zeros((1, 8, 8, 1)).tolist()}).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        time.sleep(0.1)
    raise SystemExit(f"server at {url} did not come up")


async def _post(reader, writer, head, body):
    """One request on a kept-alive connection; (status, body). A minimal HTTP/1.1 client: httpx costs
    about 2 ms of CPU per request, which on a 2-core machine would starve the servers being measured."""
    writer.write(head + body)
    status_line = await reader.readline()
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return int(status_line.split()[1]), await reader.readexactly(length)


async def load(url, xs, clients):
    """Latencies (s) of len(xs) requests from `clients` concurrent clients, answers and wall time."""
    host, port, path = re.match(r"http://([^:/]+):(\d+)(/.*)", url).groups()
    order = list(range(len(xs)))[::-1]
    latencies, answers = [], {}
    bodies = [json.dumps({"instances": xs[i:i + 1].tolist()}).encode() for i in range(len(xs))]

    async def client():
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while order:
                i = order.pop()
                head = (f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                        f"Content-Length: {len(bodies[i])}\r\n\r\n").encode()
                t = time.perf_counter()
                status, body = await _post(reader, writer, head, bodies[i])
                latencies.append(time.perf_counter() - t)
                answers[i] = json.loads(body)["predictions"][0] if status == 200 else None
        finally:
            writer.close()
    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return np.array(latencies), answers, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=1000, help="requests per server and client count")
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 64])
    parser.add_argument("--baseline-worker", nargs=2, metavar=("MODEL", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.baseline_worker:
        return baseline_worker(args.baseline_worker[0], int(args.baseline_worker[1]))
    from ember import keras
    from ember.cli.digits import build_model
    keras.utils.set_random_seed(0)
    model = build_model("cnn")
    folder = tempfile.mkdtemp()
    path = os.path.join(folder, "digits.ember")
    model.save(path)
    xs = np.random.default_rng(0).random((args.requests, 8, 8, 1), dtype=np.float32)
    want = model.predict(xs, verbose=0)
    print(f"digits CNN, {args.requests} requests of one 8x8x1 image per server and client count; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    print(f"{'server':14s} {'clients':>7s} {'req/s':>8s} {'p50 ms':>8s} {'p99 ms':>8s} {'cpu ms/req':>10s} "
          f"{'vs baseline':>12s}")
    base = {}
    for kind in ("baseline", "ember-nobatch", "ember-batch"):
        proc, url = start(kind, path)
        try:
            for c in args.clients:
                asyncio.run(load(url, xs[:min(len(xs), 50)], c))  # warm the connections and caches
                cpu = cpu_seconds(proc.pid)
                lat, answers, wall = asyncio.run(load(url, xs, c))
                cpu = (cpu_seconds(proc.pid) - cpu) / len(xs)
                bad = sum(a is None or not np.allclose(a, want[i], rtol=1e-4, atol=1e-6) for i, a in answers.items())
                rate = len(xs) / wall
                base.setdefault(c, (rate, np.percentile(lat, 99))) if kind == "baseline" else None
                ratio = rate / base[c][0] if c in base else float("nan")
                p99_ratio = np.percentile(lat, 99) / base[c][1] if c in base else float("nan")
                print(f"{kind:14s} {c:7d} {rate:8.0f} {np.percentile(lat, 50) * 1e3:8.2f} "
                      f"{np.percentile(lat, 99) * 1e3:8.2f} {cpu * 1e3:10.3f} {ratio:10.2f}x  (p99 {p99_ratio:.2f}x)"
                      + (f"  {bad} WRONG ANSWERS" if bad else ""), flush=True)
        finally:
            proc.terminate()
            proc.wait(60)
    print(f"load average {os.getloadavg()[0]:.1f} at the end (the machine is shared: ratios are the result)")


if __name__ == "__main__":
    main()
