"""`ember.nn.modules.sparse`: where `torch.nn.modules.sparse` users import these from."""
from ember.nn import Embedding, EmbeddingBag

__all__ = ["Embedding", "EmbeddingBag"]
