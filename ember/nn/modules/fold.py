"""`ember.nn.modules.fold`: where `torch.nn.modules.fold` users import these from."""
from ember.nn import Fold, Unfold

__all__ = ["Fold", "Unfold"]
