"""The regularized incomplete gamma functions (`igamma`, `igammac`) and binomial sampling.

    >>> import ember
    >>> ember.igamma(ember.tensor([1.0]), ember.tensor([2.0]))  # 1 - exp(-2)
    tensor([0.8647])

`igamma` needs SciPy (the `fast` extra) for its kernel; without it the call raises an ember error.
"""
import numpy as np

from ember.autograd.checks import broadcast_shapes
from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.backend import dtypes, special
from ember.errors import ArgumentError, AutogradError, DTypeError
from ember.ops import shape
from ember.ops._util import _wrap
from ember.ops.registry import Sample, register
from ember.ops.creation import _rng

__all__ = ["igamma", "igammac", "binomial"]
METHODS = "igamma igammac"
INPLACE = "igamma igammac"


def _scipy(op):
    s = special._scipy()
    if s is None:
        raise ArgumentError(f"{op}: needs SciPy for the incomplete gamma function; pip install 'ember[fast]'")
    return s


class IGamma(Function):
    """P(a, x), or Q(a, x) = 1 - P with `upper`."""
    name = "igamma"

    def forward(self, a, x, upper=False):
        self.upper = upper
        s = _scipy(self.op_name())
        dt = np.result_type(a.dtype, x.dtype)
        return (s.gammaincc if upper else s.gammainc)(a, x).astype(dt, copy=False)

    def backward(self, g):
        a, x = self.inputs
        if a.requires_grad:
            raise AutogradError(f"{'igammac' if self.upper else 'igamma'}: the derivative with respect to input (the shape a) is not "
                                f"implemented (as in PyTorch); only other (x) gets a gradient")
        d = ((a - 1) * x.log() - x - a.lgamma()).exp()  # x^(a-1) e^-x / Gamma(a)
        return None, (-g * d if self.upper else g * d)


def _operands(op, input, other):
    for name, t in (("input", input), ("other", other)):
        if not isinstance(t, Tensor):
            raise DTypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
    dt = dtypes.result_type(input._data, other._data)  # PyTorch's: a 0-d operand does not widen a dimensioned one
    if not dt.is_floating_point:
        raise DTypeError(f"{op}: expected floating point tensors, got {input.dtype} and {other.dtype}")
    return input.to(dt), other.to(dt)


def _igamma_samples(make):
    return [Sample((make(3, 4, low=0.5, high=3.0), make(3, 4, low=0.2, high=4.0)), name="2d", nograd=(0,)),
            Sample((make(3, 1, low=0.5, high=3.0), make(4, low=0.2, high=4.0)), name="broadcast", nograd=(0,)),
            Sample((make(4, 3, low=0.5, high=3.0, noncontig=True), make(4, 3, low=0.2, high=4.0)), name="noncontig",
                   nograd=(0,)),
            Sample((make(0, 3, low=0.5, high=3.0), make(0, 3, low=0.2, high=4.0)), name="empty", nograd=(0,))]


# grad=False: the registry walk would ask for the gradient of the shape `a`, which PyTorch (and ember) refuse;
# the gradient with respect to x is checked against torch in tests/ops/test_special_extra.py
@register("igamma", _igamma_samples, IGamma, grad=False)
def igamma(input, other):
    """The regularized lower incomplete gamma function P(input, other) (SciPy's `gammainc`)."""
    a, x = _operands("igamma", input, other)
    a, x = shape.broadcast_tensors(a, x)
    return IGamma.apply(a, x)


@register("igammac", _igamma_samples, IGamma, grad=False)
def igammac(input, other):
    """The regularized upper incomplete gamma function Q(input, other) = 1 - P (SciPy's `gammaincc`)."""
    a, x = _operands("igammac", input, other)
    a, x = shape.broadcast_tensors(a, x)
    return IGamma.apply(a, x, upper=True)


def binomial(count, prob, generator=None):
    """Binomial samples: successes in `count` trials of probability `prob` (float tensors, broadcast)."""
    for name, t in (("count", count), ("prob", prob)):
        if not isinstance(t, Tensor) or not t.is_floating_point():
            raise DTypeError(f"binomial: {name} must be a floating point tensor, got "
                             f"{getattr(t, 'dtype', type(t).__name__)}")
    if count.dtype is not prob.dtype:
        raise DTypeError(f"binomial: count ({count.dtype}) and prob ({prob.dtype}) must have one dtype")
    shape = broadcast_shapes("binomial", tuple(count.shape), tuple(prob.shape))
    n, p = (np.broadcast_to(t.detach().numpy(), shape) for t in (count, prob))
    if n.size and (not np.isfinite(n).all() or (n < 0).any()):
        raise ArgumentError("binomial: count must be finite and non-negative")
    if p.size and (not ((p >= 0) & (p <= 1)).all()):
        raise ArgumentError("binomial: prob must be in [0, 1]")
    out = np.asarray(_rng(generator).binomial(n.astype(np.int64), p)).astype(count.dtype.np)
    return _wrap(out if count.device.type == "cpu" else count._device.xp.asarray(out), count._device)
