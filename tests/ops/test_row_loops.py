"""Embedding's one-pass weight gradient (ember/ops/_row_loops.py) against the ember-op path it
replaces (numba off), bit for bit, and both against PyTorch and a float64 NumPy sum: repeats,
padding_idx, scale_grad_by_freq, max_norm, int32 indices, odd shapes, a non-contiguous gradient."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F
from ember.backend import jit
from ember.ops import _row_loops

pytest.importorskip("numba")

CASES = [dict(), dict(padding_idx=2), dict(padding_idx=-1), dict(scale_grad_by_freq=True),
         dict(padding_idx=0, scale_grad_by_freq=True), dict(max_norm=1.0)]


def _grad(fast, idx, w, up, **kwargs):
    before = jit.set_enabled(fast)
    try:
        t = ember.tensor(w.copy(), requires_grad=True)
        F.embedding(ember.tensor(idx), t, **kwargs).backward(ember.tensor(up))
        return t.grad.numpy()
    finally:
        jit.set_enabled(before)


def _data(dtype, idx_shape, n, d, seed=0):
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n, idx_shape)
    return idx, rng.standard_normal((n, d)).astype(dtype), rng.standard_normal(idx_shape + (d,)).astype(dtype)


@pytest.mark.parametrize("kwargs", CASES, ids=lambda k: ",".join(k) or "plain")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [((7, 13), 5, 3), ((64,), 96, 128), ((2, 3, 4), 3, 1), ((0, 4), 5, 2)],
                         ids=["repeats", "large", "3d", "empty"])
def test_loop_equals_ember_ops_and_torch(kwargs, dtype, shape):
    idx, w, up = _data(dtype, *shape)
    fast, slow = _grad(True, idx, w, up, **kwargs), _grad(False, idx, w, up, **kwargs)
    np.testing.assert_array_equal(fast, slow)
    tw = torch.tensor(w.copy(), requires_grad=True)
    TF.embedding(torch.tensor(idx), tw, **kwargs).backward(torch.tensor(up))
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(fast, tw.grad.numpy(), rtol=tol, atol=tol)


def test_sums_match_float64_with_many_repeats():
    idx, _, up = _data("float32", (4000,), 3, 17)
    out = np.zeros((3, 17), np.float32)
    assert _row_loops.embedding_grad(out, idx, up, None, -1)
    ref = np.zeros((3, 17))
    np.add.at(ref, idx, up.astype(np.float64))
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-3)


def test_int32_indices_and_noncontiguous_gradient():
    idx, w, up = _data("float32", (6, 5), 4, 3)
    up_t = np.ascontiguousarray(up.transpose(1, 0, 2)).transpose(1, 0, 2)  # same values, strided
    for index in (idx, idx.astype(np.int32)):
        fast, slow = _grad(True, index, w, up_t), _grad(False, index, w, up_t)
        np.testing.assert_array_equal(fast, slow)
        np.testing.assert_array_equal(fast, _grad(True, idx, w, up))


def test_padding_row_gets_nothing_even_from_inf_like_torch():
    idx = np.array([0, 1, 1, 2])
    w, up = np.ones((3, 2), np.float32), np.array([[1, 2], [np.inf, 1], [3, 4], [5, 6]], np.float32)
    fast = _grad(True, idx, w, up, padding_idx=1)
    tw = torch.tensor(w, requires_grad=True)
    TF.embedding(torch.tensor(idx), tw, padding_idx=1).backward(torch.tensor(up))
    np.testing.assert_array_equal(fast, tw.grad.numpy())


def test_kernel_declines_what_it_does_not_cover():
    out = np.zeros((2, 2), np.float16)
    assert not _row_loops.embedding_grad(out, np.array([0]), np.ones((1, 2), np.float16), None, -1)
    out = np.zeros((2, 4), np.float32)
    assert not _row_loops.embedding_grad(out, np.array([0]), np.ones((4, 2), np.float32).T[:1], None, -1)
    before = jit.set_enabled(False)
    try:
        assert not _row_loops.embedding_grad(out, np.array([0]), np.ones((1, 4), np.float32), None, -1)
    finally:
        jit.set_enabled(before)


def test_double_backward_still_through_ember_ops():
    idx = ember.tensor([[0, 2, 0]])
    w = ember.tensor(np.random.default_rng(1).standard_normal((4, 3)), requires_grad=True)
    assert ember.autograd.gradgradcheck(lambda t: F.embedding(idx, t, padding_idx=2), (w,))
