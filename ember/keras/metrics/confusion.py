"""Metrics from confusion counts kept over the epoch: `Precision`, `Recall`, `AUC` (ROC or PR)."""
import numpy as np

from ember.errors import ArgumentError
from ember.keras.metrics.base import EPSILON, Metric, _array, _same_rank, _weights

__all__ = ["Precision", "Recall", "AUC", "TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives",
           "confusion_counts"]


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
            y_pred = np.exp(-np.logaddexp(0.0, -y_pred))  # the sigmoid, without overflow for large |logits|
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
        with np.errstate(divide="ignore"):  # log(0) where a bucket is empty: _divide_no_nan drops it, as Keras
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


class _Count(Metric):
    """One confusion count (weighted) over the epoch at `thresholds` (default 0.5): a float, or a list
    with one count per threshold when `thresholds` is a list."""
    which = None  # the index in confusion_counts' (tp, fp, tn, fn)

    def __init__(self, thresholds=None, name=None, dtype=None):
        self.init_thresholds = thresholds
        self._single = thresholds is None or np.ndim(thresholds) == 0
        self.thresholds = np.atleast_1d(np.asarray(0.5 if thresholds is None else thresholds, np.float64))
        super().__init__(name)

    def reset_state(self):
        self.accumulator = np.zeros(len(self.thresholds))

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.accumulator += confusion_counts(y_true, y_pred, self.thresholds, sample_weight)[self.which]

    def result(self):
        return _scalar_or_list(self.accumulator, self._single)

    def get_config(self):
        return {"thresholds": self.init_thresholds, "name": self.name}


class TruePositives(_Count):
    """The (weighted) number of positives predicted above the threshold.

        >>> m = keras.metrics.TruePositives()
        >>> m.update_state([0, 1, 1, 1], [1, 0, 1, 1]); m.result()
        2.0
    """
    default_name, which = "true_positives", 0


class FalsePositives(_Count):
    """The (weighted) number of negatives predicted above the threshold."""
    default_name, which = "false_positives", 1


class TrueNegatives(_Count):
    """The (weighted) number of negatives predicted at or below the threshold."""
    default_name, which = "true_negatives", 2


class FalseNegatives(_Count):
    """The (weighted) number of positives predicted at or below the threshold."""
    default_name, which = "false_negatives", 3
