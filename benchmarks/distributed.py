"""Data-parallel costs: `ember.distributed.all_reduce` against raw `mpi4py` on the same buffers, DDP step
time at 1 and 2 ranks with overlap on and off, and the inputs of the scaling model (README, "Beyond
one machine").

  allreduce   float32 buffers of 1 KB .. 64 MB, 2 ranks: `dist.all_reduce(tensor)` and
              `comm.Allreduce(MPI.IN_PLACE, array)` on the same array, interleaved (ember, raw, raw,
              ember, ...), each after a barrier, median of each (20x the repetitions for 1 and 16 KB);
              the ratio ember/raw is the wrapper's overhead.
  ddp         the benchmark models of benchmarks/nn.py (mlp 784-512-512-10, cnn conv32-conv64-128-10),
              SGD, 32 samples per rank (weak scaling), one BLAS thread per rank (OMP_NUM_THREADS=1 unless
              set, so 1 and 2 ranks differ only by the communication): median step time of plain
              single-process training,
              of DistributedDataParallel on 1 rank (one job, the two interleaved), and on 2 ranks with overlap on
              (buckets reduced during backward) and off (every bucket after backward; one job, interleaved).
  model       from the all-reduce times: latency (the 1 KB time) and bandwidth (64 MB over its time),
              the gradient bytes of each model, and the predicted step
              time on 2..64 machines (see the README for the formula and the link assumptions).

    python benchmarks/distributed.py                   # everything (about a minute on an idle machine)
    python benchmarks/distributed.py --repeat 50 --steps 30 --json out.json
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np

SIZES_KB = (1, 16, 256, 4096, 65536)
PER_RANK_BATCH = 32
# Links for the prediction across machines: (name, bandwidth in bytes/s, latency in s).
LINKS = (("10 GbE", 10e9 / 8, 50e-6), ("100 Gb/s InfiniBand", 100e9 / 8, 5e-6))
MACHINES = (2, 4, 8, 16, 32, 64)


def worker_allreduce(repeat):
    import ember
    import ember.distributed as dist
    dist.init_process_group("mpi")
    from mpi4py import MPI
    comm, rows = MPI.COMM_WORLD, []
    for kb in SIZES_KB:
        t = ember.ones(kb * 256)  # float32: 256 per KB
        a = t._data
        calls = {"ember": lambda: dist.all_reduce(t), "mpi4py": lambda: comm.Allreduce(MPI.IN_PLACE, a, op=MPI.SUM)}
        times = {"ember": [], "mpi4py": []}
        # small buffers: many more calls (a microsecond call needs thousands to settle its median)
        n = max(5, repeat * 20 if kb <= 16 else repeat if kb <= 4096 else repeat // 3)
        for i in range(n):
            # ABBA order: neither side always runs first after the barrier
            for name in ("ember", "mpi4py") if i % 2 == 0 else ("mpi4py", "ember"):
                comm.Barrier()
                start = time.perf_counter()
                calls[name]()
                times[name].append(time.perf_counter() - start)
        med = {k: float(np.median(v)) for k, v in times.items()}
        rows.append({"kb": kb, "bytes": kb * 1024, "ember_s": med["ember"], "mpi4py_s": med["mpi4py"],
                     "ratio": med["ember"] / med["mpi4py"]})
    return rows


def build(workload):
    import ember
    from ember import nn
    ember.manual_seed(0)
    if workload == "mlp":
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
        shape = (784,)
    else:
        model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))
        shape = (1, 28, 28)
    return model, shape


def worker_ddp(steps, modes):
    """Median step time of each workload in each mode ("plain": no DDP; "overlap"/"no_overlap": DDP), the
    modes' steps interleaved so that they share the machine's load alike."""
    import ember
    import ember.distributed as dist
    import ember.nn.functional as F
    from ember import nn
    dist.init_process_group("mpi")
    out = {}
    for workload in ("mlp", "cnn"):
        runs = {}
        for mode in modes:
            model, shape = build(workload)
            if mode != "plain":
                model = nn.parallel.DistributedDataParallel(model, overlap=mode == "overlap")
            runs[mode] = (model, ember.optim.SGD(model.parameters(), lr=0.01), [])
        x = ember.randn(PER_RANK_BATCH, *shape)
        y = ember.randint(0, 10, (PER_RANK_BATCH,))
        for _ in range(steps + 2):
            for model, opt, times in runs.values():
                dist.barrier()
                start = time.perf_counter()
                opt.zero_grad()
                F.cross_entropy(model(x), y).backward()
                opt.step()
                times.append(time.perf_counter() - start)
        params = sum(p.numel() for p in model.parameters())
        for mode, (_, _, times) in runs.items():
            out.setdefault(mode, {})[workload] = {"step_s": float(np.median(times[2:])), "grad_bytes": 4 * params}
    return out


def launch(n, args):
    """Run this file as a worker on `n` ranks; rank 0's JSON line is the result."""
    from ember.distributed.launch import job_environment, mpirun_command
    cmd = mpirun_command(n, [os.path.abspath(__file__)] + args)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**job_environment(n), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"),
           "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    line = next(l for l in done.stdout.splitlines() if l.startswith("RESULT "))
    return json.loads(line[len("RESULT "):])


def fit_alpha_beta(rows):
    """(latency, bandwidth) of the measured all-reduce: the time of the smallest buffer, and bytes over time
    of the largest (a line fit would let one noisy middle size decide both)."""
    small, large = rows[0], rows[-1]
    return small["ember_s"], large["bytes"] / large["ember_s"]


def ring_allreduce(nbytes, n, bandwidth, latency):
    """Ring all-reduce: 2(N-1) steps of N-th of the buffer each."""
    return 2 * (n - 1) / n * nbytes / bandwidth + 2 * (n - 1) * latency


def predictions(ddp1, rows):
    out = {}
    for workload, result in ddp1.items():
        compute, nbytes = result["step_s"], result["grad_bytes"]
        for name, bandwidth, latency in LINKS:
            for n in MACHINES:
                comm = ring_allreduce(nbytes, n, bandwidth, latency)
                out.setdefault(workload, {}).setdefault(name, []).append(
                    {"machines": n, "allreduce_s": comm, "step_no_overlap_s": compute + comm,
                     "step_full_overlap_s": max(compute, comm)})
    return out


def report(results):
    print("all_reduce (2 ranks, float32, median):")
    print(f"{'size':>8} {'ember ms':>10} {'mpi4py ms':>10} {'ratio':>7}")
    for r in results["allreduce"]:
        size = f"{r['kb']} KB" if r["kb"] < 1024 else f"{r['kb'] // 1024} MB"
        print(f"{size:>8} {r['ember_s'] * 1e3:10.4f} {r['mpi4py_s'] * 1e3:10.4f} {r['ratio']:7.3f}")
    alpha, bandwidth = results["alpha_s"], results["bandwidth_Bps"]
    print(f"fit: latency {alpha * 1e6:.1f} us, bandwidth {bandwidth / 1e9:.2f} GB/s (shared memory, one machine)")
    print(f"\nDDP step, {PER_RANK_BATCH} samples per rank (median ms):")
    print(f"{'model':>6} {'plain':>8} {'ddp 1':>8} {'ddp 2 overlap':>14} {'ddp 2 no overlap':>17} {'grad MB':>8}")
    for w in ("mlp", "cnn"):
        d = results["ddp"]
        print(f"{w:>6} {d['plain'][w]['step_s'] * 1e3:8.2f} {d['one'][w]['step_s'] * 1e3:8.2f} "
              f"{d['overlap'][w]['step_s'] * 1e3:14.2f} {d['no_overlap'][w]['step_s'] * 1e3:17.2f} "
              f"{d['one'][w]['grad_bytes'] / 2 ** 20:8.2f}")
    print("\npredicted step ms across machines (ring all-reduce; no overlap / full overlap):")
    for w, links in results["model"].items():
        for link, preds in links.items():
            cells = "  ".join(f"{p['machines']}: {p['step_no_overlap_s'] * 1e3:.1f}/"
                              f"{p['step_full_overlap_s'] * 1e3:.1f}" for p in preds)
            print(f"{w:>4} {link:>20}  {cells}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=100, help="all-reduce repetitions per size")
    parser.add_argument("--steps", type=int, default=15, help="timed DDP steps per mode")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--worker", choices=("allreduce", "one", "two"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        modes = {"one": ("plain", "overlap"), "two": ("overlap", "no_overlap")}
        result = worker_allreduce(args.repeat) if args.worker == "allreduce" else \
            worker_ddp(args.steps, modes[args.worker])
        import ember.distributed as dist
        if dist.get_rank() == 0:
            print("RESULT " + json.dumps(result), flush=True)
        return
    common = ["--repeat", str(args.repeat), "--steps", str(args.steps)]
    results = {"allreduce": launch(2, common + ["--worker", "allreduce"])}
    results["alpha_s"], results["bandwidth_Bps"] = fit_alpha_beta(results["allreduce"])
    one, two = launch(1, common + ["--worker", "one"]), launch(2, common + ["--worker", "two"])
    results["ddp"] = {"plain": one["plain"], "one": one["overlap"], "overlap": two["overlap"],
                      "no_overlap": two["no_overlap"]}
    results["model"] = predictions(results["ddp"]["one"], results["allreduce"])
    report(results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
