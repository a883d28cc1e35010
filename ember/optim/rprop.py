"""Rprop: each weight's step size grows while its gradient keeps its sign and shrinks when it flips;
only the gradient's sign is used.

    >>> import ember
    >>> w = ember.tensor([1.0, -2.0], requires_grad=True)
    >>> opt = ember.optim.Rprop([w], lr=0.1)
    >>> (w * w).sum().backward()
    >>> opt.step()
    >>> [round(v, 4) for v in w.tolist()]
    [0.9, -1.9]
"""
from ember.optim.optimizer import Optimizer, advance, array_module, check_range, state_zeros, step_tensor


class Rprop(Optimizer):
    """PyTorch's `torch.optim.Rprop` (resilient backpropagation, the iRprop- variant).

    Per element: the step size is multiplied by `etas[1]` when the gradient kept its sign, by `etas[0]` when
    it flipped (and that element skips this update), clamped to `step_sizes`; the weight moves by
    `-sign(g) * step_size`.
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        defaults = dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes), foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _check(self, hp, where):
        check_range("Rprop", "lr", hp["lr"], where)
        check_range("Rprop", "etas[0]", hp["etas"][0], where, 0.0, 1.0)
        check_range("Rprop", "etas[1]", hp["etas"][1], where, 1.0)
        check_range("Rprop", "step_sizes[0]", hp["step_sizes"][0], where)
        check_range("Rprop", "step_sizes[1]", hp["step_sizes"][1], where, float(hp["step_sizes"][0]))

    def _init_state(self, p, group):
        return {"step": step_tensor(), "prev": state_zeros(p), "step_size": state_zeros(p, float(group["lr"]))}

    def _update(self, p, g, state, group):
        xp = array_module(p)
        etaminus, etaplus = group["etas"]
        low, high = group["step_sizes"]
        if group["maximize"]:
            g = -g
        advance(state)
        prev, step_size = state["prev"]._data, state["step_size"]._data
        sign = xp.sign(g * prev)
        factor = xp.where(sign > 0, etaplus, xp.where(sign < 0, etaminus, 1)).astype(p.dtype)
        step_size *= factor
        xp.clip(step_size, low, high, out=step_size)
        g = xp.where(sign < 0, 0, g).astype(p.dtype)
        p -= xp.sign(g) * step_size
        prev[...] = g
