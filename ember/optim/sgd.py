"""SGD: stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay.

    >>> import ember
    >>> w = ember.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = ember.optim.SGD([w], lr=0.1, momentum=0.9)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> [round(v, 4) for v in w.tolist()]
    [0.8, -1.6]
"""
from ember.errors import ArgumentError
from ember.optim import _fused
from ember.optim.optimizer import Optimizer, check_range, effective_grad, state_zeros


class SGD(Optimizer):
    """PyTorch's `torch.optim.SGD`.

    With momentum, the buffer starts as the first gradient, then
    `buf = momentum * buf + (1 - dampening) * g`; the step is `-lr * buf`
    (or `-lr * (g + momentum * buf)` with `nesterov=True`).
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def _check(self, hp, where):
        check_range("SGD", "lr", hp["lr"], where)
        check_range("SGD", "momentum", hp["momentum"], where)
        check_range("SGD", "weight_decay", hp["weight_decay"], where)
        if hp["nesterov"] and (hp["momentum"] <= 0 or hp["dampening"] != 0):
            raise ArgumentError(f"SGD: nesterov=True{where} requires momentum > 0 and dampening=0, "
                                f"got momentum={hp['momentum']}, dampening={hp['dampening']}")

    def _update(self, p, g, state, group):
        momentum = group["momentum"]
        g = effective_grad(p, g, group)
        buf = state.get("momentum_buffer") if momentum != 0 else None
        if (momentum == 0 or buf is not None) and \
                _fused.sgd(p, g, None if buf is None else buf._data, lr=float(group["lr"]), momentum=momentum,
                           dampening=group["dampening"], nesterov=group["nesterov"]):
            return
        if momentum != 0:
            if buf is None:
                buf = state_zeros(p)
                buf._data[...] = g
                state["momentum_buffer"] = buf
                buf = buf._data
            else:
                buf = buf._data
                buf *= momentum
                buf += (1 - group["dampening"]) * g
            g = g + momentum * buf if group["nesterov"] else buf
        p -= float(group["lr"]) * g
