"""`ember.nn.modules.normalization`: where `torch.nn.modules.normalization` users import these from."""
from ember.nn import GroupNorm, LayerNorm

__all__ = ["GroupNorm", "LayerNorm"]
