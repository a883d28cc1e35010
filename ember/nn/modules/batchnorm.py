"""`ember.nn.modules.batchnorm`: where `torch.nn.modules.batchnorm` users import these from."""
from ember.nn import BatchNorm1d, BatchNorm2d
from ember.nn.layers.norm import _BatchNorm

__all__ = ["BatchNorm1d", "BatchNorm2d"]
