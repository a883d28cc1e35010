"""`Linear` (y = x W^T + b) and `Bilinear` (y = x1^T W x2 + b), with PyTorch's parameters and
default initialization.

    >>> fc = ember.nn.Linear(784, 10)
    >>> fc(ember.randn(32, 784)).shape, fc.weight.shape
    (ember.Size([32, 10]), ember.Size([10, 784]))
"""
import math

from ember.autograd.tensor import Tensor
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.nn import functional as F
from ember.nn import init
from ember.nn.module import Module
from ember.nn.parameter import Parameter
from ember.ops.creation import empty

__all__ = ["Linear", "Bilinear"]


def _size(layer, name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ArgumentError(f"{layer}: {name} must be a non-negative int, got {value!r}")
    return value


def _need_tensor(layer, input, name="input"):
    if not isinstance(input, Tensor):
        raise DTypeError(f"{layer._get_name()}({layer.extra_repr()}): expected a Tensor {name}, "
                         f"got {type(input).__name__}")


class Linear(Module):
    """`y = x @ weight.T + bias` over the last dim of `x` (any leading dims).

    `weight` (out_features, in_features) starts as kaiming_uniform_(a=sqrt(5)), i.e.
    U(-1/sqrt(in_features), 1/sqrt(in_features)), and `bias` (out_features) as the same
    uniform, as in PyTorch.
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = _size("Linear", "in_features", in_features)
        self.out_features = _size("Linear", "out_features", out_features)
        self.weight = Parameter(empty(out_features, in_features, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        _need_tensor(self, input)
        if input.ndim == 0 or input.shape[-1] != self.in_features:
            raise ShapeError(f"{self._get_name()}({self.extra_repr()}): input of shape {tuple(input.shape)}: "
                             f"the last dimension must be {self.in_features}")
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Bilinear(Module):
    """`y[..., o] = x1 @ weight[o] @ x2 + bias[o]`; `weight` (out, in1, in2) and `bias` start as
    U(-1/sqrt(in1_features), 1/sqrt(in1_features)), as in PyTorch."""

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in1_features = _size("Bilinear", "in1_features", in1_features)
        self.in2_features = _size("Bilinear", "in2_features", in2_features)
        self.out_features = _size("Bilinear", "out_features", out_features)
        self.weight = Parameter(empty(out_features, in1_features, in2_features, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_features, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.weight.shape[1]) if self.weight.shape[1] else 0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        _need_tensor(self, input1, "input1")
        _need_tensor(self, input2, "input2")
        s1, s2 = tuple(input1.shape), tuple(input2.shape)
        if not s1 or not s2 or s1[-1] != self.in1_features or s2[-1] != self.in2_features or s1[:-1] != s2[:-1]:
            raise ShapeError(f"{self._get_name()}({self.extra_repr()}): inputs of shapes {s1} and {s2}: expected "
                             f"(..., {self.in1_features}) and (..., {self.in2_features}) with the same leading dims")
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
