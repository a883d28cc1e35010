"""RAdam: Adam whose adaptive step is switched on gradually, as the variance of its estimate allows.

    >>> import ember
    >>> w = ember.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = ember.optim.RAdam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> [round(v, 4) for v in w.tolist()]
    [0.8, -1.6]
"""
import math

from ember.optim.optimizer import (Optimizer, advance, array_module, check_range, effective_grad, lerp_, state_zeros,
                                   step_tensor)


class RAdam(Optimizer):
    """PyTorch's `torch.optim.RAdam`.

    With `rho_inf = 2 / (1 - beta2) - 1` and `rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t)`, the step is
    Adam's scaled by the rectification `r_t` when `rho_t > 5`, and plain momentum SGD before that.
    `decoupled_weight_decay=True` decays the weights as AdamW does.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _check(self, hp, where):
        check_range("RAdam", "lr", hp["lr"], where)
        check_range("RAdam", "eps", hp["eps"], where)
        check_range("RAdam", "betas[0]", hp["betas"][0], where, 0.0, 1.0)
        check_range("RAdam", "betas[1]", hp["betas"][1], where, 0.0, 1.0)
        check_range("RAdam", "weight_decay", hp["weight_decay"], where)

    def _init_state(self, p, group):
        return {"step": step_tensor(), "exp_avg": state_zeros(p), "exp_avg_sq": state_zeros(p)}

    def _update(self, p, g, state, group):
        xp = array_module(p)
        beta1, beta2 = group["betas"]
        lr = float(group["lr"])
        g = effective_grad(p, g, group)
        step = advance(state)
        exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
        lerp_(exp_avg, g, 1 - beta1)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * g * g
        bias1, bias2 = 1 - beta1 ** step, 1 - beta2 ** step
        corrected = exp_avg / bias1
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * beta2 ** step / bias2
        if rho_t > 5:
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            adaptive = math.sqrt(bias2) / (xp.sqrt(exp_avg_sq) + group["eps"])
            p -= corrected * lr * adaptive * rect
        else:
            p -= corrected * lr
