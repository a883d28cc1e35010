"""The performance table of DESIGN.md in one command: every workload of benchmarks/nn.py as
ember eager, ember compiled and PyTorch eager, each in its own process, in the same run, as
ratios to PyTorch eager, next to the targets (the best other framework's ratio).

The machine may be shared: every (mode, workload) runs `--rounds` times, the rounds interleaved
(so a burst of load hits all modes alike), and each cell is the median over rounds of the
per-round ratio to that round's PyTorch time. With more than one thread per process the step
time of a process (ember's and PyTorch's alike) varies by up to 2x from one process to the next on
a 2-core virtual machine, even when it is otherwise idle; hence five rounds by default. The first
round starts each workload with an empty numba cache of its own and runs the compiled mode first:
its first compiled call is the cold one (trace, passes, code generation and the compilation of every
kernel it uses); later rounds find that workload's cache warm.

    python benchmarks/compare.py                      # all rows, 5 rounds, BLAS threads = CPU count
    python benchmarks/compare.py --threads 1          # the same with one thread per process
    python benchmarks/compare.py mlp cnn --rounds 5 --steps 30
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nn as bench  # noqa: E402

# ratio to PyTorch eager that the best other framework reaches (JAX jit, Keras on TF or XLA)
TARGETS = {"mlp": 0.67, "cnn": 0.57, "lstm": 1.00, "transformer": 0.94, "mlp b1 inf": 1.00, "cnn b1 inf": 0.74}
EAGER_TARGETS = {"mlp": 1.0, "transformer": 1.0, "cnn": 1.5, "lstm": 1.5}
MODES = ("ember", "ember-compiled", "torch")


def _round(workloads, steps, threads, caches, first):
    """One child per (mode, workload). Each workload has its own numba cache folder (`caches`), empty
    in the `first` round, where the compiled mode runs first: its first call compiles every kernel the
    step uses (cold), none of them left in the cache by another mode or workload."""
    out = {}
    for w in workloads:
        os.environ["NUMBA_CACHE_DIR"] = caches[w]
        for m in (("ember-compiled", "ember", "torch") if first else MODES):
            out[(m, w)] = bench.run_child(m, w, steps, threads)
    return out


def _import_time(module, repeats=5):
    """Median wall time of `import module` in fresh processes, bytecode cached as after an install.

    PYTHONDONTWRITEBYTECODE is dropped for these children: pip compiles an installed wheel's
    bytecode, and an editable checkout writes it on first import, so no user pays for compiling
    every module each time (with it set, ember's import time doubles).
    """
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = bench._child.ROOT
    subprocess.run([sys.executable, "-c", f"import {module}"], env=env, check=True)  # writes the bytecode
    times = [float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                                  check=True).stdout) for _ in range(repeats)]
    return statistics.median(times)


def _gemm_rate(threads):
    """NumPy's float32 GEMM rate at 512^3 in a child with BLAS pinned to `threads` threads, as the
    workers run (this process's BLAS is not pinned), best of 20 calls (what the machine reaches when
    a burst of load is not running)."""
    code = ("import time, numpy as np; a = np.ones((512, 512), np.float32); a @ a; ts = []\n"
            "for _ in range(20):\n t = time.perf_counter(); a @ a; ts.append(time.perf_counter() - t)\n"
            "print(2 * 512 ** 3 / min(ts))")
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                                check=True).stdout)


def _cells(rounds, w, key):
    """Per mode: (median time, median ratio to torch) over the rounds."""
    cells = {}
    for m in MODES:
        times = [r[(m, w)][key] for r in rounds]
        ratios = [r[(m, w)][key] / r[("torch", w)][key] for r in rounds]
        cells[m] = (statistics.median(times), statistics.median(ratios))
    return cells


def _compiled_over_eager(rounds, w, key):
    """Median over rounds of the compiled step's time over the eager step's: compared directly, not
    through two ratios to PyTorch's time, which moves from round to round on its own."""
    return statistics.median(r[("ember-compiled", w)][key] / r[("ember", w)][key] for r in rounds)


def _row(name, cells, unit, scale, target, floor=None, compiled_over_eager=None):
    text = " ".join(f"{t * scale:8.2f}{unit} {r:5.2f}" for t, r in (cells[m] for m in MODES))
    compiled, eager = cells["ember-compiled"][1], cells["ember"][1]
    verdict = "meets" if compiled <= target else "misses"
    text += f"   {target:5.2f} {verdict:6s}"
    eager_target = EAGER_TARGETS.get(name)
    text += f"  {eager_target:4.1f} {'meets' if eager_target and eager <= eager_target else 'misses':6s}" \
        if eager_target else " " * 13
    ce = compiled_over_eager
    text += f"  {ce:4.2f} {'yes' if ce <= 1 else 'NO':3s}"
    if floor is not None:
        text += f"  {floor * scale:7.2f}{unit} {floor / cells['torch'][0]:5.2f}"
    return f"{name:12s} {text}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", default=list(bench.WORKLOADS))
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    caches = {w: tempfile.mkdtemp(prefix=f"ember-numba-cache-{w}-") for w in args.workloads}
    rounds = [_round(args.workloads, args.steps, args.threads, caches, i == 0) for i in range(args.rounds)]
    rate = _gemm_rate(args.threads)
    print(f"{args.rounds} rounds x {args.steps} steps, {args.threads} threads, float32, Adam; medians of per-round "
          f"ratios to PyTorch eager (below 1: faster). NumPy GEMM {rate / 1e9:.0f} GFLOP/s; floor = the "
          f"step's GEMM FLOPs at that rate")
    print(f"{'row':12s} " + " ".join(f"{m:>15s}" for m in MODES) +
          "  target(compiled)  target(eager)  c/e <= 1     floor")
    for w in args.workloads:
        bad = [f"{m}: {r[(m, w)]['error']}" for r in rounds for m in MODES if "error" in r[(m, w)]]
        if bad:
            print(f"{w:12s} failed: {bad[0]}")
            continue
        print(_row(w, _cells(rounds, w, "step"), "ms", 1e3, TARGETS[w], bench.train_flops(w) / rate,
                   _compiled_over_eager(rounds, w, "step")))
        if "latency" in rounds[0][("torch", w)]:
            print(_row(f"{w} b1 inf", _cells(rounds, w, "latency"), "us", 1e6, TARGETS[f"{w} b1 inf"],
                       compiled_over_eager=_compiled_over_eager(rounds, w, "latency")))
    print("\nfirst compiled call (s), cold (empty numba cache) / warm (median of later rounds); "
          "peak MB added by training (process maximum RSS: includes tracing), ember eager / compiled / torch; "
          "one warm step (tracemalloc), ember eager / compiled: the most it adds to what is held when it starts "
          "(parameters, optimizer state, gradients; compiled, also the program: graph and code) (medians):")
    for w in args.workloads:
        if any("error" in r[(m, w)] for r in rounds for m in MODES):
            continue
        first = [r[("ember-compiled", w)]["compile"] for r in rounds]
        warm = statistics.median(first[1:]) if len(first) > 1 else float("nan")
        peak = [statistics.median(r[(m, w)]["peak_kb"] for r in rounds) / 1024 for m in MODES]
        held, added = ([statistics.median(r[(m, w)][key] for r in rounds) / 1024 for m in MODES[:2]]
                       for key in ("step_held_kb", "step_added_kb"))
        print(f"  {w:12s} first call {first[0]:.2f} cold / {warm:.2f} warm;  peak {peak[0]:.0f} / {peak[1]:.0f} / "
              f"{peak[2]:.0f} MB;  step adds {added[0]:.1f} / {added[1]:.1f} MB to {held[0]:.1f} / {held[1]:.1f} MB held")
    print(f"\nimport time (median of 5 fresh processes): ember {_import_time('ember'):.3f} s, "
          f"torch {_import_time('torch'):.3f} s (target: ember under 0.3 s)")


if __name__ == "__main__":
    main()
