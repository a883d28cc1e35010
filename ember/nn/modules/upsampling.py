"""`ember.nn.modules.upsampling`: where `torch.nn.modules.upsampling` users import these from."""
from ember.nn import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d

__all__ = ["Upsample", "UpsamplingBilinear2d", "UpsamplingNearest2d"]
