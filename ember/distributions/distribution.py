"""The base of ember.distributions, as PyTorch's `torch.distributions.Distribution`: shapes, sampling
(`sample` without gradient, `rsample` reparameterized), `log_prob`, `entropy`, moments, and validation of
parameters and values (on by default, as in PyTorch; errors are `ArgumentError`s, which are ValueErrors).
"""
import math
import numbers

from ember.autograd.grad_mode import no_grad
from ember.autograd.tensor import Size, Tensor
from ember.backend import dtypes
from ember.errors import ArgumentError, AutogradError, DTypeError
from ember.ops.creation import tensor
from ember.ops.query import broadcast_shapes

__all__ = ["Distribution", "broadcast_all"]


def broadcast_all(*values):
    """Tensors (numbers become tensors of the others' dtype, or the default dtype) broadcast to one shape."""
    tensors = [v for v in values if isinstance(v, Tensor)]
    for v in values:
        if not isinstance(v, (Tensor, numbers.Number)):
            raise DTypeError(f"distributions: expected tensors or numbers, got {type(v).__name__}")
    dtype = tensors[0].dtype if tensors else dtypes.get_default_dtype()
    device = tensors[0].device if tensors else None
    out = [v if isinstance(v, Tensor) else tensor(float(v), dtype=dtype, device=device) for v in values]
    shape = broadcast_shapes(*[v.shape for v in out])
    return [v.expand(shape) for v in out]


class Distribution:
    """Subclasses set `arg_constraints` ({parameter: (description, check)}), `support` (description,
    check(self, value)) and `has_rsample`, and define `rsample` or `sample`, `log_prob`, `entropy`, `mean`,
    `variance`."""
    has_rsample = False
    arg_constraints = {}
    support = None
    _validate_default = True

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        self._batch_shape, self._event_shape = Size(batch_shape), Size(event_shape)
        self._validate_args = Distribution._validate_default if validate_args is None else validate_args
        if self._validate_args:
            for name, (description, check) in self.arg_constraints.items():
                value = getattr(self, name)
                if not bool(check(self, value.detach()).all()):
                    raise ArgumentError(f"Expected parameter {name} (Tensor of shape {tuple(value.shape)}) of "
                                        f"distribution {self!r} to satisfy the constraint {description}, but "
                                        f"found invalid values:\n{value}")

    @staticmethod
    def set_default_validate_args(value):
        """Turn validation on or off for distributions created afterwards (PyTorch's switch)."""
        Distribution._validate_default = bool(value)

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def event_shape(self):
        return self._event_shape

    def _extended_shape(self, sample_shape=()):
        if isinstance(sample_shape, int):
            sample_shape = (sample_shape,)
        return Size(tuple(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def sample(self, sample_shape=()):
        """A sample of shape sample_shape + batch_shape + event_shape, outside the autograd graph."""
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()):
        raise AutogradError(f"{type(self).__name__} has no reparameterized sampling (rsample); use sample()")

    def _missing(self, what):
        raise ArgumentError(f"{type(self).__name__} has no {what} (PyTorch has none either)")

    def entropy(self):
        self._missing("closed-form entropy")

    def cdf(self, value):
        self._missing("cdf")

    def icdf(self, value):
        self._missing("icdf")

    def sample_n(self, n):
        return self.sample((n,))

    @property
    def stddev(self):
        return self.variance.sqrt()

    @property
    def variance(self):
        return self.stddev ** 2

    def perplexity(self):
        return self.entropy().exp()

    def _validate_sample(self, value):
        if not isinstance(value, Tensor):
            raise DTypeError(f"{type(self).__name__}.log_prob: the value must be a Tensor, got {type(value).__name__}")
        if not self._validate_args or self.support is None:
            return
        event = len(self._event_shape)
        if tuple(value.shape[len(value.shape) - event:]) != tuple(self._event_shape) if event else False:
            raise ArgumentError(f"{type(self).__name__}.log_prob: the value's shape {tuple(value.shape)} must end "
                                f"with the event shape {tuple(self._event_shape)}")
        description, check = self.support
        if not bool(check(self, value.detach()).all()):
            raise ArgumentError(f"Expected value argument (Tensor of shape {tuple(value.shape)}) to be within the "
                                f"support ({description}) of the distribution {self!r}, but found invalid "
                                f"values:\n{value}")

    def __repr__(self):
        shown = [f"{name}: {getattr(self, name).shape}" for name in self.arg_constraints
                 if name in self.__dict__ or isinstance(getattr(type(self), name, None), property)]
        return f"{type(self).__name__}({', '.join(shown)})"


LOG_SQRT_2PI = math.log(math.sqrt(2 * math.pi))
