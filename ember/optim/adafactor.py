"""Adafactor: Adam-like steps with the second moment of a matrix kept as row and column factors,
so the optimizer state of an (R, C) weight is R + C numbers instead of R * C.

    >>> import ember
    >>> w = ember.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
    >>> opt = ember.optim.Adafactor([w], lr=0.01)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> w.shape
    ember.Size([2, 2])
"""
import math

import ml_dtypes
import numpy as np

from ember.backend.device import array_device
from ember.autograd.tensor import Tensor
from ember.optim.optimizer import Optimizer, advance, array_module, check_range, lerp_, state_zeros, step_tensor


class Adafactor(Optimizer):
    """PyTorch's `torch.optim.Adafactor`.

    `beta2_t = 1 - t**beta2_decay`; for tensors of 2+ dims the row and column means of `g**2` are
    averaged into `row_var`/`col_var` and the variance estimate is their outer product over the mean
    of `row_var`; the update `g / sqrt(var)` is clipped to RMS `d` and scaled by
    `max(eps[1], RMS(p)) * min(lr, 1/sqrt(t))`. `eps[0]=None` means the dtype's machine epsilon.
    Weight decay is decoupled, as in AdamW.
    """

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, *,
                 foreach=None, maximize=False):
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=tuple(eps), d=d, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize)
        super().__init__(params, defaults)

    def _check(self, hp, where):
        check_range("Adafactor", "lr", hp["lr"], where)
        check_range("Adafactor", "d", hp["d"], where, 1.0)
        check_range("Adafactor", "weight_decay", hp["weight_decay"], where)
        check_range("Adafactor", "beta2_decay", -hp["beta2_decay"], where)  # must be <= 0
        if hp["eps"][0] is not None:
            check_range("Adafactor", "eps[0]", hp["eps"][0], where)
        check_range("Adafactor", "eps[1]", hp["eps"][1], where)

    def _init_state(self, p, group):
        state = {"step": step_tensor()}
        if p.ndim > 1:
            xp = array_device(p).xp
            state["row_var"] = Tensor(xp.zeros(p.shape[:-1] + (1,), p.dtype), device=array_device(p))
            state["col_var"] = Tensor(xp.zeros(p.shape[:-2] + (1,) + p.shape[-1:], p.dtype), device=array_device(p))
        else:
            state["variance"] = state_zeros(p)
        return state

    def _update(self, p, g, state, group):
        xp = array_module(p)
        if group["maximize"]:
            g = -g
        eps1, eps2 = group["eps"]
        if eps1 is None:
            eps1 = float(ml_dtypes.finfo(p.dtype).eps)
        lr = float(group["lr"])
        step = advance(state)
        beta2_t = step ** group["beta2_decay"]
        rho = min(lr, 1 / math.sqrt(step))
        alpha = max(eps2, float(xp.linalg.norm(p.ravel())) / math.sqrt(max(p.size, 1))) * rho
        if group["weight_decay"] != 0:
            p *= 1 - lr * group["weight_decay"]
        if p.ndim > 1:
            row_var, col_var = state["row_var"]._data, state["col_var"]._data
            # the squared norm, as PyTorch computes the mean of g**2 (same rounding)
            lerp_(row_var, xp.linalg.norm(g, axis=-1, keepdims=True) ** 2 / g.shape[-1], beta2_t)
            lerp_(col_var, xp.linalg.norm(g, axis=-2, keepdims=True) ** 2 / g.shape[-2], beta2_t)
            var = row_var @ col_var
            var /= xp.maximum(row_var.mean(-2, keepdims=True), eps1)
        else:
            variance = state["variance"]._data
            lerp_(variance, g * g, beta2_t)
            var = variance.copy()
        update = (1 / xp.sqrt(xp.maximum(var, eps1 * eps1))) * g
        denom = max(1.0, float(xp.linalg.norm(update.ravel())) / (math.sqrt(max(update.size, 1)) * group["d"]))
        p -= (alpha / denom) * update
