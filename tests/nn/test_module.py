"""Module, Parameter, Buffer and the containers: registration, traversal, state dicts, modes,
hooks, dtype changes, repr; behaviour compared with PyTorch's where both have it."""
from collections import OrderedDict

import numpy as np
import pytest
import torch

import ember
from ember import nn


class Affine(nn.Module):
    def __init__(self, n, m):
        super().__init__()
        self.weight = nn.Parameter(ember.randn(m, n))
        self.bias = nn.Parameter(ember.zeros(m))
        self.register_buffer("calls", ember.zeros((), dtype=ember.int64))
        self.register_buffer("scratch", ember.zeros(m), persistent=False)

    def forward(self, x):
        return x @ self.weight.T + self.bias


class TorchAffine(torch.nn.Module):
    def __init__(self, n, m):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(m, n))
        self.bias = torch.nn.Parameter(torch.zeros(m))
        self.register_buffer("calls", torch.zeros((), dtype=torch.int64))
        self.register_buffer("scratch", torch.zeros(m), persistent=False)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = Affine(4, 8)
        self.blocks = nn.ModuleList([Affine(8, 8), Affine(8, 8)])
        self.head = nn.Sequential(OrderedDict(act=nn.Identity(), out=Affine(8, 2)))

    def forward(self, x):
        x = self.a(x).relu()
        for b in self.blocks:
            x = b(x).relu()
        return self.head(x)


class TorchNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = TorchAffine(4, 8)
        self.blocks = torch.nn.ModuleList([TorchAffine(8, 8), TorchAffine(8, 8)])
        self.head = torch.nn.Sequential(OrderedDict(act=torch.nn.Identity(), out=TorchAffine(8, 2)))


def test_names_and_order_match_pytorch():
    e, t = Net(), TorchNet()
    assert [n for n, _ in e.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in e.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert list(e.state_dict()) == list(t.state_dict())
    assert [n for n, _ in e.named_modules()] == [n for n, _ in t.named_modules()]
    assert [n for n, _ in e.named_children()] == [n for n, _ in t.named_children()]


def test_state_dict_round_trip_and_forward():
    e, t = Net(), TorchNet()
    e.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    w = [p.detach().numpy() for p in t.parameters()]
    h = x
    for i in range(0, 8, 2):
        h = h @ w[i].T + w[i + 1]
        if i < 6:
            h = np.maximum(h, 0)
    np.testing.assert_allclose(e(ember.tensor(x)).detach().numpy(), h, rtol=1e-5, atol=1e-6)
    sd = e.state_dict()
    assert all(not v.requires_grad for v in sd.values())
    assert sd["a.weight"].data_ptr() == e.a.weight.data_ptr()  # shares memory, as PyTorch's


def test_load_state_dict_lists_every_problem_and_copies_nothing():
    e = Net()
    before = e.a.weight.detach().clone()
    sd = dict(e.state_dict())
    sd.pop("blocks.1.bias")
    sd["a.weight"] = ember.zeros(3, 3)
    sd["extra.weight"] = ember.zeros(1)
    sd["head.out.bias"] = ember.ones(2)
    with pytest.raises(ember.errors.StateDictError) as info:
        e.load_state_dict(sd)
    msg = str(info.value)
    assert '"blocks.1.bias"' in msg and '"extra.weight"' in msg and "a.weight" in msg and "(3, 3)" in msg
    assert (e.a.weight == before).all() and not (e.head.out.bias == 1).all()
    with pytest.raises(ember.errors.StateDictError, match="size mismatch"):
        e.load_state_dict(sd, strict=False)
    sd["a.weight"] = before
    missing, unexpected = e.load_state_dict(sd, strict=False)
    assert missing == ["blocks.1.bias"] and unexpected == ["extra.weight"]
    assert (e.head.out.bias == 1).all()


def test_assignment_rules():
    m = Affine(2, 3)
    with pytest.raises(ember.errors.DTypeError, match="weight"):
        m.weight = ember.zeros(3, 2)
    m.weight = None
    assert "weight" not in dict(m.named_parameters())
    m.extra = nn.Parameter(ember.ones(1))
    assert "extra" in dict(m.named_parameters())
    with pytest.raises(ember.errors.DTypeError, match="extra"):  # a parameter can't become a plain value
        m.extra = 5
    m.buf = nn.Buffer(ember.ones(2))
    assert "buf" in m.state_dict()
    del m.buf
    assert "buf" not in m.state_dict()
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        m.nothing


def test_shared_parameters_are_listed_once():
    lin = Affine(3, 3)
    seq = nn.Sequential(lin, lin)
    assert len(list(seq.parameters())) == 2
    tlin = TorchAffine(3, 3)
    assert list(seq.state_dict()) == list(torch.nn.Sequential(tlin, tlin).state_dict())  # both names


def test_train_eval_requires_grad_zero_grad():
    e = Net()
    assert e.training and e.blocks[1].training
    e.eval()
    assert not any(m.training for m in e.modules())
    e.train()
    assert all(m.training for m in e.modules())
    e(ember.randn(2, 4)).sum().backward()
    assert all(p.grad is not None for p in e.parameters())
    e.zero_grad(set_to_none=False)
    assert all((p.grad == 0).all() for p in e.parameters())
    e.zero_grad()
    assert all(p.grad is None for p in e.parameters())
    e.requires_grad_(False)
    assert not any(p.requires_grad for p in e.parameters())


def test_to_dtype_keeps_parameter_objects():
    e = Net()
    w = e.a.weight
    e.double()
    assert e.a.weight is w and w.dtype == ember.float64 and isinstance(w, nn.Parameter)
    assert e.a.calls.dtype == ember.int64  # integer buffers keep their dtype
    assert e(ember.randn(2, 4, dtype=ember.float64)).dtype == ember.float64
    with pytest.raises(ember.errors.DTypeError):
        e.to(ember.int32)


def test_apply_and_hooks():
    e = Net()
    seen = []
    e.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net" and seen.count("Affine") == 4
    calls = []
    h1 = e.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    h2 = e.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    out = e(ember.randn(2, 4))
    assert calls == [ember.Size([2, 2])]
    np.testing.assert_allclose(out.detach().numpy(), e.head(e.blocks[1](e.blocks[0](e.a(ember.zeros(2, 4)).relu())
                                                                     .relu()).relu()).detach().numpy() + 1, rtol=1e-6)
    h1.remove()
    h2.remove()
    assert not e._forward_pre_hooks and not e._forward_hooks


def test_containers():
    seq = nn.Sequential(nn.Identity(), nn.Flatten(), nn.Unflatten(1, (2, 3)))
    assert seq(ember.zeros(4, 6)).shape == (4, 2, 3)
    assert len(seq) == 3 and isinstance(seq[1], nn.Flatten) and isinstance(seq[-1], nn.Unflatten)
    assert isinstance(seq[:2], nn.Sequential) and len(seq[:2]) == 2
    del seq[0]
    assert list(seq._modules) == ["0", "1"]
    seq.append(nn.Identity()).insert(0, nn.Identity())
    assert len(seq) == 4 and list(seq._modules) == ["0", "1", "2", "3"]
    with pytest.raises(ember.errors.IndexOutOfRangeError):
        seq[7]
    ml = nn.ModuleList([Affine(1, 1)])
    ml += [Affine(1, 1)]
    ml.append(Affine(1, 1))
    assert len(ml) == 3 and len(list(ml.parameters())) == 6
    md = nn.ModuleDict({"x": Affine(1, 1)})
    md["y"] = nn.Identity()
    assert list(md.keys()) == ["x", "y"] and "x" in md
    pl = nn.ParameterList([ember.ones(2), nn.Parameter(ember.zeros(3))])
    assert [n for n, _ in pl.named_parameters()] == ["0", "1"] and all(p.requires_grad for p in pl)
    pd = nn.ParameterDict({"a": ember.ones(1)})
    assert isinstance(pd["a"], nn.Parameter)


def test_repr_names_children_and_counts_parameters():
    text = repr(Net())
    assert text.startswith("Net(\n  (a): Affine()  # 40 parameters")
    assert "(blocks): ModuleList(" in text and text.endswith(f"# {40 + 72 * 2 + 18:,} parameters")
    assert repr(nn.Flatten()) == "Flatten(start_dim=1, end_dim=-1)"
    p = nn.Parameter(ember.zeros(2))
    assert repr(p).startswith("Parameter containing:\ntensor(")


def test_forward_not_implemented_and_early_assignment():
    class NoForward(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match="forward"):
        NoForward()(ember.zeros(1))

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(ember.zeros(1))

    with pytest.raises(AttributeError, match=r"super\(\)\.__init__\(\)"):
        Early()
