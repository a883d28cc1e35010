"""Keras's losses, by name or object, computed as Keras computes them.

`y_pred` holds probabilities unless `from_logits=True` (Keras's default `False`): cross-entropies
clip them to [1e-7, 1 - 1e-7] and take the log. Each loss is averaged over the last axis where
Keras does so (mse, mae, binary cross-entropy) and then over the batch.

    >>> loss = keras.losses.get("sparse_categorical_crossentropy")
    >>> round(loss(ember.tensor([1]), ember.tensor([[0.25, 0.75]])).item(), 4)
    0.2877
"""
from ember.errors import ArgumentError, ShapeError
from ember.nn import functional as F
from ember.ops.unary import clamp, log

__all__ = ["Loss", "SparseCategoricalCrossentropy", "CategoricalCrossentropy", "BinaryCrossentropy",
           "MeanSquaredError", "MeanAbsoluteError", "get"]

EPSILON = 1e-7


def _clipped_log(p):
    return log(clamp(p, EPSILON, 1 - EPSILON))


class Loss:
    """Base class: `loss(y_true, y_pred)` gives the batch's mean loss as a scalar tensor."""
    name = "loss"

    def __call__(self, y_true, y_pred):
        return self.call(y_true, y_pred)

    def call(self, y_true, y_pred):
        raise NotImplementedError

    def get_config(self):
        return {"name": self.name}


class SparseCategoricalCrossentropy(Loss):
    """Cross-entropy of integer labels (batch,) against class scores (batch, classes)."""
    name = "sparse_categorical_crossentropy"

    def __init__(self, from_logits=False):
        self.from_logits = from_logits

    def call(self, y_true, y_pred):
        if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
            y_true = y_true.reshape(tuple(y_true.shape[:-1]))
        if tuple(y_true.shape) != tuple(y_pred.shape[:-1]):
            hint = ("; for one-hot targets use 'categorical_crossentropy'"
                    if tuple(y_true.shape) == tuple(y_pred.shape) else "")
            raise ShapeError(f"{self.name}: targets of shape {tuple(y_true.shape)} do not fit outputs of shape "
                             f"{tuple(y_pred.shape)}: expected integer class labels of shape "
                             f"{tuple(y_pred.shape[:-1])}{hint}")
        classes = y_pred.shape[-1]
        labels = y_true.reshape(-1).long()
        scores = y_pred.reshape(-1, classes)
        if self.from_logits:
            return F.cross_entropy(scores, labels)
        probs = scores / scores.sum(-1, keepdim=True)
        return F.nll_loss(_clipped_log(probs), labels)


class CategoricalCrossentropy(Loss):
    """Cross-entropy of one-hot (or soft) targets against class scores, both (batch, classes)."""
    name = "categorical_crossentropy"

    def __init__(self, from_logits=False, label_smoothing=0.0):
        self.from_logits, self.label_smoothing = from_logits, label_smoothing

    def call(self, y_true, y_pred):
        _same_shape(self.name, y_true, y_pred, "; for integer labels use 'sparse_categorical_crossentropy'")
        y_true = y_true.to(y_pred.dtype)
        if self.label_smoothing:
            y_true = y_true * (1 - self.label_smoothing) + self.label_smoothing / y_pred.shape[-1]
        if self.from_logits:
            logp = F.log_softmax(y_pred, dim=-1)
        else:
            logp = _clipped_log(y_pred / y_pred.sum(-1, keepdim=True))
        return -(y_true * logp).sum(-1).mean()


class BinaryCrossentropy(Loss):
    """Binary cross-entropy of 0/1 targets against probabilities (or logits), averaged over the last axis."""
    name = "binary_crossentropy"

    def __init__(self, from_logits=False):
        self.from_logits = from_logits

    def call(self, y_true, y_pred):
        y_true = _match_rank(y_true, y_pred)
        _same_shape(self.name, y_true, y_pred)
        y_true = y_true.to(y_pred.dtype)
        if self.from_logits:
            elementwise = F.binary_cross_entropy_with_logits(y_pred, y_true, reduction="none")
        else:
            elementwise = -(y_true * _clipped_log(y_pred) + (1 - y_true) * _clipped_log(1 - y_pred))
        return elementwise.mean(-1).mean()


class MeanSquaredError(Loss):
    """mean((y_true - y_pred) ** 2) over the last axis, then over the batch."""
    name = "mean_squared_error"

    def call(self, y_true, y_pred):
        y_true = _match_rank(y_true, y_pred)
        _same_shape(self.name, y_true, y_pred)
        return ((y_pred - y_true.to(y_pred.dtype)) ** 2).mean(-1).mean()


class MeanAbsoluteError(Loss):
    """mean(|y_true - y_pred|) over the last axis, then over the batch."""
    name = "mean_absolute_error"

    def call(self, y_true, y_pred):
        y_true = _match_rank(y_true, y_pred)
        _same_shape(self.name, y_true, y_pred)
        return (y_pred - y_true.to(y_pred.dtype)).abs().mean(-1).mean()


def _match_rank(y_true, y_pred):
    """Keras accepts targets of shape (batch,) for outputs of shape (batch, 1)."""
    if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
        return y_true.reshape(tuple(y_true.shape) + (1,))
    return y_true


def _same_shape(name, y_true, y_pred, hint=""):
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise ShapeError(f"{name}: targets of shape {tuple(y_true.shape)} do not fit outputs of shape "
                         f"{tuple(y_pred.shape)}: they must have the same shape{hint}")


LOSSES = {"sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
          "categorical_crossentropy": CategoricalCrossentropy, "binary_crossentropy": BinaryCrossentropy,
          "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError,
          "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError}


def get(identifier):
    """The loss for a Keras name, a `Loss` object or a callable `fn(y_true, y_pred)` (returned as is)."""
    if isinstance(identifier, str):
        if identifier not in LOSSES:
            raise ArgumentError(f"compile: unknown loss {identifier!r}; known names: {', '.join(sorted(LOSSES))} "
                                "(or pass a keras.losses.Loss or a function of (y_true, y_pred))")
        return LOSSES[identifier]()
    if callable(identifier):
        return identifier
    raise ArgumentError(f"compile: loss must be a name, a keras.losses.Loss or a callable, "
                        f"got {type(identifier).__name__}")
