"""`ember.nn.modules.container`: where `torch.nn.modules.container` users import these from."""
from ember.nn import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential

__all__ = ["ModuleDict", "ModuleList", "ParameterDict", "ParameterList", "Sequential"]
