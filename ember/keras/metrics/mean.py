"""Metrics that average a per-sample value over the epoch: the accuracy family, regression errors,
and the losses used as metrics."""
import numpy as np

from ember.keras import losses
from ember.keras.metrics.base import MeanMetricWrapper, _same_rank

__all__ = ["Accuracy", "AutoAccuracy",
           "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
           "SparseTopKCategoricalAccuracy", "MeanSquaredError", "MeanAbsoluteError", "RootMeanSquaredError",
           "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "KLDivergence", "Poisson", "Hinge",
           "SquaredHinge", "CategoricalHinge", "LogCoshError", "CosineSimilarity", "BinaryCrossentropy",
           "CategoricalCrossentropy", "SparseCategoricalCrossentropy"]


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1.0 where the thresholded prediction equals the target, elementwise (as Keras 3)."""
    y_true = _same_rank(y_true, y_pred)
    return ((y_pred > threshold) == y_true).astype(np.float32)


def categorical_accuracy(y_true, y_pred):
    return y_true.argmax(-1) == y_pred.argmax(-1)


def _labels(y_true, y_pred):
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    return y_true.astype(np.int64)


def sparse_categorical_accuracy(y_true, y_pred):
    return _labels(y_true, y_pred) == y_pred.argmax(-1)


def _in_top_k(labels, y_pred, k):
    """Whether the score of the label is at least the k-th largest score (ties count as in)."""
    if k >= y_pred.shape[-1]:
        return np.ones(labels.shape, dtype=bool)
    kth = -np.partition(-y_pred, k - 1, axis=-1)[..., k - 1]
    return np.take_along_axis(y_pred, labels[..., None], -1)[..., 0] >= kth


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    return _in_top_k(y_true.argmax(-1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    return _in_top_k(_labels(y_true, y_pred), y_pred, k)


def accuracy(y_true, y_pred):
    """ember's `"accuracy"`: binary, sparse or categorical accuracy, picked from the shapes."""
    if y_pred.ndim == 1 or y_pred.shape[-1] == 1:
        return (y_pred.reshape(-1) > 0.5) == (y_true.reshape(-1) > 0.5)
    if y_true.ndim < y_pred.ndim or y_true.shape[-1] == 1:
        return sparse_categorical_accuracy(y_true, y_pred)
    return categorical_accuracy(y_true, y_pred)


def _per_sample_mean(values):
    return values.reshape(len(values), -1).mean(-1) if values.ndim > 1 else values


def squared_error(y_true, y_pred):
    return _per_sample_mean((_same_rank(y_true, y_pred) - y_pred) ** 2)


def absolute_error(y_true, y_pred):
    return _per_sample_mean(np.abs(_same_rank(y_true, y_pred) - y_pred))


def _loss_values(name, negate=False):
    """A NumPy per-sample function computing `keras.losses.<name>` in float64."""
    fn = losses.FUNCTIONS[name]

    def values(y_true, y_pred, **kwargs):
        out = fn(y_true.astype(np.float64), y_pred.astype(np.float64), **kwargs).numpy()
        return -out if negate else out
    values.__name__ = name
    return values


# -- accuracy -------------------------------------------------------------------------------------
class Accuracy(MeanMetricWrapper):
    """How often predictions equal the targets exactly (Keras's `Accuracy`; the string "accuracy" in
    `compile` means the binary, sparse or categorical accuracy instead: `AutoAccuracy`)."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(exact_accuracy, name)


class AutoAccuracy(MeanMetricWrapper):
    """What `compile(metrics=["accuracy"])` means: binary, sparse or categorical accuracy, picked from
    the shapes of the targets and predictions (Keras picks it the same way)."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name)


def exact_accuracy(y_true, y_pred):
    return _same_rank(y_true, y_pred) == y_pred


class BinaryAccuracy(MeanMetricWrapper):
    """How often `y_pred > threshold` equals the 0/1 target."""

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name, threshold=threshold)
        self.threshold = threshold


class CategoricalAccuracy(MeanMetricWrapper):
    """How often the arg-max of one-hot targets equals the arg-max of the scores."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label equals the arg-max of the scores."""

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot target's class is among the `k` highest scores."""

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name, k=k)


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the `k` highest scores."""

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(sparse_top_k_categorical_accuracy, name, k=k)


# -- regression -----------------------------------------------------------------------------------
class MeanSquaredError(MeanMetricWrapper):
    """Mean of (y_true - y_pred) ** 2 over every sample's values, then over the samples."""

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(squared_error, name)


class MeanAbsoluteError(MeanMetricWrapper):
    """Mean of |y_true - y_pred| over every sample's values, then over the samples."""

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(absolute_error, name)


class RootMeanSquaredError(MeanMetricWrapper):
    """The square root of the epoch's mean squared error."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(squared_error, name)

    def result(self):
        return float(np.sqrt(super().result()))


class _LossMetric(MeanMetricWrapper):
    """The epoch mean of a Keras loss function's per-sample values."""
    loss_name, default_name, negate = None, None, False

    def __init__(self, name=None, dtype=None, **kwargs):
        super().__init__(_loss_values(self.loss_name, self.negate), name or self.default_name, **kwargs)


class MeanAbsolutePercentageError(_LossMetric):
    loss_name = default_name = "mean_absolute_percentage_error"


class MeanSquaredLogarithmicError(_LossMetric):
    loss_name = default_name = "mean_squared_logarithmic_error"


class KLDivergence(_LossMetric):
    loss_name = default_name = "kl_divergence"


class Poisson(_LossMetric):
    loss_name = default_name = "poisson"


class Hinge(_LossMetric):
    loss_name = default_name = "hinge"


class SquaredHinge(_LossMetric):
    loss_name = default_name = "squared_hinge"


class CategoricalHinge(_LossMetric):
    loss_name = default_name = "categorical_hinge"


class LogCoshError(_LossMetric):
    loss_name, default_name = "log_cosh", "logcosh"


class CosineSimilarity(_LossMetric):
    """The mean cosine similarity (1 when aligned: the loss's value negated)."""
    loss_name, default_name, negate = "cosine_similarity", "cosine_similarity", True

    def __init__(self, name=None, dtype=None, axis=-1):
        super().__init__(name, dtype, axis=axis)


class BinaryCrossentropy(_LossMetric):
    loss_name = default_name = "binary_crossentropy"

    def __init__(self, name=None, dtype=None, from_logits=False, label_smoothing=0.0):
        super().__init__(name, dtype, from_logits=from_logits, label_smoothing=label_smoothing)


class CategoricalCrossentropy(_LossMetric):
    loss_name = default_name = "categorical_crossentropy"

    def __init__(self, name=None, dtype=None, from_logits=False, label_smoothing=0.0, axis=-1):
        super().__init__(name, dtype, from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(_LossMetric):
    loss_name = default_name = "sparse_categorical_crossentropy"

    def __init__(self, name=None, dtype=None, from_logits=False):
        super().__init__(name, dtype, from_logits=from_logits)


# -- confusion-count metrics ----------------------------------------------------------------------
