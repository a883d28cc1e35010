"""The Keras `Layer`: an `ember.nn.Module` that builds its weights at its first call.

    >>> class Scale(keras.layers.Layer):
    ...     def build(self, input_shape):
    ...         self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")
    ...     def call(self, inputs):
    ...         return inputs * self.w
    >>> Scale()(ember.ones(2, 3)).shape
    ember.Size([2, 3])
"""
import inspect
import itertools
import re

from ember.autograd import Tensor
from ember.backend.dtypes import float32
from ember.errors import ArgumentError
from ember.nn import Module, Parameter
from ember.ops.creation import empty, tensor
from ember.keras import initializers

__all__ = ["Layer", "InputLayer", "Input", "KerasTensor"]

_COUNTERS = {}


def unique_name(prefix):
    """Keras's automatic names: `dense`, `dense_1`, `dense_2`, ... per process."""
    counter = _COUNTERS.setdefault(prefix, itertools.count())
    n = next(counter)
    return prefix if n == 0 else f"{prefix}_{n}"


def snake_case(name):
    """Keras's names: `Dense` -> `dense`, `MaxPooling2D` -> `max_pooling2d`."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def shape_tuple(shape, where):
    """A shape given as an int or a sequence of ints/None, as a tuple."""
    if isinstance(shape, int):
        return (shape,)
    try:
        shape = tuple(shape)
    except TypeError:
        raise ArgumentError(f"{where}: shape must be a tuple of ints, got {shape!r}") from None
    if not all(d is None or (isinstance(d, int) and d >= 0) for d in shape):
        raise ArgumentError(f"{where}: shape must hold non-negative ints or None, got {shape!r}")
    return shape


class Layer(Module):
    """Base class of Keras layers: override `build(input_shape)` (create weights with `add_weight`)
    and `call(inputs[, training])`. The first call builds the layer from its input's shape.

    `input_shape=` (Keras 2 style, shape without the batch) lets a `Sequential` build up front.
    """

    def __init__(self, name=None, trainable=True, dtype=None, input_shape=None, **kwargs):
        super().__init__()
        if kwargs:
            raise ArgumentError(f"{type(self).__name__}: unknown keyword argument(s) {', '.join(sorted(kwargs))}")
        self.name = name or unique_name(snake_case(type(self).__name__))
        self.built = False
        self._trainable = bool(trainable)
        self.dtype_policy = dtype or "float32"
        self.batch_input_shape = None if input_shape is None else (None,) + shape_tuple(input_shape, self.name)
        self.output_shape_ = None
        self._call_takes_training = "training" in inspect.signature(self.call).parameters

    # -- building -----------------------------------------------------------------------------
    def build(self, input_shape):
        """Create the weights for inputs of `input_shape` (with the batch dimension). Default: none."""

    def add_weight(self, shape=None, initializer="glorot_uniform", trainable=True, name=None, dtype=None):
        """A new `Parameter` of `shape`, filled by `initializer`, registered under `name`."""
        shape = shape_tuple(() if shape is None else shape, f"{self.name}.add_weight")
        weight = Parameter(empty(*shape, dtype=float32), requires_grad=trainable and self._trainable)
        initializers.get(initializer)(weight)
        if name is None:
            name = f"weight_{len(self._parameters)}"
        self.register_parameter(name, weight)
        return weight

    def _maybe_build(self, inputs):
        if not self.built:
            shape = tuple(inputs.shape) if isinstance(inputs, Tensor) else inputs
            self.build((None,) + tuple(shape[1:]))
            self.built = True

    # -- calling ------------------------------------------------------------------------------
    def call(self, inputs):
        """The computation; the default is the identity."""
        return inputs

    def forward(self, inputs, training=None):
        self._maybe_build(inputs)
        if training is None:
            training = self.training
        out = self.call(inputs, training=training) if self._call_takes_training else self.call(inputs)
        if isinstance(out, Tensor):
            self.output_shape_ = (None,) + tuple(out.shape[1:])
        return out

    # -- weights ------------------------------------------------------------------------------
    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for p in self.parameters():
            p.requires_grad_(self._trainable)

    @property
    def weights(self):
        """Every weight (parameters, then buffers), as in Keras."""
        return list(self.parameters()) + list(self.buffers())

    @property
    def trainable_weights(self):
        return [p for p in self.parameters() if p.requires_grad]

    @property
    def non_trainable_weights(self):
        return [p for p in self.parameters() if not p.requires_grad] + list(self.buffers())

    def count_params(self):
        """How many scalars the weights hold."""
        return sum(w.numel() for w in self.weights)

    def get_weights(self):
        """The weights as NumPy arrays (copies), in `state_dict` order."""
        return [t.detach().numpy().copy() for t in self.state_dict().values()]

    def set_weights(self, weights):
        """Set the weights from NumPy arrays in `get_weights` order."""
        state = self.state_dict()
        if len(weights) != len(state):
            raise ArgumentError(f"{self.name}.set_weights: expected {len(state)} arrays, got {len(weights)}")
        for (key, t), w in zip(state.items(), weights):
            if tuple(t.shape) != tuple(getattr(w, "shape", ())):
                raise ArgumentError(f"{self.name}.set_weights: weight {key!r} has shape {tuple(t.shape)}, "
                                    f"got an array of shape {tuple(getattr(w, 'shape', ()))}")
        self.load_state_dict({k: tensor(w) for k, w in zip(state, weights)})

    def get_config(self):
        """The arguments that rebuild this layer."""
        return {"name": self.name, "trainable": self._trainable}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def extra_repr(self):
        return f"name={self.name!r}"


class KerasTensor:
    """What `keras.Input(shape)` returns: the shape (batch first, as None) and dtype of a model input."""

    def __init__(self, shape, dtype="float32", name=None):
        self.shape, self.dtype, self.name = tuple(shape), dtype, name

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"


class InputLayer(Layer):
    """The input of a model: `InputLayer(shape=(8, 8, 1))` (shape without the batch)."""

    def __init__(self, shape=None, batch_size=None, dtype=None, name=None, input_shape=None, **kwargs):
        shape = input_shape if shape is None else shape
        if shape is None:
            raise ArgumentError("InputLayer: give the input's shape without the batch, e.g. shape=(784,)")
        super().__init__(name=name, dtype=dtype, input_shape=shape, **kwargs)
        self.batch_input_shape = (batch_size,) + self.batch_input_shape[1:]
        self.output = KerasTensor(self.batch_input_shape, dtype or "float32", self.name)


def Input(shape=None, batch_size=None, dtype=None, name=None):
    """A symbolic model input: `Sequential([keras.Input(shape=(784,)), Dense(10)])`."""
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name).output
