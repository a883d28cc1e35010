"""Margin, ranking and likelihood losses against torch.nn: values and input gradients for every
reduction, layers' state and repr, and bad input."""
import numpy as np
import pytest

import ember
import ember.nn
import ember.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional
rng = np.random.default_rng(0)


def arr(*shape):
    return rng.standard_normal(shape)


def signs(*shape):
    return rng.choice([-1.0, 1.0], shape)


def classes(n, c):
    return rng.integers(0, c, n)


def multilabel(n, c):
    out = -np.ones((n, c), np.int64)
    for i in range(n):
        k = rng.integers(0, c)
        out[i, :k] = rng.permutation(c)[:k]
    return out


CASES = {  # name: (inputs, kwargs); float inputs get gradients
    "margin_ranking_loss": ((arr(6), arr(6), signs(6)), dict(margin=0.3)),
    "hinge_embedding_loss": ((arr(4, 5), signs(4, 5)), dict(margin=0.5)),
    "soft_margin_loss": ((arr(4, 5), signs(4, 5)), {}),
    "multilabel_soft_margin_loss": ((arr(4, 5), rng.integers(0, 2, (4, 5)).astype(float)), {}),
    "multilabel_soft_margin_loss-weight": ((arr(4, 5), rng.integers(0, 2, (4, 5)).astype(float)),
                                           dict(weight=np.abs(arr(5)))),
    "multi_margin_loss": ((arr(6, 4), classes(6, 4)), {}),
    "multi_margin_loss-p2": ((arr(6, 4), classes(6, 4)), dict(p=2, margin=0.7, weight=np.abs(arr(4)))),
    "multi_margin_loss-1d": ((arr(4), np.array(2)), {}),
    "multilabel_margin_loss": ((arr(5, 4), multilabel(5, 4)), {}),
    "multilabel_margin_loss-1d": ((arr(4), np.array([3, 0, -1, 1])), {}),
    "triplet_margin_loss": ((arr(4, 6), arr(4, 6), arr(4, 6)), dict(margin=0.5)),
    "triplet_margin_loss-swap": ((arr(4, 6), arr(4, 6), arr(4, 6)), dict(p=1.0, swap=True)),
    "triplet_margin_with_distance_loss": ((arr(4, 6), arr(4, 6), arr(4, 6)), dict(margin=2.0)),
    "poisson_nll_loss": ((arr(4, 5), np.abs(arr(4, 5)) * 3), {}),
    "poisson_nll_loss-full": ((np.abs(arr(4, 5)) + 0.1, np.round(np.abs(arr(4, 5)) * 3)),
                              dict(log_input=False, full=True)),
    "gaussian_nll_loss": ((arr(4, 5), arr(4, 5), np.abs(arr(4, 5)) + 0.1), {}),
    "gaussian_nll_loss-homoscedastic": ((arr(4, 5), arr(4, 5), np.abs(arr(4, 1)) + 0.1), dict(full=True)),
    "gaussian_nll_loss-clamped": ((arr(4, 5), arr(4, 5), np.abs(arr(4)) * 1e-8), dict(eps=1e-3)),
}
NEEDS_GRAD = {"margin_ranking_loss": 2, "triplet_margin_loss": 3, "triplet_margin_with_distance_loss": 3,
              "gaussian_nll_loss": 3}


def run(lib, name, inputs, kwargs, dtype):
    fn = getattr(F if lib is ember else TF, name)
    n_grad = NEEDS_GRAD.get(name, 1)
    tensors = []
    for i, x in enumerate(inputs):
        x = np.asarray(x)
        t = lib.tensor(x.astype(dtype) if x.dtype.kind == "f" else x)
        if i < n_grad and x.dtype.kind == "f":
            t.requires_grad_(True)
        tensors.append(t)
    kw = {k: lib.tensor(v.astype(dtype)) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    out = fn(*tensors, **kw)
    out.sum().backward()
    grads = [t.grad.numpy() if t.grad is not None else None for t in tensors]
    return out.detach().numpy(), grads


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES)
def test_loss_matches_torch(case, dtype, reduction):
    name = case.split("-")[0]
    inputs, kwargs = CASES[case]
    kwargs = dict(kwargs, reduction=reduction)
    tol = dict(rtol=1e-9, atol=1e-12) if dtype == "float64" else dict(rtol=1e-4, atol=1e-5)
    e_out, e_grads = run(ember, name, inputs, kwargs, dtype)
    t_out, t_grads = run(torch, name, inputs, kwargs, dtype)
    np.testing.assert_allclose(e_out, t_out, **tol)
    for e, t in zip(e_grads, t_grads):
        if t is not None:
            np.testing.assert_allclose(e, t, **tol)


LAYERS = [("MarginRankingLoss", dict(margin=0.2)), ("HingeEmbeddingLoss", dict(margin=2.0)), ("SoftMarginLoss", {}),
          ("MultiLabelSoftMarginLoss", {}), ("MultiMarginLoss", dict(p=2, margin=0.5)), ("MultiLabelMarginLoss", {}),
          ("TripletMarginLoss", dict(margin=0.3, swap=True)), ("TripletMarginWithDistanceLoss", dict(margin=0.5)),
          ("PoissonNLLLoss", dict(log_input=False, full=True)), ("GaussianNLLLoss", dict(full=True)),
          ("NLLLoss2d", {})]


@pytest.mark.parametrize("name,kw", LAYERS)
def test_layers_hold_torchs_arguments(name, kw):
    e, t = getattr(ember.nn, name)(**kw), getattr(torch.nn, name)(**kw)
    for k in kw:
        assert getattr(e, k) == getattr(t, k)
    assert e.reduction == t.reduction and repr(e) == repr(t)
    assert set(e.state_dict()) == set(t.state_dict())


def test_layers_compute_what_the_functions_compute():
    x, y = ember.tensor(arr(6, 4)), ember.tensor(classes(6, 4))
    w = ember.tensor(np.abs(arr(4)))
    layer = ember.nn.MultiMarginLoss(weight=w, reduction="sum")
    assert "weight" in layer.state_dict()
    np.testing.assert_allclose(layer(x, y).numpy(), F.multi_margin_loss(x, y, weight=w, reduction="sum").numpy())
    dist = ember.nn.TripletMarginWithDistanceLoss(distance_function=lambda a, b: 1 - F.cosine_similarity(a, b))
    a, p, n = (ember.tensor(arr(3, 5)) for _ in range(3))
    t_dist = torch.nn.TripletMarginWithDistanceLoss(distance_function=lambda a, b: 1 - TF.cosine_similarity(a, b))
    np.testing.assert_allclose(dist(a, p, n).numpy(),
                               t_dist(*(torch.tensor(v.numpy()) for v in (a, p, n))).numpy(), rtol=1e-6)


def test_bad_input_names_the_loss():
    with pytest.raises(ember.ArgumentError, match="multi_margin_loss: only p == 1 and p == 2"):
        F.multi_margin_loss(ember.randn(3, 4), ember.tensor([0, 1, 2]), p=3)
    with pytest.raises(ember.ArgumentError, match="outside"):
        F.multi_margin_loss(ember.randn(3, 4), ember.tensor([0, 1, 7]))
    with pytest.raises(ember.ShapeError, match="soft_margin_loss"):
        F.soft_margin_loss(ember.randn(3, 4), ember.randn(3, 5))
    with pytest.raises(ember.ArgumentError, match="var has negative"):
        F.gaussian_nll_loss(ember.randn(3), ember.randn(3), -ember.ones(3))
    with pytest.raises(ember.ShapeError, match="MultiLabelMarginLoss"):
        ember.nn.MultiLabelMarginLoss()(ember.randn(3, 4), ember.tensor([[0, 1]]))


@pytest.mark.parametrize("name,kw", [("PairwiseDistance", dict(p=1.0, keepdim=True)), ("PairwiseDistance", {}),
                                     ("CosineSimilarity", dict(dim=0, eps=1e-6)), ("CosineSimilarity", {})])
def test_distance_layers_match_torch(name, kw):
    a, b = arr(4, 5), arr(4, 5)
    e = getattr(ember.nn, name)(**kw)(ember.tensor(a), ember.tensor(b)).numpy()
    t = getattr(torch.nn, name)(**kw)(torch.tensor(a), torch.tensor(b)).numpy()
    np.testing.assert_allclose(e, t, rtol=1e-10)
