"""`Parameter` and `Buffer`: tensors that a `Module` registers when they are assigned to it."""
from ember.autograd.tensor import Tensor


class Parameter(Tensor):
    """A tensor that is a module parameter: assigning one to a `Module` attribute registers it,
    so it appears in `parameters()` and `state_dict()`. It requires grad by default and shares
    memory with the data it is made from.

        >>> w = ember.nn.Parameter(ember.zeros(2, 3))
        >>> w.requires_grad, w.is_leaf
        (True, True)
    """

    def __init__(self, data=None, requires_grad=True):
        super().__init__([] if data is None else data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    @property
    def value(self):
        """The parameter itself: Keras code reads a variable's tensor as `variable.value`
        (`[v.value.grad for v in model.trainable_weights]`)."""
        return self


class Buffer(Tensor):
    """A tensor that is module state but not a parameter (running statistics): assigning one to a
    `Module` attribute registers it as `register_buffer` does; `persistent=False` keeps it out of
    `state_dict()`."""

    def __init__(self, data, persistent=True):
        super().__init__(data)
        self.persistent = persistent
