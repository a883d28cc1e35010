"""The further families of ember.distributions against torch.distributions: log_prob, entropy, moments,
cdf/icdf (values and parameter gradients), kl_divergence within each family, samples by shape, dtype,
support and moments."""
import numpy as np
import pytest
import torch
import torch.distributions as td

import ember
import ember.distributions as ed

RNG = np.random.default_rng(0)
POS = RNG.uniform(0.5, 2.0, (2, 3))
POS2 = RNG.uniform(0.5, 2.0, (2, 3))
LOC = RNG.standard_normal((2, 3))
PROBS = RNG.uniform(0.1, 0.9, (2, 3))
CONC = RNG.uniform(0.5, 3.0, (2, 4))

# name -> (params, params of a second member for KL (or None), a value inside the support, has cdf)
CASES = {
    "Exponential": ({"rate": POS}, {"rate": POS2}, RNG.uniform(0.1, 3, (4, 2, 3)), True),
    "Laplace": ({"loc": LOC, "scale": POS}, {"loc": LOC[::-1].copy(), "scale": POS2}, RNG.standard_normal((2, 3)), True),
    "Cauchy": ({"loc": LOC, "scale": POS}, None, RNG.standard_normal((5, 2, 3)), True),
    "Gumbel": ({"loc": LOC, "scale": POS}, None, RNG.standard_normal((2, 3)), False),
    "HalfNormal": ({"scale": POS}, {"scale": POS2}, RNG.uniform(0.1, 3, (2, 3)), True),
    "LogNormal": ({"loc": LOC, "scale": POS}, {"loc": LOC * 0.5, "scale": POS2}, RNG.uniform(0.1, 3, (2, 3)), False),
    "Gamma": ({"concentration": POS, "rate": POS2}, {"concentration": POS2, "rate": POS}, RNG.uniform(0.1, 3, (2, 3)),
              False),
    "Beta": ({"concentration1": POS, "concentration0": POS2}, {"concentration1": POS2, "concentration0": POS},
             RNG.uniform(0.05, 0.95, (3, 2, 3)), False),
    "Dirichlet": ({"concentration": CONC}, {"concentration": CONC[::-1].copy()},
                  RNG.dirichlet(np.ones(4), (2,)), False),
    "Poisson": ({"rate": POS * 3}, {"rate": POS2}, RNG.integers(0, 6, (2, 3)).astype(float), False),
    "Geometric": ({"probs": PROBS}, {"probs": PROBS[::-1].copy()}, RNG.integers(0, 6, (2, 3)).astype(float), False),
}
COVERS = {"torch.distributions": list(CASES)}


def build(lib, name, params):
    module = td if lib is torch else ed
    leaves = {k: lib.tensor(v, requires_grad=True) for k, v in params.items()}
    return getattr(module, name)(**leaves), leaves


def close(e, t, what, tol=1e-9):
    assert tuple(e.shape) == tuple(t.shape), f"{what}: {tuple(e.shape)} vs {tuple(t.shape)}"
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol, equal_nan=True, err_msg=what)


@pytest.mark.parametrize("name", sorted(CASES))
def test_scores_moments_kl_and_gradients_as_torch(name):
    params, other, value, has_cdf = CASES[name]
    (t, tp), (e, ep) = build(torch, name, params), build(ember, name, params)
    assert tuple(e.batch_shape) == tuple(t.batch_shape) and tuple(e.event_shape) == tuple(t.event_shape)
    results = [(t.log_prob(torch.tensor(value)), e.log_prob(ember.tensor(value)), "log_prob"),
               (t.mean, e.mean, "mean"), (t.variance, e.variance, "variance")]
    if name == "Poisson":  # no closed form: both refuse
        with pytest.raises(NotImplementedError):
            t.entropy()
        with pytest.raises(ValueError, match="entropy"):
            e.entropy()
    else:
        results.append((t.entropy(), e.entropy(), "entropy"))
    if has_cdf:
        inside = np.clip(value, 0.05, 0.95)
        results += [(t.cdf(torch.tensor(inside)), e.cdf(ember.tensor(inside)), "cdf"),
                    (t.icdf(torch.tensor(inside)), e.icdf(ember.tensor(inside)), "icdf")]
    if other is not None:
        (tq, _), (eq, _) = build(torch, name, other), build(ember, name, other)
        results.append((td.kl_divergence(t, tq), ed.kl_divergence(e, eq), "kl"))
    for a, b, what in results:
        close(b, a, f"{name}.{what}")
    finite = [(a, b) for a, b, _ in results if a.requires_grad and torch.isfinite(a).all()]
    sum(a.sum() * (i + 1) for i, (a, _) in enumerate(finite)).backward()
    sum(b.sum() * (i + 1) for i, (_, b) in enumerate(finite)).backward()
    for k in params:
        close(ep[k].grad, tp[k].grad, f"{name}: d/d{k}", tol=1e-8)


@pytest.mark.parametrize("name", sorted(CASES))
def test_samples_shape_support_and_moments(name):
    params = CASES[name][0]
    (t, _), (e, _) = build(torch, name, params), build(ember, name, params)
    ember.manual_seed(0)
    for shape in ((), (3,)):
        ts, es = t.sample(shape), e.sample(shape)
        assert tuple(es.shape) == tuple(ts.shape) and not es.requires_grad
        assert str(es.dtype)[6:] == str(ts.dtype)[6:]
    big = e.sample((20000,))
    e.log_prob(big[:50])  # inside the support: validation passes
    if name != "Cauchy":
        mean, var = e.mean.detach().numpy(), e.variance.detach().numpy()
        np.testing.assert_allclose(big.numpy().mean(0), mean, atol=0.05 * np.sqrt(var).max() + 0.02, rtol=0.03)
    if t.has_rsample and name not in ("Gamma", "Beta", "Dirichlet"):
        x = e.rsample((4,))
        assert x.requires_grad
        x.sum().backward()
    elif t.has_rsample:
        with pytest.raises(ember.AutogradError, match="rsample"):
            e.rsample()


def test_validation_of_parameters_and_values():
    with pytest.raises(ValueError, match="rate"):
        ed.Exponential(ember.tensor([-1.0]))
    with pytest.raises(ValueError, match="support"):
        ed.Poisson(ember.tensor([2.0])).log_prob(ember.tensor([1.5]))
    with pytest.raises(ValueError, match="support"):
        ed.Beta(2.0, 3.0).log_prob(ember.tensor(1.5))
    with pytest.raises(ValueError, match="either"):
        ed.Geometric()
