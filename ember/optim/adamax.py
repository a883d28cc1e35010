"""Adamax: Adam with the infinity norm of past gradients in place of their RMS.

    >>> import ember
    >>> w = ember.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = ember.optim.Adamax([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> [round(v, 4) for v in w.tolist()]
    [0.9, -1.9]
"""
from ember.optim.optimizer import (Optimizer, advance, array_module, check_range, effective_grad, lerp_, state_zeros,
                                   step_tensor)


class Adamax(Optimizer):
    """PyTorch's `torch.optim.Adamax`.

    `m = lerp(m, g, 1 - beta1)`, `u = max(beta2 * u, |g| + eps)`,
    `p -= lr / (1 - beta1**t) * m / u`.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _check(self, hp, where):
        check_range("Adamax", "lr", hp["lr"], where)
        check_range("Adamax", "eps", hp["eps"], where)
        check_range("Adamax", "betas[0]", hp["betas"][0], where, 0.0, 1.0)
        check_range("Adamax", "betas[1]", hp["betas"][1], where, 0.0, 1.0)
        check_range("Adamax", "weight_decay", hp["weight_decay"], where)

    def _init_state(self, p, group):
        return {"step": step_tensor(), "exp_avg": state_zeros(p), "exp_inf": state_zeros(p)}

    def _update(self, p, g, state, group):
        xp = array_module(p)
        beta1, beta2 = group["betas"]
        g = effective_grad(p, g, group)
        step = advance(state)
        exp_avg, exp_inf = state["exp_avg"]._data, state["exp_inf"]._data
        lerp_(exp_avg, g, 1 - beta1)
        exp_inf *= beta2
        xp.maximum(exp_inf, xp.abs(g) + group["eps"], out=exp_inf)
        clr = float(group["lr"]) / (1 - beta1 ** step)
        p -= clr * exp_avg / exp_inf
