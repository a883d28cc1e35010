"""Keras's focal, overlap and metric-learning losses, computed as Keras computes them:
`binary_focal_crossentropy`, `categorical_focal_crossentropy` (cross-entropy down-weighting easy
examples by `(1 - p) ** gamma`), `dice` and `tversky` (overlap losses over `axis`, all values by
default), `circle` (pairs of L2-normalized embeddings with integer labels) and
`categorical_generalized_cross_entropy` (`(1 - p ** q) / q` of the true class's probability).

    >>> round(float(keras.losses.dice(np.array([1.0, 0.0]), np.array([0.5, 0.5]))), 4)
    0.5
"""
import math

from ember.ops.binary import maximum, where
from ember.ops.creation import eye, full_like
from ember.ops.mask import one_hot
from ember.ops.reduce import logsumexp
from ember.ops.unary import log, sigmoid
from ember.nn import functional as F
from ember.keras.losses.core import (CLASSES, EPSILON, FUNCTIONS, LOSSES, LossFunctionWrapper, _clip, _inputs, _pair,
                                     _tensor)

__all__ = ["BinaryFocalCrossentropy", "CategoricalFocalCrossentropy", "Dice", "Tversky", "Circle",
           "CategoricalGeneralizedCrossEntropy", "binary_focal_crossentropy", "categorical_focal_crossentropy",
           "dice", "tversky", "circle", "categorical_generalized_cross_entropy"]


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                              label_smoothing=0.0, axis=-1):
    """`mean((1 - p_t) ** gamma * bce, axis)`, with `alpha`/`1 - alpha` class weights when balancing."""
    y_true, y_pred = _pair("binary_focal_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1 - label_smoothing) + 0.5 * label_smoothing
    p = sigmoid(y_pred) if from_logits else y_pred
    clipped = _clip(p)
    bce = -(y_true * log(clipped) + (1 - y_true) * log(1 - clipped))
    p_t = y_true * p + (1 - y_true) * (1 - p)
    focal = (1 - p_t) ** gamma * bce
    if apply_class_balancing:
        focal = (y_true * alpha + (1 - y_true) * (1 - alpha)) * focal
    return focal.mean(axis)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0,
                                   axis=-1):
    """`sum(alpha * (1 - p) ** gamma * -t * log(p), axis)` over the classes."""
    y_true, y_pred = _pair("categorical_focal_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1 - label_smoothing) + label_smoothing / y_true.shape[-1]
    p = F.softmax(y_pred, dim=axis) if from_logits else y_pred
    p = _clip(p / p.sum(axis, keepdim=True))
    return (alpha * (1 - p) ** gamma * -y_true * log(p)).sum(axis)


def _sum(x, axis):
    return x.sum() if axis is None else x.sum(tuple(axis) if isinstance(axis, (list, tuple)) else axis)


def dice(y_true, y_pred, axis=None):
    """`1 - 2 sum(t * p) / (sum(t) + sum(p))` over `axis` (every value when None)."""
    y_true, y_pred = _inputs(y_true, y_pred)
    overlap = _sum(y_true * y_pred, axis)
    return 1 - 2.0 * overlap / (_sum(y_true, axis) + _sum(y_pred, axis) + EPSILON)


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """`1 - TP / (TP + alpha FP + beta FN)` with soft counts over `axis` (Dice at alpha = beta = 0.5)."""
    y_true, y_pred = _inputs(y_true, y_pred)
    tp = _sum(y_true * y_pred, axis)
    fp = _sum((1 - y_pred) * y_true, axis)
    fn = _sum(y_pred * (1 - y_true), axis)
    return 1 - tp / (tp + fp * alpha + fn * beta + EPSILON)


def circle(y_true, y_pred, ref_labels=None, ref_embeddings=None, remove_diagonal=True, gamma=80, margin=0.4):
    """Circle loss of L2-normalized embeddings `y_pred` with integer labels `y_true`, against the
    reference embeddings (the batch itself by default): one value per sample."""
    emb = _tensor(y_pred)
    emb = emb if emb.dtype.is_floating_point else emb.float()
    labels = _tensor(y_true).long().reshape(-1, 1)
    ref = emb if ref_embeddings is None else _tensor(ref_embeddings).to(emb.dtype)
    ref_lab = labels if ref_labels is None else _tensor(ref_labels).long().reshape(-1, 1)
    dist = maximum(1 - emb @ ref.transpose(0, 1), 0.0)
    positive = labels == ref_lab.transpose(0, 1)
    negative = ~positive
    if remove_diagonal:
        positive = positive & ~eye(labels.shape[0], ref_lab.shape[0], dtype=positive.dtype).bool()
    pos_w = maximum((margin + dist) * positive.to(dist.dtype), 0.0)
    neg_w = maximum((1 + margin - dist) * negative.to(dist.dtype), 0.0)
    pos = -gamma * pos_w * (margin - dist)
    neg = gamma * neg_w * (1 - margin - dist)
    p_loss = logsumexp(where(positive, pos, full_like(pos, -math.inf)), 1)
    n_loss = logsumexp(where(negative, neg, full_like(neg, -math.inf)), 1)
    out = F.softplus(p_loss + n_loss)
    out._keras_mask = out > 0  # as Keras: the mean runs over the samples with a positive loss
    return out


def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """`(1 - p ** q) / q` of the probability `p` given to the integer label."""
    y_pred = _tensor(y_pred)
    hot = one_hot(_tensor(y_true).long(), y_pred.shape[-1]).to(y_pred.dtype)
    return (1 - (y_pred * hot).sum(-1) ** q) / q


class BinaryFocalCrossentropy(LossFunctionWrapper):
    """Binary cross-entropy scaled by `(1 - p_t) ** gamma` (and class-balanced by `alpha` on request)."""

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0,
                 axis=-1, reduction="sum_over_batch_size", name="binary_focal_crossentropy"):
        super().__init__(binary_focal_crossentropy, reduction, name, apply_class_balancing=apply_class_balancing,
                         alpha=alpha, gamma=gamma, from_logits=from_logits, label_smoothing=label_smoothing,
                         axis=axis)


class CategoricalFocalCrossentropy(LossFunctionWrapper):
    """Categorical cross-entropy scaled by `alpha * (1 - p) ** gamma`."""

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy"):
        super().__init__(categorical_focal_crossentropy, reduction, name, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class Dice(LossFunctionWrapper):
    """The Dice loss over `axis` (every value by default)."""

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None):
        super().__init__(dice, reduction, name, axis=axis)


class Tversky(LossFunctionWrapper):
    """The Tversky loss, false positives weighted by `alpha`, false negatives by `beta`."""

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky", axis=None):
        super().__init__(tversky, reduction, name, alpha=alpha, beta=beta, axis=axis)


class Circle(LossFunctionWrapper):
    """The circle loss of L2-normalized embeddings against the batch's other embeddings."""

    def __init__(self, gamma=80.0, margin=0.4, remove_diagonal=True, reduction="sum_over_batch_size", name="circle"):
        super().__init__(circle, reduction, name, gamma=gamma, margin=margin, remove_diagonal=remove_diagonal)


class CategoricalGeneralizedCrossEntropy(LossFunctionWrapper):
    """The generalized cross-entropy `(1 - p ** q) / q` of integer labels (robust to noisy labels)."""

    def __init__(self, q=0.5, reduction="sum_over_batch_size", name="categorical_generalized_cross_entropy"):
        super().__init__(categorical_generalized_cross_entropy, reduction, name, q=q)


# registered with the common losses: get("dice"), deserialize({"class_name": "Dice", ...}), metrics by name
_NEW = (BinaryFocalCrossentropy, CategoricalFocalCrossentropy, Dice, Tversky, Circle,
        CategoricalGeneralizedCrossEntropy)
CLASSES.update({c.__name__: c for c in _NEW})
LOSSES.update({c.__name__: c for c in _NEW})
LOSSES.update({"binary_focal_crossentropy": BinaryFocalCrossentropy, "dice": Dice, "tversky": Tversky,
               "categorical_focal_crossentropy": CategoricalFocalCrossentropy, "circle": Circle,
               "categorical_generalized_cross_entropy": CategoricalGeneralizedCrossEntropy})
FUNCTIONS.update({"binary_focal_crossentropy": binary_focal_crossentropy,
                  "categorical_focal_crossentropy": categorical_focal_crossentropy})
