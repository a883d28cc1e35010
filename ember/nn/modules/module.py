"""`ember.nn.modules.module`: where `torch.nn.modules.module` users import these from."""
from ember.nn import Module

__all__ = ["Module"]
