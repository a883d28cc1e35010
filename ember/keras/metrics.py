"""Keras's metrics, accumulated over a whole epoch (not averaged per batch).

Metrics run on NumPy copies of the targets and predictions: `update_state(y_true, y_pred)`,
`result()`, `reset_state()`.

    >>> m = keras.metrics.SparseCategoricalAccuracy()
    >>> m.update_state(np.array([0, 1]), np.array([[0.9, 0.1], [0.8, 0.2]]))
    >>> m.result()
    0.5
"""
import numpy as np

from ember.errors import ArgumentError

__all__ = ["Metric", "Mean", "Accuracy", "SparseCategoricalAccuracy", "CategoricalAccuracy", "BinaryAccuracy",
           "MeanSquaredError", "MeanAbsoluteError", "get"]


class Metric:
    """Base class: a running sum over every sample seen since `reset_state`."""

    def __init__(self, name=None):
        self.name = name or type(self).default_name
        self.reset_state()

    def reset_state(self):
        self.total, self.count = 0.0, 0

    def result(self):
        return self.total / self.count if self.count else 0.0

    def update_state(self, y_true, y_pred):
        values = np.asarray(self.values(np.asarray(y_true), np.asarray(y_pred)), dtype=np.float64)
        self.total += float(values.sum())
        self.count += values.size

    def values(self, y_true, y_pred):
        """One value per sample."""
        raise NotImplementedError


class Mean(Metric):
    """A weighted mean of the values given: `update_state(value, weight)`."""
    default_name = "mean"

    def update_state(self, value, sample_weight=1):
        self.total += float(value) * sample_weight
        self.count += sample_weight


def _labels(y_true, y_pred):
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true[..., 0]
    return y_true


class SparseCategoricalAccuracy(Metric):
    """How often the integer label equals the arg-max of the scores."""
    default_name = "sparse_categorical_accuracy"

    def values(self, y_true, y_pred):
        return _labels(y_true, y_pred).astype(np.int64) == y_pred.argmax(-1)


class CategoricalAccuracy(Metric):
    """How often the arg-max of one-hot targets equals the arg-max of the scores."""
    default_name = "categorical_accuracy"

    def values(self, y_true, y_pred):
        return y_true.argmax(-1) == y_pred.argmax(-1)


class BinaryAccuracy(Metric):
    """How often the prediction thresholded at `threshold` equals the 0/1 target."""
    default_name = "binary_accuracy"

    def __init__(self, name=None, threshold=0.5):
        self.threshold = threshold
        super().__init__(name)

    def values(self, y_true, y_pred):
        if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
            y_true = y_true[..., None]
        return (y_pred > self.threshold) == (y_true > 0.5)


class Accuracy(Metric):
    """Keras's `"accuracy"`: binary, sparse or categorical accuracy, picked from the shapes."""
    default_name = "accuracy"

    def values(self, y_true, y_pred):
        if y_pred.ndim == 1 or y_pred.shape[-1] == 1:
            return (y_pred.reshape(-1) > 0.5) == (y_true.reshape(-1) > 0.5)
        if y_true.ndim < y_pred.ndim or y_true.shape[-1] == 1:
            return _labels(y_true, y_pred).astype(np.int64) == y_pred.argmax(-1)
        return y_true.argmax(-1) == y_pred.argmax(-1)


class MeanSquaredError(Metric):
    """Mean of (y_true - y_pred) ** 2 over every element."""
    default_name = "mean_squared_error"

    def values(self, y_true, y_pred):
        return (y_true.reshape(y_pred.shape) - y_pred) ** 2


class MeanAbsoluteError(Metric):
    """Mean of |y_true - y_pred| over every element."""
    default_name = "mean_absolute_error"

    def values(self, y_true, y_pred):
        return np.abs(y_true.reshape(y_pred.shape) - y_pred)


METRICS = {"accuracy": Accuracy, "acc": Accuracy, "sparse_categorical_accuracy": SparseCategoricalAccuracy,
           "categorical_accuracy": CategoricalAccuracy, "binary_accuracy": BinaryAccuracy,
           "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
           "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError}


def get(identifier):
    """A fresh metric for a Keras name (named as given, as Keras logs it) or a `Metric` (returned as is)."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str) and identifier in METRICS:
        return METRICS[identifier](name=identifier)
    raise ArgumentError(f"compile: unknown metric {identifier!r}; known names: {', '.join(sorted(METRICS))} "
                        "(or pass a keras.metrics.Metric)")
