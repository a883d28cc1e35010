"""Differential test: random chains of ops on random broadcastable shapes, values and the
gradient of the sum compared with PyTorch."""
import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

UNARY = ["tanh", "sigmoid", "sin", "cos", "erf", "neg", "abs", "relu", "square", "exp"]
BINARY = ["add", "sub", "mul", "maximum", "minimum"]
REDUCE = ["sum", "mean", "amax", "logsumexp"]


def random_shape(rng, base):
    """`base` with some dims set to 1 and some leading dims dropped: broadcastable with it."""
    shape = [1 if rng.random() < 0.3 else d for d in base]
    return tuple(shape[rng.integers(0, len(shape)):]) if rng.random() < 0.3 else tuple(shape)


def run_chain(seed, steps=12):
    rng = np.random.default_rng(seed)
    base = tuple(int(d) for d in rng.integers(1, 5, rng.integers(1, 4)))
    leaves = [rng.uniform(-1.5, 1.5, random_shape(rng, base)) for _ in range(3)]
    e_pool = [ember.tensor(a, requires_grad=True) for a in leaves]
    t_pool = [torch.tensor(a, requires_grad=True) for a in leaves]
    e_leaves, t_leaves = list(e_pool), list(t_pool)
    trace = []
    for _ in range(steps):
        i = int(rng.integers(len(e_pool)))
        kind = rng.random()
        if kind < 0.45:
            name = UNARY[rng.integers(len(UNARY))]
            e, t = getattr(ember, name)(e_pool[i]), getattr(torch, name)(t_pool[i])
            if name in ("exp", "square"):  # keep values in range over long chains
                e, t = e.tanh(), t.tanh()
        elif kind < 0.85:
            j = int(rng.integers(len(e_pool)))
            name = BINARY[rng.integers(len(BINARY))]
            e, t = getattr(ember, name)(e_pool[i], e_pool[j]), getattr(torch, name)(t_pool[i], t_pool[j])
        else:
            name = REDUCE[rng.integers(len(REDUCE))]
            if e_pool[i].ndim == 0:
                continue
            d = int(rng.integers(e_pool[i].ndim))
            e = getattr(ember, name)(e_pool[i], d, keepdim=True)
            t = getattr(torch, name)(t_pool[i], d, keepdim=True)
        trace.append(name)
        e_pool.append(e)
        t_pool.append(t)
    e_total = sum(x.sum() for x in e_pool[len(leaves):]) if len(e_pool) > len(leaves) else e_pool[0].sum()
    t_total = sum(x.sum() for x in t_pool[len(leaves):]) if len(t_pool) > len(leaves) else t_pool[0].sum()
    return e_pool, t_pool, e_leaves, t_leaves, e_total, t_total, trace


@pytest.mark.parametrize("seed", range(150))
def test_random_op_chain_matches_torch(seed):
    e_pool, t_pool, e_leaves, t_leaves, e_total, t_total, trace = run_chain(seed)
    for k, (e, t) in enumerate(zip(e_pool, t_pool)):
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=f"value {k} of chain {trace}")
    e_grads = ember.autograd.grad(e_total, e_leaves, allow_unused=True)
    t_grads = torch.autograd.grad(t_total, t_leaves, allow_unused=True)
    for k, (eg, tg) in enumerate(zip(e_grads, t_grads)):
        want = np.zeros(t_leaves[k].shape) if tg is None else tg.numpy()
        got = np.zeros(e_leaves[k].shape) if eg is None else eg.numpy()
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10, err_msg=f"grad of leaf {k}, chain {trace}")
