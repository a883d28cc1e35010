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
from ember.errors import ArgumentError
from ember.keras.losses import (binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy,
                                categorical_focal_crossentropy, categorical_hinge, hinge, huber, kl_divergence,
                                log_cosh, mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
                                mean_squared_logarithmic_error, poisson, sparse_categorical_crossentropy,
                                squared_hinge)
from ember.keras.metrics.base import Mean, MeanMetricWrapper, Metric, Sum, _array
from ember.keras.metrics.confusion import (AUC, FalseNegatives, FalsePositives, Precision, Recall, TrueNegatives,
                                           TruePositives)
from ember.keras.metrics.more import (BinaryIoU, ConcordanceCorrelation, F1Score, FBetaScore, IoU, MeanIoU, OneHotIoU,
                                      OneHotMeanIoU, PearsonCorrelation, PrecisionAtRecall, R2Score,
                                      RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity,
                                      concordance_correlation, pearson_correlation)
from ember.keras.metrics.mean import (binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
                                      sparse_top_k_categorical_accuracy, top_k_categorical_accuracy)
from ember.keras.metrics.mean import (Accuracy, AutoAccuracy, BinaryAccuracy, BinaryCrossentropy, CategoricalAccuracy,
                                      CategoricalCrossentropy, CategoricalHinge, CosineSimilarity, Hinge,
                                      KLDivergence, LogCoshError, MeanAbsoluteError, MeanAbsolutePercentageError,
                                      MeanSquaredError, MeanSquaredLogarithmicError, Poisson, RootMeanSquaredError,
                                      SparseCategoricalAccuracy, SparseCategoricalCrossentropy,
                                      SparseTopKCategoricalAccuracy, SquaredHinge, TopKCategoricalAccuracy)

__all__ = ["Metric", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy",
           "SparseCategoricalAccuracy", "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "Precision",
           "Recall", "AUC", "TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives",
           "MeanSquaredError", "MeanAbsoluteError", "RootMeanSquaredError",
           "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "BinaryCrossentropy",
           "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "KLDivergence", "Poisson", "Hinge",
           "SquaredHinge", "CategoricalHinge", "LogCoshError", "CosineSimilarity", "get",
           # Keras's metric functions: one value per sample (the loss functions among them are the same functions)
           "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy", "top_k_categorical_accuracy",
           "sparse_top_k_categorical_accuracy", "binary_crossentropy", "categorical_crossentropy",
           "sparse_categorical_crossentropy", "hinge", "squared_hinge", "categorical_hinge", "huber", "kl_divergence",
           "log_cosh", "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
           "mean_squared_logarithmic_error", "poisson", "binary_focal_crossentropy", "categorical_focal_crossentropy",
           "pearson_correlation", "concordance_correlation", "serialize", "deserialize"]
__all__ += ["BinaryIoU", "ConcordanceCorrelation", "F1Score", "FBetaScore", "IoU", "MeanIoU", "OneHotIoU",
            "OneHotMeanIoU", "PearsonCorrelation", "PrecisionAtRecall", "R2Score", "RecallAtPrecision",
            "SensitivityAtSpecificity", "SpecificityAtSensitivity"]


# -- lookup ---------------------------------------------------------------------------------------
def _snake(name):
    out = ""
    for i, ch in enumerate(name):
        if ch.isupper() and i and (not name[i - 1].isupper() or (i + 1 < len(name) and name[i + 1].islower())):
            out += "_"
        out += ch.lower()
    return out


CLASSES = [Mean, Sum, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
           TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, Precision, Recall, AUC, TruePositives,
           FalsePositives, TrueNegatives, FalseNegatives, MeanSquaredError,
           MeanAbsoluteError, RootMeanSquaredError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
           BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, KLDivergence, Poisson, Hinge,
           SquaredHinge, CategoricalHinge, LogCoshError, CosineSimilarity, BinaryIoU, ConcordanceCorrelation, F1Score,
           FBetaScore, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU, PearsonCorrelation, PrecisionAtRecall, R2Score,
           RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity]

# Keras's names: each class name, its snake_case form, and the aliases Keras adds.
METRICS = {**{c.__name__: c for c in CLASSES}, **{_snake(c.__name__): c for c in CLASSES},
           "accuracy": AutoAccuracy, "acc": AutoAccuracy,
           "mse": MeanSquaredError, "MSE": MeanSquaredError, "mae": MeanAbsoluteError,
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


def serialize(metric):
    """`{"class_name", "config"}` of a metric, read back by `deserialize` (and by `get`)."""
    return {"module": "keras.metrics", "class_name": type(metric).__name__, "config": metric.get_config(),
            "registered_name": None}


def deserialize(config, custom_objects=None):
    """The metric for a dict from `serialize` (Keras's own serialized metrics included)."""
    name = config.get("class_name") if isinstance(config, dict) else None
    if name not in METRICS:
        raise ArgumentError(f"metrics.deserialize: unknown metric class {name!r}")
    settings = {k: v for k, v in (config.get("config") or {}).items() if k != "dtype"}
    return METRICS[name].from_config(settings)
