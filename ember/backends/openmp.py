"""`torch.backends.openmp`: ember does not parallelize with OpenMP itself (NumPy's BLAS may).

    >>> import ember
    >>> ember.backends.openmp.is_available()
    False
"""


def is_available():
    """False: ember has no OpenMP kernels of its own."""
    return False
