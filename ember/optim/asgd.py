"""ASGD: stochastic gradient descent with a decaying step and a running average of the weights.

    >>> import ember
    >>> w = ember.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = ember.optim.ASGD([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> [round(v, 4) for v in w.tolist()]
    [0.8, -1.6]
"""
from ember.optim.optimizer import Optimizer, advance, check_range, effective_grad, state_zeros, step_tensor


class ASGD(Optimizer):
    """PyTorch's `torch.optim.ASGD` (averaged SGD, Polyak and Juditsky).

    `p *= 1 - lambd * eta; p -= eta * g`; the average `ax` follows `p` with weight `mu`;
    `eta = lr / (1 + lambd * lr * t)**alpha` and `mu = 1 / max(1, t - t0)`.
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _check(self, hp, where):
        check_range("ASGD", "lr", hp["lr"], where)
        check_range("ASGD", "weight_decay", hp["weight_decay"], where)

    def _init_state(self, p, group):
        return {"step": step_tensor(), "eta": step_tensor(float(group["lr"])), "mu": step_tensor(1.0),
                "ax": state_zeros(p)}

    def _update(self, p, g, state, group):
        g = effective_grad(p, g, group)
        step = advance(state)
        eta, mu = state["eta"]._data, state["mu"]._data
        lr, lambd = float(group["lr"]), group["lambd"]
        eta_value = float(eta)
        p *= 1 - lambd * eta_value
        p -= eta_value * g
        ax = state["ax"]._data
        if float(mu) != 1:
            ax += (p - ax) * float(mu)
        else:
            ax[...] = p
        eta[...] = lr / ((1 + lambd * lr * step) ** group["alpha"])
        mu[...] = 1 / max(1, step - group["t0"])
