"""`ember.nn.modules.channelshuffle`: where `torch.nn.modules.channelshuffle` users import these from."""
from ember.nn import ChannelShuffle

__all__ = ["ChannelShuffle"]
