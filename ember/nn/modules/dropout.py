"""`ember.nn.modules.dropout`: where `torch.nn.modules.dropout` users import these from."""
from ember.nn import AlphaDropout, Dropout, Dropout1d, Dropout2d, Dropout3d, FeatureAlphaDropout
from ember.nn.layers.dropout import _DropoutNd  # noqa: F401 - subclassed by users

__all__ = ["AlphaDropout", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "FeatureAlphaDropout"]
