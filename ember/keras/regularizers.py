"""Keras's weight regularizers, by name or object: `Dense(8, kernel_regularizer="l2")`.

A regularizer maps a weight to a scalar penalty; `fit` adds every layer's penalties (the
model's `losses`) to the loss it minimizes.

    >>> reg = keras.regularizers.L2(0.01)
    >>> round(reg(ember.ones(2, 2)).item(), 4)
    0.04
"""
from ember.errors import ArgumentError
from ember.ops.creation import eye

__all__ = ["Regularizer", "L1", "L2", "L1L2", "OrthogonalRegularizer", "l1", "l2", "l1_l2", "orthogonal_regularizer",
           "get", "serialize", "deserialize"]


class Regularizer:
    """Base class: `regularizer(weight)` is a scalar tensor."""

    def __call__(self, weight):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class L1L2(Regularizer):
    """`l1 * sum(|w|) + l2 * sum(w ** 2)`."""

    def __init__(self, l1=0.0, l2=0.0):
        for what, v in (("l1", l1), ("l2", l2)):
            if not isinstance(v, (int, float)) or v < 0:
                raise ArgumentError(f"{type(self).__name__}: {what} must be a non-negative number, got {v!r}")
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, weight):
        penalty = 0.0
        if self.l1:
            penalty = penalty + self.l1 * weight.abs().sum()
        if self.l2:
            penalty = penalty + self.l2 * (weight * weight).sum()
        return penalty

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """`l1 * sum(|w|)` (Keras's default l1=0.01)."""

    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    """`l2 * sum(w ** 2)` (Keras's default l2=0.01)."""

    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (or columns, `mode="columns"`) of a 2-d weight towards orthogonality:
    `factor * mean |cos|` over distinct pairs of the unit-normalized rows, as Keras."""

    def __init__(self, factor=0.01, mode="rows"):
        if mode not in ("rows", "columns"):
            raise ArgumentError(f"OrthogonalRegularizer: mode must be 'rows' or 'columns', got {mode!r}")
        self.factor, self.mode = float(factor), mode

    def __call__(self, weight):
        if weight.ndim != 2:
            raise ArgumentError(f"OrthogonalRegularizer: expected a 2-d weight, got shape {tuple(weight.shape)}")
        w = weight if self.mode == "rows" else weight.transpose(0, 1)
        unit = w * (w * w).sum(1, keepdim=True).clamp(1e-12, None).rsqrt()
        product = unit @ unit.transpose(0, 1)
        size = w.shape[0]
        off_diagonal = product * (1.0 - eye(size, dtype=product.dtype))
        return self.factor * 0.5 * off_diagonal.abs().sum() / (size * (size - 1.0) / 2.0)

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer  # Keras's lowercase aliases
REGULARIZERS = {"l1": L1, "l2": L2, "l1_l2": L1L2, "l1l2": L1L2, "orthogonalregularizer": OrthogonalRegularizer,
                "orthogonal_regularizer": OrthogonalRegularizer}


def get(identifier):
    """None, a regularizer, a name ("l1", "l2", "l1_l2"), a config dict, or a callable (as is)."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in REGULARIZERS:
        return REGULARIZERS[identifier.lower()]()
    if isinstance(identifier, dict) and identifier.get("class_name", "").lower() in REGULARIZERS:
        return REGULARIZERS[identifier["class_name"].lower()](**identifier.get("config", {}))
    if callable(identifier):
        return identifier
    raise ArgumentError(f"unknown regularizer {identifier!r}; known names: {', '.join(sorted(REGULARIZERS))} "
                        "(or pass a keras.regularizers.Regularizer)")


def serialize(regularizer):
    """A JSON-ready description, read back by `get`."""
    if regularizer is None:
        return None
    if isinstance(regularizer, Regularizer):
        return {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}
    raise ArgumentError(f"cannot serialize regularizer {regularizer!r}: use a keras.regularizers.Regularizer")


def deserialize(config, custom_objects=None):
    """A regularizer from `serialize`'s dict (or a name)."""
    return get(config)
