"""SparseAdam: PyTorch's lazy Adam for embedding tables, updating only the rows a step's gradient reaches.

ember's gradients are dense arrays (no sparse tensors), so the rows PyTorch's sparse gradient would list
are the rows of the dense gradient with a nonzero entry: an `Embedding` row looked up in the batch. Rows
not reached keep their parameters and moment estimates unchanged, as in PyTorch. (A looked-up row whose
gradient is exactly zero counts as not reached here; PyTorch would decay its moments.)

    >>> import ember
    >>> emb = ember.nn.Embedding(10, 3)
    >>> opt = ember.optim.SparseAdam(emb.parameters(), lr=0.1)
    >>> before = emb.weight.detach().clone()
    >>> emb(ember.tensor([2, 5])).sum().backward()
    >>> opt.step()
    >>> [i for i in range(10) if not bool((emb.weight[i] == before[i]).all())]
    [2, 5]
"""
from ember.optim.optimizer import Optimizer, advance, array_module, check_range, state_zeros, step_tensor


class SparseAdam(Optimizer):
    """PyTorch's `torch.optim.SparseAdam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False)`.

    For the reached rows: `m += (1 - beta1) (g - m)`, `v += (1 - beta2) (g^2 - v)`,
    `p -= lr * sqrt(1 - beta2**t) / (1 - beta1**t) * m / (sqrt(v) + eps)`; t counts every step.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, maximize=False):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, maximize=maximize))

    def _check(self, hp, where):
        name = self._name
        check_range(name, "lr", hp["lr"], where)
        check_range(name, "eps", hp["eps"], where)
        check_range(name, "betas[0]", hp["betas"][0], where, 0.0, 1.0)
        check_range(name, "betas[1]", hp["betas"][1], where, 0.0, 1.0)

    def _init_state(self, p, group):
        return {"step": step_tensor(), "exp_avg": state_zeros(p), "exp_avg_sq": state_zeros(p)}

    def _update(self, p, g, state, group):
        xp = array_module(p)
        step = advance(state)
        g = -g if group["maximize"] else g
        rows = (g != 0).reshape(g.shape[0], -1).any(1) if g.ndim else (g != 0)
        if not rows.any():
            return
        beta1, beta2 = group["betas"]
        exp_avg, exp_avg_sq = state["exp_avg"]._data, state["exp_avg_sq"]._data
        g, m, v = g[rows], exp_avg[rows], exp_avg_sq[rows]
        m = m + (g - m) * (1 - beta1)
        v = v + (g * g - v) * (1 - beta2)
        exp_avg[rows], exp_avg_sq[rows] = m, v
        step_size = float(group["lr"]) * (1 - beta2 ** step) ** 0.5 / (1 - beta1 ** step)
        p[rows] -= step_size * (m / (xp.sqrt(v) + group["eps"]))
