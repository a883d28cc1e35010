"""`keras.Variable`: a `Parameter` with Keras's `assign`, `assign_add` and `assign_sub`.

Layers' `add_weight` and metrics' `add_variable` create them, so Keras code that updates state in
place (`self.total.assign_add(ops.sum(values))`) runs unchanged.

    >>> v = keras.Variable("zeros", shape=(2,), trainable=False)
    >>> v.assign_add([1.0, 2.0]).tolist()
    [1.0, 2.0]
"""
import numpy as np

from ember.autograd import Tensor, no_grad
from ember.backend.dtypes import as_dtype
from ember.errors import ShapeError
from ember.keras import initializers
from ember.nn.parameter import Parameter
from ember.ops.creation import empty, tensor

__all__ = ["Variable"]


class Variable(Parameter):
    """A weight or state variable: `Variable(initializer, shape=None, dtype=None, trainable=True,
    name=None)`; `initializer` is a name, an initializer object, or the initial value itself."""

    def __init__(self, initializer, shape=None, dtype=None, trainable=True, name=None):
        dtype = as_dtype(dtype or "float32")
        if isinstance(initializer, (str, dict)) or callable(initializer) and not isinstance(initializer, Tensor):
            value = empty(*(() if shape is None else tuple(shape)), dtype=dtype)
            initializers.initialize(initializers.get(initializer), value)
        else:
            value = tensor(np.asarray(initializer.detach().numpy() if isinstance(initializer, Tensor)
                                      else initializer), dtype=dtype)
        super().__init__(value, requires_grad=trainable)
        self.name = name

    @property
    def trainable(self):
        return self.requires_grad

    @trainable.setter
    def trainable(self, value):
        self.requires_grad_(bool(value))

    def numpy(self, force=False):
        """The value as a NumPy array, trainable or not (Keras code reads `layer.kernel.numpy()`)."""
        return super().numpy(force=True)

    def assign(self, value):
        """Set the value in place (same shape); returns the variable."""
        value = value if isinstance(value, Tensor) else tensor(np.asarray(value))
        if tuple(value.shape) != tuple(self.shape):
            raise ShapeError(f"Variable.assign: value of shape {tuple(value.shape)} for the variable "
                             f"{self.name!r} of shape {tuple(self.shape)}")
        with no_grad():
            self.copy_(value.detach())
        return self

    def assign_add(self, value):
        return self.assign(self.detach() + value)

    def assign_sub(self, value):
        return self.assign(self.detach() - value)
