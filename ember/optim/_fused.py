"""One-pass update kernels for Adam/AdamW (PyTorch's and Keras's forms), SGD and RMSprop (the `fast` extra: numba).

Each kernel reads a parameter, its gradient and its state once and writes them once,
where the NumPy code of the optimizers makes a dozen passes and temporaries (4x faster
on the benchmark MLP's 670k parameters). The float operations and their order are the
NumPy code's, in the arrays' own precision, so both paths give the same bits; the
optimizers fall back to NumPy when numba is missing or the arrays are not contiguous
CPU floats (ember.backend.jit.flat).

    >>> import numpy as np
    >>> p, g = np.ones(3, np.float32), np.full(3, 0.5, np.float32)
    >>> sgd(p, g, None, lr=0.1, momentum=0.0, dampening=0.0, nesterov=False)
    True

`adam_group` and `adam_keras_group` run the kernel over every parameter of a group in one lean loop
(PyTorch's `foreach`): each parameter's step count advanced and its bias corrections computed there,
without the optimizer's per-parameter Python layers (Keras's Adam over the digits CNN's 8
parameters: 143 -> ~40 us a step). One numba call over a tuple of all the arrays measured only
0.7x the loop's time and compiles again for every parameter count; the loop is kept.
"""
import math

import numpy as np

from ember.backend.jit import Kernel, flat
from ember.optim.optimizer import advance


def _adam_loop(p, g, m, v, w1, b2, w2, step_size, c2, eps):
    for i in range(p.size):
        gi = g[i]
        mi = m[i] + w1 * (gi - m[i])
        m[i] = mi
        vi = v[i] * b2 + w2 * gi * gi
        v[i] = vi
        p[i] -= step_size * mi / (np.sqrt(vi) / c2 + eps)


def _adam_keras_loop(p, g, m, v, w1, w2, alpha, eps):
    for i in range(p.size):
        gi = g[i]
        mi = m[i] + (gi - m[i]) * w1
        m[i] = mi
        vi = v[i] + (gi * gi - v[i]) * w2
        v[i] = vi
        p[i] -= alpha * mi / (np.sqrt(vi) + eps)


def _sgd_loop(p, g, buf, momentum, keep, lr, nesterov, has_buf):
    for i in range(p.size):
        d = g[i]
        if has_buf:
            b = buf[i] * momentum + keep * d
            buf[i] = b
            d = d + momentum * b if nesterov else b
        p[i] -= lr * d


def _rmsprop_loop(p, g, sq, buf, alpha, w, eps, lr, momentum, has_buf):
    for i in range(p.size):
        gi = g[i]
        s = sq[i] * alpha + w * gi * gi
        sq[i] = s
        avg = np.sqrt(s) + eps
        if has_buf:
            b = buf[i] * momentum + gi / avg
            buf[i] = b
            p[i] -= lr * b
        else:
            p[i] -= lr * gi / avg


_ADAM, _SGD, _RMSPROP = Kernel(_adam_loop), Kernel(_sgd_loop), Kernel(_rmsprop_loop)
_ADAM_KERAS = Kernel(_adam_keras_loop)


def adam(p, g, m, v, *, beta1, beta2, step_size, bias_correction2_sqrt, eps):
    """Adam's moment and parameter update in one pass; False (nothing done) where the kernel
    does not apply: NumPy's code must run. `m` moves by lerp with weight 1 - beta1 (< 0.5)."""
    kernel = _ADAM.get()
    arrays = flat(p, g, m, v) if kernel is not None and 1 - beta1 < 0.5 else None
    if arrays is None:
        return False
    s = p.dtype.type
    kernel(*arrays, s(1 - beta1), s(beta2), s(1 - beta2), s(step_size), s(bias_correction2_sqrt), s(eps))
    return True


def adam_keras(p, g, m, v, *, beta1, beta2, alpha, eps):
    """Keras's form of Adam in one pass: `m += (g - m) * (1 - beta1)`, `v += (g * g - v) * (1 - beta2)`,
    `p -= alpha * m / (sqrt(v) + eps)`, with `alpha` the bias-corrected rate (epsilon outside the
    correction, where PyTorch's is inside). False where the kernel does not apply."""
    kernel = _ADAM_KERAS.get()
    arrays = flat(p, g, m, v) if kernel is not None else None
    if arrays is None:
        return False
    s = p.dtype.type
    kernel(*arrays, s(1 - beta1), s(1 - beta2), s(alpha), s(eps))
    return True


def sgd(p, g, buf, *, lr, momentum, dampening, nesterov):
    """SGD's update (with an existing momentum buffer `buf`, or None) in one pass; False where
    the kernel does not apply."""
    kernel = _SGD.get()
    arrays = flat(p, g, p if buf is None else buf) if kernel is not None else None
    if arrays is None:
        return False
    s = p.dtype.type
    kernel(*arrays, s(momentum), s(1 - dampening), s(lr), bool(nesterov), buf is not None)
    return True


def rmsprop(p, g, square_avg, buf, *, lr, alpha, eps, momentum):
    """Non-centered RMSprop's update (with momentum buffer `buf`, or None) in one pass; False
    where the kernel does not apply."""
    kernel = _RMSPROP.get()
    arrays = flat(p, g, square_avg, p if buf is None else buf) if kernel is not None else None
    if arrays is None:
        return False
    s = p.dtype.type
    kernel(*arrays, s(alpha), s(1 - alpha), s(eps), s(lr), s(momentum), buf is not None)
    return True


def _group_arrays(kernel, ps, gs, *states):
    """Per parameter, its arrays as flat views (ember.backend.jit.flat), a gradient that is a strided
    view copied first (it is only read: the transposed gradient of a Keras kernel); None when the
    kernel is missing or does not apply to every parameter."""
    if kernel is None:
        return None
    out = []
    for p, g, *rest in zip(ps, gs, *states):
        views = flat(p, np.ascontiguousarray(g) if type(g) is np.ndarray else g, *rest)
        if views is None:
            return None
        out.append(views)
    return out


def adam_group(ps, gs, ms, vs, states, *, lr, beta1, beta2, eps):
    """`adam` over every parameter of a group, each with its own step count (`states`' "step",
    advanced here); False (nothing done, no step advanced) unless the kernel applies to all."""
    kernel = _ADAM.get() if 1 - beta1 < 0.5 else None
    arrays = _group_arrays(kernel, ps, gs, ms, vs)
    if arrays is None:
        return False
    for views, state in zip(arrays, states):
        t, s = advance(state), views[0].dtype.type
        kernel(*views, s(1 - beta1), s(beta2), s(1 - beta2), s(lr / (1 - beta1 ** t)),
               s((1 - beta2 ** t) ** 0.5), s(eps))
    return True


def adam_keras_group(ps, gs, ms, vs, states, *, lr, beta1, beta2, eps):
    """`adam_keras` over every parameter of a group, each with its own step count (`states`' "step",
    advanced here) and so its own bias-corrected rate; False (nothing done, no step advanced) unless
    the kernel applies to all."""
    kernel = _ADAM_KERAS.get()
    arrays = _group_arrays(kernel, ps, gs, ms, vs)
    if arrays is None:
        return False
    for views, state in zip(arrays, states):
        t, s = advance(state), views[0].dtype.type
        kernel(*views, s(1 - beta1), s(1 - beta2), s(lr * math.sqrt(1 - beta2 ** t) / (1 - beta1 ** t)), s(eps))
    return True
