"""`ember.cuda`: whether CUDA (through CuPy) is usable, so device-agnostic scripts run unchanged.

    >>> import ember
    >>> dev = "cuda" if ember.cuda.is_available() else "cpu"
"""
from ember.backend.device import cuda_device_count, cuda_is_available
from ember.backend.random import manual_seed as _seed


def is_available():
    return cuda_is_available()


def device_count():
    return cuda_device_count()


def manual_seed(seed):
    """Seeds ember's generator (one generator serves every device)."""
    return _seed(seed)


manual_seed_all = manual_seed
