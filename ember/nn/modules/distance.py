"""`ember.nn.modules.distance`: where `torch.nn.modules.distance` users import these from."""
from ember.nn import CosineSimilarity, PairwiseDistance

__all__ = ["CosineSimilarity", "PairwiseDistance"]
