"""Inference where users choose to run it: ember eager, ember compiled (`ember.compile`) and
onnxruntime on the ONNX file `ember.onnx.export` writes, for the benchmark models of nn.py
(mlp, cnn, lstm, transformer; eval mode, no gradients), at batch 1 and batch 128. All three run in
this one process on the same weights and inputs, with the same thread count; the table prints the
median time per call and ember / onnxruntime ratios (below 1: ember is faster).

    python benchmarks/onnx_inference.py                       # all models, batch 1 and 128
    python benchmarks/onnx_inference.py mlp cnn --batches 1 --repeats 20 --threads 1
"""
import argparse
import importlib.util
import io
import os
import statistics
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def _bench():
    """benchmarks/nn.py (the models, shared with the training benchmark), loaded by path."""
    spec = importlib.util.spec_from_file_location("ember_benchmark_nn", os.path.join(HERE, "nn.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _median_time(fn, repeats, budget=20.0):
    fn()  # warm up (and, compiled, trace)
    times = []
    start = time.perf_counter()
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if time.perf_counter() - start > budget:  # a slow configuration gets fewer repeats, never a hang
            break
    return statistics.median(times)


def measure(workload, batch_size, repeats, threads):
    import numpy as np
    import ember
    import onnxruntime as ort
    model, batch, _ = _bench().build(ember, workload)
    model.eval()
    x = batch(batch_size)[0]
    buf = io.BytesIO()
    ember.onnx.export(model, batch(2)[0], buf)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    session = ort.InferenceSession(buf.getvalue(), opts, providers=["CPUExecutionProvider"])
    feed = {session.get_inputs()[0].name: x.numpy()}
    fast = ember.compile(model)

    def eager():
        with ember.no_grad():
            return model(x)

    def compiled():
        with ember.no_grad():
            return fast(x)
    ref = session.run(None, feed)[0]
    np.testing.assert_allclose(eager().numpy(), ref, rtol=1e-3, atol=1e-4)  # the three compute the same thing
    np.testing.assert_allclose(compiled().numpy(), ref, rtol=1e-3, atol=1e-4)
    return {"eager": _median_time(eager, repeats), "compiled": _median_time(compiled, repeats),
            "onnxruntime": _median_time(lambda: session.run(None, feed), repeats)}


def main(argv=None):
    bench = _bench()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workloads", nargs="*", metavar="MODEL", help=f"of {', '.join(bench.WORKLOADS)} (default: all)")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 128])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1, help="BLAS and onnxruntime threads (default: 1)")
    args = parser.parse_args(argv)
    unknown = set(args.workloads) - set(bench.WORKLOADS)
    if unknown:
        parser.error(f"unknown models {sorted(unknown)}; choose from {', '.join(bench.WORKLOADS)}")
    args.workloads = args.workloads or list(bench.WORKLOADS)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)   # before NumPy loads BLAS
    print(f"{'model':12} {'batch':>5} {'eager ms':>10} {'compiled ms':>12} {'ort ms':>9} "
          f"{'eager/ort':>10} {'compiled/ort':>13}")
    for workload in args.workloads:
        for n in args.batches:
            t = measure(workload, n, args.repeats, args.threads)
            print(f"{workload:12} {n:5d} {t['eager'] * 1e3:10.2f} {t['compiled'] * 1e3:12.2f} "
                  f"{t['onnxruntime'] * 1e3:9.2f} {t['eager'] / t['onnxruntime']:10.2f} "
                  f"{t['compiled'] / t['onnxruntime']:13.2f}", flush=True)


if __name__ == "__main__":
    main()
