"""ember.distributions against torch.distributions: log_prob, entropy, moments, cdf/icdf and
kl_divergence (values, shapes, dtypes, gradients with respect to the parameters); samples by shape,
dtype and moments (the generators differ); parameter and value validation."""
import numpy as np
import pytest
import torch
import torch.distributions as td

import ember
import ember.distributions as ed
from ember.errors import ArgumentError, AutogradError

# reached through getattr(module, name)
COVERS = {"torch.distributions": ["Normal", "Uniform", "Bernoulli", "Categorical", "MultivariateNormal",
                                  "Independent", "Distribution", "kl_divergence", "register_kl"]}
RNG = np.random.default_rng(0)
LOC, SCALE = RNG.standard_normal((2, 3)), RNG.uniform(0.5, 2.0, (2, 3))
LOW, HIGH = RNG.uniform(-2, 0, (3,)), RNG.uniform(0.5, 2, (3,))
PROBS = RNG.uniform(0.05, 0.95, (2, 3))
CAT = RNG.uniform(0.1, 1.0, (2, 4))
A = RNG.standard_normal((3, 3))
COV = A @ A.T + np.eye(3)
MVLOC = RNG.standard_normal((2, 3))

# name, constructor kwargs (arrays become float64 leaves), value to score, has cdf
CASES = {
    "Normal": ({"loc": LOC, "scale": SCALE}, RNG.standard_normal((4, 2, 3)), True),
    "Uniform": ({"low": LOW, "high": HIGH}, RNG.uniform(0, 0.4, (5, 3)), True),
    "Bernoulli-probs": ({"probs": PROBS}, RNG.integers(0, 2, (2, 3)).astype(float), False),
    "Bernoulli-logits": ({"logits": LOC}, RNG.integers(0, 2, (4, 2, 3)).astype(float), False),
    "Categorical-probs": ({"probs": CAT}, np.array([[0, 3], [2, 1], [1, 1]]), False),
    "Categorical-logits": ({"logits": CAT * 3}, np.array([3, 0]), False),
    "MultivariateNormal-cov": ({"loc": MVLOC, "covariance_matrix": COV}, RNG.standard_normal((5, 2, 3)), False),
    "MultivariateNormal-tril": ({"loc": MVLOC[0], "scale_tril": np.linalg.cholesky(COV)},
                                RNG.standard_normal((4, 3)), False),
    "MultivariateNormal-precision": ({"loc": MVLOC, "precision_matrix": np.linalg.inv(COV)},
                                     RNG.standard_normal((2, 3)), False),
}


def build(lib, name, kwargs):
    module = td if lib is torch else ed
    params = {k: lib.tensor(v, requires_grad=True) for k, v in kwargs.items()}
    return getattr(module, name.split("-")[0])(**params), params


def close(e, t, what, tol=1e-10):
    assert tuple(e.shape) == tuple(t.shape), what
    assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1], what
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol, err_msg=what,
                               equal_nan=True)


@pytest.mark.parametrize("name", CASES)
def test_scores_moments_and_their_gradients_as_torch(name):
    kwargs, value, has_cdf = CASES[name]
    (t, tp), (e, ep) = build(torch, name, kwargs), build(ember, name, kwargs)
    assert tuple(e.batch_shape) == tuple(t.batch_shape) and tuple(e.event_shape) == tuple(t.event_shape)
    tv, ev = torch.tensor(value), ember.tensor(value)
    results = {"log_prob": (t.log_prob(tv), e.log_prob(ev)), "entropy": (t.entropy(), e.entropy()),
               "mean": (t.mean, e.mean), "variance": (t.variance, e.variance), "stddev": (t.stddev, e.stddev)}
    if has_cdf:
        results["cdf"] = (t.cdf(tv.clamp(-0.5, 0.4)), e.cdf(ev.clamp(-0.5, 0.4)))
        results["icdf"] = (t.icdf(torch.full(t.batch_shape, 0.3, dtype=torch.float64)),
                           e.icdf(ember.full(tuple(e.batch_shape), 0.3, dtype=ember.float64)))
    for what, (a, b) in results.items():
        close(b, a, f"{name}.{what}")
    loss_t = sum((r[0] * (i + 1)).nansum() for i, r in enumerate(results.values()) if r[0].requires_grad)
    loss_e = sum((r[1] * (i + 1)).nansum() for i, r in enumerate(results.values()) if r[1].requires_grad)
    loss_t.backward()
    loss_e.backward()
    for k in kwargs:
        close(ep[k].grad, tp[k].grad, f"{name}: d/d{k}", tol=1e-9)


@pytest.mark.parametrize("name", CASES)
def test_samples_have_torchs_shape_dtype_and_moments(name):
    kwargs, _, _ = CASES[name]
    (t, _), (e, _) = build(torch, name, kwargs), build(ember, name, kwargs)
    ember.manual_seed(0)
    for shape in ((), (7,), (2, 5)):
        ts, es = t.sample(shape), e.sample(shape)
        assert tuple(es.shape) == tuple(ts.shape) and str(es.dtype)[6:] == str(ts.dtype)[6:]
        assert not es.requires_grad
    big = e.sample((20000,)).numpy()
    mean, var = e.mean.detach().numpy(), e.variance.detach().numpy()
    if name.startswith("Categorical"):
        freq = np.stack([(big == k).mean(0) for k in range(e.probs.shape[-1])], -1)
        np.testing.assert_allclose(freq, e.probs.detach().numpy(), atol=0.02)
    else:
        np.testing.assert_allclose(big.mean(0), mean, atol=0.06 * np.sqrt(var).max() + 0.01)
        np.testing.assert_allclose(big.var(0), var, rtol=0.08, atol=0.01)
    assert e.has_rsample == t.has_rsample
    if not t.has_rsample:
        with pytest.raises(AutogradError, match="rsample"):
            e.rsample()


@pytest.mark.parametrize("name", ["Normal", "Uniform", "MultivariateNormal-cov"])
def test_rsample_is_differentiable_as_torch(name):
    kwargs, _, _ = CASES[name]
    e, ep = build(ember, name, kwargs)
    x = e.rsample((3,))
    assert x.requires_grad and x.shape == e._extended_shape((3,))
    x.sum().backward()
    if name == "Normal":  # x = loc + eps * scale: d/dloc = 1, d/dscale = sum of eps
        eps = (x.detach() - ep["loc"].detach()) / ep["scale"].detach()
        np.testing.assert_allclose(ep["loc"].grad.numpy(), np.full(LOC.shape, 3.0))
        np.testing.assert_allclose(ep["scale"].grad.numpy(), eps.sum(0).numpy(), rtol=1e-10)
    elif name == "Uniform":  # x = low + u (high - low): d/dhigh = sum of u
        u = (x.detach() - ep["low"].detach()) / (ep["high"].detach() - ep["low"].detach())
        np.testing.assert_allclose(ep["high"].grad.numpy(), u.sum(0).numpy(), rtol=1e-10)
        np.testing.assert_allclose(ep["low"].grad.numpy(), (3 - u.sum(0)).numpy(), rtol=1e-10)
    else:
        np.testing.assert_allclose(ep["loc"].grad.numpy(), np.full(MVLOC.shape, 3.0))


KL_PAIRS = [("Normal", {"loc": LOC, "scale": SCALE}, {"loc": LOC[::-1].copy(), "scale": SCALE[::-1].copy()}),
            ("Uniform", {"low": LOW, "high": HIGH}, {"low": LOW - 1, "high": HIGH + 0.5}),
            ("Uniform", {"low": LOW, "high": HIGH}, {"low": LOW + 0.1, "high": HIGH}),
            ("Bernoulli", {"probs": PROBS}, {"probs": PROBS[::-1].copy()}),
            ("Bernoulli", {"probs": np.array([0.0, 1.0, 0.5])}, {"probs": np.array([0.5, 0.0, 1.0])}),
            ("Categorical", {"probs": CAT}, {"probs": CAT[::-1].copy()}),
            ("Categorical", {"probs": np.array([0.5, 0.5, 0.0])}, {"probs": np.array([0.5, 0.0, 0.5])}),
            ("MultivariateNormal", {"loc": MVLOC, "covariance_matrix": COV},
             {"loc": MVLOC[::-1].copy(), "covariance_matrix": COV + np.eye(3)})]


@pytest.mark.parametrize("i", range(len(KL_PAIRS)))
def test_kl_divergence_and_its_gradients_as_torch(i):
    name, pk, qk = KL_PAIRS[i]
    (tp, tpp), (ep, epp) = build(torch, name, pk), build(ember, name, pk)
    (tq, _), (eq, _) = build(torch, name, qk), build(ember, name, qk)
    t, e = td.kl_divergence(tp, tq), ed.kl_divergence(ep, eq)
    close(e, t, f"KL({name})")
    finite_t = torch.where(torch.isfinite(t), t, torch.zeros_like(t))
    finite_e = ember.where(ember.isfinite(e), e, ember.zeros_like(e))
    if finite_t.requires_grad:
        finite_t.sum().backward()
        finite_e.sum().backward()
        for k in pk:
            if tpp[k].grad is not None:
                close(epp[k].grad, tpp[k].grad, f"KL({name}) d/d{k}", tol=1e-9)


def test_independent_normal_as_torch():
    t = td.Independent(td.Normal(torch.tensor(LOC), torch.tensor(SCALE)), 1)
    e = ed.Independent(ed.Normal(ember.tensor(LOC), ember.tensor(SCALE)), 1)
    assert tuple(e.batch_shape) == tuple(t.batch_shape) and tuple(e.event_shape) == tuple(t.event_shape)
    v = RNG.standard_normal((4, 2, 3))
    close(e.log_prob(ember.tensor(v)), t.log_prob(torch.tensor(v)), "log_prob")
    close(e.entropy(), t.entropy(), "entropy")
    q = (td.Independent(td.Normal(torch.tensor(SCALE), torch.tensor(SCALE)), 1),
         ed.Independent(ed.Normal(ember.tensor(SCALE), ember.tensor(SCALE)), 1))
    close(ed.kl_divergence(e, q[1]), td.kl_divergence(t, q[0]), "kl")


def test_validation_as_torch():
    with pytest.raises(ValueError, match="scale"):
        td.Normal(0.0, -1.0)
    with pytest.raises(ArgumentError, match="parameter scale .* GreaterThan"):
        ed.Normal(0.0, -1.0)
    with pytest.raises(ArgumentError, match="probs"):
        ed.Bernoulli(probs=ember.tensor([1.5]))
    with pytest.raises(ArgumentError, match="either `probs` or `logits`"):
        ed.Categorical()
    with pytest.raises(ArgumentError, match="support"):
        ed.Bernoulli(probs=ember.tensor([0.5])).log_prob(ember.tensor([0.5]))
    with pytest.raises(ArgumentError, match="support"):
        ed.Categorical(probs=ember.tensor([0.5, 0.5])).log_prob(ember.tensor([2]))
    with pytest.raises(ArgumentError, match="exactly one"):
        ed.MultivariateNormal(ember.zeros(2), ember.eye(2), scale_tril=ember.eye(2))
    with pytest.raises(ArgumentError, match="no KL registered"):
        ed.kl_divergence(ed.Normal(0.0, 1.0), ed.Bernoulli(probs=ember.tensor(0.5)))
    ed.Distribution.set_default_validate_args(False)
    try:
        assert ed.Normal(0.0, -1.0).scale.item() == -1.0  # as torch with validation off
    finally:
        ed.Distribution.set_default_validate_args(True)


def test_float32_parameters_give_float32_results_as_torch():
    t = td.Categorical(logits=torch.tensor(CAT, dtype=torch.float32))
    e = ed.Categorical(logits=ember.tensor(CAT, dtype=ember.float32))
    close(e.entropy(), t.entropy(), "entropy", tol=1e-6)
    close(e.enumerate_support(), t.enumerate_support(), "support")
    t = td.Normal(1.0, 2.0)
    e = ed.Normal(1.0, 2.0)
    close(e.log_prob(ember.tensor(0.5)), t.log_prob(torch.tensor(0.5)), "log_prob", tol=1e-6)


def test_register_kl_for_a_user_subclass_as_torch():
    results = []
    for module, lib in ((td, torch), (ed, ember)):
        class Shifted(module.Normal):
            pass

        @module.register_kl(Shifted, Shifted)
        def _kl(p, q):
            return (p.loc - q.loc).abs()
        p = Shifted(lib.tensor([0.0, 1.0]), lib.tensor([1.0, 1.0]))
        q = Shifted(lib.tensor([2.0, -1.0]), lib.tensor([1.0, 2.0]))
        results.append((module.kl_divergence(p, q).tolist(),
                        module.kl_divergence(p, module.Normal(0.0, 1.0)).tolist()))
        assert isinstance(p, module.Distribution)
    assert results[0] == results[1]
