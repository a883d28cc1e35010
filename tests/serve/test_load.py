"""Under load: 64 concurrent clients, 5,000 requests, every answer equal to model.predict on its own
input (batching mixes no data); a 20,000-request soak keeps the server's RSS growth under 50 MB."""
import asyncio

import httpx
import numpy as np
import pytest


async def _run_clients(url, xs, clients, on_answer):
    """`clients` concurrent clients sending xs[i] (each request one example) until all are sent,
    alternating the two protocols; on_answer(i, outputs or the failed response)."""
    queue = list(range(len(xs)))[::-1]

    async def client(client_id):
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            while queue:
                i = queue.pop()
                x = xs[i:i + 1]
                if i % 2:
                    r = await http.post("/v1/models/cnn:predict", json={"instances": x.tolist()})
                    out = r.json().get("predictions") if r.status_code == 200 else None
                else:
                    r = await http.post("/v2/models/cnn/infer", json={"inputs": [{
                        "name": "input", "shape": list(x.shape), "datatype": "FP32", "data": x.reshape(-1).tolist()}]})
                    out = r.json()["outputs"][0]["data"] if r.status_code == 200 else None
                on_answer(i, np.asarray(out, np.float32).reshape(-1) if out is not None else r)
    await asyncio.gather(*(client(k) for k in range(clients)))


@pytest.mark.slow
def test_64_clients_5000_requests_no_errors_no_mixing(model_dir, serve):
    d, models = model_dir
    s = serve(d / "cnn.ember", "--max-batch-size", "32", "--batch-timeout-ms", "2")
    xs = np.random.default_rng(3).random((5000, 8, 8, 1), dtype=np.float32)
    want = models["cnn"].predict(xs, verbose=0)
    got, failed = {}, []
    asyncio.run(_run_clients(s.url, xs, 64, lambda i, out: failed.append((i, out.status_code, out.text))
                             if isinstance(out, httpx.Response) else got.__setitem__(i, out)))
    assert not failed, failed[:5]
    assert len(got) == 5000
    wrong = [i for i in range(5000) if not np.allclose(got[i], want[i], rtol=1e-4, atol=1e-6)]
    assert not wrong, f"{len(wrong)} answers differ from model.predict on their own input, e.g. #{wrong[0]}"
    metrics = httpx.get(s.url + "/metrics").text
    count = float(metrics.split('ember_serve_batch_size_count{model="cnn"} ')[1].split()[0])
    assert count < 5000 * 0.8, f"{count:.0f} model runs for 5000 requests: the requests were not batched"


@pytest.mark.slow
def test_soak_20000_requests_rss_growth_under_50_mb(model_dir, serve):
    d, _ = model_dir
    s = serve(d / "cnn.ember")
    xs = np.random.default_rng(4).random((2000, 8, 8, 1), dtype=np.float32)
    failed = []

    def check(i, out):
        if isinstance(out, httpx.Response):
            failed.append((i, out.status_code, out.text[:200]))
    asyncio.run(_run_clients(s.url, xs, 32, check))  # warm: allocator pools, caches, connections
    before = s.rss_mb()
    for _ in range(9):
        asyncio.run(_run_clients(s.url, xs, 32, check))
    after = s.rss_mb()
    assert not failed, failed[:5]
    assert after - before < 50, f"RSS grew from {before:.1f} MB to {after:.1f} MB over 18,000 requests"
