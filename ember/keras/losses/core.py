"""Keras's common losses, as classes and as functions, computed as Keras computes them, and the
lookup by name (`get`, `serialize`, `deserialize`) over every loss of `keras.losses`.

A function (`keras.losses.mean_squared_error(y_true, y_pred)`) gives one value per sample (the
last axis reduced). A `Loss` object reduces those values: `loss(y_true, y_pred, sample_weight=None)`
multiplies them by `sample_weight` and, with Keras's default `reduction="sum_over_batch_size"`,
sums and divides by the number of values; `"sum"` only sums, `"none"` keeps them.
`loss.call(y_true, y_pred)` (Keras's name) and `loss.per_sample(y_true, y_pred)` (which also
accepts NumPy arrays) give the unreduced values. `y_pred` holds probabilities unless
`from_logits=True`; probabilities are clipped to [1e-7, 1 - 1e-7] before a log.

    >>> loss = keras.losses.get("sparse_categorical_crossentropy")
    >>> round(loss(ember.tensor([1]), ember.tensor([[0.25, 0.75]])).item(), 4)
    0.2877
    >>> keras.losses.mean_squared_error(np.array([[0., 1.]]), np.array([[1., 1.]]))
    tensor([0.5], dtype=ember.float64)
"""
import math

import numpy as np

from ember.autograd import Tensor
from ember.errors import ArgumentError, ShapeError
from ember.nn import functional as F
from ember.ops.binary import maximum, where
from ember.ops.creation import as_tensor
from ember.ops.unary import clamp, log
from ember.keras.numerics import quietly

__all__ = ["Loss", "LossFunctionWrapper", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
           "BinaryCrossentropy", "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
           "MeanSquaredLogarithmicError", "Huber", "LogCosh", "KLDivergence", "CosineSimilarity", "Hinge",
           "SquaredHinge", "CategoricalHinge", "Poisson", "categorical_crossentropy",
           "sparse_categorical_crossentropy", "binary_crossentropy", "mean_squared_error", "mean_absolute_error",
           "mean_absolute_percentage_error", "mean_squared_logarithmic_error", "huber", "log_cosh",
           "kl_divergence", "cosine_similarity", "hinge", "squared_hinge", "categorical_hinge", "poisson",
           "get", "serialize", "deserialize"]

EPSILON = 1e-7
REDUCTIONS = ("sum_over_batch_size", "sum", "none", "mean", "mean_with_sample_weight")


# -- inputs ---------------------------------------------------------------------------------------
def _tensor(x):
    return x if isinstance(x, Tensor) else as_tensor(np.asarray(x))


def _inputs(y_true, y_pred):
    """Tensors, y_pred floating point, y_true of y_pred's dtype."""
    y_pred = _tensor(y_pred)
    if not y_pred.dtype.is_floating_point or y_pred.dtype.itemsize < 4:  # half precision too: losses
        y_pred = y_pred.float()                                          # run in float32, as Keras's do
    return _tensor(y_true).to(y_pred.dtype), y_pred


def _same_rank(y_true, y_pred):
    """Keras accepts targets of shape (batch,) for outputs of shape (batch, 1), and the reverse."""
    if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
        return y_true.unsqueeze(-1)
    if y_pred.ndim == y_true.ndim - 1 and y_true.shape[-1] == 1:
        return y_true.squeeze(-1)
    return y_true


def _same_shape(name, y_true, y_pred, hint=None):
    y_true = _same_rank(y_true, y_pred)
    if tuple(y_true.shape) != tuple(y_pred.shape):
        if hint is None and tuple(y_true.shape) == tuple(y_pred.shape[:-1]):
            hint = "; for integer class labels use 'sparse_categorical_crossentropy'"
        raise ShapeError(f"{name}: targets of shape {tuple(y_true.shape)} do not fit outputs of shape "
                         f"{tuple(y_pred.shape)}: they must have the same shape{hint or ''}")
    return y_true


def _pair(name, y_true, y_pred, hint=None):
    y_true, y_pred = _inputs(y_true, y_pred)
    return _same_shape(name, y_true, y_pred, hint), y_pred


def _clip(p):
    return clamp(p, EPSILON, 1 - EPSILON)


# -- the functions: one value per sample ----------------------------------------------------------
def mean_squared_error(y_true, y_pred):
    """`mean(square(y_true - y_pred), axis=-1)`."""
    y_true, y_pred = _pair("mean_squared_error", y_true, y_pred)
    return ((y_true - y_pred) ** 2).mean(-1)


def mean_absolute_error(y_true, y_pred):
    """`mean(abs(y_true - y_pred), axis=-1)`."""
    y_true, y_pred = _pair("mean_absolute_error", y_true, y_pred)
    return (y_true - y_pred).abs().mean(-1)


@quietly
def mean_absolute_percentage_error(y_true, y_pred):
    """`100 * mean(abs((y_true - y_pred) / max(abs(y_true), 1e-7)), axis=-1)`."""
    y_true, y_pred = _pair("mean_absolute_percentage_error", y_true, y_pred)
    return 100 * ((y_true - y_pred) / maximum(y_true.abs(), EPSILON)).abs().mean(-1)


@quietly
def mean_squared_logarithmic_error(y_true, y_pred):
    """`mean(square(log(max(y_pred, 1e-7) + 1) - log(max(y_true, 1e-7) + 1)), axis=-1)`."""
    y_true, y_pred = _pair("mean_squared_logarithmic_error", y_true, y_pred)
    return ((maximum(y_pred, EPSILON) + 1).log() - (maximum(y_true, EPSILON) + 1).log()).square().mean(-1)


def huber(y_true, y_pred, delta=1.0):
    """`mean(0.5 * e**2 if |e| <= delta else delta * |e| - 0.5 * delta**2, axis=-1)`, `e = y_pred - y_true`."""
    y_true, y_pred = _pair("huber", y_true, y_pred)
    error = y_pred - y_true
    abs_error = error.abs()
    return where(abs_error <= delta, 0.5 * error * error, delta * abs_error - 0.5 * delta * delta).mean(-1)


@quietly
def log_cosh(y_true, y_pred):
    """`mean(log(cosh(y_pred - y_true)), axis=-1)`, computed without overflow."""
    y_true, y_pred = _pair("log_cosh", y_true, y_pred)
    x = y_pred - y_true
    return (x + F.softplus(-2.0 * x) - math.log(2.0)).mean(-1)


@quietly
def kl_divergence(y_true, y_pred):
    """`sum(t * log(t / p), axis=-1)` with both clipped to [1e-7, 1]."""
    y_true, y_pred = _pair("kl_divergence", y_true, y_pred)
    t, p = clamp(y_true, EPSILON, 1.0), clamp(y_pred, EPSILON, 1.0)
    return (t * log(t / p)).sum(-1)


@quietly
def poisson(y_true, y_pred):
    """`mean(y_pred - y_true * log(y_pred + 1e-7), axis=-1)`."""
    y_true, y_pred = _pair("poisson", y_true, y_pred)
    return (y_pred - y_true * log(y_pred + EPSILON)).mean(-1)


def _l2_normalize(x, axis):
    return x / maximum((x * x).sum(axis, keepdim=True).sqrt(), EPSILON)


def cosine_similarity(y_true, y_pred, axis=-1):
    """`-sum(l2_normalize(y_true) * l2_normalize(y_pred), axis)`: -1 for vectors that point the same way."""
    y_true, y_pred = _pair("cosine_similarity", y_true, y_pred)
    return -(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis)).sum(axis)


def _signed_labels(y_true):
    """Keras's hinge losses take -1/1 labels; 0/1 labels are mapped to them."""
    is_binary = ((y_true == 0) | (y_true == 1)).all()
    return where(is_binary, 2 * y_true - 1, y_true)


def hinge(y_true, y_pred):
    """`mean(max(1 - y_true * y_pred, 0), axis=-1)` with labels -1/1 (0/1 are mapped to -1/1)."""
    y_true, y_pred = _pair("hinge", y_true, y_pred)
    return (1 - _signed_labels(y_true) * y_pred).relu().mean(-1)


def squared_hinge(y_true, y_pred):
    """`mean(square(max(1 - y_true * y_pred, 0)), axis=-1)` with labels -1/1 (0/1 are mapped)."""
    y_true, y_pred = _pair("squared_hinge", y_true, y_pred)
    return (1 - _signed_labels(y_true) * y_pred).relu().square().mean(-1)


def categorical_hinge(y_true, y_pred):
    """`max(neg - pos + 1, 0)`, `pos = sum(y_true * y_pred)`, `neg = max((1 - y_true) * y_pred)` (last axis)."""
    y_true, y_pred = _pair("categorical_hinge", y_true, y_pred)
    pos = (y_true * y_pred).sum(-1)
    neg = ((1 - y_true) * y_pred).amax(-1)
    return (neg - pos + 1).relu()


@quietly
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """`mean(-(t * log(p) + (1 - t) * log(1 - p)), axis)`; `t` smoothed toward 0.5 by `label_smoothing`."""
    y_true, y_pred = _pair("binary_crossentropy", y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        elementwise = F.binary_cross_entropy_with_logits(y_pred, y_true, reduction="none")
    else:
        p = _clip(y_pred)
        elementwise = -(y_true * log(p) + (1 - y_true) * log(1 - p))
    return elementwise.mean(axis)


@quietly
def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """`-sum(t * log(p), axis)` of one-hot (or soft) targets; `p` is rescaled to sum to one, then clipped."""
    y_true, y_pred = _pair("categorical_crossentropy", y_true, y_pred,
                           None if _tensor(y_true).ndim >= _tensor(y_pred).ndim else
                           "; for integer class labels use 'sparse_categorical_crossentropy'")
    if label_smoothing:
        y_true = y_true * (1 - label_smoothing) + label_smoothing / y_pred.shape[axis]
    if from_logits:
        logp = F.log_softmax(y_pred, dim=axis)
    else:
        logp = log(_clip(y_pred / y_pred.sum(axis, keepdim=True)))
    return -(y_true * logp).sum(axis)


@quietly
def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1):
    """Cross-entropy of integer labels of shape (batch, ...) against scores of shape (batch, ..., classes)."""
    y_pred = _tensor(y_pred)
    if not y_pred.dtype.is_floating_point:
        y_pred = y_pred.float()
    y_true = _tensor(y_true)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
    if axis not in (-1, y_pred.ndim - 1):
        raise ArgumentError(f"sparse_categorical_crossentropy: only axis=-1 is supported, got axis={axis}")
    if tuple(y_true.shape) != tuple(y_pred.shape[:-1]):
        hint = ("; for one-hot targets use 'categorical_crossentropy'"
                if tuple(y_true.shape) == tuple(y_pred.shape) else "")
        raise ShapeError(f"sparse_categorical_crossentropy: targets of shape {tuple(y_true.shape)} do not fit "
                         f"outputs of shape {tuple(y_pred.shape)}: expected integer class labels of shape "
                         f"{tuple(y_pred.shape[:-1])}{hint}")
    labels = y_true.long()
    classes = y_pred.shape[-1]
    if labels.numel() and (labels.min().item() < 0 or labels.max().item() >= classes):
        raise ArgumentError(f"sparse_categorical_crossentropy: labels must be class indices in [0, {classes}) for "
                            f"outputs of shape {tuple(y_pred.shape)}, got labels from {labels.min().item()} to "
                            f"{labels.max().item()}; does the last layer have one unit per class?")
    if from_logits:
        logp = F.log_softmax(y_pred, dim=-1)
    else:
        logp = log(_clip(y_pred / y_pred.sum(-1, keepdim=True)))
    return -logp.gather(-1, labels.unsqueeze(-1)).squeeze(-1)


# -- reduction ------------------------------------------------------------------------------------
def _masked_weights(values, sample_weight, mask, reduction):
    """Keras's `apply_mask`: the mask becomes sample weights (scaled by total / valid for the mean
    reductions, so the mean runs over the unmasked values), times `sample_weight` if given."""
    m = _tensor(mask).to(values.dtype)
    if m.ndim == values.ndim + 1 and m.shape[-1] == 1:
        m = m.squeeze(-1)
    if reduction in ("mean", "sum_over_batch_size"):
        valid = float(m.sum())
        m = m * (m.numel() / valid if valid else 0.0)
    if sample_weight is None:
        return m
    w = _tensor(sample_weight).to(values.dtype)
    if w.ndim == m.ndim + 1 and w.shape[-1] == 1:
        w = w.squeeze(-1)
    return m * w.reshape(tuple(w.shape) + (1,) * (m.ndim - w.ndim)) if w.ndim <= m.ndim else m.reshape(
        tuple(m.shape) + (1,) * (w.ndim - m.ndim)) * w


def reduce_weighted_values(values, sample_weight=None, reduction="sum_over_batch_size", name="loss", mask=None):
    """Multiply the per-sample `values` by `sample_weight` (and a Keras `mask`, as Keras: masked-out
    values weigh 0 and the mean runs over the rest), then reduce them as `reduction` says."""
    if mask is not None:
        sample_weight = _masked_weights(values, sample_weight, mask, reduction)
    weights = None
    if sample_weight is not None:
        weights = _tensor(sample_weight).to(values.dtype)
        if weights.ndim == values.ndim + 1 and weights.shape[-1] == 1:
            weights = weights.squeeze(-1)
        lead = tuple(values.shape[:weights.ndim])
        if weights.ndim > values.ndim or (tuple(weights.shape) != lead and weights.numel() != 1):
            raise ShapeError(f"{name}: sample_weight of shape {tuple(weights.shape)} does not fit the per-sample "
                             f"losses of shape {tuple(values.shape)}: give one weight per sample")
        weights = weights.reshape(tuple(weights.shape) + (1,) * (values.ndim - weights.ndim))
        values = values * weights
    if reduction == "none" or values.ndim == 0:
        return values
    total = values.sum()
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and weights is not None:
        return total / _tensor(sample_weight).to(values.dtype).sum()
    return total / max(values.numel(), 1)


def _check_reduction(name, reduction):
    if reduction not in REDUCTIONS:
        raise ArgumentError(f"{name}: unknown reduction {reduction!r}; use one of {', '.join(REDUCTIONS)}")


# -- the classes ----------------------------------------------------------------------------------
class Loss:
    """Base class: `loss(y_true, y_pred, sample_weight=None)` reduces the values of `call`."""

    def __init__(self, name=None, reduction="sum_over_batch_size"):
        self.name = name or type(self).__name__.lower()
        _check_reduction(self.name, reduction)
        self.reduction = reduction

    @quietly
    def __call__(self, y_true, y_pred, sample_weight=None):
        in_mask = getattr(y_pred, "_keras_mask", None)  # a masked sequence output: padded steps do not count
        values = self.per_sample(y_true, y_pred)
        out_mask = getattr(values, "_keras_mask", None)  # a loss may mask its own values (circle)
        mask = in_mask if out_mask is None else out_mask if in_mask is None else in_mask.bool() & out_mask.bool()
        return reduce_weighted_values(values, sample_weight, self.reduction, self.name, mask=mask)

    def per_sample(self, y_true, y_pred):
        """The unreduced values (tensors or NumPy arrays in, a tensor out); `y_true` is cast to the
        dtype of `y_pred` first, as Keras does."""
        y_true, y_pred = _inputs(y_true, y_pred)
        return self.call(y_true, y_pred)

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__} must define call(y_true, y_pred)")

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.get_config().items())})"


class LossFunctionWrapper(Loss):
    """A `Loss` around `fn(y_true, y_pred, **kwargs)` returning per-sample values."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, **kwargs):
        super().__init__(name or getattr(fn, "__name__", "loss"), reduction)
        self.fn, self._fn_kwargs = fn, kwargs
        for key, value in kwargs.items():  # Keras's arguments readable as attributes: loss.from_logits
            setattr(self, key, value)

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        return {**super().get_config(), **self._fn_kwargs}


class CategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy of one-hot (or soft) targets against class scores, both (batch, ..., classes)."""

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="categorical_crossentropy"):
        super().__init__(categorical_crossentropy, reduction, name, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy of integer labels (batch, ...) against class scores (batch, ..., classes)."""

    def __init__(self, from_logits=False, reduction="sum_over_batch_size", name="sparse_categorical_crossentropy"):
        super().__init__(sparse_categorical_crossentropy, reduction, name, from_logits=from_logits)


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary cross-entropy of 0/1 targets against probabilities (or logits), averaged over `axis`."""

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_crossentropy"):
        super().__init__(binary_crossentropy, reduction, name, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class MeanSquaredError(LossFunctionWrapper):
    """`mean(square(y_true - y_pred), axis=-1)`, reduced."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error"):
        super().__init__(mean_squared_error, reduction, name)


class MeanAbsoluteError(LossFunctionWrapper):
    """`mean(abs(y_true - y_pred), axis=-1)`, reduced."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error"):
        super().__init__(mean_absolute_error, reduction, name)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """`100 * mean(abs((y_true - y_pred) / y_true), axis=-1)`, reduced."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error"):
        super().__init__(mean_absolute_percentage_error, reduction, name)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """`mean(square(log(y_pred + 1) - log(y_true + 1)), axis=-1)`, reduced."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error"):
        super().__init__(mean_squared_logarithmic_error, reduction, name)


class Huber(LossFunctionWrapper):
    """Huber loss: quadratic for errors up to `delta`, linear beyond."""

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss"):
        super().__init__(huber, reduction, name, delta=delta)


class LogCosh(LossFunctionWrapper):
    """`mean(log(cosh(y_pred - y_true)), axis=-1)`, reduced."""

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh"):
        super().__init__(log_cosh, reduction, name)


class KLDivergence(LossFunctionWrapper):
    """Kullback-Leibler divergence `sum(y_true * log(y_true / y_pred), axis=-1)`, reduced."""

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence"):
        super().__init__(kl_divergence, reduction, name)


class CosineSimilarity(LossFunctionWrapper):
    """Negative cosine similarity along `axis` (-1 when aligned), reduced."""

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity"):
        super().__init__(cosine_similarity, reduction, name, axis=axis)


class Hinge(LossFunctionWrapper):
    """`mean(max(1 - y_true * y_pred, 0), axis=-1)`, reduced."""

    def __init__(self, reduction="sum_over_batch_size", name="hinge"):
        super().__init__(hinge, reduction, name)


class SquaredHinge(LossFunctionWrapper):
    """`mean(square(max(1 - y_true * y_pred, 0)), axis=-1)`, reduced."""

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge"):
        super().__init__(squared_hinge, reduction, name)


class CategoricalHinge(LossFunctionWrapper):
    """`max(neg - pos + 1, 0)` of one-hot targets, reduced."""

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge"):
        super().__init__(categorical_hinge, reduction, name)


class Poisson(LossFunctionWrapper):
    """`mean(y_pred - y_true * log(y_pred + 1e-7), axis=-1)`, reduced."""

    def __init__(self, reduction="sum_over_batch_size", name="poisson"):
        super().__init__(poisson, reduction, name)


# -- lookup ---------------------------------------------------------------------------------------
CLASSES = {c.__name__: c for c in (
    CategoricalCrossentropy, SparseCategoricalCrossentropy, BinaryCrossentropy, MeanSquaredError,
    MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError, Huber, LogCosh, KLDivergence,
    CosineSimilarity, Hinge, SquaredHinge, CategoricalHinge, Poisson)}

# Keras's names for its loss functions, and their aliases, each mapped to the class computing it.
LOSSES = {
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy, "bce": BinaryCrossentropy, "BCE": BinaryCrossentropy,
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError, "MSE": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError, "mape": MeanAbsolutePercentageError,
    "MAPE": MeanAbsolutePercentageError,
    "mean_squared_logarithmic_error": MeanSquaredLogarithmicError, "msle": MeanSquaredLogarithmicError,
    "MSLE": MeanSquaredLogarithmicError,
    "huber": Huber, "huber_loss": Huber, "log_cosh": LogCosh, "logcosh": LogCosh,
    "kl_divergence": KLDivergence, "kld": KLDivergence, "KLD": KLDivergence,
    "kullback_leibler_divergence": KLDivergence,
    "cosine_similarity": CosineSimilarity, "hinge": Hinge, "squared_hinge": SquaredHinge,
    "categorical_hinge": CategoricalHinge, "poisson": Poisson,
    **CLASSES,
}

FUNCTIONS = {"categorical_crossentropy": categorical_crossentropy,
             "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
             "binary_crossentropy": binary_crossentropy, "mean_squared_error": mean_squared_error,
             "mean_absolute_error": mean_absolute_error,
             "mean_absolute_percentage_error": mean_absolute_percentage_error,
             "mean_squared_logarithmic_error": mean_squared_logarithmic_error, "huber": huber,
             "log_cosh": log_cosh, "kl_divergence": kl_divergence, "cosine_similarity": cosine_similarity,
             "hinge": hinge, "squared_hinge": squared_hinge, "categorical_hinge": categorical_hinge,
             "poisson": poisson}


def serialize(loss):
    """`{"class_name": ..., "config": ...}` for a built-in `Loss`, as Keras serializes it."""
    return {"class_name": type(loss).__name__, "config": loss.get_config()}


def deserialize(config):
    """The `Loss` for a dict from `serialize`."""
    name = config.get("class_name") if isinstance(config, dict) else None
    if name not in CLASSES:
        raise ArgumentError(f"losses.deserialize: unknown loss class {name!r}; known classes: "
                            f"{', '.join(sorted(CLASSES))}")
    return CLASSES[name].from_config(dict(config.get("config") or {}))


def get(identifier):
    """The `Loss` for a Keras name (`"mse"`), a `Loss` (returned as is), a config dict from
    `serialize`, or a callable `fn(y_true, y_pred)` returning per-sample values (wrapped so that it
    reduces like a Keras loss)."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        if identifier not in LOSSES:
            known = sorted(n for n in LOSSES if n.islower())
            raise ArgumentError(f"compile: unknown loss {identifier!r}; known names: {', '.join(known)} "
                                "(or pass a keras.losses.Loss or a function of (y_true, y_pred))")
        return LOSSES[identifier]()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        return LossFunctionWrapper(identifier)
    raise ArgumentError(f"compile: loss must be a name, a keras.losses.Loss, a config dict or a callable, "
                        f"got {type(identifier).__name__}")
