"""`ember.nn.modules.lazy`: where `torch.nn.modules.lazy` users import these from."""
from ember.nn.layers.lazy import LazyModuleMixin  # noqa: F401 - subclassed by users

__all__ = []
