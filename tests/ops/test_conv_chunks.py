"""The channels-last convolution kernels (ember/ops/_im2col_cl.py) built chunk by chunk of the batch
(with a one-thread BLAS; the whole batch at once with more threads): any chunk size (one image, a few,
the whole batch) gives the values of the channels-first kernels (float64, 1e-12) and of one chunk
(float32), over odd shapes, strides, asymmetric padding, dilation, one input channel, 1x1 kernels, a
batch of one and an empty batch; with and without numba."""
import numpy as np
import pytest

from ember.backend import jit
from ember.ops import _im2col as K, _im2col_cl as CL, _layout

# (input shape, weight shape, stride, (before, after) padding per dim, dilation)
GEOMETRIES = [((5, 3, 7, 6), (4, 3, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1)),
              ((3, 2, 9, 8), (3, 2, 2, 3), (2, 1), ((0, 1), (2, 0)), (1, 2)),
              ((4, 1, 5, 5), (2, 1, 3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1)),
              ((3, 5, 11, 4), (6, 5, 1, 1), (3, 2), ((0, 0), (0, 0)), (1, 1)),
              ((1, 4, 8, 9), (5, 4, 3, 3), (2, 2), ((1, 2), (1, 0)), (2, 2)),
              ((0, 2, 5, 5), (3, 2, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1))]


def _problem(case, dtype):
    xs, ws, stride, pads, dilation = GEOMETRIES[case]
    rng = np.random.default_rng(case)
    geo = K.geometry("conv2d", xs, ws, stride, pads, dilation, 1, 2)
    x, w, b = (rng.standard_normal(s).astype(dtype) for s in (xs, ws, (ws[0],)))
    gy = rng.standard_normal((xs[0], ws[0]) + geo.out).astype(dtype)
    return x, w, b, gy, geo


def _three(x, w, b, gy, geo):
    return (CL.forward(np, x, w, b, geo, relu=True), CL.weight_grad(np, x, gy, geo, w.shape),
            CL.input_grad(np, gy, w, geo, x.shape))


@pytest.mark.parametrize("numba", [True, False])
@pytest.mark.parametrize("chunk", ["one image", "two images", "whole batch"])
@pytest.mark.parametrize("case", range(len(GEOMETRIES)))
def test_chunks_equal_the_channels_first_kernels(case, chunk, numba, monkeypatch):
    if numba:
        pytest.importorskip("numba")
    x, w, b, gy, geo = _problem(case, np.float64)
    ref = (np.maximum(K.forward_cf(np, x, w, b, geo), 0), K.weight_grad_cf(np, x, gy, geo, w.shape),
           K.input_grad_cf(np, gy, w, geo, x.shape))
    per_image = geo.out[0] * geo.out[1] * geo.kernel[0] * geo.kernel[1] * x.shape[1] * 8
    monkeypatch.setattr(CL, "CHUNK_BYTES", {"one image": 1, "two images": 2 * per_image + 7,
                                            "whole batch": 2 ** 40}[chunk])
    monkeypatch.setattr(CL.threads, "get_num_threads", lambda: 1)   # chunks with a one-thread BLAS
    expect = {"one image": x.shape[0], "two images": (x.shape[0] + 1) // 2, "whole batch": min(1, x.shape[0])}
    assert len(CL._chunks(np, x.shape[0], geo, x.shape[1], 8)) == expect[chunk]
    before = jit.set_enabled(numba)
    try:
        with _layout.channels_last():
            got = _three(x, w, b, gy, geo)
    finally:
        jit.set_enabled(before)
    for r, g in zip(ref, got):
        assert g.shape == r.shape and g.dtype == r.dtype
        np.testing.assert_allclose(g, r, rtol=1e-12, atol=1e-12)


def test_more_blas_threads_take_the_batch_in_one_chunk(monkeypatch):
    x, w, b, gy, geo = _problem(0, np.float32)
    monkeypatch.setattr(CL, "CHUNK_BYTES", 1)
    monkeypatch.setattr(CL.threads, "get_num_threads", lambda: 2)
    assert CL._chunks(np, x.shape[0], geo, x.shape[1], 4) == [(0, x.shape[0])]
    monkeypatch.setattr(CL.threads, "get_num_threads", lambda: 1)
    assert len(CL._chunks(np, x.shape[0], geo, x.shape[1], 4)) == x.shape[0]


@pytest.mark.parametrize("case", range(len(GEOMETRIES)))
def test_float32_chunks_equal_one_chunk(case, monkeypatch):
    monkeypatch.setattr(CL.threads, "get_num_threads", lambda: 1)
    x, w, b, gy, geo = _problem(case, np.float32)
    with _layout.channels_last():
        monkeypatch.setattr(CL, "CHUNK_BYTES", 2 ** 40)
        whole = _three(x, w, b, gy, geo)
        monkeypatch.setattr(CL, "CHUNK_BYTES", 1)
        chunked = _three(x, w, b, gy, geo)
    # the same dot products (a BLAS may block rows differently by size, so not asserted bit for bit),
    # and the weight gradient a sum over chunks in another order
    for c, h in zip(chunked, whole):
        np.testing.assert_allclose(c, h, rtol=1e-5, atol=1e-5)
