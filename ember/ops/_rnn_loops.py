"""An LSTM time step's gate arithmetic in one pass (the `fast` extra: numba; ember/backend/jit.py).

Per time step the NumPy code of ember/ops/recurrent.py makes about eight array passes in the
forward and twenty in the backward, each a separate call on a (batch, 4 * hidden) array; at the
benchmark's sizes the calls cost more than the arithmetic. These loops do the part that needs no
transcendental function in one pass each: `gates` turns the tanh of the (pre-scaled) gate inputs
into the gate activations and the new cell state; `hidden` writes h = o * tanh(c) and its transpose;
`gates_backward` turns the gradients reaching h and c into the gradient of every gate and of the
previous cell state; `gate_inputs` adds the recurrent product to the step's (B, G) input
projection. That product is computed as W_hh h^T (G, B), the GEMM form BLAS runs faster at these
sizes than h W_hh^T (B, G) (32 x 256 x 1024: 184 against 263 us on one thread, 119 against 177 us
on two; the transposed add costs ~20 us). tanh itself stays with NumPy, whose SIMD tanh is ~30x
faster than a scalar one in a loop.

Both paths compute the same float operations in the same order, so they agree bit for bit
(tests/ops/test_rnn_loops.py). Where a kernel does not apply (no numba, not a C-contiguous NumPy
float32/float64 array), `gates` and `gates_backward` return False and recurrent.py runs its NumPy
code; `gate_inputs` and `hidden` run their NumPy code themselves.

    >>> import numpy as np
    >>> a, c = np.zeros((1, 4), np.float32), np.ones((1, 1), np.float32)
    >>> gates(a, c, c.copy(), 1)          # i = f = o = 1/2, g = 0: c' = c / 2
    True
"""
import numpy as np

from ember.backend.jit import Kernel


def _gates_loop(a, c_prev, c, H, half):
    # a: tanh of the scaled gate inputs (B, 4H), gates i, f, g, o; i, f, o become tanh / 2 + 1/2
    # (their sigmoid), g stays tanh; c = f * c_prev + i * g. The constants come in the arrays'
    # dtype: a float literal would make numba compute float32 in float64.
    for b in range(a.shape[0]):
        for j in range(H):
            i = a[b, j] * half + half
            f = a[b, H + j] * half + half
            o = a[b, 3 * H + j] * half + half
            a[b, j], a[b, H + j], a[b, 3 * H + j] = i, f, o
            c[b, j] = f * c_prev[b, j] + i * a[b, 2 * H + j]


def _gates_backward_loop(a, tc, c_prev, dh, up, add, dc, d, H, one):
    # dh, dc: gradients reaching h_t and c_t from the next step, with `add` the step's output
    # gradient `up` added to dh's; d gets the gradient of the gate inputs; dc becomes the gradient
    # of c_{t-1}. The products are grouped as in recurrent.py's NumPy code.
    for b in range(a.shape[0]):
        for j in range(H):
            i, f, g, o = a[b, j], a[b, H + j], a[b, 2 * H + j], a[b, 3 * H + j]
            t, h_grad = tc[b, j], dh[b, j] + up[b, j] if add else dh[b, j]
            c_grad = dc[b, j] + (one - t * t) * o * h_grad
            d[b, j] = (one - i) * i * g * c_grad
            d[b, H + j] = (one - f) * f * c_prev[b, j] * c_grad
            d[b, 2 * H + j] = (one - g * g) * i * c_grad
            d[b, 3 * H + j] = (one - o) * o * t * h_grad
            dc[b, j] = c_grad * f


def _gate_inputs_loop(a, gx, scale, pre):
    # a (B, G) = gx (B, G) * scale (G) + pre (G, B).T, row by row of `a` (a column-wise walk of `a`
    # runs ~15x slower)
    for b in range(a.shape[0]):
        for j in range(a.shape[1]):
            a[b, j] = gx[b, j] * scale[j] + pre[j, b]


def _gate_rows_loop(a, table, rows, scale, pre):
    # _gate_inputs_loop with the step's input projection looked up: gx row b is table[rows[b]]
    for b in range(a.shape[0]):
        r = rows[b]
        for j in range(a.shape[1]):
            a[b, j] = table[r, j] * scale[j] + pre[j, b]


def _hidden_loop(a, tc, h, h_t, H):
    # h (B, H) = o * tanh(c), and its transpose into h_t (H, B)
    for b in range(a.shape[0]):
        for j in range(H):
            v = a[b, 3 * H + j] * tc[b, j]
            h[b, j] = v
            h_t[j, b] = v


_GATES, _GATES_BACKWARD = Kernel(_gates_loop), Kernel(_gates_backward_loop)
_GATE_INPUTS, _GATE_ROWS, _HIDDEN = Kernel(_gate_inputs_loop), Kernel(_gate_rows_loop), Kernel(_hidden_loop)


def _fits(*arrays):
    dt = arrays[0].dtype
    return all(type(x) is np.ndarray and x.dtype == dt and x.flags.c_contiguous for x in arrays) and \
        dt in (np.float32, np.float64)


def rows_fit(x, dt):
    """A NumPy array of dtype `dt` whose rows are contiguous (a step of a permuted gradient is)."""
    return type(x) is np.ndarray and x.dtype == dt and x.ndim == 2 and x.strides[1] == x.itemsize


def gates(a, c_prev, c, H):
    """Gate activations in place in `a` (B, 4H) and the new cell state into `c` (B, H); False
    (nothing done) where the kernel does not apply."""
    kernel = _GATES.get()
    if kernel is None or not _fits(a, c_prev, c):
        return False
    kernel(a, c_prev, c, H, a.dtype.type(0.5))
    return True


def gates_backward(a, tc, c_prev, dh, dc, d, H, up=None):
    """Gradient of the gate inputs into `d` (B, 4H) and of the previous cell state into `dc`
    (in place), from the activations `a`, tanh(c_t) `tc` and the gradients `dh` (plus the step's
    output gradient `up`, when given: dh + up, dh itself unchanged; its rows need only be
    contiguous) and `dc` reaching h_t and c_t; False (nothing done) where the kernel does not apply."""
    kernel = _GATES_BACKWARD.get()
    add = up is not None
    if kernel is None or not _fits(a, tc, c_prev, dh, dc, d) or add and not rows_fit(up, a.dtype):
        return False
    kernel(a, tc, c_prev, dh, up if add else dh, add, dc, d, H, a.dtype.type(1))
    return True


def gate_inputs(xp, a, gx, scale, pre, rows=None):
    """a (B, G) = gx (B, G) * scale (G) + pre (G, B).T: a step's scaled input projection plus its
    recurrent product, which BLAS computed transposed. With `rows` (B,), gx is a table (V, G) and
    the step's projection its rows `rows` (in range: the caller checked)."""
    if rows is None:
        kernel = _GATE_INPUTS.get()
        if kernel is not None and _fits(a, gx, scale, pre):
            kernel(a, gx, scale, pre)
            return
    else:
        kernel = _GATE_ROWS.get()
        if kernel is not None and _fits(a, gx, scale, pre) and type(rows) is np.ndarray and rows.flags.c_contiguous:
            kernel(a, gx, rows, scale, pre)
            return
        gx = xp.take(gx, rows, axis=0)
    xp.multiply(gx, scale, out=a)
    a += pre.T


def hidden(xp, a, tc, h, h_t, H):
    """h (B, H) = o * tanh(c) from the activations `a` and `tc`, and h's transpose into h_t (H, B),
    the next step's GEMM operand."""
    kernel = _HIDDEN.get()
    if kernel is not None and _fits(a, tc, h, h_t):
        kernel(a, tc, h, h_t, H)
    else:
        xp.multiply(a[:, 3 * H:], tc, out=h)
        h_t[...] = h.T
