"""Adam and AdamW: adaptive moment estimation, with L2 or decoupled weight decay and AMSGrad.

    >>> import ember
    >>> w = ember.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = ember.optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> [round(v, 4) for v in w.tolist()]
    [0.9, -1.9]
"""
from ember.optim import _fused
from ember.optim.optimizer import (Optimizer, advance, array_module, check_range, effective_grad, lerp_, state_zeros,
                                   step_tensor)


class Adam(Optimizer):
    """PyTorch's `torch.optim.Adam` (`decoupled_weight_decay=True` makes it AdamW).

    `m = lerp(m, g, 1 - beta1)`, `v = beta2 * v + (1 - beta2) * g * g`,
    `p -= lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)`;
    with `amsgrad=True`, `v` in the denominator is its running maximum.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _check(self, hp, where):
        name = self._name
        check_range(name, "lr", hp["lr"], where)
        check_range(name, "eps", hp["eps"], where)
        check_range(name, "betas[0]", hp["betas"][0], where, 0.0, 1.0)
        check_range(name, "betas[1]", hp["betas"][1], where, 0.0, 1.0)
        check_range(name, "weight_decay", hp["weight_decay"], where)

    def _init_state(self, p, group):
        state = {"step": step_tensor(), "exp_avg": state_zeros(p), "exp_avg_sq": state_zeros(p)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = state_zeros(p)
        return state

    def _update_group(self, params, grads, states, group):
        # one lean loop of fused kernels where they apply to every parameter (PyTorch's foreach); a
        # subclass's own _update runs as it is
        if type(self)._update is not Adam._update or group["amsgrad"] or group["maximize"] or \
                group["weight_decay"] or not _fused.adam_group(
                params, grads, [s["exp_avg"]._data for s in states], [s["exp_avg_sq"]._data for s in states],
                states, lr=float(group["lr"]), beta1=group["betas"][0],
                beta2=group["betas"][1], eps=group["eps"]):
            super()._update_group(params, grads, states, group)

    def _update(self, p, g, state, group):
        xp = array_module(p)
        lr, (beta1, beta2) = float(group["lr"]), group["betas"]
        g = effective_grad(p, g, group)
        step = advance(state)
        exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
        if not group["amsgrad"] and _fused.adam(p, g, exp_avg, exp_avg_sq, beta1=beta1, beta2=beta2,
                                                step_size=lr / (1 - beta1 ** step),
                                                bias_correction2_sqrt=(1 - beta2 ** step) ** 0.5, eps=group["eps"]):
            return
        lerp_(exp_avg, g, 1 - beta1)
        exp_avg_sq *= beta2
        exp_avg_sq += (1 - beta2) * g * g
        if group["amsgrad"]:
            v = state["max_exp_avg_sq"]._data
            xp.maximum(v, exp_avg_sq, out=v)
        else:
            v = exp_avg_sq
        step_size = lr / (1 - beta1 ** step)
        denom = xp.sqrt(v)
        denom /= (1 - beta2 ** step) ** 0.5
        denom += group["eps"]
        p -= step_size * exp_avg / denom


class AdamW(Adam):
    """PyTorch's `torch.optim.AdamW`: Adam with decoupled weight decay, `p *= 1 - lr * weight_decay`.

        >>> import ember
        >>> w = ember.ones(2, requires_grad=True)
        >>> opt = ember.optim.AdamW([w], lr=0.1, weight_decay=0.1)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, *,
                 maximize=False, foreach=None, capturable=False, differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach, maximize=maximize,
                         capturable=capturable, differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)

    def load_state_dict(self, state_dict):
        super().load_state_dict(state_dict)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
