"""More of Keras's metrics, kept over the epoch as Keras keeps them: the constrained operating points
(`PrecisionAtRecall`, `RecallAtPrecision`, `SensitivityAtSpecificity`, `SpecificityAtSensitivity`:
confusion counts at `num_thresholds` thresholds), `F1Score`/`FBetaScore`, `R2Score`, the IoU family
(a confusion matrix over classes) and the correlations (`PearsonCorrelation`, `ConcordanceCorrelation`:
means of per-sample values).

    >>> m = keras.metrics.MeanIoU(num_classes=2)
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> m.result()
    0.3333333333333333
"""
import numpy as np

from ember.errors import ArgumentError
from ember.keras.metrics.base import EPSILON, MeanMetricWrapper, Metric, _array, _same_rank, _weights
from ember.keras.metrics.confusion import _divide_no_nan, confusion_counts

__all__ = ["PrecisionAtRecall", "RecallAtPrecision", "SensitivityAtSpecificity", "SpecificityAtSensitivity",
           "FBetaScore", "F1Score", "R2Score", "IoU", "MeanIoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU",
           "PearsonCorrelation", "ConcordanceCorrelation", "pearson_correlation", "concordance_correlation"]


# -- operating points under a constraint ----------------------------------------------------------
class _AtConstraint(Metric):
    """Confusion counts at `num_thresholds` evenly spaced thresholds in [0, 1]; `result` is the best
    `dependent` value among the thresholds where `constrained >= value`."""
    argument = "value"

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        if not 0 <= value <= 1:
            raise ArgumentError(f"{type(self).__name__}: {self.argument} must be in [0, 1], got {value!r}")
        if num_thresholds <= 0:
            raise ArgumentError(f"{type(self).__name__}: num_thresholds must be > 0, got {num_thresholds!r}")
        self.value, self.num_thresholds, self.class_id = float(value), int(num_thresholds), class_id
        self.thresholds = np.array([0.5]) if num_thresholds == 1 else np.array(
            [0.0] + [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)] + [1.0])
        super().__init__(name)

    def reset_state(self):
        size = len(self.thresholds)
        self.tp, self.fp, self.tn, self.fn = (np.zeros(size) for _ in range(4))

    def update_state(self, y_true, y_pred, sample_weight=None):
        tp, fp, tn, fn = confusion_counts(y_true, y_pred, self.thresholds, sample_weight, None, self.class_id)
        self.tp, self.fp, self.tn, self.fn = self.tp + tp, self.fp + fp, self.tn + tn, self.fn + fn

    def rates(self):
        return {"recall": _divide_no_nan(self.tp, self.tp + self.fn),
                "precision": _divide_no_nan(self.tp, self.tp + self.fp),
                "specificity": _divide_no_nan(self.tn, self.tn + self.fp)}

    def result(self):
        r = self.rates()
        constrained, dependent = r[self.constrained], r[self.dependent]
        return float(np.max(np.where(constrained >= self.value, dependent, 0.0), initial=0.0))

    def get_config(self):
        return {"name": self.name, self.argument: self.value, "num_thresholds": self.num_thresholds,
                "class_id": self.class_id}


class PrecisionAtRecall(_AtConstraint):
    """The best precision among the thresholds where recall >= `recall`."""
    default_name, argument, constrained, dependent = "precision_at_recall", "recall", "recall", "precision"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)


class RecallAtPrecision(_AtConstraint):
    """The best recall among the thresholds where precision >= `precision`."""
    default_name, argument, constrained, dependent = "recall_at_precision", "precision", "precision", "recall"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)


class SensitivityAtSpecificity(_AtConstraint):
    """The best sensitivity (recall) among the thresholds where specificity >= `specificity`."""
    default_name, argument = "sensitivity_at_specificity", "specificity"
    constrained, dependent = "specificity", "recall"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)


class SpecificityAtSensitivity(_AtConstraint):
    """The best specificity among the thresholds where sensitivity (recall) >= `sensitivity`."""
    default_name, argument = "specificity_at_sensitivity", "sensitivity"
    constrained, dependent = "recall", "specificity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)


# -- F-scores -------------------------------------------------------------------------------------
class FBetaScore(Metric):
    """F-beta per class (`average=None`), or averaged: "micro" (pooled counts), "macro", "weighted"
    (by support). Predictions are the row's maximum (`threshold=None`) or those above `threshold`."""
    default_name = "fbeta_score"

    def __init__(self, average=None, beta=1.0, threshold=None, name=None, dtype=None):
        if average not in (None, "micro", "macro", "weighted"):
            raise ArgumentError(f"{type(self).__name__}: average must be None, 'micro', 'macro' or 'weighted', "
                                f"got {average!r}")
        self.average, self.beta, self.threshold = average, float(beta), threshold
        super().__init__(name)

    def reset_state(self):
        self.tp = self.fp = self.fn = self.support = 0.0

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _array(y_true).astype(np.float64), _array(y_pred).astype(np.float64)
        hit = y_pred >= y_pred.max(-1, keepdims=True) if self.threshold is None else y_pred > self.threshold
        hit = hit.astype(np.float64)
        w = 1.0 if sample_weight is None else _array(sample_weight).astype(np.float64).reshape(-1, 1)
        axis = None if self.average == "micro" else 0
        self.tp = self.tp + (hit * y_true * w).sum(axis)
        self.fp = self.fp + (hit * (1 - y_true) * w).sum(axis)
        self.fn = self.fn + ((1 - hit) * y_true * w).sum(axis)
        self.support = self.support + (y_true * w).sum(axis)

    def result(self):
        precision = self.tp / (self.tp + self.fp + EPSILON)
        recall = self.tp / (self.tp + self.fn + EPSILON)
        b2 = self.beta ** 2
        score = (1 + b2) * precision * recall / (b2 * precision + recall + EPSILON)
        if self.average == "weighted":
            score = np.sum(score * self.support / (np.sum(self.support) + EPSILON))
        elif self.average is not None:
            score = np.mean(score)
        return float(score) if np.ndim(score) == 0 else [float(s) for s in score]

    def get_config(self):
        return {"name": self.name, "average": self.average, "beta": self.beta, "threshold": self.threshold}


class F1Score(FBetaScore):
    """F1 (`FBetaScore` with beta 1)."""
    default_name = "f1_score"

    def __init__(self, average=None, threshold=None, name=None, dtype=None):
        super().__init__(average, 1.0, threshold, name, dtype)

    def get_config(self):
        config = super().get_config()
        del config["beta"]
        return config


# -- R^2 ------------------------------------------------------------------------------------------
class R2Score(Metric):
    """The coefficient of determination over the epoch, per output column, then aggregated
    ("uniform_average", "variance_weighted_average" or None); adjusted for `num_regressors`."""
    default_name = "r2_score"

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name=None, dtype=None):
        if class_aggregation not in (None, "uniform_average", "variance_weighted_average"):
            raise ArgumentError(f"R2Score: unknown class_aggregation {class_aggregation!r}")
        self.class_aggregation, self.num_regressors = class_aggregation, int(num_regressors)
        super().__init__(name)

    def reset_state(self):
        self.sum = self.squared_sum = self.total_mse = self.count = 0.0
        self.num_samples = 0

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _array(y_true).astype(np.float64), _array(y_pred).astype(np.float64)
        y_true, y_pred = (y_true[:, None] if y_true.ndim == 1 else y_true), (y_pred[:, None] if y_pred.ndim == 1
                                                                             else y_pred)
        w = _weights(sample_weight, y_true)
        self.sum = self.sum + (y_true * w).sum(0)
        self.squared_sum = self.squared_sum + (y_true * y_true * w).sum(0)
        self.total_mse = self.total_mse + ((y_true - y_pred) ** 2 * w).sum(0)
        self.count = self.count + w.sum(0)
        self.num_samples += y_true.size  # Keras counts values, not rows

    def result(self):
        mean = self.sum / self.count
        total = self.squared_sum - self.sum * mean
        with np.errstate(divide="ignore", invalid="ignore"):
            raw = 1 - self.total_mse / total
        raw = np.where(np.isinf(raw), 0.0, raw)
        if self.class_aggregation == "uniform_average":
            r2 = np.mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            r2 = np.sum(total * raw) / np.sum(total)
        else:
            r2 = raw
        if self.num_regressors:
            n, p = self.num_samples, self.num_regressors
            r2 = 1 - (1 - r2) * (n - 1) / (n - p - 1) if n > p + 1 else r2
        return float(r2) if np.ndim(r2) == 0 else [float(v) for v in r2]

    def get_config(self):
        return {"name": self.name, "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}


# -- intersection over union ----------------------------------------------------------------------
class IoU(Metric):
    """Intersection over union of `target_class_ids`, from a confusion matrix over `num_classes`
    kept over the epoch (`ignore_class` values skipped; one-hot inputs with `sparse_y_*=False`)."""
    default_name = "iou"

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        self.num_classes, self.target_class_ids = int(num_classes), list(target_class_ids)
        self.ignore_class, self.sparse_y_true, self.sparse_y_pred, self.axis = \
            ignore_class, sparse_y_true, sparse_y_pred, axis
        super().__init__(name)

    def reset_state(self):
        self.total_cm = np.zeros((self.num_classes, self.num_classes))

    def _labels(self, y_true, y_pred):
        y_true, y_pred = _array(y_true), _array(y_pred)
        if not self.sparse_y_true:
            y_true = np.argmax(y_true, self.axis)
        if not self.sparse_y_pred:
            y_pred = np.argmax(y_pred, self.axis)
        return y_true, y_pred

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = self._labels(y_true, y_pred)
        t, p = y_true.astype(np.int64).reshape(-1), y_pred.astype(np.int64).reshape(-1)
        w = np.ones(t.shape) if sample_weight is None else np.broadcast_to(
            _array(sample_weight).astype(np.float64).reshape(-1), t.shape)
        if self.ignore_class is not None:
            keep = t != self.ignore_class
            t, p, w = t[keep], p[keep], w[keep]
        np.add.at(self.total_cm, (t, p), w)

    def result(self):
        cm = self.total_cm
        tp = np.diag(cm)
        denominator = (cm.sum(0) + cm.sum(1) - tp)[self.target_class_ids]
        iou = _divide_no_nan(tp[self.target_class_ids], denominator)
        valid = np.count_nonzero(denominator)
        return float(iou.sum() / valid) if valid else 0.0

    def get_config(self):
        return {"name": self.name, "num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class MeanIoU(IoU):
    """The mean IoU over every class."""
    default_name = "mean_iou"

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True, sparse_y_pred=True,
                 axis=-1):
        super().__init__(num_classes, range(num_classes), name, dtype, ignore_class, sparse_y_true, sparse_y_pred,
                         axis)

    def get_config(self):
        config = super().get_config()
        del config["target_class_ids"]
        return config


class BinaryIoU(IoU):
    """IoU of two classes, predictions above `threshold` counted as class 1."""
    default_name = "binary_iou"

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        self.threshold = float(threshold)
        super().__init__(2, target_class_ids, name, dtype)

    def _labels(self, y_true, y_pred):
        return _array(y_true), (_array(y_pred) >= self.threshold).astype(np.int64)

    def get_config(self):
        return {"name": self.name, "target_class_ids": self.target_class_ids, "threshold": self.threshold}


def _one_hot_targets(sparse_y_true, where):
    """Keras writes `sparse_y_true: False` into the one-hot IoUs' configs: read it, refuse True."""
    if sparse_y_true:
        raise ArgumentError(f"{where}: targets are one-hot; use IoU/MeanIoU for integer labels")


class OneHotIoU(IoU):
    """IoU of one-hot targets and class scores."""
    default_name = "one_hot_iou"

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None, sparse_y_pred=False,
                 axis=-1, sparse_y_true=False):
        _one_hot_targets(sparse_y_true, type(self).__name__)
        super().__init__(num_classes, target_class_ids, name, dtype, ignore_class, False, sparse_y_pred, axis)


class OneHotMeanIoU(MeanIoU):
    """Mean IoU of one-hot targets and class scores."""
    default_name = "one_hot_mean_iou"

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1,
                 sparse_y_true=False):
        _one_hot_targets(sparse_y_true, type(self).__name__)
        super().__init__(num_classes, name, dtype, ignore_class, False, sparse_y_pred, axis)


# -- correlations ---------------------------------------------------------------------------------
def pearson_correlation(y_true, y_pred, axis=-1):
    """Pearson's correlation of each sample's targets and predictions along `axis`."""
    y_true, y_pred = _array(y_true).astype(np.float64), _array(y_pred).astype(np.float64)
    y_true = _same_rank(y_true, y_pred)
    t = y_true - y_true.mean(axis, keepdims=True)
    p = y_pred - y_pred.mean(axis, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (t / t.std(axis, keepdims=True) * (p / p.std(axis, keepdims=True))).mean(axis)


def concordance_correlation(y_true, y_pred, axis=-1):
    """Lin's concordance correlation of each sample's targets and predictions, as Keras computes it."""
    y_true, y_pred = _array(y_true).astype(np.float64), _array(y_pred).astype(np.float64)
    y_true = _same_rank(y_true, y_pred)
    t_mean, p_mean = y_true.mean(axis, keepdims=True), y_pred.mean(axis, keepdims=True)
    t_var, p_var = (y_true - t_mean).var(axis, keepdims=True), (y_pred - p_mean).var(axis, keepdims=True)
    covar = (y_true - p_mean) * (y_pred - p_mean)  # Keras centres both on the prediction's mean
    return (2 * covar / (t_var + p_var + (t_mean - p_mean) ** 2 + EPSILON)).mean(axis)


class PearsonCorrelation(MeanMetricWrapper):
    """The mean over samples of `pearson_correlation`."""

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(pearson_correlation, name, dtype, axis=axis)


class ConcordanceCorrelation(MeanMetricWrapper):
    """The mean over samples of `concordance_correlation`."""

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(concordance_correlation, name, dtype, axis=axis)
