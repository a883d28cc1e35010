"""The row-normalization loops (ember/ops/_norm_loops.py) against norm.py's NumPy path (numba off)
and PyTorch: layer_norm and group_norm forward and backward, float32 and float64, odd shapes,
NaN/inf rows, and the cases that stay with NumPy (leading axes, non-contiguous input)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F
from ember.backend import jit
from ember.ops import _norm_loops

pytest.importorskip("numba")


def _layer_norm(fast, x, up, shape, affine):
    before = jit.set_enabled(fast)
    try:
        t = ember.tensor(x, requires_grad=True)
        w, b = (ember.tensor(a, requires_grad=True) for a in affine) if affine else (None, None)
        y = F.layer_norm(t, shape, w, b, eps=1e-5)
        y.backward(ember.tensor(up))
        return [y.detach().numpy(), t.grad.numpy()] + ([w.grad.numpy(), b.grad.numpy()] if affine else [])
    finally:
        jit.set_enabled(before)


@pytest.mark.parametrize("dtype,tol", [("float32", 2e-5), ("float64", 1e-12)])
@pytest.mark.parametrize("shape,norm", [((4, 7, 13), (13,)), ((3, 5, 6), (5, 6)), ((2, 1), (1,)), ((0, 4), (4,)),
                                        ((64, 128), (128,))])
@pytest.mark.parametrize("affine", [False, True])
def test_layer_norm_loops_match_numpy_path_and_torch(dtype, tol, shape, norm, affine):
    rng = np.random.default_rng(0)
    x, up = (rng.standard_normal(shape).astype(dtype) * 3 + 1 for _ in range(2))
    params = [rng.standard_normal(norm).astype(dtype) for _ in range(2)] if affine else None
    fast, slow = _layer_norm(True, x, up, norm, params), _layer_norm(False, x, up, norm, params)
    tx = torch.tensor(x, requires_grad=True)
    tp = [torch.tensor(a, requires_grad=True) for a in params] if affine else [None, None]
    ty = TF.layer_norm(tx, norm, *tp, eps=1e-5)
    ty.backward(torch.tensor(up))
    ref = [ty.detach().numpy(), tx.grad.numpy()] + ([p.grad.numpy() for p in tp] if affine else [])
    for a, b, t in zip(fast, slow, ref):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
        np.testing.assert_allclose(a, t, rtol=tol * 10, atol=tol * 10)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_group_norm_through_the_loops_matches_torch(dtype):
    rng = np.random.default_rng(1)
    x, up = (rng.standard_normal((3, 6, 5, 4)).astype(dtype) for _ in range(2))
    t = ember.tensor(x, requires_grad=True)
    F.group_norm(t, 3, eps=1e-5).backward(ember.tensor(up))
    tx = torch.tensor(x, requires_grad=True)
    ty = TF.group_norm(tx, 3, eps=1e-5)
    ty.backward(torch.tensor(up))
    tol = 2e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(F.group_norm(ember.tensor(x), 3, eps=1e-5).numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(t.grad.numpy(), tx.grad.numpy(), rtol=tol * 10, atol=tol * 10)


def test_nan_and_inf_rows_spread_as_in_numpy_and_torch():
    x = np.random.default_rng(2).standard_normal((4, 6)).astype(np.float32)
    x[1, 2], x[2, 0] = np.nan, np.inf
    fast = F.layer_norm(ember.tensor(x), (6,)).numpy()
    ref = TF.layer_norm(torch.tensor(x), (6,)).numpy()
    np.testing.assert_array_equal(np.isnan(fast), np.isnan(ref))
    np.testing.assert_allclose(fast[[0, 3]], ref[[0, 3]], rtol=2e-5, atol=2e-5)


def test_loops_decline_what_they_do_not_cover():
    x = np.ones((4, 6), np.float32)
    out = [np.empty_like(x)] + [np.empty(4, np.float32) for _ in range(3)]
    assert not _norm_loops.forward(x.T, 1e-5, out[0].T, *out[1:])           # not C-contiguous
    assert not _norm_loops.forward(x.astype(np.float16), 1e-5, out[0].astype(np.float16), *out[1:])
    assert not _norm_loops.backward(x, x, out[1], np.empty((4, 6), np.float64))  # dtypes differ
    before = jit.set_enabled(False)
    try:
        assert not _norm_loops.forward(x, 1e-5, *out)
    finally:
        jit.set_enabled(before)


def test_batch_norm_and_strided_layer_norm_stay_exact_with_numpy_path():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 3, 4)).astype(np.float32)
    strided = ember.tensor(np.ascontiguousarray(x.transpose(0, 2, 1))).transpose(1, 2)  # a (5, 3, 4) view
    for make in (lambda: F.batch_norm(ember.tensor(x), None, None, training=True),
                 lambda: F.layer_norm(strided, (4,))):
        before = jit.set_enabled(False)
        try:
            slow = make().numpy()
        finally:
            jit.set_enabled(before)
        np.testing.assert_array_equal(make().numpy(), slow)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,norm", [((4, 7, 13), (13,)), ((3, 5, 6), (5, 6)), ((2, 1), (1,)), ((0, 4), (4,))])
def test_affine_loops_equal_the_numpy_path_bit_for_bit(dtype, shape, norm):
    """layer_norm's weight and bias (the Affine primitive): kernel and NumPy path agree exactly,
    forward and all three gradients."""
    from ember.ops.norm import Affine
    rng = np.random.default_rng(2)
    x, up = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
    params = [rng.standard_normal(norm).astype(dtype) for _ in range(2)]
    results = []
    for fast in (True, False):
        before = jit.set_enabled(fast)
        try:
            t, w, b = (ember.tensor(a, requires_grad=True) for a in [x] + params)
            y = Affine.apply(t, w, b)
            y.backward(ember.tensor(up))
            results.append([y.detach().numpy(), t.grad.numpy(), w.grad.numpy(), b.grad.numpy()])
        finally:
            jit.set_enabled(before)
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(results[0][0], x * params[0] + params[1], rtol=1e-6)


def test_affine_gradients_twice_and_frozen_parameters_match_torch():
    """create_graph through layer_norm's affine (a gradient of the gradient), a non-contiguous
    input, and parameters that need no gradient, against PyTorch."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 5))  # its transpose is the non-contiguous (5, 6) input
    w, b, up = rng.standard_normal(6), rng.standard_normal(6), rng.standard_normal((5, 6))
    got, ref = [], []
    for lib, F_, out in ((ember, F, got), (torch, TF, ref)):
        t = lib.tensor(x, requires_grad=True)
        tw, tb = lib.tensor(w, requires_grad=True), lib.tensor(b, requires_grad=True)
        y = F_.layer_norm(t.T, (6,), tw, tb)
        gx, gw = (lib.autograd.grad((y * lib.tensor(up)).sum(), [t, tw], create_graph=True))
        (gx.pow(2).sum() + gw.pow(2).sum()).backward()
        out += [y.detach().numpy(), gx.detach().numpy(), gw.detach().numpy(), t.grad.numpy(), tw.grad.numpy()]
        frozen = F_.layer_norm(lib.tensor(x.T, requires_grad=True), (6,), lib.tensor(w), lib.tensor(b))
        frozen.sum().backward()
        out.append(frozen.detach().numpy())
    for a, r in zip(got, ref):
        np.testing.assert_allclose(a, r, rtol=1e-10, atol=1e-10)
