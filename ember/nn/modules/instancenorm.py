"""`ember.nn.modules.instancenorm`: where `torch.nn.modules.instancenorm` users import these from."""
from ember.nn import (
    InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, LazyInstanceNorm1d, LazyInstanceNorm2d, LazyInstanceNorm3d)
from ember.nn.layers.norm_instance import _InstanceNorm  # noqa: F401 - subclassed by users

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d",
           "LazyInstanceNorm3d"]
