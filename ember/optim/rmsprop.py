"""RMSprop: divide the gradient by a running root mean square of recent gradients.

    >>> import ember
    >>> w = ember.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = ember.optim.RMSprop([w], lr=0.01, momentum=0.9, centered=True)
    >>> (w * w).sum().backward()
    >>> opt.step()
"""
from ember.optim import _fused
from ember.optim.optimizer import (Optimizer, advance, array_module, check_range, effective_grad, lerp_, state_zeros,
                                   step_tensor)


class RMSprop(Optimizer):
    """PyTorch's `torch.optim.RMSprop`.

    `v = alpha * v + (1 - alpha) * g * g`; the step divides `g` by
    `sqrt(v) + eps` (or by `sqrt(v - mean(g)**2) + eps` with `centered=True`),
    through a momentum buffer when `momentum > 0`.
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered,
                        weight_decay=weight_decay, capturable=capturable, foreach=foreach,
                        maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def _check(self, hp, where):
        for name in ("lr", "eps", "momentum", "weight_decay", "alpha"):
            check_range("RMSprop", name, hp[name], where)

    def _init_state(self, p, group):
        state = {"step": step_tensor(), "square_avg": state_zeros(p)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = state_zeros(p)
        if group["centered"]:
            state["grad_avg"] = state_zeros(p)
        return state

    def _update(self, p, g, state, group):
        xp = array_module(p)
        lr, alpha = float(group["lr"]), group["alpha"]
        g = effective_grad(p, g, group)
        advance(state)
        square_avg = state["square_avg"]._data
        buf = state["momentum_buffer"]._data if group["momentum"] > 0 else None
        if not group["centered"] and _fused.rmsprop(p, g, square_avg, buf, lr=lr, alpha=alpha, eps=group["eps"],
                                                    momentum=group["momentum"]):
            return
        square_avg *= alpha
        square_avg += (1 - alpha) * g * g
        if group["centered"]:
            grad_avg = lerp_(state["grad_avg"]._data, g, 1 - alpha)
            avg = xp.sqrt(square_avg - grad_avg * grad_avg)
        else:
            avg = xp.sqrt(square_avg)
        avg += group["eps"]
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]._data
            buf *= group["momentum"]
            buf += g / avg
            p -= lr * buf
        else:
            p -= lr * g / avg
