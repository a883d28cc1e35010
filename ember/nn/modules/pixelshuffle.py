"""`ember.nn.modules.pixelshuffle`: where `torch.nn.modules.pixelshuffle` users import these from."""
from ember.nn import PixelShuffle, PixelUnshuffle

__all__ = ["PixelShuffle", "PixelUnshuffle"]
