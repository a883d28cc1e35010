"""`torch.backends.mps`: ember has no Apple Metal backend, so both queries are False.

    >>> import ember
    >>> ember.backends.mps.is_available()
    False
"""


def is_available():
    """False: ember runs on NumPy (CPU) and CuPy (CUDA) only."""
    return False


def is_built():
    """False: ember has no Metal backend."""
    return False
