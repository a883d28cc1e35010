"""NAdam: Adam with Nesterov momentum and a momentum schedule.

    >>> import ember
    >>> w = ember.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = ember.optim.NAdam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
"""
from ember.optim.optimizer import (Optimizer, advance, array_module, check_range, effective_grad, lerp_, state_zeros,
                                   step_tensor)


class NAdam(Optimizer):
    """PyTorch's `torch.optim.NAdam`.

    The momentum of step t is `mu_t = beta1 * (1 - 0.5 * 0.96**(t * momentum_decay))`;
    `mu_product` (kept in state) is their running product. With
    `decoupled_weight_decay=True` weight decay is applied as in AdamW.
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _check(self, hp, where):
        check_range("NAdam", "lr", hp["lr"], where)
        check_range("NAdam", "eps", hp["eps"], where)
        check_range("NAdam", "betas[0]", hp["betas"][0], where, 0.0, 1.0)
        check_range("NAdam", "betas[1]", hp["betas"][1], where, 0.0, 1.0)
        check_range("NAdam", "weight_decay", hp["weight_decay"], where)
        check_range("NAdam", "momentum_decay", hp["momentum_decay"], where)

    def _init_state(self, p, group):
        return {"step": step_tensor(), "mu_product": step_tensor(1.0),
                "exp_avg": state_zeros(p), "exp_avg_sq": state_zeros(p)}

    def _update(self, p, g, state, group):
        xp = array_module(p)
        lr, (beta1, beta2) = float(group["lr"]), group["betas"]
        g = effective_grad(p, g, group)
        step = advance(state)
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * group["momentum_decay"]))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * group["momentum_decay"]))
        mu_product = state["mu_product"]._data
        mu_product *= mu      # in the step counter's precision, as PyTorch
        mu_product = float(mu_product)
        exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
        lerp_(exp_avg, g, 1 - beta1)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * g * g
        denom = xp.sqrt(exp_avg_sq / (1 - beta2 ** step))
        denom += group["eps"]
        p += (-lr * (1.0 - mu) / (1.0 - mu_product)) * g / denom
        p += (-lr * mu_next / (1.0 - mu_product * mu_next)) * exp_avg / denom
