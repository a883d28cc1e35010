"""Activation layers: each wraps the function of `ember.nn.functional` with the same name,
with PyTorch's arguments and `repr`. `PReLU` is the one with a parameter.

    >>> net = ember.nn.Sequential(ember.nn.Linear(4, 8), ember.nn.GELU(), ember.nn.Linear(8, 3),
    ...                           ember.nn.Softmax(dim=-1))
    >>> net(ember.randn(2, 4)).sum(-1).shape
    ember.Size([2])
"""
from ember.autograd.tensor import Tensor
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.nn import functional as F
from ember.nn import init
from ember.nn.module import Module
from ember.nn.parameter import Parameter
from ember.ops.creation import empty

__all__ = ["ReLU", "ReLU6", "GELU", "SiLU", "Mish", "Softplus", "LeakyReLU", "ELU", "SELU", "CELU", "Hardtanh",
           "Hardsigmoid", "Hardswish", "LogSigmoid", "Softsign", "Tanhshrink", "Tanh", "Sigmoid", "Softmax",
           "LogSoftmax", "Softmin", "GLU", "PReLU", "Hardshrink", "Softshrink", "Threshold", "RReLU", "Softmax2d"]


def _need_tensor(layer, input):
    if not isinstance(input, Tensor):
        raise DTypeError(f"{layer._get_name()}({layer.extra_repr()}): expected a Tensor input, "
                         f"got {type(input).__name__}")


class _InplaceActivation(Module):
    """An activation whose only argument is `inplace` (overwrite the input with the result)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class ReLU(_InplaceActivation):
    """`max(0, x)` elementwise."""

    def forward(self, input):
        _need_tensor(self, input)
        return input.relu_() if self.inplace else F.relu(input)


class SiLU(_InplaceActivation):
    """`x * sigmoid(x)`."""

    def forward(self, input):
        _need_tensor(self, input)
        return F.silu(input, self.inplace)


class Mish(_InplaceActivation):
    """`x * tanh(softplus(x))`."""

    def forward(self, input):
        _need_tensor(self, input)
        return F.mish(input, self.inplace)


class SELU(_InplaceActivation):
    """Scaled ELU with the self-normalizing constants."""

    def forward(self, input):
        _need_tensor(self, input)
        return F.selu(input, self.inplace)


class Hardsigmoid(_InplaceActivation):
    """`relu6(x + 3) / 6`."""

    def forward(self, input):
        _need_tensor(self, input)
        return F.hardsigmoid(input, self.inplace)

    def extra_repr(self):
        return ""  # PyTorch does not show inplace here


class Hardswish(_InplaceActivation):
    """`x * relu6(x + 3) / 6`."""

    def forward(self, input):
        _need_tensor(self, input)
        return F.hardswish(input, self.inplace)

    def extra_repr(self):
        return ""  # PyTorch does not show inplace here


class Hardtanh(Module):
    """`x` clipped to [min_val, max_val]."""

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False, min_value=None, max_value=None):
        super().__init__()
        self.min_val = min_val if min_value is None else min_value
        self.max_val = max_val if max_value is None else max_value
        self.inplace = inplace
        if self.max_val <= self.min_val:
            raise ArgumentError(f"Hardtanh: max_val ({self.max_val}) must be greater than min_val ({self.min_val})")

    def forward(self, input):
        _need_tensor(self, input)
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}" + (", inplace=True" if self.inplace else "")


class ReLU6(Hardtanh):
    """`min(max(0, x), 6)`."""

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class GELU(Module):
    """`x * Phi(x)`; `approximate='tanh'` uses the tanh approximation."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ArgumentError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        _need_tensor(self, input)
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Softplus(Module):
    """`log(1 + exp(beta * x)) / beta`, linear above `threshold`."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):
        _need_tensor(self, input)
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class LeakyReLU(Module):
    """`x` for x > 0, else `negative_slope * x`."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input):
        _need_tensor(self, input)
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(Module):
    """`x` for x > 0, else `alpha * (exp(x) - 1)`."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        _need_tensor(self, input)
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class CELU(ELU):
    """`max(0, x) + min(0, alpha * (exp(x / alpha) - 1))`."""

    def forward(self, input):
        _need_tensor(self, input)
        return F.celu(input, self.alpha, self.inplace)


class _Plain(Module):
    """An activation without arguments."""

    def forward(self, input):
        _need_tensor(self, input)
        return self.function(input)


class LogSigmoid(_Plain):
    """`log(sigmoid(x))`."""
    function = staticmethod(F.logsigmoid)


class Softsign(_Plain):
    """`x / (1 + |x|)`."""
    function = staticmethod(F.softsign)


class Tanhshrink(_Plain):
    """`x - tanh(x)`."""
    function = staticmethod(F.tanhshrink)


class Tanh(_Plain):
    """`tanh(x)`."""
    function = staticmethod(F.tanh)


class Sigmoid(_Plain):
    """`1 / (1 + exp(-x))`."""
    function = staticmethod(F.sigmoid)


class _AlongDim(Module):
    """softmax, log_softmax and softmin along `dim`."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        _need_tensor(self, input)
        return self.function(input, self.dim, _stacklevel=5)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_AlongDim):
    """`exp(x) / sum(exp(x))` along `dim`; the entries along `dim` sum to 1."""
    function = staticmethod(F.softmax)


class LogSoftmax(_AlongDim):
    """`log(softmax(x))` along `dim`, computed stably."""
    function = staticmethod(F.log_softmax)


class Softmin(_AlongDim):
    """`softmax(-x)` along `dim`."""
    function = staticmethod(F.softmin)


class GLU(Module):
    """`a * sigmoid(b)` with `a`, `b` the halves of the input along `dim`."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        _need_tensor(self, input)
        return F.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class PReLU(Module):
    """`x` for x > 0, else `weight * x`, with a learned `weight`: one shared entry, or one per
    channel (dim 1 of the input) with `num_parameters=C`. Initialized to `init`.

        >>> ember.nn.PReLU(3)(ember.randn(2, 3, 5)).shape
        ember.Size([2, 3, 5])
    """

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        if not isinstance(num_parameters, int) or isinstance(num_parameters, bool) or num_parameters < 1:
            raise ArgumentError(f"PReLU: num_parameters must be a positive int, got {num_parameters!r}")
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self):
        init.constant_(self.weight, self.init)

    def forward(self, input):
        _need_tensor(self, input)
        channels = input.shape[1] if input.ndim >= 2 else 1
        if self.num_parameters != 1 and channels != self.num_parameters:
            raise ShapeError(f"PReLU(num_parameters={self.num_parameters}): input of shape {tuple(input.shape)}: "
                             f"dim 1 (the channels) must be {self.num_parameters}")
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class _Shrink(Module):
    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        _need_tensor(self, input)
        return self.function(input, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class Hardshrink(_Shrink):
    """`x` where `|x| > lambd`, else 0."""
    function = staticmethod(F.hardshrink)


class Softshrink(_Shrink):
    """`x - lambd` above `lambd`, `x + lambd` below `-lambd`, else 0."""
    function = staticmethod(F.softshrink)


class Threshold(Module):
    """`x` where `x > threshold`, else `value`."""

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input):
        _need_tensor(self, input)
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}" + (", inplace=True" if self.inplace else "")


class RReLU(Module):
    """Randomized leaky ReLU: negative slope drawn from U(lower, upper) in training, their mean in eval."""

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace

    def forward(self, input):
        _need_tensor(self, input)
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace)

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True" if self.inplace else "")


class Softmax2d(Module):
    """Softmax over the channels (dim -3) of a (N, C, H, W) or (C, H, W) input."""

    def forward(self, input):
        _need_tensor(self, input)
        if input.ndim not in (3, 4):
            raise ShapeError(f"Softmax2d: expected a 3-d (C, H, W) or 4-d (N, C, H, W) input, "
                             f"got shape {tuple(input.shape)}")
        return F.softmax(input, -3)
