"""keras.losses against float64 NumPy references of Keras's formulas, and torch where it has the loss."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
from ember import keras
from ember.errors import ArgumentError, ShapeError

L = keras.losses
EPS = 1e-7


def _data(seed=0, n=6, c=4):
    rng = np.random.default_rng(seed)
    logits = rng.standard_normal((n, c))
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    labels = rng.integers(0, c, n)
    onehot = np.eye(c)[labels]
    binary = rng.integers(0, 2, (n, c)).astype(np.float64)
    reals = rng.standard_normal((n, c)) * 2
    positive = rng.uniform(0.1, 3.0, (n, c))
    return dict(logits=logits, probs=probs, labels=labels, onehot=onehot, binary=binary, reals=reals,
                positive=positive, rng=rng)


def _clip(p):
    return np.clip(p, EPS, 1 - EPS)


def _np_reference(name, t, p):
    """Keras's documented formula for each loss, in float64 NumPy: one value per sample."""
    if name == "mse":
        return ((t - p) ** 2).mean(-1)
    if name == "mae":
        return np.abs(t - p).mean(-1)
    if name == "mape":
        return 100 * np.abs((t - p) / np.maximum(np.abs(t), EPS)).mean(-1)
    if name == "msle":
        return ((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1)) ** 2).mean(-1)
    if name == "huber":
        e = p - t
        return np.where(np.abs(e) <= 1.0, 0.5 * e * e, np.abs(e) - 0.5).mean(-1)
    if name == "log_cosh":
        return np.log(np.cosh(p - t)).mean(-1)
    if name == "kld":
        tc, pc = np.clip(t, EPS, 1), np.clip(p, EPS, 1)
        return (tc * np.log(tc / pc)).sum(-1)
    if name == "poisson":
        return (p - t * np.log(p + EPS)).mean(-1)
    if name == "cosine_similarity":
        tn = t / np.linalg.norm(t, axis=-1, keepdims=True)
        pn = p / np.linalg.norm(p, axis=-1, keepdims=True)
        return -(tn * pn).sum(-1)
    if name == "hinge":
        return np.maximum(1 - (2 * t - 1) * p, 0).mean(-1)
    if name == "squared_hinge":
        return (np.maximum(1 - (2 * t - 1) * p, 0) ** 2).mean(-1)
    if name == "categorical_hinge":
        return np.maximum(((1 - t) * p).max(-1) - (t * p).sum(-1) + 1, 0)
    if name == "binary_crossentropy":
        pc = _clip(p)
        return -(t * np.log(pc) + (1 - t) * np.log(1 - pc)).mean(-1)
    if name == "categorical_crossentropy":
        return -(t * np.log(_clip(p / p.sum(-1, keepdims=True)))).sum(-1)
    raise KeyError(name)


CASES = {  # name: (target key, prediction key)
    "mse": ("reals", "reals"), "mae": ("reals", "reals"), "mape": ("reals", "reals"),
    "msle": ("positive", "positive"), "huber": ("reals", "reals"), "log_cosh": ("reals", "reals"),
    "kld": ("probs", "probs"), "poisson": ("positive", "positive"), "cosine_similarity": ("reals", "reals"),
    "hinge": ("binary", "reals"), "squared_hinge": ("binary", "reals"), "categorical_hinge": ("onehot", "reals"),
    "binary_crossentropy": ("binary", "probs"), "categorical_crossentropy": ("onehot", "probs"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_loss_by_name_matches_keras_formula_with_sample_weight(name):
    d = _data()
    tkey, pkey = CASES[name]
    t, p = d[tkey], d[pkey][::-1].copy()
    per_sample = _np_reference(name, t, p)
    loss = L.get(name)
    np.testing.assert_allclose(loss.per_sample(t, p).numpy(), per_sample, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(loss(t, p).item(), per_sample.mean(), rtol=1e-10)
    w = d["rng"].uniform(0, 2, len(t))
    np.testing.assert_allclose(loss(t, p, sample_weight=w).item(), (per_sample * w).sum() / len(t), rtol=1e-10)
    np.testing.assert_allclose(loss(t, p, sample_weight=w[:, None]).item(), (per_sample * w).sum() / len(t),
                               rtol=1e-10)
    # the function form gives the per-sample values
    fn = L.FUNCTIONS[type(loss)().name if name != "huber" else "huber"]
    np.testing.assert_allclose(fn(t, p).numpy(), per_sample, rtol=1e-10, atol=1e-12)


def test_reductions():
    d = _data()
    t, p = d["reals"], d["reals"][::-1].copy()
    per_sample = _np_reference("mse", t, p)
    w = np.arange(len(t), dtype=np.float64)
    assert L.MeanSquaredError(reduction="sum")(t, p).item() == pytest.approx(per_sample.sum())
    np.testing.assert_allclose(L.MeanSquaredError(reduction="none")(t, p, w).numpy(), per_sample * w)
    assert L.MeanSquaredError(reduction="mean_with_sample_weight")(t, p, w).item() == \
        pytest.approx((per_sample * w).sum() / w.sum())
    with pytest.raises(ArgumentError, match="reduction"):
        L.MeanSquaredError(reduction="avg")
    with pytest.raises(ShapeError, match=r"mean_squared_error: sample_weight of shape \(3,\)"):
        L.MeanSquaredError()(t, p, sample_weight=np.ones(3))


def test_float32_matches_torch():
    d = _data(1)
    f32 = {k: v.astype(np.float32) for k, v in d.items() if isinstance(v, np.ndarray) and v.dtype.kind == "f"}
    e, tt = (lambda k: ember.tensor(f32[k])), (lambda k: torch.tensor(f32[k]))
    pairs = [
        (L.MeanSquaredError()(e("reals"), e("positive")), TF.mse_loss(tt("positive"), tt("reals"))),
        (L.MeanAbsoluteError()(e("reals"), e("positive")), TF.l1_loss(tt("positive"), tt("reals"))),
        (L.Huber(delta=0.7)(e("reals"), e("positive")), TF.huber_loss(tt("positive"), tt("reals"), delta=0.7)),
        (L.BinaryCrossentropy()(e("binary"), e("probs")), TF.binary_cross_entropy(tt("probs"), tt("binary"))),
        (L.BinaryCrossentropy(from_logits=True)(e("binary"), e("logits")),
         TF.binary_cross_entropy_with_logits(tt("logits"), tt("binary"))),
        (L.CategoricalCrossentropy(from_logits=True)(e("probs"), e("logits")),
         TF.cross_entropy(tt("logits"), tt("probs"))),
        (L.SparseCategoricalCrossentropy(from_logits=True)(ember.tensor(d["labels"]), e("logits")),
         TF.cross_entropy(tt("logits"), torch.tensor(d["labels"]))),
        (L.Poisson()(e("positive"), e("reals").abs() + 0.1),
         TF.poisson_nll_loss(tt("reals").abs() + 0.1, tt("positive"), log_input=False, eps=1e-7)),
        (L.KLDivergence()(e("probs"), e("probs").flip(0)),
         TF.kl_div(tt("probs").flip(0).log(), tt("probs"), reduction="sum") / len(d["probs"])),
        (L.CosineSimilarity()(e("reals"), e("positive")),
         -TF.cosine_similarity(tt("reals"), tt("positive")).mean()),
    ]
    for ours, theirs in pairs:
        assert ours.dtype == ember.float32
        assert ours.item() == pytest.approx(theirs.item(), rel=1e-5, abs=1e-6)


def test_crossentropy_options():
    d = _data(2)
    y, p, logits = d["onehot"], d["probs"], d["logits"]
    ls = 0.2
    smooth = y * (1 - ls) + ls / y.shape[-1]
    ref = -(smooth * np.log(_clip(p))).sum(-1).mean()
    assert L.CategoricalCrossentropy(label_smoothing=ls)(y, p).item() == pytest.approx(ref, rel=1e-10)
    # axis: classes first
    assert L.CategoricalCrossentropy(axis=0)(y.T, p.T).item() == pytest.approx(
        L.CategoricalCrossentropy()(y, p).item(), rel=1e-10)
    b = d["binary"]
    smooth = b * (1 - ls) + 0.5 * ls
    ref = -(smooth * np.log(_clip(p)) + (1 - smooth) * np.log(1 - _clip(p))).mean(-1).mean()
    assert L.BinaryCrossentropy(label_smoothing=ls)(b, p).item() == pytest.approx(ref, rel=1e-10)
    sig = 1 / (1 + np.exp(-logits))
    assert L.BinaryCrossentropy(from_logits=True)(b, logits).item() == pytest.approx(
        _np_reference("binary_crossentropy", b, sig).mean(), rel=1e-9)
    assert L.SparseCategoricalCrossentropy()(d["labels"], p).item() == pytest.approx(
        -np.log(p[np.arange(len(p)), d["labels"]]).mean(), rel=1e-10)
    assert L.SparseCategoricalCrossentropy()(d["labels"][:, None], p).item() == pytest.approx(
        L.SparseCategoricalCrossentropy()(d["labels"], p).item())
    # probabilities are clipped, so a confident wrong answer is large but finite
    assert L.get("binary_crossentropy")(np.array([[1.0]]), np.array([[0.0]])).item() == \
        pytest.approx(-np.log(1e-7), rel=1e-6)


def test_targets_of_shape_batch_fit_outputs_of_shape_batch_1():
    t, p = np.array([1.0, 0.0, 1.0]), np.array([[0.8], [0.3], [0.6]])
    ref = _np_reference("binary_crossentropy", t[:, None], p).mean()
    assert L.get("binary_crossentropy")(t, p).item() == pytest.approx(ref)
    assert L.get("mse")(t, p).item() == pytest.approx(((t - p[:, 0]) ** 2).mean())


def test_hinge_keeps_minus_one_one_labels():
    t, p = np.array([[-1.0, 1.0, 1.0]]), np.array([[0.3, -0.2, 2.0]])
    assert L.hinge(t, p).item() == pytest.approx(np.maximum(1 - t * p, 0).mean())


def test_losses_are_differentiable():
    p = ember.tensor(_data()["probs"], requires_grad=True)
    L.CategoricalCrossentropy()(_data()["onehot"], p).backward()
    assert p.grad is not None and p.grad.shape == p.shape


def test_get_accepts_names_objects_configs_and_functions():
    mae = L.MeanAbsoluteError()
    assert L.get(mae) is mae
    for name, cls in [("mse", L.MeanSquaredError), ("mae", L.MeanAbsoluteError), ("kld", L.KLDivergence),
                      ("kl_divergence", L.KLDivergence), ("huber", L.Huber), ("log_cosh", L.LogCosh),
                      ("mape", L.MeanAbsolutePercentageError), ("msle", L.MeanSquaredLogarithmicError),
                      ("cosine_similarity", L.CosineSimilarity), ("Hinge", L.Hinge)]:
        assert type(L.get(name)) is cls
    huber = L.get(L.serialize(L.Huber(delta=2.5, reduction="sum")))
    assert isinstance(huber, L.Huber) and huber.delta == 2.5 and huber.reduction == "sum"
    cce = L.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1, axis=1)
    again = L.CategoricalCrossentropy.from_config(cce.get_config())
    assert again.get_config() == cce.get_config()
    for cls in L.CLASSES.values():
        assert cls.from_config(cls().get_config()).get_config() == cls().get_config()

    def l1(y_true, y_pred):
        return (y_true - y_pred).abs().sum(-1)
    wrapped = L.get(l1)
    t, p = np.ones((4, 2)), np.zeros((4, 2))
    assert wrapped(t, p).item() == pytest.approx(2.0)
    assert wrapped(t, p, sample_weight=np.array([1.0, 0, 0, 0])).item() == pytest.approx(0.5)
    with pytest.raises(ArgumentError, match="known names: .*huber.*mse"):
        L.get("crossentropy")


def test_shape_errors_name_the_loss_and_both_shapes():
    p = np.full((4, 3), 1 / 3)
    with pytest.raises(ShapeError, match=r"sparse_categorical_crossentropy.*\(4, 3\).*\(4, 3\).*"
                                         r"use 'categorical_crossentropy'"):
        L.get("sparse_categorical_crossentropy")(np.eye(3)[[0, 1, 2, 0]], p)
    with pytest.raises(ShapeError, match=r"categorical_crossentropy: targets of shape \(4,\).*\(4, 3\).*"
                                         r"sparse_categorical_crossentropy"):
        L.get("categorical_crossentropy")(np.array([0, 1, 2, 0]), p)
    with pytest.raises(ShapeError, match=r"mean_squared_error: targets of shape \(4, 2\).*\(4, 3\)"):
        L.get("mse")(np.zeros((4, 2)), p)
