"""nn.utils.weight_norm / spectral_norm (hook-based), nn.utils.parametrizations and nn.utils.parametrize
against PyTorch: parameter and state_dict names, outputs with the same state, gradients of the originals,
power-iteration buffers over training steps, removal."""
import warnings

import numpy as np
import pytest
import torch

import ember
from ember.errors import ArgumentError


def close(t, e, atol=1e-5):
    t, e = t.detach().numpy(), e.detach().numpy()
    assert t.shape == e.shape and t.dtype == e.dtype
    np.testing.assert_allclose(e, t, atol=atol, rtol=1e-5)


def load_from(tm, em):
    em.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})


def modules(kind):
    torch.manual_seed(0)
    if kind == "linear":
        return torch.nn.Linear(5, 4), ember.nn.Linear(5, 4), (3, 5)
    if kind == "conv":
        return torch.nn.Conv2d(2, 3, 3), ember.nn.Conv2d(2, 3, 3), (2, 2, 5, 5)
    return torch.nn.ConvTranspose2d(2, 3, 3), ember.nn.ConvTranspose2d(2, 3, 3), (2, 2, 4, 4)


def run_both(tm, em, shape, seed=1):
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    yt, ye = tm(torch.tensor(x)), em(ember.tensor(x))
    close(yt, ye)
    (yt ** 2).sum().backward()
    (ye ** 2).sum().backward()
    for (name, pt), (name_e, pe) in zip(tm.named_parameters(), em.named_parameters()):
        assert name == name_e
        close(pt.grad, pe.grad, atol=1e-4)


@pytest.mark.parametrize("kind,dim", [("linear", 0), ("linear", None), ("conv", 0), ("conv", 1), ("convT", 1)])
def test_parametrized_weight_norm_as_torch(kind, dim):
    tm, em, shape = modules(kind)
    torch.nn.utils.parametrizations.weight_norm(tm, dim=dim)
    ember.nn.utils.parametrizations.weight_norm(em, dim=dim)
    assert list(em.state_dict()) == list(tm.state_dict())
    load_from(tm, em)
    close(tm.weight, em.weight)
    run_both(tm, em, shape)
    close(torch.norm_except_dim(tm.weight, 2, 0), ember.nn.utils.parametrizations.norm_except_dim(em.weight, 2, 0))


@pytest.mark.parametrize("kind,dim", [("linear", 0), ("conv", None), ("conv", 2)])
def test_hook_weight_norm_and_its_removal_as_torch(kind, dim):
    tm, em, shape = modules(kind)
    with pytest.warns(FutureWarning):
        torch.nn.utils.weight_norm(tm, dim=dim)
    with pytest.warns(FutureWarning, match="parametrizations.weight_norm"):
        ember.nn.utils.weight_norm(em, dim=dim)
    assert list(em.state_dict()) == list(tm.state_dict())
    load_from(tm, em)
    run_both(tm, em, shape)
    torch.nn.utils.remove_weight_norm(tm)
    ember.nn.utils.remove_weight_norm(em)
    assert list(em.state_dict()) == list(tm.state_dict())
    close(tm.weight, em.weight)
    with pytest.raises(ArgumentError, match="not found"):
        ember.nn.utils.remove_weight_norm(em)


@pytest.mark.parametrize("kind", ["linear", "conv", "convT"])
def test_parametrized_spectral_norm_iterates_as_torch(kind):
    tm, em, shape = modules(kind)
    torch.nn.utils.parametrizations.spectral_norm(tm)
    ember.nn.utils.parametrizations.spectral_norm(em)
    assert list(em.state_dict()) == list(tm.state_dict())
    load_from(tm, em)  # the random start vectors come from torch
    for step in range(3):
        tm.zero_grad()
        em.zero_grad()
        run_both(tm, em, shape, seed=step)
        close(tm.parametrizations.weight[0]._u, em.parametrizations.weight[0]._u)
    tm.eval()
    em.eval()
    close(tm.weight, em.weight)
    s = np.linalg.svd(em.weight.detach().numpy().reshape(em.weight.shape[0], -1), compute_uv=False)
    assert kind == "convT" or abs(s[0] - 1) < 0.05  # normalized by (an estimate of) its largest singular value


@pytest.mark.parametrize("kind", ["linear", "convT"])
def test_hook_spectral_norm_as_torch(kind):
    tm, em, shape = modules(kind)
    torch.nn.utils.spectral_norm(tm, n_power_iterations=2)
    ember.nn.utils.spectral_norm(em, n_power_iterations=2)
    assert list(em.state_dict()) == list(tm.state_dict())
    load_from(tm, em)
    for step in range(2):
        tm.zero_grad()
        em.zero_grad()
        run_both(tm, em, shape, seed=step)
        close(tm.weight_u, em.weight_u)
        close(tm.weight_v, em.weight_v)
    torch.nn.utils.remove_spectral_norm(tm)
    ember.nn.utils.remove_spectral_norm(em)
    assert list(em.state_dict()) == list(tm.state_dict())
    close(tm.weight, em.weight)


class TorchLogSpace(torch.nn.Module):
    def forward(self, x):
        return x.exp()

    def right_inverse(self, w):
        return w.log()


class EmberLogSpace(ember.nn.Module):
    def forward(self, x):
        return x.exp()

    def right_inverse(self, w):
        return w.log()


def test_register_assign_and_remove_parametrizations_as_torch():
    tm, em = torch.nn.Linear(3, 3), ember.nn.Linear(3, 3)
    w = np.random.default_rng(0).uniform(0.5, 2.0, (3, 3)).astype(np.float32)
    with torch.no_grad():
        tm.weight.copy_(torch.tensor(w))
    em.weight.data = ember.tensor(w).data
    torch.nn.utils.parametrize.register_parametrization(tm, "weight", TorchLogSpace())
    ember.nn.utils.parametrize.register_parametrization(em, "weight", EmberLogSpace())
    assert torch.nn.utils.parametrize.is_parametrized(tm, "weight")
    assert ember.nn.utils.parametrize.is_parametrized(em, "weight")
    assert not ember.nn.utils.parametrize.is_parametrized(em, "bias")
    close(tm.parametrizations.weight.original, em.parametrizations.weight.original)
    close(tm.weight, em.weight)
    tm.weight = torch.full((3, 3), 3.0)  # through right_inverse: original = log(3)
    em.weight = ember.full((3, 3), 3.0)
    close(tm.parametrizations.weight.original, em.parametrizations.weight.original)
    load_from(tm, em)
    run_both(tm, em, (2, 3))
    with torch.nn.utils.parametrize.cached(), ember.nn.utils.parametrize.cached():
        close(tm.weight, em.weight)
    torch.nn.utils.parametrize.remove_parametrizations(tm, "weight", leave_parametrized=False)
    ember.nn.utils.parametrize.remove_parametrizations(em, "weight", leave_parametrized=False)
    assert list(em.state_dict()) == list(tm.state_dict())
    close(tm.weight, em.weight)
    assert not ember.nn.utils.parametrize.is_parametrized(em)
    with pytest.raises(ArgumentError, match="no parametrization"):
        ember.nn.utils.parametrize.remove_parametrizations(em, "weight")


def test_weight_norm_keeps_training_like_torch():
    tm, em, shape = modules("linear")
    torch.nn.utils.parametrizations.weight_norm(tm)
    ember.nn.utils.parametrizations.weight_norm(em)
    load_from(tm, em)
    topt, eopt = torch.optim.SGD(tm.parameters(), lr=0.1), ember.optim.SGD(em.parameters(), lr=0.1)
    x = np.random.default_rng(5).standard_normal(shape).astype(np.float32)
    for _ in range(3):
        topt.zero_grad()
        eopt.zero_grad()
        (tm(torch.tensor(x)) ** 2).mean().backward()
        (em(ember.tensor(x)) ** 2).mean().backward()
        topt.step()
        eopt.step()
    close(tm.weight, em.weight)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.nn.utils.parametrizations.weight_norm(ember.nn.Linear(2, 2))  # no deprecation warning here
