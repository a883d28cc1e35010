"""The attention softmax loops (ember/ops/_softmax_loops.py), forward and backward, against the
NumPy code they replace, bit for bit (NaN, inf and dead columns included), and the attention
primitive with the loops on and off against PyTorch."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F
from ember.backend import jit
from ember.ops import _softmax_loops

pytest.importorskip("numba")


def _numpy(ds, w, scale):
    ds = ds.copy()
    rows = np.multiply(ds, w)
    ds -= rows.sum(-2, keepdims=True)
    ds *= w
    ds *= ds.dtype.type(scale)
    return ds


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(2, 3, 5, 7), (9, 64, 64), (1, 1), (4, 3, 0)])
def test_loop_equals_numpy_bit_for_bit(dtype, shape):
    rng = np.random.default_rng(0)
    ds = rng.standard_normal(shape).astype(dtype)
    w = rng.random(shape).astype(dtype)
    if ds.size:
        ds.reshape(-1)[0], w.reshape(-1)[-1] = np.inf, np.nan  # non-finite values spread the same way
    fast = ds.copy()
    assert _softmax_loops.softmax_backward_columns(fast, w, 0.3)
    np.testing.assert_array_equal(fast, _numpy(ds, w, 0.3))


def test_loop_declines_strided_and_half_precision():
    w = np.ones((2, 3, 4), np.float32)
    assert not _softmax_loops.softmax_backward_columns(np.ones((2, 4, 3), np.float32).transpose(0, 2, 1), w, 1.0)
    assert not _softmax_loops.softmax_backward_columns(w.astype(np.float16), w.astype(np.float16), 1.0)


@pytest.mark.parametrize("fast", [True, False])
def test_attention_gradients_with_and_without_the_loop_match_torch(fast):
    rng = np.random.default_rng(1)
    q, k, v = (rng.standard_normal((2, 3, 6, 4)).astype(np.float32) * 2 for _ in range(3))
    mask = np.triu(np.full((6, 6), -np.inf, np.float32), 1)
    before = jit.set_enabled(fast)
    try:
        eq, ek, ev = (ember.tensor(a, requires_grad=True) for a in (q, k, v))
        F.scaled_dot_product_attention(eq, ek, ev, ember.tensor(mask)).sum().backward()
    finally:
        jit.set_enabled(before)
    tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    TF.scaled_dot_product_attention(tq, tk, tv, torch.tensor(mask)).sum().backward()
    for e, t in ((eq, tq), (ek, tk), (ev, tv)):
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=2e-4, atol=2e-4)


def _numpy_softmax(s, masked):
    s = s.copy()
    top = s.max(-2, keepdims=True)
    if masked:
        np.copyto(top, 0, where=top == -np.inf)
    s -= top
    np.exp(s, out=s)
    total = s.sum(-2, keepdims=True)
    if masked:
        np.copyto(total, 1, where=total == 0)
    s /= total
    return s


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(2, 3, 5, 7), (9, 64, 64), (1, 1), (4, 3, 0), (3, 1, 2)])
@pytest.mark.parametrize("masked", [False, True])
def test_softmax_columns_equal_numpy_bit_for_bit(dtype, shape, masked):
    rng = np.random.default_rng(2)
    s = (rng.standard_normal(shape) * 4).astype(dtype)
    if s.ndim == 4:
        s[0, 0, :, 1] = -np.inf          # a dead column: zeros when masked, NaN otherwise (as NumPy)
        s[0, 1, 2, 3] = np.nan
        s[1, 2, :, 0] = np.inf
    fast = s.copy()
    with np.errstate(all="ignore"):
        done = _softmax_loops.softmax_columns(fast, masked)
        ref = _numpy_softmax(s, masked)
    assert done
    np.testing.assert_array_equal(fast, ref)
