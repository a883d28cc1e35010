"""Recurrent networks: whole sequences (`lstm`, `gru`, `rnn_tanh`, `rnn_relu`, with PyTorch's
`torch.lstm` signature) and single steps (`lstm_cell`, `gru_cell`, `rnn_tanh_cell`, `rnn_relu_cell`).

Each layer and direction projects every time step's input in one GEMM (`linear`), then one
primitive runs the recurrence over the whole sequence on raw arrays: a (batch, hidden) x
(hidden, gates) product and a few in-place array ops per step, the gate activations kept for
backward. Its backward runs backpropagation through time on arrays too and returns the gradient
of all the gates as one array, so the input and weight gradients are single large GEMMs.
Under `create_graph=True` the backward instead rebuilds the sequence from ember ops and
differentiates that, so gradients of gradients stay exact (they cost a second forward).

    >>> x = ember.randn(5, 3, 4)                      # (seq, batch, features)
    >>> w = [ember.randn(24, 4), ember.randn(24, 6)]  # weight_ih, weight_hh of one layer
    >>> out, h_n, c_n = ember.lstm(x, (ember.zeros(1, 3, 6), ember.zeros(1, 3, 6)), w, False, 1, 0.0,
    ...                            False, False, False)
    >>> out.shape, h_n.shape
    (ember.Size([5, 3, 6]), ember.Size([1, 3, 6]))
"""
import numbers

import numpy as np

from ember.autograd import grad_mode
from ember.autograd.engine import grad as _autograd_grad, observes
from ember.autograd.function import Function
from ember.autograd.tensor import Tensor, _wrap
from ember.backend import threads
from ember.errors import ArgumentError, DTypeError, IndexOutOfRangeError, ShapeError
from ember.ops import _rnn_loops as _loops, dense, dropout as _dropout, join, linalg, unary
from ember.ops._indexing import _add_rows
from ember.ops._row_loops import embedding_grad
from ember.ops.registry import Sample, register

__all__ = ["lstm", "gru", "rnn_tanh", "rnn_relu", "lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell"]

METHODS = ""
INPLACE = ""
FUNCTIONAL = ""


# --- the recurrences on arrays ----------------------------------------------------------
# Time-major throughout: `gx` (seq, batch, gates) is every step's input projection with the biases
# that add to it; outputs and gradients are (seq, batch, .) too, so every step's slice is contiguous.
# With `index` (seq, batch), `gx` is instead a projected embedding table (rows, gates) and each step
# looks its rows up (`_projection`): the sequence's projection is never written out. The lookup's
# result x and the projection's weight and bias come along (`x, w_ih, b_ih`), unread unless someone
# watches x's gradient (`_input_grads`).

def _batch_parts(xp, part, n, per_row):
    """[part(lo, hi)] over batch rows lo..hi, split between ember's threads on NumPy arrays (a
    recurrence's rows never mix: each part runs the whole sequence; at least 4 rows, so each part's
    GEMMs stay GEMMs)."""
    if xp is not np:
        return [part(0, n)]
    return threads.parallel(part, n, max(threads.part_size(per_row), 4))


def _order(n, reverse):
    return range(n - 1, -1, -1) if reverse else range(n)


def _steps_and_previous(out, reverse):
    """(first step, the other steps, the states those started from): `out` shifted by one step."""
    if reverse:
        return -1, slice(None, -1), out[1:]
    return 0, slice(1, None), out[:-1]


def _rows(a):
    return a.reshape(-1, a.shape[-1])


def _positional(op, *inputs):
    """Tensor inputs come positionally (they are the node's inputs, which backward reads); given as
    keywords they would arrive here as attributes, outside autograd: refused."""
    if any(isinstance(a, Tensor) for a in inputs):
        raise ArgumentError(f"{op}: w_hr, b_hh, index, x, w_ih and b_ih are tensor inputs: pass them "
                            f"positionally, not as keywords")


def _lookup_rows(op, xp, index, table):
    """A looked-up projection's time-major index (seq, batch) as a C-contiguous array, checked
    against the table's rows (as the lookup checked them: an index written in place since raises)."""
    rows = xp.ascontiguousarray(index)
    lo, hi = (int(rows.min()), int(rows.max())) if rows.size else (0, 0)
    if lo < 0 or hi >= table.shape[0]:
        raise IndexOutOfRangeError(f"{op}: embedding index {lo if lo < 0 else hi} is out of range for the "
                                   f"{table.shape[0]} rows of the looked-up table")
    return rows


def _step_input(xp, gx, rows, t):
    """Step t's (batch, gates) input projection: gx[t], or the table rows step t looks up."""
    return gx[t] if rows is None else xp.take(gx, rows[t], axis=0)


def _input_grads(xp, gx, rows, d, x, w_ih, b_ih):
    """The gradients of (gx, x, w_ih, b_ih) from the gradient `d` (seq, batch, gates) of every step's
    projection. Without a lookup: d for gx. With one, each step's rows of d added into the table rows
    they read, in `embedding`'s backward order (the same sums as a separate lookup's gradient), for
    gx, the projected table, whose own backward gives w_ih, b_ih and the embedding table theirs; x,
    the lookup's result, gets none. Unless x's gradient is watched (a hook, retain_grad, `grad`'s
    inputs): then the gradients of the unfolded projection x w_ih^T + b_ih go to x, w_ih and b_ih
    (x's reaches the embedding table through the lookup) and none to gx, so nothing counts twice."""
    if rows is None:
        return d, None, None, None
    flat = _rows(d)
    if x is not None and observes(x):
        xs = x._data.reshape(flat.shape[0], -1)
        return (None, (flat @ w_ih._data).reshape(x.shape), flat.T @ xs if w_ih.requires_grad else None,
                flat.sum(0) if isinstance(b_ih, Tensor) and b_ih.requires_grad else None)
    out, idx = xp.zeros(gx.shape, d.dtype), rows.reshape(-1)
    if not embedding_grad(out, idx, flat, None, -1):
        _add_rows(out, idx, flat, xp)
    return out, None, None, None


def _weight_grad(d, out, h0, reverse):
    """sum over t of d[t]^T h_{t-1}, the recurrent weight's gradient, in two GEMMs (no copy)."""
    first, rest, prev = _steps_and_previous(out, reverse)
    g = d[first].T @ h0
    if len(d) > 1:
        g += _rows(d[rest]).T @ _rows(prev)
    return g


def _sigmoid_(xp, a):
    """sigmoid in place, as tanh(a / 2) / 2 + 1/2: one transcendental, finite for every a."""
    a *= 0.5
    xp.tanh(a, out=a)
    a *= 0.5
    a += 0.5


def _recompute_grad(node, grads, composite):
    """Gradients through a rebuilt graph of ember ops, for create_graph=True (double backward)."""
    wanted = [a for a in node.inputs if isinstance(a, Tensor) and a.requires_grad]
    outs = composite(*node.inputs, **node.attrs)
    found = iter(_autograd_grad(list(outs), wanted, list(grads), create_graph=True, allow_unused=True))
    return tuple(next(found) if isinstance(a, Tensor) and a.requires_grad else None for a in node.inputs)


def _inputs(node, n):
    """The node's first n inputs, None for optional ones it was not given."""
    return (tuple(node.inputs) + (None,) * n)[:n]


def _wrap_all(grads, node):
    """The gradients of the node's inputs (those it was given) as tensors on its device."""
    dev = node.inputs[0]._device
    return tuple(None if g is None else _wrap(g, dev) for g in grads[:len(node.inputs)])


def _gates_backward(xp, a, tc, c_prev, dh, dc, d, tmp, H):
    """_rnn_loops.gates_backward in NumPy: the same float operations in the same order."""
    i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
    xp.multiply(tc, tc, out=tmp)                  # dc += dh o (1 - tanh(c)^2)
    xp.subtract(1, tmp, out=tmp)
    tmp *= o
    tmp *= dh
    dc += tmp
    xp.subtract(1, a, out=d)                      # sigmoid' of i, f, o
    d *= a
    dg = d[:, 2 * H:3 * H]
    xp.multiply(g, g, out=dg)                     # tanh' of g
    xp.subtract(1, dg, out=dg)
    d[:, :H] *= g                                 # d(c)/d(gate) for i, f, g
    d[:, H:2 * H] *= c_prev
    dg *= i
    d3 = d[:, :3 * H].reshape(len(d), 3, H)
    d3 *= dc[:, None, :]
    d[:, 3 * H:] *= tc                            # d(h)/d(o)
    d[:, 3 * H:] *= dh
    dc *= f


class LSTMRecurrence(Function):
    """(out, h_n, c_n) of one LSTM layer and direction, from gx = x W_ih^T + b_ih + b_hh."""

    def forward(self, gx, h0, c0, w_hh, w_hr=None, index=None, x=None, w_ih=None, b_ih=None, reverse=False):
        _positional("LSTMRecurrence", w_hr, index, x, w_ih, b_ih)
        xp, H = self.xp, c0.shape[-1]
        rows = None if index is None else _lookup_rows("lstm", xp, index, gx)
        T, B, G = gx.shape if rows is None else rows.shape + gx.shape[-1:]
        # tanh(s * z) * s + s is sigmoid(z) for s = 1/2 (gates i, f, o) and tanh(z) for g (s = 1, 0).
        # The inner s is applied to each step's gx and to W_hh (once): exact, a power of 2
        scale = xp.full(G, 0.5, gx.dtype)
        scale[2 * H:3 * H] = 1
        shift = scale.copy()
        shift[2 * H:3 * H] = 0
        act = xp.empty((T, B, G), gx.dtype)  # the activations, step by step
        c_all, tc_all = xp.empty((T, B, H), gx.dtype), xp.empty((T, B, H), gx.dtype)
        out = xp.empty((T, B, h0.shape[-1]), gx.dtype)
        hpre = xp.empty_like(c_all) if w_hr is not None else out  # h before the projection
        # the recurrent product as W_hh h^T (G, B), the GEMM form BLAS runs faster here (_rnn_loops)
        w_s = w_hh * scale[:, None]

        def part(lo, hi):  # batch rows lo..hi, through the whole sequence (rows never mix)
            h_t = h0[lo:hi].T.copy()  # a copy: h_t is written step by step
            pre, ig, c = xp.empty((G, hi - lo), gx.dtype), xp.empty((hi - lo, H), gx.dtype), c0[lo:hi]
            for t in _order(T, reverse):
                a, c_prev, c = act[t, lo:hi], c, c_all[t, lo:hi]
                xp.dot(w_s, h_t, out=pre)
                if rows is None:
                    _loops.gate_inputs(xp, a, gx[t, lo:hi], scale, pre)
                else:  # the rows of the projected table this step looks up
                    _loops.gate_inputs(xp, a, gx, scale, pre, rows[t, lo:hi])
                xp.tanh(a, out=a)
                if not _loops.gates(a, c_prev, c, H):  # the same float operations in NumPy
                    a *= scale
                    a += shift
                    xp.multiply(a[:, H:2 * H], c_prev, out=c)
                    xp.multiply(a[:, :H], a[:, 2 * H:3 * H], out=ig)
                    c += ig
                xp.tanh(c, out=tc_all[t, lo:hi])
                if w_hr is None:
                    _loops.hidden(xp, a, tc_all[t, lo:hi], out[t, lo:hi], h_t, H)
                else:
                    xp.multiply(a[:, 3 * H:], tc_all[t, lo:hi], out=hpre[t, lo:hi])
                    xp.dot(hpre[t, lo:hi], w_hr.T, out=out[t, lo:hi])
                    h_t[...] = out[t, lo:hi].T
        _batch_parts(xp, part, B, T * G)
        last = _order(T, reverse)[-1] if T else None
        self.act, self.c_all, self.tc_all, self.out, self.hpre, self.rows = act, c_all, tc_all, out, hpre, rows
        return out, (h0 if last is None else out[last]).copy(), (c0 if last is None else c_all[last]).copy()

    def backward(self, g_out, g_h, g_c):
        if grad_mode._state.enabled:
            return _recompute_grad(self, (g_out, g_h, g_c), _lstm_composite)
        gx, h0, c0, w_hh, w_hr, _, x, w_ih, b_ih = _inputs(self, 9)
        rev, xp, act, tc = self.attrs.get("reverse", False), self.xp, self.act, self.tc_all
        T, B, G = act.shape
        H = G // 4
        start, back = (T - 1, 1) if rev else (0, -1)  # the first step, and where a step's state came from
        d_gates = xp.empty_like(act)
        d_out = xp.empty_like(self.out) if w_hr is not None else None  # gradient of each projected h
        dh, dc, gout = g_h._data.copy(), g_c._data.copy(), g_out._data

        def part(lo, hi):  # batch rows lo..hi, back through the whole sequence
            dh_p, dc_p, tmp = dh[lo:hi], dc[lo:hi], xp.empty((hi - lo, H), act.dtype)
            for t in _order(T, not rev):  # per step, on arrays that are still in cache
                a, d = act[t, lo:hi], d_gates[t, lo:hi]
                c_prev, up = c0._data[lo:hi] if t == start else self.c_all[t + back, lo:hi], gout[t, lo:hi]
                if w_hr is not None or not _loops.rows_fit(up, dh_p.dtype):  # else the kernel adds it
                    dh_p += up
                    up = None
                if w_hr is not None:
                    d_out[t, lo:hi] = dh_p
                    dh_p = xp.dot(dh_p, w_hr._data)
                if not _loops.gates_backward(a, tc[t, lo:hi], c_prev, dh_p, dc_p, d, H, up):
                    if up is not None:
                        dh_p += up
                    _gates_backward(xp, a, tc[t, lo:hi], c_prev, dh_p, dc_p, d, tmp, H)
                dh_p = xp.dot(d, w_hh._data)
            return dh_p
        parts = _batch_parts(xp, part, B, T * G)
        dh = parts[0] if len(parts) == 1 else xp.concatenate(parts)
        g_gx, g_x, g_ih, g_b = _input_grads(xp, gx._data, self.rows, d_gates, x, w_ih, b_ih)
        grads = [g_gx, dh, dc, _weight_grad(d_gates, self.out, h0._data, rev) if w_hh.requires_grad else None,
                 _rows(d_out).T @ _rows(self.hpre) if w_hr is not None and w_hr.requires_grad else None, None,
                 g_x, g_ih, g_b]
        return _wrap_all(grads, self)


class GRURecurrence(Function):
    """(out, h_n) of one GRU layer and direction, from gx = x W_ih^T + b_ih (gates r, z, n)."""

    def forward(self, gx, h0, w_hh, b_hh=None, index=None, x=None, w_ih=None, b_ih=None, reverse=False):
        _positional("GRURecurrence", b_hh, index, x, w_ih, b_ih)
        xp, H = self.xp, h0.shape[-1]
        rows = None if index is None else _lookup_rows("gru", xp, index, gx)
        T, B, G = gx.shape if rows is None else rows.shape + gx.shape[-1:]
        rz, n_all, ghn = xp.empty((T, B, 2 * H), gx.dtype), xp.empty((T, B, H), gx.dtype), xp.empty((T, B, H), gx.dtype)
        out, gh, w_t, h = xp.empty((T, B, H), gx.dtype), xp.empty((B, G), gx.dtype), xp.ascontiguousarray(w_hh.T), h0
        for t in _order(T, reverse):
            xp.dot(h, w_t, out=gh)
            if b_hh is not None:
                gh += b_hh
            r, n, o, x = rz[t], n_all[t], out[t], _step_input(xp, gx, rows, t)
            xp.add(x[:, :2 * H], gh[:, :2 * H], out=r)
            _sigmoid_(xp, r)
            ghn[t] = gh[:, 2 * H:]
            xp.multiply(r[:, :H], gh[:, 2 * H:], out=n)
            n += x[:, 2 * H:]
            xp.tanh(n, out=n)
            xp.subtract(h, n, out=o)  # h' = n + z (h - n)
            o *= r[:, H:]
            o += n
            h = o
        self.rz, self.n_all, self.ghn, self.out, self.rows = rz, n_all, ghn, out, rows
        return out, h.copy()

    def backward(self, g_out, g_h):
        if grad_mode._state.enabled:
            return _recompute_grad(self, (g_out, g_h), _gru_composite)
        gx, h0, w_hh, b_hh, _, x, w_ih, b_ih = _inputs(self, 8)
        rev, xp, n, H = self.attrs.get("reverse", False), self.xp, self.n_all, h0.shape[-1]
        r, z = self.rz[..., :H], self.rz[..., H:]
        dn_f = (1 - z) * (1 - n * n)                 # d(pre-activation of n) / dh'
        dz_f = -n                                    # d(pre-activation of z) / dh' = (h - n) z (1 - z)
        first, rest, prev = _steps_and_previous(self.out, rev)
        dz_f[rest] += prev
        dz_f[first] += h0._data
        dz_f *= z * (1 - z)
        dr_f = self.ghn * r * (1 - r)                # d(pre-activation of r) / d(pre-activation of n)
        shape = self.out.shape[:2] + w_hh.shape[:1]  # (seq, batch, gates)
        d_gx, d_gh = xp.empty(shape, n.dtype), xp.empty(shape, n.dtype)
        dh, tmp, gout = g_h._data.copy(), xp.empty(h0._data.shape, n.dtype), g_out._data
        for t in _order(len(n), not rev):
            dh += gout[t]
            pn, ph = d_gx[t, :, 2 * H:], d_gh[t]
            xp.multiply(dh, dn_f[t], out=pn)
            xp.multiply(dh, dz_f[t], out=ph[:, H:2 * H])
            xp.multiply(pn, dr_f[t], out=ph[:, :H])
            xp.multiply(pn, r[t], out=ph[:, 2 * H:])
            xp.multiply(dh, z[t], out=tmp)
            dh = xp.dot(ph, w_hh._data)
            dh += tmp
        d_gx[..., :2 * H] = d_gh[..., :2 * H]
        g_w = _weight_grad(d_gh, self.out, h0._data, rev) if w_hh.requires_grad else None
        g_b = _rows(d_gh).sum(0) if isinstance(b_hh, Tensor) and b_hh.requires_grad else None
        g_gx, g_x, g_ih, g_bi = _input_grads(xp, gx._data, self.rows, d_gx, x, w_ih, b_ih)
        return _wrap_all((g_gx, dh, g_w, g_b, None, g_x, g_ih, g_bi), self)


class RNNRecurrence(Function):
    """(out, h_n) of one Elman RNN layer and direction, from gx = x W_ih^T + b_ih + b_hh."""

    def forward(self, gx, h0, w_hh, index=None, x=None, w_ih=None, b_ih=None, reverse=False, relu=False):
        _positional("RNNRecurrence", index, x, w_ih, b_ih)
        xp = self.xp
        rows = None if index is None else _lookup_rows("rnn", xp, index, gx)
        out = xp.empty((gx.shape if rows is None else rows.shape)[:2] + h0.shape[-1:], gx.dtype)
        pre, w_t, h = xp.empty_like(h0), xp.ascontiguousarray(w_hh.T), h0
        for t in _order(len(out), reverse):
            xp.dot(h, w_t, out=pre)
            pre += _step_input(xp, gx, rows, t)
            h = xp.maximum(pre, 0, out=out[t]) if relu else xp.tanh(pre, out=out[t])
        self.out, self.rows = out, rows
        return out, h.copy()

    def backward(self, g_out, g_h):
        if grad_mode._state.enabled:
            return _recompute_grad(self, (g_out, g_h), _rnn_composite)
        gx, h0, w_hh, _, x, w_ih, b_ih = _inputs(self, 7)
        rev, xp, out = self.attrs.get("reverse", False), self.xp, self.out
        deriv = (out > 0).astype(out.dtype) if self.attrs.get("relu") else 1 - out * out
        d_gx, gout, dh = xp.empty_like(deriv), g_out._data, g_h._data.copy()
        for t in _order(len(d_gx), not rev):
            dh += gout[t]
            xp.multiply(dh, deriv[t], out=d_gx[t])
            dh = xp.dot(d_gx[t], w_hh._data)
        g_w = _weight_grad(d_gx, out, h0._data, rev) if w_hh.requires_grad else None
        g_gx, g_x, g_ih, g_b = _input_grads(xp, gx._data, self.rows, d_gx, x, w_ih, b_ih)
        return _wrap_all((g_gx, dh, g_w, None, g_x, g_ih, g_b), self)


# --- the same recurrences as ember ops (differentiable twice; used under create_graph) ----

def _looked_up(gx, index, x, w_ih, b_ih):
    """Every step's input projection as ember ops: gx, or with a lookup the projected table's rows
    (the unfolded projection of x when x's gradient is watched, as `_input_grads`)."""
    if index is None:
        return gx
    return dense.linear(x, w_ih, b_ih) if x is not None and observes(x) else dense.embedding(index, gx)


def _lstm_composite(gx, h0, c0, w_hh, w_hr=None, index=None, x=None, w_ih=None, b_ih=None, reverse=False):
    steps, h, c = _looked_up(gx, index, x, w_ih, b_ih).unbind(0), h0, c0
    outs = [None] * len(steps)
    for t in _order(len(steps), reverse):
        i, f, g, o = linalg.addmm(steps[t], h, w_hh.mT).chunk(4, 1)
        c = unary.sigmoid(f) * c + unary.sigmoid(i) * unary.tanh(g)
        h = outs[t] = unary.sigmoid(o) * unary.tanh(c)
        if w_hr is not None:
            h = outs[t] = linalg.matmul(h, w_hr.mT)
    return join.stack(outs, 0), h, c


def _gru_composite(gx, h0, w_hh, b_hh=None, index=None, x=None, w_ih=None, b_ih=None, reverse=False):
    steps, h, H = _looked_up(gx, index, x, w_ih, b_ih).unbind(0), h0, h0.shape[-1]
    outs = [None] * len(steps)
    for t in _order(len(steps), reverse):
        gh = linalg.matmul(h, w_hh.mT) if b_hh is None else linalg.addmm(b_hh, h, w_hh.mT)
        gx_rz, gx_n = steps[t].split([2 * H, H], 1)
        gh_rz, gh_n = gh.split([2 * H, H], 1)
        r, z = unary.sigmoid(gx_rz + gh_rz).chunk(2, 1)
        n = unary.tanh(gx_n + r * gh_n)
        h = outs[t] = n + z * (h - n)
    return join.stack(outs, 0), h


def _rnn_composite(gx, h0, w_hh, index=None, x=None, w_ih=None, b_ih=None, reverse=False, relu=False):
    steps, h = _looked_up(gx, index, x, w_ih, b_ih).unbind(0), h0
    outs = [None] * len(steps)
    for t in _order(len(steps), reverse):
        pre = linalg.addmm(steps[t], h, w_hh.mT)
        h = outs[t] = unary.relu(pre) if relu else unary.tanh(pre)
    return join.stack(outs, 0), h


# --- checks -------------------------------------------------------------------------------

_GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1, "lstm_cell": 4, "gru_cell": 3, "rnn_tanh_cell": 1,
          "rnn_relu_cell": 1}


def _tensor(op, name, t, dtype=None):
    if not isinstance(t, Tensor):
        raise DTypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
    if dtype is None and not t.dtype.is_floating_point:
        raise DTypeError(f"{op}: {name} must be floating point, got {t.dtype}")
    if dtype is not None and t.dtype != dtype:
        raise DTypeError(f"{op}: {name} has dtype {t.dtype} but the input has {dtype}; convert with .to()")


def _shape(op, name, t, expected, meaning):
    if tuple(t.shape) != tuple(expected):
        raise ShapeError(f"{op}: {name} of shape {tuple(t.shape)}: expected {tuple(expected)} {meaning}")


def _flag(op, name, v):
    if not isinstance(v, (bool, int)) or v not in (0, 1):
        raise ArgumentError(f"{op}: {name} must be a bool, got {v!r}")
    return bool(v)


def _states(op, input, hx):
    """The initial state tensors: (h_0, c_0) for lstm, (h_0,) otherwise."""
    if op == "lstm":
        if not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise ArgumentError(f"{op}: hx must be a pair (h_0, c_0), got {type(hx).__name__}")
        states = tuple(hx)
    else:
        states = (hx,)
    for name, s in zip(("h_0", "c_0"), states):
        _tensor(op, name, s, input.dtype)
        if s.ndim != 3 or s.shape[1] != input.shape[1]:
            raise ShapeError(f"{op}: {name} of shape {tuple(s.shape)}: expected (num_layers * num_directions, "
                             f"batch={input.shape[1]}, hidden) for input of shape {tuple(input.shape)} (seq, batch, ·)")
    return states


def _check_params(op, params, n_in, H, P, has_biases, num_layers, dirs):
    gates = _GATES[op] * H
    per = 2 + 2 * has_biases + (P != H)
    if not isinstance(params, (tuple, list)) or len(params) != per * num_layers * dirs:
        got = len(params) if isinstance(params, (tuple, list)) else type(params).__name__
        raise ArgumentError(f"{op}: params must be a list of {per * num_layers * dirs} tensors (weight_ih, weight_hh"
                            f"{', bias_ih, bias_hh' if has_biases else ''}{', weight_hr' if P != H else ''} per "
                            f"layer and direction), got {got}")
    for k in range(num_layers * dirs):
        layer_in = n_in if k < dirs else P * dirs
        shapes = [(gates, layer_in), (gates, P)] + [(gates,)] * (2 * has_biases) + [(P, H)] * (P != H)
        for j, shape in enumerate(shapes):
            _tensor(op, f"params[{k * per + j}]", params[k * per + j], None)
            _shape(op, f"params[{k * per + j}]", params[k * per + j], shape,
                   f"(layer {k // dirs}, direction {k % dirs}, hidden_size={H})")


def _check(op, input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    """Checked arguments: (input as (seq, batch, .) shape facts, states, flags)."""
    _tensor(op, "input", input)
    if input.ndim != 3 or input.shape[1 if batch_first is True else 0] == 0:
        raise ShapeError(f"{op}: input of shape {tuple(input.shape)}: expected a 3-d input (seq_len, batch, "
                         f"features) (or (batch, seq_len, features) with batch_first) with seq_len > 0")
    flags = [_flag(op, n, v) for n, v in (("has_biases", has_biases), ("train", train),
                                          ("bidirectional", bidirectional), ("batch_first", batch_first))]
    if not isinstance(num_layers, int) or isinstance(num_layers, bool) or num_layers <= 0:
        raise ArgumentError(f"{op}: num_layers must be a positive int, got {num_layers!r}")
    if not isinstance(dropout, numbers.Real) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
        raise ArgumentError(f"{op}: dropout must be a number in [0, 1], got {dropout!r}")
    tm = input.transpose(0, 1) if flags[3] else input
    states = _states(op, tm, hx)
    dirs = 2 if flags[2] else 1
    H, P = states[-1].shape[-1], states[0].shape[-1]
    if op != "lstm" and P != H or P > H or any(s.shape[0] != num_layers * dirs for s in states):
        raise ShapeError(f"{op}: states of shapes {[tuple(s.shape) for s in states]} do not fit num_layers="
                         f"{num_layers}, bidirectional={flags[2]}: the first dim must be {num_layers * dirs}"
                         + (" and h_0's last dim (proj_size) at most c_0's (hidden_size)" if op == "lstm" else ""))
    _check_params(op, params, input.shape[-1], H, P, flags[0], num_layers, dirs)
    return states, flags


# --- layers and directions ----------------------------------------------------------------

def _projection(x, w_ih, bias, lookup, batch_first):
    """(gx, the recurrence's lookup inputs): x W_ih^T + bias for the whole sequence in one GEMM, and
    (). When x is a plain embedding lookup (`dense.looked_up`) from a table with fewer rows than x,
    the table is projected instead, and the lookup inputs are (its time-major index, x, W_ih, bias):
    the recurrence looks each step's rows up itself. The same sums, over the table's rows rather than
    every position (the benchmark's character LSTM: 96 rows against 2048 positions), and the
    sequence's projection (seq x batch x gates) is never written out; its gradients, a scatter of
    the gate gradients into 96 rows and two small GEMMs, replace two GEMMs over the 2048 positions
    (unless x's gradient is watched: `_input_grads`)."""
    if lookup is not None:
        index, table = lookup
        if table.shape[0] < index.numel() and index.ndim == x.ndim - 1:
            return dense.linear(table, w_ih, bias), (index.transpose(0, 1) if batch_first else index, x, w_ih, bias)
    return dense.linear(x, w_ih, bias), ()


def _direction(op, x, state, w, has_biases, reverse, lookup=None, batch_first=False):
    """One layer in one direction over a time-major `x`: the input projection in one GEMM
    (`_projection`), then the recurrence."""
    kw = {"reverse": reverse}
    if op == "gru":
        gx, looked = _projection(x, w[0], w[2] if has_biases else None, lookup, batch_first)
        return GRURecurrence.apply(gx, state[0], w[1], w[3] if has_biases else None, *looked, **kw)
    gx, looked = _projection(x, w[0], w[2] + w[3] if has_biases else None, lookup, batch_first)
    if op == "lstm":
        return LSTMRecurrence.apply(gx, state[0], state[1], w[1], w[-1] if len(w) % 2 else None, *looked, **kw)
    return RNNRecurrence.apply(gx, state[0], w[1], *looked, relu=op == "rnn_relu", **kw)


def _run(op, input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    """(output, final states stacked per layer and direction) of a multi-layer recurrent network."""
    states, (has_biases, train, bidirectional, batch_first) = _check(
        op, input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)
    dirs = 2 if bidirectional else 1
    per = len(params) // (num_layers * dirs)
    states = [s.unbind(0) for s in states]
    x, finals, lookup = input.transpose(0, 1) if batch_first else input, [], dense.looked_up(input)
    for layer in range(num_layers):
        outs = []
        for d in range(dirs):
            k = layer * dirs + d
            out, *final = _direction(op, x, [s[k] for s in states], params[k * per:(k + 1) * per], has_biases,
                                     d == 1, lookup if layer == 0 else None, batch_first)
            outs.append(out)
            finals.append(final)
        x = outs[0] if dirs == 1 else join.cat(outs, 2)
        if dropout and train and layer < num_layers - 1:
            x = _dropout.dropout(x, dropout, training=True)
    x = x.transpose(0, 1) if batch_first else x
    return (x,) + tuple(join.stack([f[i] for f in finals], 0) for i in range(len(finals[0])))


# --- public ops -----------------------------------------------------------------------------

def _seq_samples(op):
    def samples(make):
        gates = _GATES[op]

        def params(n_in, H, layers=1, dirs=1, bias=True, P=None):
            out = []
            for k in range(layers * dirs):
                out += [make(gates * H, n_in if k < dirs else (P or H) * dirs), make(gates * H, P or H)]
                out += [make(gates * H), make(gates * H)] if bias else []
                out += [make(P, H)] if P else []
            return out

        def hx(n, B, H, P=None):
            return (make(n, B, P or H), make(n, B, H)) if op == "lstm" else make(n, B, H)
        s = [Sample((make(3, 2, 2), hx(1, 2, 3), params(2, 3), True, 1, 0.0, False, False, False), name="1-layer"),
             # double backward rebuilds the graph from ember ops: checked on one layer, slow on several
             Sample((make(2, 3, 2, noncontig=True), hx(4, 2, 2), params(2, 2, 2, 2), True, 2, 0.0, True, True, True),
                    name="2-layers-bidirectional-batch-first-noncontig", gradgrad=False),
             Sample((make(2, 1, 3), hx(1, 1, 2), params(3, 2, bias=False), False, 1, 0.5, False, False, False),
                    name="no-bias"),
             Sample((make(3, 2, 2) * 40, hx(1, 2, 3), params(2, 3), True, 1, 0.0, False, False, False),
                    name="extreme")]
        if op == "lstm":
            s.append(Sample((make(2, 2, 2), hx(2, 2, 3, P=2), params(2, 3, 1, 2, P=2), True, 1, 0.0, False, True,
                             False), name="proj-bidirectional", gradgrad=False))
        return s
    return samples


@register("lstm", _seq_samples("lstm"), LSTMRecurrence)
def lstm(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    """A multi-layer LSTM over a whole sequence, with `torch.lstm`'s arguments: `hx` = (h_0, c_0),
    `params` = [weight_ih, weight_hh, (bias_ih, bias_hh,) (weight_hr,)] per layer and direction
    (`weight_hr` when h_0's size, proj_size, is below c_0's). Returns (output, h_n, c_n).
    `dropout` applies between layers when `train`. `nn.LSTM` calls this."""
    return _run("lstm", input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)


@register("gru", _seq_samples("gru"), GRURecurrence)
def gru(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    """A multi-layer GRU over a whole sequence, with `torch.gru`'s arguments (gates r, z, n; `params`
    as in `lstm`, without weight_hr). Returns (output, h_n)."""
    return _run("gru", input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)


@register("rnn_tanh", _seq_samples("rnn_tanh"), RNNRecurrence)
def rnn_tanh(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    """A multi-layer Elman RNN with tanh, with `torch.rnn_tanh`'s arguments. Returns (output, h_n)."""
    return _run("rnn_tanh", input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)


@register("rnn_relu", _seq_samples("rnn_relu"))
def rnn_relu(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    """A multi-layer Elman RNN with relu, with `torch.rnn_relu`'s arguments. Returns (output, h_n)."""
    return _run("rnn_relu", input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)


def _check_cell(op, input, states, w_ih, w_hh, b_ih, b_hh):
    _tensor(op, "input", input)
    if input.ndim != 2:
        raise ShapeError(f"{op}: input of shape {tuple(input.shape)}: expected (batch, input_size)")
    H = states[-1].shape[-1] if isinstance(states[-1], Tensor) and states[-1].ndim else 0
    for name, s in zip(("h", "c") if len(states) == 2 else ("hx",), states):
        _tensor(op, name, s, input.dtype)
        _shape(op, name, s, (input.shape[0], H), "(batch, hidden_size)")
    gates = _GATES[op] * H
    for name, w, shape in (("w_ih", w_ih, (gates, input.shape[1])), ("w_hh", w_hh, (gates, H)),
                           ("b_ih", b_ih, (gates,)), ("b_hh", b_hh, (gates,))):
        if w is not None or name.startswith("w"):
            _tensor(op, name, w, input.dtype)
            _shape(op, name, w, shape, f"for hidden_size={H}")


def _cell_bias(b_ih, b_hh):
    return b_hh if b_ih is None else b_ih if b_hh is None else b_ih + b_hh


def _cell_samples(op):
    def samples(make):
        gates = _GATES[op]
        hx = (make(3, 4), make(3, 4)) if op == "lstm_cell" else make(3, 4)
        weights = (make(gates * 4, 2), make(gates * 4, 4))
        return [Sample((make(3, 2), hx) + weights + (make(gates * 4), make(gates * 4)), name="2d"),
                Sample((make(3, 2, noncontig=True), hx) + weights, name="noncontig-no-bias"),
                Sample((make(0, 2), (make(0, 4), make(0, 4)) if op == "lstm_cell" else make(0, 4)) + weights,
                       name="empty-batch"),
                Sample((make(3, 2) * 40, hx) + weights + (make(gates * 4), None), name="extreme")]
    return samples


@register("lstm_cell", _cell_samples("lstm_cell"))
def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step, as `torch.lstm_cell`: `hx` = (h, c) of shape (batch, hidden); returns (h', c').

        >>> h, c = ember.lstm_cell(ember.randn(2, 3), (ember.zeros(2, 4), ember.zeros(2, 4)),
        ...                        ember.randn(16, 3), ember.randn(16, 4))
    """
    if not isinstance(hx, (tuple, list)) or len(hx) != 2:
        raise ArgumentError(f"lstm_cell: hx must be a pair (h, c), got {type(hx).__name__}")
    _check_cell("lstm", input, tuple(hx), w_ih, w_hh, b_ih, b_hh)
    gx = dense.linear(input, w_ih, _cell_bias(b_ih, b_hh)).unsqueeze(0)
    out, _, c = LSTMRecurrence.apply(gx, hx[0], hx[1], w_hh, None, None)
    return out[0], c  # h' from `out`: a second view node, so that h' and c' are not both outputs of one node


@register("gru_cell", _cell_samples("gru_cell"))
def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step, as `torch.gru_cell` (gates r, z, n); returns h'."""
    _check_cell("gru", input, (hx,), w_ih, w_hh, b_ih, b_hh)
    gx = dense.linear(input, w_ih, b_ih).unsqueeze(0)
    return GRURecurrence.apply(gx, hx, w_hh, b_hh, None)[1]


def _rnn_cell(op, input, hx, w_ih, w_hh, b_ih, b_hh):
    _check_cell("rnn_tanh", input, (hx,), w_ih, w_hh, b_ih, b_hh)
    gx = dense.linear(input, w_ih, _cell_bias(b_ih, b_hh)).unsqueeze(0)
    return RNNRecurrence.apply(gx, hx, w_hh, None, relu=op == "rnn_relu_cell")[1]


@register("rnn_tanh_cell", _cell_samples("rnn_tanh_cell"))
def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One Elman step h' = tanh(input W_ih^T + b_ih + h W_hh^T + b_hh), as `torch.rnn_tanh_cell`."""
    return _rnn_cell("rnn_tanh_cell", input, hx, w_ih, w_hh, b_ih, b_hh)


@register("rnn_relu_cell", _cell_samples("rnn_relu_cell"))
def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One Elman step with relu, as `torch.rnn_relu_cell`."""
    return _rnn_cell("rnn_relu_cell", input, hx, w_ih, w_hh, b_ih, b_hh)
