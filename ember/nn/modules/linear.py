"""`ember.nn.modules.linear`: where `torch.nn.modules.linear` users import these from."""
from ember.nn import Bilinear, Identity, LazyLinear, Linear

__all__ = ["Bilinear", "Identity", "LazyLinear", "Linear"]
