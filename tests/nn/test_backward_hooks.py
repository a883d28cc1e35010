"""Module backward hooks (register_full_backward_hook / _pre_hook) and load_state_dict's error,
compared with PyTorch's on the same weights and inputs."""
import numpy as np
import pytest
import torch

import ember
from ember import nn


class TwoIn(nn.Module):
    def __init__(self, lib):
        super().__init__()
        self.lin = lib.nn.Linear(3, 2)

    def forward(self, a, b, scale):
        return self.lin(a) * b, self.lin(a).sum() * scale


class TwoInTorch(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(3, 2)

    def forward(self, a, b, scale):
        return self.lin(a) * b, self.lin(a).sum() * scale


def _arrays(v):
    return [None if g is None else np.asarray(g.detach().numpy()) for g in v]


def _run(lib, model, b_needs_grad, replace):
    seen = []
    def hook(m, grad_input, grad_output):
        seen.append(("hook", _arrays(grad_input), _arrays(grad_output)))
        if replace:
            return tuple(None if g is None else g * 10 for g in grad_input)
    def pre_hook(m, grad_output):
        seen.append(("pre", _arrays(grad_output)))
        return (grad_output[0] * 2, grad_output[1])
    model.register_full_backward_hook(hook)
    model.register_full_backward_pre_hook(pre_hook)
    rng = np.random.default_rng(0)
    a = lib.tensor(rng.standard_normal((4, 3)).astype("float32"), requires_grad=True)
    b = lib.tensor(rng.standard_normal((4, 2)).astype("float32"), requires_grad=b_needs_grad)
    out, total = model(a, b, 3.0)
    ((out ** 2).sum() + total).backward()
    return seen, a.grad.numpy(), model.lin.weight.grad.numpy()


@pytest.mark.parametrize("b_needs_grad", [True, False])
@pytest.mark.parametrize("replace", [False, True])
def test_full_backward_hooks_see_and_replace_what_pytorch_does(b_needs_grad, replace):
    theirs = TwoInTorch()
    ours = TwoIn(ember)
    ours.lin.weight.data = ember.tensor(theirs.lin.weight.detach().numpy())
    ours.lin.bias.data = ember.tensor(theirs.lin.bias.detach().numpy())
    seen_t, ga_t, gw_t = _run(torch, theirs, b_needs_grad, replace)
    seen_e, ga_e, gw_e = _run(ember, ours, b_needs_grad, replace)
    assert [s[0] for s in seen_e] == [s[0] for s in seen_t] == ["pre", "hook"]
    for (kind, *parts_e), (_, *parts_t) in zip(seen_e, seen_t):
        for grads_e, grads_t in zip(parts_e, parts_t):
            assert len(grads_e) == len(grads_t)
            for ge, gt in zip(grads_e, grads_t):
                assert (ge is None) == (gt is None)
                if gt is not None:
                    np.testing.assert_allclose(ge, gt, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ga_e, ga_t, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(gw_e, gw_t, rtol=1e-5, atol=1e-5)


@pytest.mark.filterwarnings("ignore:Full backward hook is firing")
def test_backward_hook_with_no_input_needing_grad_gets_nones_and_handle_removes_it():
    calls = {}
    for lib in (torch, ember):
        lin = lib.nn.Linear(2, 2)
        got = []
        handle = lin.register_full_backward_hook(lambda m, gi, go: got.append((gi, tuple(go[0].shape))))
        lin(lib.ones(3, 2)).sum().backward()
        handle.remove()
        lin(lib.ones(3, 2)).sum().backward()
        calls[lib.__name__] = got
    assert calls["ember"] == calls["torch"] == [((None,), (3, 2))]


def test_no_hook_runs_under_no_grad_and_outputs_keep_their_structure():
    lin = nn.Linear(2, 2)
    got = []
    lin.register_full_backward_hook(lambda m, gi, go: got.append(gi))
    with ember.no_grad():
        y = lin(ember.ones(1, 2, requires_grad=True))
    assert not y.requires_grad and not got
    y = lin(ember.ones(1, 2, requires_grad=True))
    assert y.requires_grad and isinstance(y, ember.Tensor)


def test_load_state_dict_error_is_a_runtime_error_worded_as_pytorch():
    messages = []
    for lib in (torch, ember):
        model = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.Linear(2, 1))
        state = dict(model.state_dict())
        state.pop("1.bias")
        state["head.weight"] = lib.zeros(1)
        with pytest.raises(RuntimeError) as info:
            model.load_state_dict(state)
        messages.append(str(info.value))
    assert messages[0] == messages[1], messages
