"""Lazy layers, as in PyTorch: the input size (`in_features`, `in_channels`, `num_features`) is taken
from the first input, and the parameters are created then. After that call the module *is* the plain
layer (its class becomes `cls_to_become`, as PyTorch does), so it saves, prints and trains as one.
Build the optimizer after a first call (a dry run), as PyTorch's documentation asks; loading a state
dict into a lazy layer also creates its parameters, from the shapes in the file.

    >>> net = ember.nn.Sequential(ember.nn.LazyLinear(8), ember.nn.ReLU(), ember.nn.LazyLinear(2))
    >>> net(ember.randn(4, 5)).shape, type(net[0]).__name__, net[0].in_features
    (ember.Size([4, 2]), 'Linear', 5)
"""
from ember.errors import ShapeError
from ember.nn.layers.conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from ember.nn.layers.linear import Linear
from ember.nn.layers.norm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from ember.nn.layers.norm_instance import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from ember.nn.module import Module

__all__ = ["LazyModuleMixin", "LazyLinear", "LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d",
           "LazyConvTranspose2d", "LazyConvTranspose3d",
           "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d",
           "LazyInstanceNorm3d"]


class LazyModuleMixin:
    """A layer whose size argument `size_arg` is read from its first input (or a state dict)."""
    cls_to_become = None
    size_arg = ""

    def _lazy_setup(self, **args):
        Module.__init__(self)
        object.__setattr__(self, "_lazy_args", args)

    def has_uninitialized_params(self):
        return "_lazy_args" in self.__dict__

    def initialize_parameters(self, input, *args, **kwargs):
        """Create the parameters for `input`'s size; the module becomes `cls_to_become`."""
        self._become(self._size_of(input))

    def forward(self, *args, **kwargs):
        become = type(self).cls_to_become
        if self.has_uninitialized_params():
            self.initialize_parameters(*args, **kwargs)
        return become.forward(self, *args, **kwargs)

    def _materialize_from_state(self, state_dict, prefix):
        size = self._size_from_state(state_dict, prefix)
        if size is not None:
            self._become(size)

    def _become(self, size):
        fresh = self.cls_to_become(**{self.size_arg: size}, **self._lazy_args)
        kept = {k: self.__dict__[k] for k in ("_forward_pre_hooks", "_forward_hooks", "_backward_hooks",
                                             "_backward_pre_hooks", "training")}
        self.__dict__.clear()
        self.__dict__.update(fresh.__dict__)
        self.__dict__.update(kept)
        self.__class__ = self.cls_to_become

    def extra_repr(self):
        """The plain layer's repr with the unknown size shown as 0, as PyTorch prints it."""
        text = self.cls_to_become(**{self.size_arg: 1}, **self._lazy_args).extra_repr()
        named = f"{self.size_arg}=1"
        return f"{self.size_arg}=0" + text[len(named):] if text.startswith(named) else "0" + text[1:]

    def _size_of(self, input):
        raise NotImplementedError

    def _size_from_state(self, state_dict, prefix):
        raise NotImplementedError


def _dim(layer, input, dim, rank):
    shape = tuple(getattr(input, "shape", ()))
    if len(shape) < rank:
        raise ShapeError(f"{type(layer).__name__}: cannot infer {layer.size_arg} from an input of shape {shape}")
    return shape[dim]


class LazyLinear(LazyModuleMixin, Linear):
    """`Linear` whose `in_features` is the last dim of the first input."""
    cls_to_become, size_arg = Linear, "in_features"

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        self._lazy_setup(out_features=out_features, bias=bias, device=device, dtype=dtype)

    def _size_of(self, input):
        return _dim(self, input, -1, 1)

    def _size_from_state(self, state_dict, prefix):
        w = state_dict.get(prefix + "weight")
        return None if w is None else tuple(w.shape)[1]


class _LazyConv(LazyModuleMixin):
    size_arg = "in_channels"

    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True,
                 padding_mode="zeros", device=None, dtype=None):
        self._lazy_setup(out_channels=out_channels, kernel_size=kernel_size, stride=stride, padding=padding,
                         dilation=dilation, groups=groups, bias=bias, padding_mode=padding_mode, device=device,
                         dtype=dtype)

    def _size_of(self, input):
        return _dim(self, input, -self.cls_to_become.nd - 1, self.cls_to_become.nd + 1)

    def _size_from_state(self, state_dict, prefix):
        w = state_dict.get(prefix + "weight")
        if w is None:
            return None
        return tuple(w.shape)[0] if self.cls_to_become.transposed else tuple(w.shape)[1] * self._lazy_args["groups"]


class _LazyConvTranspose(_LazyConv):
    def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1, bias=True,
                 dilation=1, padding_mode="zeros", device=None, dtype=None):
        self._lazy_setup(out_channels=out_channels, kernel_size=kernel_size, stride=stride, padding=padding,
                         output_padding=output_padding, groups=groups, bias=bias, dilation=dilation,
                         padding_mode=padding_mode, device=device, dtype=dtype)


class LazyConv1d(_LazyConv, Conv1d):
    """`Conv1d` whose `in_channels` is taken from the first input."""
    cls_to_become = Conv1d


class LazyConv2d(_LazyConv, Conv2d):
    """`Conv2d` whose `in_channels` is taken from the first input."""
    cls_to_become = Conv2d


class LazyConv3d(_LazyConv, Conv3d):
    """`Conv3d` whose `in_channels` is taken from the first input."""
    cls_to_become = Conv3d


class LazyConvTranspose1d(_LazyConvTranspose, ConvTranspose1d):
    """`ConvTranspose1d` whose `in_channels` is taken from the first input."""
    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTranspose, ConvTranspose2d):
    """`ConvTranspose2d` whose `in_channels` is taken from the first input."""
    cls_to_become = ConvTranspose2d


class LazyConvTranspose3d(_LazyConvTranspose, ConvTranspose3d):
    """`ConvTranspose3d` whose `in_channels` is taken from the first input."""
    cls_to_become = ConvTranspose3d


class _LazyNorm(LazyModuleMixin):
    size_arg = "num_features"
    spatial = None  # InstanceNorm: spatial dims, so an unbatched input is told apart

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None):
        # PyTorch's lazy instance norms default to affine=True, track_running_stats=True too (unlike InstanceNorm)
        self._lazy_setup(eps=eps, momentum=momentum, affine=affine, track_running_stats=track_running_stats,
                         device=device, dtype=dtype)

    def _size_of(self, input):
        unbatched = self.spatial is not None and getattr(input, "ndim", 0) == self.spatial + 1
        return _dim(self, input, 0 if unbatched else 1, 2)

    def _size_from_state(self, state_dict, prefix):
        for key in ("running_mean", "weight"):
            if prefix + key in state_dict:
                return tuple(state_dict[prefix + key].shape)[0]
        return None


class LazyBatchNorm1d(_LazyNorm, BatchNorm1d):
    """`BatchNorm1d` whose `num_features` is taken from the first input."""
    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyNorm, BatchNorm2d):
    """`BatchNorm2d` whose `num_features` is taken from the first input."""
    cls_to_become = BatchNorm2d


class LazyBatchNorm3d(_LazyNorm, BatchNorm3d):
    """`BatchNorm3d` whose `num_features` is taken from the first input."""
    cls_to_become = BatchNorm3d


class LazyInstanceNorm1d(_LazyNorm, InstanceNorm1d):
    """`InstanceNorm1d` whose `num_features` is taken from the first input."""
    cls_to_become, spatial = InstanceNorm1d, 1


class LazyInstanceNorm2d(_LazyNorm, InstanceNorm2d):
    """`InstanceNorm2d` whose `num_features` is taken from the first input."""
    cls_to_become, spatial = InstanceNorm2d, 2


class LazyInstanceNorm3d(_LazyNorm, InstanceNorm3d):
    """`InstanceNorm3d` whose `num_features` is taken from the first input."""
    cls_to_become, spatial = InstanceNorm3d, 3
