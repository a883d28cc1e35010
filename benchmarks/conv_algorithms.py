"""Convolution algorithms side by side on the cnn workload's layers: which layout and algorithm
ember's conv kernels use is decided by this table (ember/ops/_im2col.py).

For each layer of benchmarks/nn.py's cnn (batch 64, and batch 1 for inference), of the digits cnn
(batch 32, 8x8), and a few more that set where Winograd starts to win (fewer channels, no padding),
float32, 3x3, stride 1, padding 1 unless the name says pad 0, it times the forward, the weight
gradient and the input gradient of
  im2col      ember's channels-first im2col + one GEMM (+ col2im for the input gradient),
              ember/ops/_im2col.py (what ember runs for groups, 1-d and half precision)
  winograd    Winograd F(2x2, 3x3) (benchmarks/_winograd.py)
  nhwc        channels-last im2col into buffers reused across calls, including the transposes
              from and to (N, C, H, W) that ember's NCHW tensors need
  nhwc-kept   the same without those transposes: what a compiled replay pays, where conv and
              pool outputs stay channels-last (ember/ops/_im2col_cl.py; its own row: ember-cl, which
              works a chunk of the batch at a time and which eager ember runs too, with the transposes)
  ember-wg    Winograd F(2x2, 3x3) as ember runs it (ember/ops/_winograd.py: numba tile transforms,
              channels-last, a chunk of the batch at a time), on the same channels-last inputs as ember-cl
  shifted     forward only: KH*KW GEMMs over shifted views of one padded channels-last buffer
and PyTorch's kernel for reference. Rounds are interleaved (the machine may be shared); each cell
is the minimum over rounds in ms, and the ratio to im2col.

    python benchmarks/conv_algorithms.py --rounds 15 --threads 1
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _winograd as W  # noqa: E402

from ember.ops import _im2col as K, _im2col_cl as CL, _layout, _winograd as WG  # noqa: E402

LAYERS = [("conv1 1->32 28x28 b64", 64, 1, 32, 28, 1), ("conv2 32->64 14x14 b64", 64, 32, 64, 14, 1),
          ("conv2 32->64 14x14 b1", 1, 32, 64, 14, 1), ("conv2 32->64 14x14 b4", 4, 32, 64, 14, 1),
          ("conv2 32->64 14x14 b64 pad 0", 64, 32, 64, 14, 0),
          ("digits conv1 1->32 8x8 b32", 32, 1, 32, 8, 1), ("digits conv2 32->32 8x8 b32", 32, 32, 32, 8, 1),
          ("4->32 14x14 b64", 64, 4, 32, 14, 1), ("8->32 14x14 b64", 64, 8, 32, 14, 1),
          ("16->16 14x14 b64", 64, 16, 16, 14, 1), ("8->8 8x8 b32", 32, 8, 8, 8, 1)]


class ChannelsLast:
    """Channels-last im2col with the padded input and the columns in buffers kept across calls."""

    def __init__(self, n, c, o, h):
        self.pad = np.zeros((n, h + 2, h + 2, c), np.float32)
        self.cols = np.empty((n, h, h, 3, 3, c), np.float32)
        self.shape = (n, c, o, h)

    def columns(self, x):
        n, c, o, h = self.shape
        self.pad[:, 1:-1, 1:-1] = x
        s = self.pad.strides
        np.copyto(self.cols, np.lib.stride_tricks.as_strided(self.pad, self.cols.shape, s[:3] + s[1:]))
        return self.cols.reshape(n * h * h, 9 * c)

    def forward(self, x, wm):
        n, c, o, h = self.shape
        return (self.columns(x) @ wm).reshape(n, h, h, o)

    def weight_grad(self, x, gy):
        return self.columns(x).T @ gy.reshape(-1, self.shape[2])

    def input_grad(self, gy, wmt):
        n, c, o, h = self.shape
        d = (gy.reshape(-1, o) @ wmt).reshape(n, h, h, 3, 3, c)
        out = np.zeros((n, h + 2, h + 2, c), np.float32)
        for i in range(3):
            for j in range(3):
                out[:, i:i + h, j:j + h] += d[:, :, :, i, j]
        return out[:, 1:-1, 1:-1]

    def shifted(self, x, wij):
        n, c, o, h = self.shape
        self.pad[:, 1:-1, 1:-1] = x
        flat = self.pad.reshape(-1, c)
        span = flat.shape[0] - 2 * (h + 2) - 2   # every output row's window starts inside the buffer
        y = flat[:span] @ wij[0, 0]
        for i in range(3):
            for j in range(3):
                if i or j:
                    y += flat[i * (h + 2) + j:i * (h + 2) + j + span] @ wij[i, j]
        return y


def cases(n, c, o, h, p, torch):
    """{(op, algorithm): (run, convert)}: `convert` puts a result in the layout of ember's im2col
    result (N, C, H, W) or (O, C, 3, 3), to check it before timing. The nhwc, nhwc-kept and shifted
    candidates are written for padding 1 only."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, h, h)).astype(np.float32)
    w = (rng.standard_normal((o, c, 3, 3)) * 0.1).astype(np.float32)
    pads = ((p, p), (p, p))
    geo = K.geometry("conv2d", x.shape, w.shape, (1, 1), pads, (1, 1), 1, 2)
    gy = rng.standard_normal((n, o) + geo.out).astype(np.float32)
    cl = ChannelsLast(n, c, o, h)
    xl, gyl = np.ascontiguousarray(x.transpose(0, 2, 3, 1)), np.ascontiguousarray(gy.transpose(0, 2, 3, 1))
    xcl, gycl = xl.transpose(0, 3, 1, 2), gyl.transpose(0, 3, 1, 2)   # (N, C, H, W) views, channels-last
    wm = np.ascontiguousarray(w.transpose(2, 3, 1, 0)).reshape(9 * c, o)
    wmt, wij = np.ascontiguousarray(wm.T), np.ascontiguousarray(w.transpose(2, 3, 1, 0))
    nchw = (lambda a: np.ascontiguousarray(a.transpose(0, 3, 1, 2)))
    nhwc = (lambda a: np.ascontiguousarray(a.transpose(0, 2, 3, 1)))
    same = (lambda a: a)
    oihw = (lambda a: a.reshape(3, 3, c, o).transpose(3, 2, 0, 1))
    rows = (lambda a: nchw(np.pad(a, ((0, n * (h + 2) ** 2 - len(a)), (0, 0))).reshape(n, h + 2, h + 2, o)[:, :h, :h]))

    def in_cl(fn):
        def run():
            with _layout.channels_last():
                return fn()
        return run
    out = {
        ("forward", "im2col"): (lambda: K.forward_cf(np, x, w, None, geo), same),
        ("forward", "winograd"): (lambda: W.forward(np, x, w, None, pads, 1), same),
        ("forward", "nhwc"): (lambda: nchw(cl.forward(nhwc(x), wm)), same),
        ("forward", "nhwc-kept"): (lambda: cl.forward(xl, wm), nchw),
        ("forward", "ember-cl"): (in_cl(lambda: CL.forward(np, xcl, w, None, geo)), same),
        ("forward", "shifted"): (lambda: cl.shifted(xl, wij), rows),
        ("weight_grad", "im2col"): (lambda: K.weight_grad_cf(np, x, gy, geo, w.shape), same),
        ("weight_grad", "winograd"): (lambda: W.weight_grad(np, x, gy, pads, 1), same),
        ("weight_grad", "nhwc"): (lambda: cl.weight_grad(nhwc(x), nhwc(gy)), oihw),
        ("weight_grad", "nhwc-kept"): (lambda: cl.weight_grad(xl, gyl), oihw),
        ("weight_grad", "ember-cl"): (in_cl(lambda: CL.weight_grad(np, xcl, gycl, geo, w.shape)), same),
        ("input_grad", "im2col"): (lambda: K.input_grad_cf(np, gy, w, geo, x.shape), same),
        ("input_grad", "winograd"): (lambda: W.input_grad(np, gy, w, pads, 1, x.shape), same),
        ("input_grad", "nhwc"): (lambda: nchw(cl.input_grad(nhwc(gy), wmt)), same),
        ("input_grad", "nhwc-kept"): (lambda: cl.input_grad(gyl, wmt), nchw),
        ("input_grad", "ember-cl"): (in_cl(lambda: CL.input_grad(np, gycl, w, geo, x.shape)), same),
        ("forward", "ember-wg"): (in_cl(lambda: WG.forward(np, xcl, w, None, geo)), same),
        ("weight_grad", "ember-wg"): (in_cl(lambda: WG.weight_grad(np, xcl, gycl, geo, w.shape)), same),
        ("input_grad", "ember-wg"): (in_cl(lambda: WG.input_grad(np, gycl, w, geo, x.shape)), same),
    }
    if p != 1:
        out = {k: v for k, v in out.items() if k[1] not in ("nhwc", "nhwc-kept", "shifted")}
    if torch is not None:
        tx, tw, tgy = (torch.from_numpy(a) for a in (x, w, gy))
        conv, tnp = torch.nn.functional.conv2d, (lambda a: a.numpy())
        out[("forward", "torch")] = (lambda: conv(tx, tw, padding=p), tnp)
        out[("weight_grad", "torch")] = (lambda: torch.nn.grad.conv2d_weight(tx, tw.shape, tgy, padding=p), tnp)
        out[("input_grad", "torch")] = (lambda: torch.nn.grad.conv2d_input(tx.shape, tw, tgy, padding=p), tnp)
    return out


def check(fns):
    """Every candidate's result against im2col's (float32 rounding apart), before any timing."""
    for (op, alg), (run, convert) in fns.items():
        ref = np.asarray(fns[(op, "im2col")][0]())
        got = np.asarray(convert(run()))
        err = np.abs(got - ref).max() / max(np.abs(ref).max(), 1e-30)
        if got.shape != ref.shape or not err < 1e-5:
            raise SystemExit(f"{op} {alg}: differs from im2col (shape {got.shape}, relative error {err:.2g})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", default="", help="the layers whose name holds this text")
    args = parser.parse_args()
    try:
        import torch
        torch.set_num_threads(args.threads)
    except ImportError:  # the reference column is optional here
        torch = None
    print(f"{args.rounds} interleaved rounds, minimum ms (ratio to im2col), float32, "
          f"BLAS threads {os.environ.get('OPENBLAS_NUM_THREADS', 'default')}")
    for name, n, c, o, h, p in LAYERS:
        if args.only not in name:
            continue
        fns = cases(n, c, o, h, p, torch)
        check(fns)
        fns = {k: run for k, (run, _) in fns.items()}
        times = {k: [] for k in fns}
        for _ in range(args.rounds):
            for k, f in fns.items():
                t0 = time.perf_counter()
                f()
                times[k].append(time.perf_counter() - t0)
        print(name)
        for op in ("forward", "weight_grad", "input_grad"):
            base = min(times[(op, "im2col")])
            cells = [f"{alg} {min(t) * 1e3:7.3f} ({min(t) / base:4.2f})" for (o_, alg), t in times.items() if o_ == op]
            wg_cl = min(times[(op, "ember-wg")]) / min(times[(op, "ember-cl")])
            print(f"  {op:12s} " + "  ".join(cells) + f"  | ember-wg / ember-cl {wg_cl:4.2f}")


if __name__ == "__main__":
    main()
