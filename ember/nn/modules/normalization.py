"""`ember.nn.modules.normalization`: where `torch.nn.modules.normalization` users import these from."""
from ember.nn import CrossMapLRN2d, GroupNorm, LayerNorm, LocalResponseNorm, RMSNorm

__all__ = ["CrossMapLRN2d", "GroupNorm", "LayerNorm", "LocalResponseNorm", "RMSNorm"]
