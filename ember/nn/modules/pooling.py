"""`ember.nn.modules.pooling`: where `torch.nn.modules.pooling` users import these from."""
from ember.nn import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d)
from ember.nn.layers.pool import _MaxPoolNd, _AdaptiveAvgPoolNd

__all__ = ["AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AvgPool1d", "AvgPool2d", "MaxPool1d", "MaxPool2d"]
