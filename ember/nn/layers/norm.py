"""Normalization layers: `BatchNorm1d`, `BatchNorm2d`, `LayerNorm`, `GroupNorm`, with
PyTorch's arguments, parameter and buffer names (`weight`, `bias`, `running_mean`,
`running_var`, `num_batches_tracked`) and default initialization.

    >>> bn = ember.nn.BatchNorm2d(3)
    >>> bn(ember.randn(4, 3, 5, 5)).shape, int(bn.num_batches_tracked)
    (ember.Size([4, 3, 5, 5]), 1)
    >>> ember.nn.LayerNorm(8)(ember.randn(2, 8)).shape
    ember.Size([2, 8])
"""
from ember.backend import dtypes
from ember.errors import ArgumentError, ShapeError
from ember.nn import functional as F
from ember.nn import init
from ember.nn.module import Module
from ember.nn.parameter import Parameter
from ember.ops.creation import empty, ones, tensor, zeros

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm"]


def _positive_int(layer, name, value):
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ArgumentError(f"{layer}: {name} must be a positive int, got {value!r}")
    return value


def _affine_parameters(module, affine, bias, n, device, dtype):
    """`weight` and (if `bias`) `bias` of shape (n,) when `affine`, else both declared absent."""
    module.register_parameter("weight", Parameter(empty(n, device=device, dtype=dtype)) if affine else None)
    module.register_parameter("bias", Parameter(empty(n, device=device, dtype=dtype)) if affine and bias else None)


def _running_stats(module, track, n, device, dtype):
    """`running_mean`, `running_var` and `num_batches_tracked` buffers when `track`, else all declared None."""
    module.register_buffer("running_mean", zeros(n, device=device, dtype=dtype) if track else None)
    module.register_buffer("running_var", ones(n, device=device, dtype=dtype) if track else None)
    module.register_buffer("num_batches_tracked", tensor(0, dtype=dtypes.int64, device=device) if track else None)


def _reset_affine(module):
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class _BatchNorm(Module):
    """Shared by BatchNorm1d and BatchNorm2d; subclasses name the input ranks they take."""
    ranks = ()
    shapes = ""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True):
        super().__init__()
        self.num_features = _positive_int(type(self).__name__, "num_features", num_features)
        self.eps, self.momentum = eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        _affine_parameters(self, affine, bias, num_features, device, dtype)
        _running_stats(self, track_running_stats, num_features, device, dtype)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        _reset_affine(self)

    def forward(self, input):
        shape = tuple(getattr(input, "shape", ()))
        if len(shape) not in self.ranks or shape[1] != self.num_features:
            raise ShapeError(f"{self!r}: expected input of shape {self.shapes} with C={self.num_features}, "
                             f"got shape {shape}")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            factor = 1.0 / int(self.num_batches_tracked) if self.momentum is None else self.momentum
        batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats  # in training, update only tracked statistics
        return F.batch_norm(input, self.running_mean if track else None, self.running_var if track else None,
                            self.weight, self.bias, batch_stats, factor, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) inputs over the batch (and length) per channel.

        >>> ember.nn.BatchNorm1d(4)(ember.randn(8, 4)).shape
        ember.Size([8, 4])
    """
    ranks = (2, 3)
    shapes = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) inputs over the batch and the image per channel.

        >>> ember.nn.BatchNorm2d(3)(ember.randn(2, 3, 4, 4)).shape
        ember.Size([2, 3, 4, 4])
    """
    ranks = (4,)
    shapes = "(N, C, H, W)"


class BatchNorm3d(_BatchNorm):
    """Batch normalization of (N, C, D, H, W) inputs over the batch and the volume per channel."""
    ranks = (5,)
    shapes = "(N, C, D, H, W)"


class LayerNorm(Module):
    """Normalize over the last dims `normalized_shape`, with an elementwise `weight` and `bias`.

        >>> ember.nn.LayerNorm((3, 4))(ember.randn(2, 3, 4)).shape
        ember.Size([2, 3, 4])
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, device=None, dtype=None):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        for s in shape:
            _positive_int("LayerNorm", "normalized_shape", s)
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(empty(shape, device=device, dtype=dtype))
            if bias:
                self.bias = Parameter(empty(shape, device=device, dtype=dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input):
        shape, k = tuple(getattr(input, "shape", ())), len(self.normalized_shape)
        if len(shape) < k or shape[len(shape) - k:] != self.normalized_shape:
            raise ShapeError(f"{self!r}: input of shape {shape}: the last dims must be {self.normalized_shape}")
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}, "
                f"bias={self.bias is not None}")


class GroupNorm(Module):
    """Normalize `num_groups` groups of channels of each sample, with a per-channel `weight`
    and `bias`.

        >>> ember.nn.GroupNorm(2, 6)(ember.randn(3, 6, 4)).shape
        ember.Size([3, 6, 4])
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        _positive_int("GroupNorm", "num_groups", num_groups)
        _positive_int("GroupNorm", "num_channels", num_channels)
        if num_channels % num_groups:
            raise ArgumentError(f"GroupNorm: num_channels={num_channels} must be divisible by "
                                f"num_groups={num_groups}")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        _affine_parameters(self, affine, bias, num_channels, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_affine(self)

    def forward(self, input):
        shape = tuple(getattr(input, "shape", ()))
        if len(shape) < 2 or shape[1] != self.num_channels:
            raise ShapeError(f"{self!r}: expected input of shape (N, C, *) with C={self.num_channels}, "
                             f"got shape {shape}")
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")
