"""Adagrad: per-coordinate learning rates from the sum of squared gradients.

    >>> import ember
    >>> w = ember.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = ember.optim.Adagrad([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> [round(v, 4) for v in w.tolist()]
    [0.9, -1.9]
"""
from ember.optim.optimizer import (Optimizer, advance, array_module, check_range, effective_grad, state_zeros,
                                   step_tensor)


class Adagrad(Optimizer):
    """PyTorch's `torch.optim.Adagrad`.

    `sum += g * g`; `p -= lr / (1 + (t - 1) * lr_decay) * g / (sqrt(sum) + eps)`.
    The state is created for every parameter at construction, as in PyTorch.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p] = self._init_state(p._data, group)

    def _check(self, hp, where):
        for name in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            check_range("Adagrad", name, hp[name], where)

    def _init_state(self, p, group):
        return {"step": step_tensor(), "sum": state_zeros(p, group["initial_accumulator_value"])}

    def _update(self, p, g, state, group):
        xp = array_module(p)
        step = advance(state)
        g = effective_grad(p, g, group)
        clr = float(group["lr"]) / (1 + (step - 1) * group["lr_decay"])
        total = state["sum"]._data
        total += g * g
        std = xp.sqrt(total)
        std += group["eps"]
        p -= clr * g / std
