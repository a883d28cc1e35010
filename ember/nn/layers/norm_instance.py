"""`InstanceNorm1d/2d/3d`, `RMSNorm`, `LocalResponseNorm` and `CrossMapLRN2d`, with PyTorch's arguments,
parameter and buffer names.

    >>> ember.nn.InstanceNorm2d(3, affine=True)(ember.randn(2, 3, 5, 5)).shape
    ember.Size([2, 3, 5, 5])
    >>> ember.nn.RMSNorm(8)(ember.randn(4, 8)).shape
    ember.Size([4, 8])
"""
from ember.errors import ShapeError
from ember.nn import functional as F
from ember.nn import init
from ember.nn.layers.norm import _affine_parameters, _positive_int, _reset_affine, _running_stats
from ember.nn.module import Module
from ember.nn.parameter import Parameter
from ember.ops.creation import empty
from ember.ops.join import stack

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "RMSNorm", "LocalResponseNorm", "CrossMapLRN2d"]


class _InstanceNorm(Module):
    spatial = 1  # spatial dims of the input

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False, device=None,
                 dtype=None):
        super().__init__()
        self.num_features = _positive_int(type(self).__name__, "num_features", num_features)
        self.eps, self.momentum, self.affine = eps, momentum, affine
        self.track_running_stats = track_running_stats
        _affine_parameters(self, affine, True, num_features, device, dtype)
        _running_stats(self, track_running_stats, num_features, device, dtype)  # num_batches_tracked: never counted
        self.reset_parameters()

    def reset_parameters(self):
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
        _reset_affine(self)

    def forward(self, input):
        shape = tuple(getattr(input, "shape", ()))
        if len(shape) not in (self.spatial + 1, self.spatial + 2):
            raise ShapeError(f"{type(self).__name__}: expected a {self.spatial + 1}-d (unbatched) or "
                             f"{self.spatial + 2}-d input, got shape {shape}")
        unbatched = len(shape) == self.spatial + 1
        x = input.unsqueeze(0) if unbatched else input
        if x.shape[1] != self.num_features and (self.affine or self.track_running_stats):
            raise ShapeError(f"{type(self).__name__}({self.num_features}): input of shape {shape} has "
                             f"{x.shape[1]} channels")
        out = F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                              self.training or not self.track_running_stats,
                              self.momentum if self.momentum is not None else 0.0, self.eps)
        return out.squeeze(0) if unbatched else out

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"bias={self.bias is not None}, track_running_stats={self.track_running_stats}")


class InstanceNorm1d(_InstanceNorm):
    """Normalize each (sample, channel) of (N, C, L) or (C, L) inputs over L."""
    spatial = 1


class InstanceNorm2d(_InstanceNorm):
    """Normalize each (sample, channel) of (N, C, H, W) or (C, H, W) inputs over H, W."""
    spatial = 2


class InstanceNorm3d(_InstanceNorm):
    """Normalize each (sample, channel) of (N, C, D, H, W) or (C, D, H, W) inputs over D, H, W."""
    spatial = 3


class RMSNorm(Module):
    """`x / sqrt(mean(x**2) + eps) * weight` over the last dims `normalized_shape`."""

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None, dtype=None):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        for n in shape:
            _positive_int("RMSNorm", "normalized_shape", n)
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        self.register_parameter("weight", Parameter(empty(shape, device=device, dtype=dtype))
                                if elementwise_affine else None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, x):
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"


class LocalResponseNorm(Module):
    """Normalize each channel by the squares of its `size` neighbouring channels."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class CrossMapLRN2d(LocalResponseNorm):
    """Local response normalization across channels of (N, C, H, W) inputs (the Lua Torch layer)."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1):
        super().__init__(size, alpha, beta, k)

    def forward(self, input):
        """PyTorch's running-window recurrence, kept as it is (the first channel's square never leaves
        the window, and the window is asymmetric), so models ported with this layer compute the same."""
        if input.ndim != 4:
            raise ShapeError(f"CrossMapLRN2d: expected a 4-d (N, C, H, W) input, got shape {tuple(input.shape)}")
        sq, channels = input * input, input.shape[1]
        pre = int((self.size - 1) / 2 + 1)
        scales = [sq[:, :min(pre, channels)].sum(1)]
        for c in range(1, channels):
            s = scales[-1]
            if c < channels - pre + 1:
                s = s + sq[:, c + pre - 1]
            if c > pre:
                s = s - sq[:, c - pre]
            scales.append(s)
        return input * (stack(scales, 1) * (self.alpha / self.size) + self.k) ** -self.beta
