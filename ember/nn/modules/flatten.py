"""`ember.nn.modules.flatten`: where `torch.nn.modules.flatten` users import these from."""
from ember.nn import Flatten, Unflatten

__all__ = ["Flatten", "Unflatten"]
