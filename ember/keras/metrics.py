"""Keras's metrics, accumulated over a whole epoch (not averaged per batch).

Metrics run on NumPy copies of the targets and predictions, in float64: `update_state(y_true,
y_pred, sample_weight=None)` adds a batch, `result()` is a Python float over every sample since
`reset_state()`. Mean-type metrics keep a weighted sum and a weight count; `Precision`, `Recall`
and `AUC` keep confusion counts, so their results are exact over the epoch, not means of batches.
Loss functions are metrics too, by their Keras names (`"binary_crossentropy"`, `"kl_divergence"`...).

    >>> m = keras.metrics.SparseCategoricalAccuracy()
    >>> m.update_state(np.array([0, 1]), np.array([[0.9, 0.1], [0.8, 0.2]]))
    >>> m.result()
    0.5
"""
import numpy as np

from ember.autograd import Tensor
from ember.errors import ArgumentError
from ember.keras import losses

__all__ = ["Metric", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy",
           "SparseCategoricalAccuracy", "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "Precision",
           "Recall", "AUC", "MeanSquaredError", "MeanAbsoluteError", "RootMeanSquaredError",
           "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "BinaryCrossentropy",
           "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "KLDivergence", "Poisson", "Hinge",
           "SquaredHinge", "CategoricalHinge", "LogCoshError", "CosineSimilarity", "get"]

EPSILON = 1e-7


def _array(x):
    if isinstance(x, Tensor):
        x = x.detach().numpy()
    return np.asarray(x)


def _same_rank(y_true, y_pred):
    """Targets (batch,) fit outputs (batch, 1) and the reverse, as in Keras."""
    if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
        return y_true[..., None]
    if y_pred.ndim == y_true.ndim - 1 and y_true.shape[-1] == 1:
        return y_true[..., 0]
    return y_true


def _weights(sample_weight, values):
    """`sample_weight` broadcast over `values` (one weight per sample, or per value)."""
    if sample_weight is None:
        return np.ones_like(values)
    w = _array(sample_weight).astype(np.float64)
    if w.ndim == values.ndim + 1 and w.shape[-1] == 1:
        w = w[..., 0]
    w = w.reshape(w.shape + (1,) * (values.ndim - w.ndim))
    return np.broadcast_to(w, values.shape)


class Metric:
    """Base class: `update_state`, `result`, `reset_state`, `name`, `get_config`."""
    default_name = "metric"

    def __init__(self, name=None, dtype=None):
        self.name = name or self.default_name
        self.reset_state()

    def reset_state(self):
        raise NotImplementedError

    def update_state(self, *args, **kwargs):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r})"


class Mean(Metric):
    """The weighted mean of the values given: `update_state(values, sample_weight=None)`."""
    default_name = "mean"

    def reset_state(self):
        self.total, self.count = 0.0, 0.0

    def update_state(self, values, sample_weight=None):
        if isinstance(values, (float, int)) and isinstance(sample_weight, (float, int, type(None))):
            w = 1.0 if sample_weight is None else sample_weight  # the per-batch loss: no arrays needed
            self.total += values * w
            self.count += w
            return
        values = _array(values).astype(np.float64)
        w = _weights(sample_weight, values)
        self.total += float((values * w).sum())
        self.count += float(w.sum())

    def result(self):
        return self.total / self.count if self.count else 0.0


class Sum(Metric):
    """The weighted sum of the values given."""
    default_name = "sum"

    def reset_state(self):
        self.total = 0.0

    def update_state(self, values, sample_weight=None):
        values = _array(values).astype(np.float64)
        self.total += float((values * _weights(sample_weight, values)).sum())

    def result(self):
        return self.total


class MeanMetricWrapper(Mean):
    """The weighted mean over all samples of `fn(y_true, y_pred, **kwargs)`, one value per sample."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        self.fn, self._fn_kwargs = fn, kwargs
        super().__init__(name or getattr(fn, "__name__", "mean_metric_wrapper"))

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = self.fn(_array(y_true), _array(y_pred), **self._fn_kwargs)
        super().update_state(values, sample_weight)

    def values(self, y_true, y_pred):
        return self.fn(_array(y_true), _array(y_pred), **self._fn_kwargs)

    def get_config(self):
        return {"name": self.name, **self._fn_kwargs}


# -- per-sample functions on NumPy arrays ---------------------------------------------------------
def binary_accuracy(y_true, y_pred, threshold=0.5):
    y_true = _same_rank(y_true, y_pred)
    return ((y_pred > threshold) == y_true).mean(-1)


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
    """`"accuracy"`: binary, sparse or categorical accuracy, picked from the shapes (Keras picks it
    the same way in `compile`)."""

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name)


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
NEG_INF = -1e10


def _filter_top_k(y_pred, k):
    """Scores outside the `k` largest of the last axis set to -1e10 (ties: the first ones win)."""
    keep = np.argsort(-y_pred, axis=-1, kind="stable")[..., :k]
    out = np.full_like(y_pred, NEG_INF)
    np.put_along_axis(out, keep, np.take_along_axis(y_pred, keep, -1), -1)
    return out


def confusion_counts(y_true, y_pred, thresholds, sample_weight=None, top_k=None, class_id=None):
    """Weighted true/false positives and negatives at each threshold (`y_pred > threshold`)."""
    y_true, y_pred = _array(y_true).astype(np.float64), _array(y_pred).astype(np.float64)
    y_true = _same_rank(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ArgumentError(f"confusion metrics: targets of shape {y_true.shape} do not fit predictions of "
                            f"shape {y_pred.shape}; they must have the same shape")
    w = _weights(sample_weight, y_pred)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        y_true, y_pred, w = y_true[..., class_id], y_pred[..., class_id], w[..., class_id]
    positive, w, y_pred = y_true.reshape(-1) != 0, w.reshape(-1), y_pred.reshape(-1)
    predicted = y_pred[None, :] > np.asarray(thresholds, dtype=np.float64)[:, None]
    tp = (predicted & positive) @ w
    fp = (predicted & ~positive) @ w
    fn = (~predicted & positive) @ w
    tn = (~predicted & ~positive) @ w
    return tp, fp, tn, fn


def _divide_no_nan(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.where(b == 0, 0.0, a / np.where(b == 0, 1.0, b))


def _scalar_or_list(values, single):
    return float(values[0]) if single else [float(v) for v in values]


class _ConfusionMetric(Metric):
    """Precision and Recall: confusion counts at `thresholds`, for one `class_id` or the `top_k` scores."""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        self.init_thresholds, self.top_k, self.class_id = thresholds, top_k, class_id
        default = 0.5 if top_k is None else NEG_INF
        self._single = thresholds is None or np.ndim(thresholds) == 0
        self.thresholds = np.atleast_1d(np.asarray(default if thresholds is None else thresholds, np.float64))
        super().__init__(name)

    def reset_state(self):
        size = len(self.thresholds)
        self.true_positives, self.false_positives = np.zeros(size), np.zeros(size)
        self.false_negatives = np.zeros(size)

    def update_state(self, y_true, y_pred, sample_weight=None):
        tp, fp, _, fn = confusion_counts(y_true, y_pred, self.thresholds, sample_weight, self.top_k, self.class_id)
        self.true_positives += tp
        self.false_positives += fp
        self.false_negatives += fn

    def get_config(self):
        return {"thresholds": self.init_thresholds, "top_k": self.top_k, "class_id": self.class_id,
                "name": self.name}


class Precision(_ConfusionMetric):
    """`tp / (tp + fp)` over the epoch; predictions above `thresholds` (default 0.5) count as positive."""
    default_name = "precision"

    def result(self):
        return _scalar_or_list(_divide_no_nan(self.true_positives, self.true_positives + self.false_positives),
                               self._single)


class Recall(_ConfusionMetric):
    """`tp / (tp + fn)` over the epoch; predictions above `thresholds` (default 0.5) count as positive."""
    default_name = "recall"

    def result(self):
        return _scalar_or_list(_divide_no_nan(self.true_positives, self.true_positives + self.false_negatives),
                               self._single)


class AUC(Metric):
    """Area under the ROC or PR curve, from confusion counts at `num_thresholds` thresholds evenly
    spaced in [0, 1] (plus one below 0 and one above 1), summed over the epoch. ROC uses the
    trapezoid rule (`summation_method="interpolation"`); PR interpolates precision between
    thresholds (Davis and Goadrich); "minoring" and "majoring" take the lower or upper rectangles."""
    default_name = "auc"

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None, dtype=None,
                 thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False):
        curve, summation_method = str(curve).upper(), str(summation_method).lower()
        if curve not in ("ROC", "PR"):
            raise ArgumentError(f"AUC: curve must be 'ROC' or 'PR', got {curve!r}")
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ArgumentError(f"AUC: summation_method must be 'interpolation', 'minoring' or 'majoring', "
                                f"got {summation_method!r}")
        if multi_label or label_weights is not None:
            raise ArgumentError("AUC: multi_label and label_weights are not supported by ember yet")
        if thresholds is not None:
            inner = sorted(float(t) for t in thresholds)
            num_thresholds = len(inner) + 2
        else:
            if num_thresholds <= 1:
                raise ArgumentError(f"AUC: num_thresholds must be > 1, got {num_thresholds}")
            inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self.num_thresholds, self.curve, self.summation_method = num_thresholds, curve, summation_method
        self.from_logits, self._init_thresholds = from_logits, thresholds
        self.thresholds = np.array([0.0 - EPSILON] + inner + [1.0 + EPSILON])
        super().__init__(name)

    def reset_state(self):
        zeros = np.zeros(self.num_thresholds)
        self.true_positives, self.false_positives = zeros.copy(), zeros.copy()
        self.true_negatives, self.false_negatives = zeros.copy(), zeros.copy()

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = _array(y_pred).astype(np.float64)
        if self.from_logits:
            y_pred = 1 / (1 + np.exp(-y_pred))
        tp, fp, tn, fn = confusion_counts(y_true, y_pred, self.thresholds, sample_weight)
        self.true_positives += tp
        self.false_positives += fp
        self.true_negatives += tn
        self.false_negatives += fn

    def _interpolate_pr_auc(self):
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _divide_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        ratio = np.where((p[:-1] > 0) & (p[1:] > 0), _divide_no_nan(p[:-1], np.maximum(p[1:], 0)), 1.0)
        increments = _divide_no_nan(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0))
        return float(increments.sum())

    def result(self):
        tp, fp, tn, fn = self.true_positives, self.false_positives, self.true_negatives, self.false_negatives
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc()
        recall = _divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), recall
        else:
            x, y = recall, _divide_no_nan(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return float(((x[:-1] - x[1:]) * heights).sum())

    def get_config(self):
        return {"num_thresholds": self.num_thresholds, "curve": self.curve,
                "summation_method": self.summation_method, "name": self.name, "thresholds": self._init_thresholds,
                "from_logits": self.from_logits}


# -- lookup ---------------------------------------------------------------------------------------
def _snake(name):
    out = ""
    for i, ch in enumerate(name):
        if ch.isupper() and i and (not name[i - 1].isupper() or (i + 1 < len(name) and name[i + 1].islower())):
            out += "_"
        out += ch.lower()
    return out


CLASSES = [Mean, Sum, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
           TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, Precision, Recall, AUC, MeanSquaredError,
           MeanAbsoluteError, RootMeanSquaredError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
           BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, KLDivergence, Poisson, Hinge,
           SquaredHinge, CategoricalHinge, LogCoshError, CosineSimilarity]

# Keras's names: each class name, its snake_case form, and the aliases Keras adds.
METRICS = {**{c.__name__: c for c in CLASSES}, **{_snake(c.__name__): c for c in CLASSES},
           "acc": Accuracy, "mse": MeanSquaredError, "MSE": MeanSquaredError, "mae": MeanAbsoluteError,
           "MAE": MeanAbsoluteError, "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,
           "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError, "bce": BinaryCrossentropy,
           "BCE": BinaryCrossentropy, "kld": KLDivergence, "KLD": KLDivergence, "logcosh": LogCoshError,
           "log_cosh": LogCoshError}


def get(identifier):
    """A fresh metric for a Keras name (named as given, as Keras logs it), a `Metric` (returned as
    is), a config dict `{"class_name": ..., "config": ...}`, or a function `fn(y_true, y_pred)` of
    NumPy arrays returning per-sample values (averaged over the epoch)."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str) and identifier in METRICS:
        return METRICS[identifier](name=identifier)
    if isinstance(identifier, dict) and identifier.get("class_name") in METRICS:
        return METRICS[identifier["class_name"]].from_config(dict(identifier.get("config") or {}))
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier) and not isinstance(identifier, (str, dict)):
        return MeanMetricWrapper(_numpy_values(identifier), name=getattr(identifier, "__name__", None))
    known = sorted(n for n in METRICS if n.islower())
    raise ArgumentError(f"compile: unknown metric {identifier!r}; known names: {', '.join(known)} "
                        "(or pass a keras.metrics.Metric or a function of (y_true, y_pred))")


def _numpy_values(fn):
    """`fn`'s values as a NumPy array, whether it returns an array or an ember tensor."""
    def values(y_true, y_pred):
        return _array(fn(y_true, y_pred))
    values.__name__ = getattr(fn, "__name__", "metric")
    return values
