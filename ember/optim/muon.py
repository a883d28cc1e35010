"""Muon: momentum, then the update orthogonalized by a Newton-Schulz iteration, as PyTorch's
`torch.optim.Muon` (for 2-D parameters; use another optimizer for biases and norms).

As in PyTorch, the iteration runs in bfloat16 (ember rounds each product to bfloat16 from float32
sums), so updates agree with PyTorch's to bfloat16 precision.

    >>> import ember
    >>> w = ember.randn(4, 3, requires_grad=True)
    >>> opt = ember.optim.Muon([w], lr=0.02)
    >>> (w ** 2).sum().backward()
    >>> opt.step()
"""
import math

import ml_dtypes
import numpy as np

from ember.errors import ArgumentError, ShapeError
from ember.optim.optimizer import Optimizer, array_module, check_range, lerp_, state_zeros

ADJUST_LR = {  # name -> factor of lr for a (rows, cols) parameter
    None: lambda rows, cols: math.sqrt(max(1, rows / cols)),
    "original": lambda rows, cols: math.sqrt(max(1, rows / cols)),
    "match_rms_adamw": lambda rows, cols: 0.2 * math.sqrt(max(rows, cols)),
}


def _bf16(xp, a):
    """`a` rounded to bfloat16, kept in float32 for the next product."""
    host = a if xp is np else xp.asnumpy(a)
    rounded = host.astype(np.float32).astype(ml_dtypes.bfloat16).astype(np.float32)
    return rounded if xp is np else xp.asarray(rounded)


def orthogonalize(xp, g, coefficients, steps, eps):
    """The Newton-Schulz quintic iteration X <- a X + (b X X^T + c (X X^T)^2) X on g / ||g||."""
    a, b, c = coefficients
    x = _bf16(xp, g)
    tall = g.shape[0] > g.shape[1]
    if tall:
        x = x.T
    norm = float(_bf16(xp, xp.asarray(xp.linalg.norm(x))))  # PyTorch takes the norm of a bfloat16 tensor
    x = _bf16(xp, x / max(norm, eps))
    for _ in range(steps):
        gram = _bf16(xp, x @ x.T)
        update = _bf16(xp, b * gram + c * (gram @ gram))
        x = _bf16(xp, a * x + update @ x)
    return x.T if tall else x


class Muon(Optimizer):
    """PyTorch's `torch.optim.Muon(params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
    ns_coefficients=(3.4445, -4.775, 2.0315), eps=1e-7, ns_steps=5, adjust_lr_fn=None)`.

    `m = lerp(m, g, 1 - momentum)`, `u = lerp(g, m, momentum)` (nesterov) or `m`,
    `p *= 1 - lr * weight_decay`, `p -= lr * adjust(shape) * NS(u)`.
    """

    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=(3.4445, -4.775, 2.0315), eps=1e-7, ns_steps=5, adjust_lr_fn=None):
        if adjust_lr_fn not in ADJUST_LR:
            raise ArgumentError(f"Muon: adjust_lr_fn must be None, 'original' or 'match_rms_adamw', got "
                                f"{adjust_lr_fn!r}")
        if not isinstance(ns_steps, int) or not 0 <= ns_steps < 100:
            raise ArgumentError(f"Muon: ns_steps must be an int in [0, 100), got {ns_steps!r}")
        if len(tuple(ns_coefficients)) != 3:
            raise ArgumentError(f"Muon: ns_coefficients must be 3 numbers, got {ns_coefficients!r}")
        super().__init__(params, dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                                      ns_coefficients=tuple(ns_coefficients), eps=eps, ns_steps=ns_steps,
                                      adjust_lr_fn=adjust_lr_fn))

    def _check(self, hp, where):
        check_range(self._name, "lr", hp["lr"], where)
        check_range(self._name, "weight_decay", hp["weight_decay"], where)
        check_range(self._name, "momentum", hp["momentum"], where)

    def _init_state(self, p, group):
        if p.ndim != 2:
            raise ShapeError(f"Muon: parameters must be 2-D matrices, got shape {tuple(p.shape)}; optimize "
                             f"biases and norms with another optimizer (AdamW)")
        return {"momentum_buffer": state_zeros(p)}

    def _update(self, p, g, state, group):
        xp = array_module(p)
        mu, lr = group["momentum"], float(group["lr"])
        buf = lerp_(state["momentum_buffer"]._data, g, 1 - mu)
        u = lerp_(g.copy(), buf, mu) if group["nesterov"] else buf
        o = orthogonalize(xp, u, group["ns_coefficients"], group["ns_steps"], group["eps"])
        p *= 1 - lr * group["weight_decay"]
        p -= (lr * ADJUST_LR[group["adjust_lr_fn"]](*p.shape)) * o.astype(p.dtype)
