"""Scaled dot-product attention, PyTorch's `scaled_dot_product_attention`, as a composite of
`matmul`, masking and `softmax`.

Boolean masks mark the positions that may be attended (True); floating masks are
added to the scores. A query row whose every key is masked gets zeros (and zero
gradients), as PyTorch 2.13's math path on the CPU does, not NaN.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> q = k = v = ember.ones(1, 2, 3, 4)
    >>> F.scaled_dot_product_attention(q, k, v, is_causal=True).shape
    ember.Size([1, 2, 3, 4])
"""
import math

import numpy as np

from ember.autograd import grad_mode
from ember.autograd.checks import broadcast_shapes
from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.backend import dtypes, threads
from ember.ops import binary, creation, dropout, linalg, softmax
from ember.ops._softmax_loops import softmax_backward_columns, softmax_columns
from ember.ops.recurrent import _recompute_grad, _wrap_all
from ember.ops.registry import Sample, register

__all__ = []
METHODS = ""
INPLACE = ""
FUNCTIONAL = "scaled_dot_product_attention"


def _check(query, key, value, attn_mask, dropout_p, is_causal, enable_gqa):
    op = "scaled_dot_product_attention"
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor) or not t.dtype.is_floating_point:
            raise DTypeError(f"{op}: {name} must be a floating point Tensor, got "
                             f"{getattr(t, 'dtype', type(t).__name__)}")
        if t.ndim < 2:
            raise ShapeError(f"{op}: {name} must have shape (..., L, E), got {tuple(t.shape)}")
    if query.dtype != key.dtype or query.dtype != value.dtype:
        raise DTypeError(f"{op}: query, key and value must have one dtype, got {query.dtype}, {key.dtype} "
                         f"and {value.dtype}")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ShapeError(f"{op}: expected query (..., L, E), key (..., S, E) and value (..., S, Ev), got "
                         f"{tuple(query.shape)}, {tuple(key.shape)} and {tuple(value.shape)}")
    if not isinstance(dropout_p, (int, float)) or not 0.0 <= dropout_p <= 1.0:
        raise ArgumentError(f"{op}: dropout_p must be in [0, 1], got {dropout_p!r}")
    if is_causal and attn_mask is not None:
        raise ArgumentError(f"{op}: pass either attn_mask or is_causal=True, not both")
    if attn_mask is not None:
        if not isinstance(attn_mask, Tensor) or not (attn_mask.dtype.name == "bool" or attn_mask.dtype == query.dtype):
            raise DTypeError(f"{op}: attn_mask must be a bool Tensor or a Tensor of the query's dtype "
                             f"{query.dtype}, got {getattr(attn_mask, 'dtype', type(attn_mask).__name__)}")
        scores = tuple(query.shape[:-1]) + (key.shape[-2],)
        try:
            fits = broadcast_shapes(op, scores, tuple(attn_mask.shape)) == scores
        except ShapeError:
            fits = False
        if not fits:
            raise ShapeError(f"{op}: attn_mask of shape {tuple(attn_mask.shape)} must broadcast to the scores' "
                             f"shape {scores}")


def _repeat_heads(t, groups):
    """Each head of `t` (dim -3) repeated `groups` times in a row (PyTorch's repeat_interleave)."""
    shape = tuple(t.shape)
    return t.unsqueeze(-3).expand(shape[:-2] + (groups,) + shape[-2:]).reshape(
        shape[:-3] + (shape[-3] * groups,) + shape[-2:])


def _gqa(query, key, value):
    if query.ndim < 3 or key.ndim < 3 or value.ndim < 3:
        raise ShapeError("scaled_dot_product_attention: enable_gqa needs query, key and value with a head dim "
                         f"(..., H, L, E), got {tuple(query.shape)}, {tuple(key.shape)} and {tuple(value.shape)}")
    hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
    if hk == 0 or hv == 0 or hq % hk or hq % hv:
        raise ShapeError(f"scaled_dot_product_attention: with enable_gqa the query's {hq} heads must be a "
                         f"multiple of the key's {hk} and the value's {hv}")
    return _repeat_heads(key, hq // hk), _repeat_heads(value, hq // hv)


class Attention(Function):
    """softmax(q k^T * scale + mask) v as one primitive on arrays, for q, k, v of one batch shape
    and dtype float32/float64: scores, masking and softmax in place in one buffer kept for
    backward (the weights), whose backward is four batched GEMMs and two passes over it.
    `mask` is additive (float) or bool (True: attend); `causal` masks keys after the query;
    `masked` says a row with every score -inf gives zeros (and zero gradients), not NaN.

    The buffer holds the scores transposed, (..., S, L) = k q^T: softmax then reduces over
    axis -2, which NumPy does as vectorized passes over whole rows; its row max over a short
    last axis (S = 64) is ~1.7x slower (float32, (32, 4, 64, 64)). BLAS reads either layout.
    On NumPy arrays the batch (axis 0) is split between ember's threads (`threads.parallel`: the
    benchmark transformer's attention, two threads, 8.7 -> 5.2 ms per step); every part computes
    its own rows as the whole would, bit for bit."""

    def forward(self, q, k, v, mask=None, scale=1.0, causal=False, masked=False):
        xp = self.xp
        s = xp.empty(k.shape[:-1] + q.shape[-2:-1], q.dtype)  # s[..., j, i]: key j, query i
        out = xp.empty(q.shape[:-1] + v.shape[-1:], q.dtype)
        if causal:  # keys after the query: below the diagonal here
            mask = ~xp.tril(xp.ones(s.shape[-2:], bool), -1)
        elif mask is not None:
            mask = _transposed_mask(xp, mask, s.shape)

        def part(a, b):
            sp, m = s[a:b], _rows(mask, s, a, b)
            xp.matmul(k[a:b], xp.swapaxes(q[a:b], -1, -2), out=sp)
            sp *= sp.dtype.type(scale)
            # copyto with a broadcast where is ~9x faster than boolean-index assignment
            if m is not None and m.dtype == bool:
                xp.copyto(sp, -math.inf, where=~m)
            elif m is not None:
                sp += m
            _softmax_(xp, sp, masked)
            xp.matmul(xp.swapaxes(sp, -1, -2), v[a:b], out=out[a:b])
        _batch_parts(part, s)
        self.w = s                                          # the weights, transposed
        return out

    def backward(self, g):
        if grad_mode._state.enabled:
            return _recompute_grad(self, (g,), _attention_composite)
        q, k, v = (t._data for t in self.inputs[:3])
        xp, w, scale = self.xp, self.w, self.attrs.get("scale", 1.0)
        g = g._data
        # each gradient in its input's memory order (empty_like keeps it): heads that are views of
        # one (N, L, H, hd) projection get gradients whose reshape back to (N, L, E) is free
        dq, dk, dv = (xp.empty_like(t._data) if t.requires_grad else None for t in self.inputs[:3])
        ds = xp.empty_like(w)

        def part(a, b):
            if dv is not None:
                xp.matmul(w[a:b], g[a:b], out=dv[a:b])
            dsp, wp = ds[a:b], w[a:b]
            xp.matmul(v[a:b], xp.swapaxes(g[a:b], -1, -2), out=dsp)  # the weights' gradient, then the scores'
            if not softmax_backward_columns(dsp, wp, scale):
                dsp -= xp.multiply(dsp, wp).sum(-2, keepdims=True)
                dsp *= wp
                dsp *= dsp.dtype.type(scale)
            if dq is not None:
                xp.matmul(xp.swapaxes(dsp, -1, -2), k[a:b], out=dq[a:b])
            if dk is not None:
                xp.matmul(dsp, q[a:b], out=dk[a:b])
        _batch_parts(part, w)
        return _wrap_all((dq, dk, dv, None, None), self)


def _batch_parts(part, s):
    """part(a, b) over the batch (axis 0) of the (..., S, L) scores `s`, split between ember's threads
    on NumPy arrays (one part otherwise, or without a batch axis)."""
    if type(s) is not np.ndarray or s.ndim <= 2:
        part(None, None)  # the whole
        return
    threads.parallel(part, s.shape[0], threads.part_size(s[0].size))


def _rows(mask, s, a, b):
    """The part of a mask (broadcasting to the scores `s`) for batch rows a..b."""
    if mask is None or mask.ndim < s.ndim or mask.shape[0] == 1:
        return mask
    return mask[a:b]


def _softmax_(xp, s, masked):
    """In place, the softmax of the transposed scores `s` down their columns (axis -2)."""
    if softmax_columns(s, masked):
        return
    top = s.max(-2, keepdims=True)
    if masked:  # a row with nothing to attend: exp(-inf) = 0 everywhere, then 0 / 1
        xp.copyto(top, 0, where=top == -math.inf)
    s -= top
    xp.exp(s, out=s)
    total = s.sum(-2, keepdims=True)
    if masked:
        xp.copyto(total, 1, where=total == 0)  # only a dead row sums to 0: its maximum gave exp(0) = 1
    s /= total


def _transposed_mask(xp, mask, shape):
    """`mask` (broadcasting to (..., L, S)) as (..., S, L) for the transposed scores `shape`: a
    contiguous copy of its own (usually small) extent, so the masking pass reads it row by row."""
    L, S = shape[-1], shape[-2]
    lead = mask.shape[:-2] if mask.ndim > 2 else ()
    return xp.ascontiguousarray(xp.swapaxes(xp.broadcast_to(mask, lead + (L, S)), -1, -2))


def _attention_composite(q, k, v, mask=None, scale=1.0, causal=False, masked=False):
    """Attention in ember ops (differentiable twice; used under create_graph)."""
    L, S = q.shape[-2], k.shape[-2]
    scores = linalg.matmul(q, k.transpose(-2, -1)) * scale
    allowed = creation.ones(L, S, dtype=dtypes.bool_, device=q.device).tril() if causal else \
        mask if mask is not None and mask.dtype.name == "bool" else None
    if mask is not None and allowed is None:
        scores = scores + mask
    if allowed is not None:
        scores = binary.where(allowed, scores, -math.inf)
    return (linalg.matmul(_softmax_rows(scores, masked), v),)


def _fused(query, key, value, attn_mask, dropout_p):
    """Whether the one-primitive path applies: no dropout, one batch shape, float32/float64, not
    empty, no gradient wanted for the mask."""
    batch = tuple(query.shape[:-2])
    return (not dropout_p and query.dtype.name in ("float32", "float64") and tuple(key.shape[:-2]) == batch
            and tuple(value.shape[:-2]) == batch and query.numel() > 0 and key.numel() > 0
            and (attn_mask is None or not attn_mask.requires_grad))


def _sdpa_samples(make):
    causal_q = make(2, 5, 4)
    return [Sample((make(2, 3, 4), make(2, 5, 4), make(2, 5, 3)), name="3d"),
            Sample((make(1, 2, 3, 4), make(1, 2, 3, 4), make(1, 2, 3, 4)), {"is_causal": True}, "causal"),
            Sample((causal_q, make(2, 3, 4), make(2, 3, 4)), {"is_causal": True}, "causal-longer-query"),
            Sample((make(2, 3, 4), make(2, 5, 4), make(2, 5, 2)), {"attn_mask": make.bools(3, 5) | np.eye(3, 5, dtype=bool)},
                   "bool-mask"),
            Sample((make(2, 2, 3, 4), make(2, 2, 5, 4), make(2, 2, 5, 4)), {"attn_mask": make(2, 1, 3, 5)},
                   "float-mask-broadcast"),
            Sample((make(2, 3, 4), make(2, 5, 4), make(2, 5, 4)),
                   {"attn_mask": np.array([[True] * 5, [False] * 5, [True, False] * 2 + [True]])}, "masked-row"),
            Sample((make(4, 3, noncontig=True), make(5, 3), make(5, 2)), {"scale": 0.3}, "noncontig-scale"),
            Sample((make(1, 4, 3, 2), make(1, 2, 5, 2), make(1, 2, 5, 3)), {"enable_gqa": True}, "gqa"),
            Sample((make(2, 0, 4), make(2, 5, 4), make(2, 5, 3)), name="empty")]


@register("scaled_dot_product_attention", _sdpa_samples, Attention, ref="nn.functional.scaled_dot_product_attention")
def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """`softmax(query @ key^T * scale + mask) @ value`, with `scale = 1 / sqrt(E)` by default.

    `attn_mask`: bool (True: attend) or additive float, broadcast to (..., L, S).
    `is_causal`: query i attends keys 0..i (top-left aligned). `dropout_p`: dropout on the
    attention weights, drawn from ember's default generator. `enable_gqa`: key and value
    may have fewer heads (dim -3) than the query, each shared by a group of query heads.

        >>> q = ember.tensor([[[1.0, 0.0]]])
        >>> F.scaled_dot_product_attention(q, q, ember.tensor([[[2.0, 3.0]]]))
        tensor([[[2., 3.]]])
    """
    _check(query, key, value, attn_mask, dropout_p, is_causal, enable_gqa)
    if enable_gqa:
        key, value = _gqa(query, key, value)
    L, S = query.shape[-2], key.shape[-2]
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    if _fused(query, key, value, attn_mask, dropout_p):
        return Attention.apply(query, key, value, *([] if attn_mask is None else [attn_mask]), scale=float(scale),
                               causal=bool(is_causal), masked=attn_mask is not None or bool(is_causal))
    scores = linalg.matmul(query, key.transpose(-2, -1)) * scale
    allowed = None
    if is_causal:
        allowed = creation.ones(L, S, dtype=dtypes.bool_, device=query.device).tril()
    elif attn_mask is not None and attn_mask.dtype.name == "bool":
        allowed = attn_mask
    elif attn_mask is not None:
        scores = scores + attn_mask
    if allowed is not None:
        scores = binary.where(allowed, scores, -math.inf)
    weights = _softmax_rows(scores, masked=attn_mask is not None or is_causal)
    if dropout_p:
        weights = dropout.dropout(weights, dropout_p)
    return linalg.matmul(weights, value)


def _softmax_rows(scores, masked):
    """softmax over the last dim; with a mask, a row with every score -inf gives zeros instead of NaN."""
    if not masked or scores.numel() == 0:
        return softmax.softmax(scores, -1)
    dead = (scores == -math.inf).all(-1, keepdim=True)
    return binary.where(dead, 0.0, softmax.softmax(binary.where(dead, 0.0, scores), -1))
