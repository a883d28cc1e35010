"""Keras's `InputSpec`: the rank, shape and dtype a layer accepts, checked at each call of a layer
that sets `self.input_spec`.

    >>> keras.layers.InputSpec(ndim=3, axes={-1: 8})
    InputSpec(ndim=3, axes={-1: 8})
"""
from ember.errors import ShapeError

__all__ = ["InputSpec", "check_input_spec"]


class InputSpec:
    """The rank, shape and dtype a layer accepts: `ndim`, `min_ndim`, `max_ndim`, `shape` (None where
    free), `axes` ({axis: size}); set `self.input_spec` in a layer and each call is checked."""

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None,
                 allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype, self.name, self.optional = dtype, name, optional
        self.shape = None if shape is None else tuple(shape)
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim, self.min_ndim = max_ndim, min_ndim
        self.axes = {int(k): v for k, v in (axes or {}).items()}
        self.allow_last_axis_squeeze = allow_last_axis_squeeze

    def __repr__(self):
        parts = [f"{k}={v}" for k, v in (("dtype", self.dtype), ("shape", self.shape), ("ndim", self.ndim),
                                         ("max_ndim", self.max_ndim), ("min_ndim", self.min_ndim),
                                         ("axes", self.axes or None)) if v is not None]
        return f"InputSpec({', '.join(parts)})"

    def get_config(self):
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim, "max_ndim": self.max_ndim,
                "min_ndim": self.min_ndim, "axes": self.axes}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def check_input_spec(layer, spec, inputs):
    """A ShapeError naming the layer when `inputs` does not meet `spec` (one spec, or one per input)."""
    if spec is None:
        return
    specs = spec if isinstance(spec, (list, tuple)) else [spec]
    values = inputs if isinstance(inputs, (list, tuple)) else [inputs]
    for s, x in zip(specs, values):
        if s is None or not hasattr(x, "shape"):
            continue
        shape, where = tuple(x.shape), f"{type(layer).__name__} {layer.name!r}"
        if s.ndim is not None and len(shape) != s.ndim:
            raise ShapeError(f"{where}: input of shape {shape}: expected ndim={s.ndim}")
        if s.min_ndim is not None and len(shape) < s.min_ndim:
            raise ShapeError(f"{where}: input of shape {shape}: expected min_ndim={s.min_ndim}")
        if s.max_ndim is not None and len(shape) > s.max_ndim:
            raise ShapeError(f"{where}: input of shape {shape}: expected max_ndim={s.max_ndim}")
        for axis, size in s.axes.items():
            if size is not None and shape[axis] != size:
                raise ShapeError(f"{where}: input of shape {shape}: expected axis {axis} of size {size}")
        if s.shape is not None and any(w is not None and w != g for w, g in zip(s.shape[1:], shape[1:])):
            raise ShapeError(f"{where}: input of shape {shape}: expected shape {s.shape}")
