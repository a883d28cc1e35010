"""`ember.nn.modules.batchnorm`: where `torch.nn.modules.batchnorm` users import these from."""
from ember.nn import BatchNorm1d, BatchNorm2d, BatchNorm3d, LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d
from ember.nn.layers.norm import _BatchNorm  # noqa: F401 - subclassed by users

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d"]
