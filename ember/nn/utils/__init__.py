"""`ember.nn.utils`, as PyTorch's `torch.nn.utils`: gradient clipping and parameter vectors
(clip_grad.py), padded and packed sequences for recurrent layers (`rnn`), weight and spectral
normalization (weight_norm.py, spectral_norm.py) and `parametrizations`.

    >>> import ember
    >>> w = ember.ones(4, requires_grad=True)
    >>> (10 * w).sum().backward()
    >>> round(float(ember.nn.utils.clip_grad_norm_([w], max_norm=1.0)), 4)
    20.0
"""
from ember.nn.utils.clip_grad import *  # noqa: F401,F403
from ember.nn.utils.clip_grad import __all__ as _clip_all
from ember.nn.utils import parametrizations, parametrize, rnn
from ember.nn.utils.weight_norm import remove_spectral_norm, remove_weight_norm, spectral_norm, weight_norm

__all__ = list(_clip_all) + ["rnn", "parametrize", "parametrizations", "weight_norm", "remove_weight_norm",
                             "spectral_norm", "remove_spectral_norm"]
