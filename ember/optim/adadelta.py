"""Adadelta: steps scaled by the ratio of running RMS of past updates and of gradients.

    >>> import ember
    >>> w = ember.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = ember.optim.Adadelta([w], lr=1.0, rho=0.9)
    >>> (w * w).sum().backward()
    >>> opt.step()
"""
from ember.optim.optimizer import (Optimizer, advance, array_module, check_range, effective_grad, state_zeros,
                                   step_tensor)


class Adadelta(Optimizer):
    """PyTorch's `torch.optim.Adadelta`.

    `v = rho * v + (1 - rho) * g * g`; `delta = sqrt(u + eps) / sqrt(v + eps) * g`;
    `u = rho * u + (1 - rho) * delta * delta`; `p -= lr * delta`.
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                        capturable=capturable, foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def _check(self, hp, where):
        check_range("Adadelta", "lr", hp["lr"], where)
        check_range("Adadelta", "rho", hp["rho"], where, 0.0, 1.0, high_open=False)
        check_range("Adadelta", "eps", hp["eps"], where)
        check_range("Adadelta", "weight_decay", hp["weight_decay"], where)

    def _init_state(self, p, group):
        return {"step": step_tensor(), "square_avg": state_zeros(p), "acc_delta": state_zeros(p)}

    def _update(self, p, g, state, group):
        xp = array_module(p)
        rho, eps = group["rho"], group["eps"]
        advance(state)
        g = effective_grad(p, g, group)
        square_avg, acc_delta = state["square_avg"]._data, state["acc_delta"]._data
        square_avg *= rho
        square_avg += (1 - rho) * g * g
        std = xp.sqrt(square_avg + eps)
        delta = xp.sqrt(acc_delta + eps)
        delta /= std
        delta *= g
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        p -= float(group["lr"]) * delta
