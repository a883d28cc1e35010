"""`ember.nn.modules.linear`: where `torch.nn.modules.linear` users import these from."""
from ember.nn import Bilinear, Identity, Linear

__all__ = ["Bilinear", "Identity", "Linear"]
