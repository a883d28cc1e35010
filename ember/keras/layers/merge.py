"""Keras's merge layers: each takes a list of tensors. `Add`, `Subtract` (two), `Multiply`,
`Average`, `Maximum`, `Minimum` combine elementwise (tensors of the same shape, or shapes that
broadcast); `Concatenate(axis=-1)` joins along an axis.

    >>> a, b = ember.ones(2, 3), ember.ones(2, 3)
    >>> keras.layers.Add()([a, b]).shape, keras.layers.Concatenate()([a, b]).shape
    (ember.Size([2, 3]), ember.Size([2, 6]))
"""
from ember.backend import dtypes
from ember.errors import ArgumentError, ShapeError
from ember.ops.binary import maximum as _maximum, minimum as _minimum, where
from ember.ops.creation import ones
from ember.ops.dense import normalize
from ember.ops.join import cat
from ember.ops.linalg import matmul
from ember.keras.layers.base import Layer

__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot", "add", "subtract",
           "multiply", "average", "maximum", "minimum", "concatenate", "dot"]


def _broadcast(a, b):
    """The broadcast of two shapes (None matches anything), or None where they do not broadcast."""
    a, b = tuple(a), tuple(b)
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + a, (1,) * (n - len(b)) + b
    out = []
    for x, y in zip(a, b):
        if x is None or y is None or x == y or 1 in (x, y):
            out.append(y if x in (1, None) else x)
        else:
            return None
    return tuple(out)


class _Merge(Layer):
    n_inputs = None  # an exact count, or None for two or more

    def _check_list(self, shapes):
        where = f"{type(self).__name__} {self.name!r}"
        if not isinstance(shapes, (list, tuple)) or not shapes or not isinstance(shapes[0], (list, tuple)):
            raise ArgumentError(f"{where}: expected a list of tensors")
        if (self.n_inputs is not None and len(shapes) != self.n_inputs) or len(shapes) < 2:
            want = f"exactly {self.n_inputs}" if self.n_inputs else "at least 2"
            raise ArgumentError(f"{where}: expected {want} inputs, got {len(shapes)}")
        return where

    def build(self, input_shape):
        self._check_shapes(input_shape)

    def _check_shapes(self, shapes):
        where = self._check_list(shapes)
        out = shapes[0]
        for s in shapes[1:]:
            out = None if out is None else _broadcast(out, s)
        if out is None:
            raise ShapeError(f"{where}: inputs of shapes {[tuple(s) for s in shapes]} do not match (or broadcast)")

    def call(self, inputs, mask=None):
        shapes = [tuple(x.shape) for x in inputs] if isinstance(inputs, (list, tuple)) else inputs
        self._check_shapes(shapes)
        if mask is not None and hasattr(self, "_masked_merge"):
            return self._masked_merge(list(inputs), list(mask))
        return self._merge(list(inputs))

    def compute_mask(self, inputs, previous_mask=None):
        """As Keras: the OR of the inputs' masks when every input has one, else no mask."""
        masks = previous_mask if isinstance(previous_mask, (list, tuple)) else None
        if not masks or any(m is None for m in masks):
            return None
        out = masks[0].to(dtypes.bool_)
        for m in masks[1:]:
            out = out | m.to(dtypes.bool_)
        return out


class Add(_Merge):
    """The sum of the inputs."""

    def _merge(self, xs):
        out = xs[0]
        for x in xs[1:]:
            out = out + x
        return out


class Subtract(_Merge):
    """The first input minus the second."""
    n_inputs = 2

    def _merge(self, xs):
        return xs[0] - xs[1]


class Multiply(_Merge):
    """The elementwise product of the inputs."""

    def _merge(self, xs):
        out = xs[0]
        for x in xs[1:]:
            out = out * x
        return out


class Average(Add):
    """The elementwise mean of the inputs."""

    def _merge(self, xs):
        return super()._merge(xs) * (1.0 / len(xs))


def _masked_extreme(op, xs, masks):
    """Keras's masked Maximum/Minimum: a masked-out input takes the running result's value (and the
    reverse), so padded steps never win; the output is masked where every input is."""
    out, out_mask = xs[0], _feature_mask(masks[0], xs[0])
    for x, m in zip(xs[1:], masks[1:]):
        m = _feature_mask(m, x)
        if m is not None:
            x = where(m, x, out)
        if out_mask is not None:
            out = where(out_mask, out, x)
        out_mask = out_mask | m if m is not None and out_mask is not None else None
        out = op(out, x)
    return out


def _feature_mask(mask, x):
    return None if mask is None else mask.to(dtypes.bool_).unsqueeze(-1).expand(*x.shape)


class Maximum(_Merge):
    """The elementwise maximum of the inputs (masked steps left out, as Keras)."""

    def _masked_merge(self, xs, masks):
        return _masked_extreme(_maximum, xs, masks)

    def _merge(self, xs):
        out = xs[0]
        for x in xs[1:]:
            out = _maximum(out, x)
        return out


class Minimum(_Merge):
    """The elementwise minimum of the inputs (masked steps left out, as Keras)."""

    def _masked_merge(self, xs, masks):
        return _masked_extreme(_minimum, xs, masks)

    def _merge(self, xs):
        out = xs[0]
        for x in xs[1:]:
            out = _minimum(out, x)
        return out


class Concatenate(_Merge):
    """The inputs joined along `axis` (the last by default); the other dims must match."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise ArgumentError(f"Concatenate: axis must be an int, got {axis!r}")
        self.axis = axis

    def _check_shapes(self, shapes):
        where = self._check_list(shapes)
        ranks = {len(s) for s in shapes}
        ok = len(ranks) == 1 and -len(shapes[0]) <= self.axis < len(shapes[0]) and self.axis % len(shapes[0]) != 0
        if ok:
            axis = self.axis % len(shapes[0])
            rest = [tuple(d for i, d in enumerate(s) if i != axis) for s in shapes]
            ok = all(a is None or b is None or a == b for r in rest for a, b in zip(rest[0], r))
        if not ok:
            raise ShapeError(f"{where}: inputs of shapes {[tuple(s) for s in shapes]} cannot be joined along "
                             f"axis={self.axis}: they need the same rank and equal dims except on that axis "
                             "(which cannot be the batch)")

    def _merge(self, xs):
        return cat(xs, self.axis)

    def compute_mask(self, inputs, previous_mask=None):
        """As Keras: each input's mask (all true where it has none) joined along `axis`, then any over
        the last axis."""
        masks = previous_mask if isinstance(previous_mask, (list, tuple)) else None
        if not masks or all(m is None for m in masks):
            return None
        full = []
        for x, m in zip(inputs, masks):
            if m is None:
                full.append(ones(*x.shape, dtype=dtypes.bool_))
            else:
                m = m.to(dtypes.bool_)
                full.append(m.unsqueeze(-1).expand(*x.shape) if m.ndim < x.ndim else m)
        return cat(full, self.axis).any(-1)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Dot(_Merge):
    """The dot product of two inputs along `axes` (an int, or one axis per input), sample by sample;
    with `normalize=True`, of the L2-normalized inputs (the cosine similarity).

        >>> keras.layers.Dot(axes=1)([ember.ones(2, 3), ember.ones(2, 3)]).shape
        ember.Size([2, 1])
    """
    n_inputs = 2

    def compute_mask(self, inputs, previous_mask=None):
        return None  # as Keras: the contracted axes leave no mask

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        pair = (axes, axes) if isinstance(axes, int) else tuple(axes)
        if len(pair) != 2 or not all(isinstance(a, int) and not isinstance(a, bool) for a in pair):
            raise ArgumentError(f"Dot: axes must be an int or a pair of ints, got {axes!r}")
        self.axes, self.normalize = axes, bool(normalize)

    def _axes(self, shapes):
        pair = (self.axes, self.axes) if isinstance(self.axes, int) else tuple(self.axes)
        return [a % len(s) for a, s in zip(pair, shapes)]

    def _check_shapes(self, shapes):
        where = self._check_list(shapes)
        a, b = self._axes(shapes)
        if 0 in (a, b) or shapes[0][a] != shapes[1][b]:
            raise ShapeError(f"{where}: inputs of shapes {[tuple(s) for s in shapes]} cannot be multiplied along "
                             f"axes={self.axes}: those dims must be equal (and not the batch)")

    def _merge(self, xs):
        x, y = xs
        a, b = self._axes([x.shape, y.shape])
        if self.normalize:
            x, y = normalize(x, dim=a), normalize(y, dim=b)
        x, y = x.movedim(a, -1), y.movedim(b, 1)
        rest_x, rest_y = tuple(x.shape[1:-1]), tuple(y.shape[2:])
        n = x.shape[0]
        out = matmul(x.reshape(n, -1, x.shape[-1]), y.reshape(n, y.shape[1], -1)).reshape((n,) + rest_x + rest_y)
        return out.reshape(n, 1) if out.ndim == 1 else out

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def _functional(cls, doc):
    def merge(inputs, **kwargs):
        return cls(**kwargs)(inputs)
    merge.__name__ = cls.__name__.lower()
    merge.__doc__ = f"""`keras.layers.{cls.__name__}(**kwargs)(inputs)`: {doc}

        >>> keras.layers.{cls.__name__.lower()}([ember.ones(2, 3), ember.ones(2, 3)]).shape[0]
        2
    """
    return merge


add = _functional(Add, "the sum of the inputs.")
subtract = _functional(Subtract, "the first input minus the second.")
multiply = _functional(Multiply, "the elementwise product.")
average = _functional(Average, "the elementwise mean.")
maximum = _functional(Maximum, "the elementwise maximum.")
minimum = _functional(Minimum, "the elementwise minimum.")
concatenate = _functional(Concatenate, "the inputs joined along `axis` (default -1).")


def dot(inputs, axes=-1, **kwargs):
    """`keras.layers.Dot(axes, **kwargs)(inputs)`: the dot product along `axes`.

        >>> keras.layers.dot([ember.ones(2, 3), ember.ones(2, 3)], axes=1).shape
        ember.Size([2, 1])
    """
    return Dot(axes=axes, **kwargs)(inputs)
