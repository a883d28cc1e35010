"""`ember.nn.modules.conv`: where `torch.nn.modules.conv` users import these from."""
from ember.nn import Conv1d, Conv2d, ConvTranspose2d
from ember.nn.layers.conv import _ConvNd

__all__ = ["Conv1d", "Conv2d", "ConvTranspose2d"]
