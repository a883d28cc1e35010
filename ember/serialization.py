"""`ember.serialization`, where `torch.serialization` users look for `save` and `load`."""
from ember.io.files import load, save

__all__ = ["save", "load"]
