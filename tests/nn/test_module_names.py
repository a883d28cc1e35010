"""torch.nn modules built by name with the same arguments on ember and PyTorch, PyTorch's weights
copied into ember's: outputs and input/parameter gradients equal. Also max_unpool, containers and
the abstract bases (RNNBase, RNNCellBase, Buffer) as PyTorch code uses them."""
import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng(0)
F32 = np.float32
SIG = RNG.standard_normal((2, 3, 10)).astype(F32)
IMG = RNG.standard_normal((2, 4, 6, 6)).astype(F32)
X = RNG.standard_normal((4, 5)).astype(F32)
P = RNG.uniform(0.05, 0.95, (4, 5)).astype(F32)
T = RNG.uniform(0.0, 1.0, (4, 5)).astype(F32)


class Const:
    def __init__(self, a):
        self.a = a


MODULES = {  # name -> (constructor args, constructor kwargs, forward inputs)
    "AdaptiveAvgPool1d": ((4,), {}, (SIG,)), "AdaptiveAvgPool2d": (((3, 2),), {}, (IMG,)),
    "AvgPool1d": ((3,), {"stride": 2, "padding": 1}, (SIG,)), "AvgPool2d": ((2,), {"ceil_mode": True}, (IMG,)),
    "MaxPool1d": ((3,), {"stride": 2, "dilation": 2}, (SIG,)), "Conv1d": ((3, 5, 3), {"padding": 1, "groups": 1},
                                                                    (SIG,)),
    "GroupNorm": ((2, 4), {}, (IMG,)), "Unflatten": ((1, (2, 5)), {}, (RNG.standard_normal((3, 10)).astype(F32),)),
    "EmbeddingBag": ((6, 3), {"mode": "max"}, (Const(np.array([[1, 2, 5], [0, 0, 3]])),)),
    "BCELoss": ((), {}, (P, Const(T))), "BCEWithLogitsLoss": ((), {"pos_weight": None}, (X, Const(T))),
    "CosineEmbeddingLoss": ((), {"margin": 0.2}, (X, P, Const(np.array([1, -1, 1, -1], F32)))),
    "HuberLoss": ((), {"delta": 0.5}, (X, P)), "KLDivLoss": ((), {"reduction": "batchmean"}, (np.log(P), Const(T))),
    "L1Loss": ((), {"reduction": "sum"}, (X, P)), "SmoothL1Loss": ((), {"beta": 0.5}, (X, P)),
}
COVERS = {"torch.nn": list(MODULES) + ["MaxUnpool1d", "MaxUnpool2d", "ModuleDict", "ParameterDict", "ParameterList",
                                       "RNNBase", "RNNCellBase", "Buffer"],
          "torch.nn.functional": ["max_unpool1d", "max_unpool2d", "max_unpool3d"]}


def convert(lib, x):
    if isinstance(x, Const):
        return lib.tensor(x.a)
    if isinstance(x, np.ndarray):
        return lib.tensor(x).requires_grad_() if x.dtype.kind == "f" else lib.tensor(x)
    return x


def close(e, t, what, tol=2e-5):
    assert tuple(e.shape) == tuple(t.shape), f"{what}: {tuple(e.shape)} vs {tuple(t.shape)}"
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-4, atol=tol, err_msg=what)


def copy_state(tm, em):
    state = tm.state_dict()
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in state.items()})


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_forward_and_gradients_as_torch(name):
    args, kwargs, inputs = MODULES[name]
    torch.manual_seed(0)
    tm, em = getattr(torch.nn, name)(*args, **kwargs), getattr(ember.nn, name)(*args, **kwargs)
    copy_state(tm, em)
    ti, ei = [convert(torch, a) for a in inputs], [convert(ember, a) for a in inputs]
    to, eo = tm(*ti), em(*ei)
    close(eo, to, name)
    w = RNG.standard_normal(tuple(to.shape)).astype(F32)
    (to * torch.tensor(w)).sum().backward()
    (eo * ember.tensor(w)).sum().backward()
    for t, e in zip(ti, ei):
        if isinstance(t, torch.Tensor) and t.grad is not None:
            close(e.grad, t.grad, f"{name}: input gradient")
    for (n, tp), ep in zip(tm.named_parameters(), em.parameters()):
        close(ep.grad, tp.grad, f"{name}: d/d{n}")
    assert repr(em).replace("ember", "torch") == repr(tm) or type(em).__name__ == type(tm).__name__


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_max_unpool_inverts_max_pool_as_torch(nd):
    x = RNG.standard_normal((2, 3) + (6,) * nd).astype(F32)
    tpool = getattr(torch.nn.functional, f"max_pool{nd}d")
    epool = getattr(ember.nn.functional, f"max_pool{nd}d")
    tv, ti = tpool(torch.tensor(x), 2, return_indices=True)
    ev, ei = epool(ember.tensor(x), 2, return_indices=True)
    tv.requires_grad_()
    ev.requires_grad_()
    to = getattr(torch.nn.functional, f"max_unpool{nd}d")(tv, ti, 2)
    eo = getattr(ember.nn.functional, f"max_unpool{nd}d")(ev, ei, 2)
    close(eo, to, f"max_unpool{nd}d")
    w = RNG.standard_normal(tuple(to.shape)).astype(F32)
    (to * torch.tensor(w)).sum().backward()
    (eo * ember.tensor(w)).sum().backward()
    close(ev.grad, tv.grad, "gradient")
    if nd < 3:
        tm, em = getattr(torch.nn, f"MaxUnpool{nd}d")(2), getattr(ember.nn, f"MaxUnpool{nd}d")(2)
        close(em(ev.detach(), ei), tm(tv.detach(), ti), f"MaxUnpool{nd}d")


def test_containers_and_bases_as_torch():
    seen = []
    for lib in (torch, ember):
        nn = lib.nn
        d = nn.ModuleDict({"a": nn.Linear(2, 3), "b": nn.ReLU()})
        pd = nn.ParameterDict({"w": nn.Parameter(lib.ones(2))})
        pl = nn.ParameterList([nn.Parameter(lib.zeros(3)), nn.Parameter(lib.ones(1))])
        holder = nn.Module()
        holder.d, holder.pd, holder.pl = d, pd, pl
        holder.buf = nn.Buffer(lib.arange(3.0))
        names = [n for n, _ in holder.named_parameters()]
        assert names == ["d.a.weight", "d.a.bias", "pd.w", "pl.0", "pl.1"]
        seen.append(list(holder.state_dict()))
        assert list(d.keys()) == ["a", "b"] and len(pl) == 2 and "w" in pd
        assert isinstance(nn.LSTM(2, 3), nn.RNNBase) and isinstance(nn.GRUCell(2, 3), nn.RNNCellBase)
    assert seen[0] == seen[1]  # own buffers first, then children, as torch orders them
