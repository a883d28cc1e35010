"""`torch.backends.mkldnn`: ember does not call oneDNN (MKL-DNN); `enabled` is a plain attribute.

    >>> import ember
    >>> ember.backends.mkldnn.is_available()
    False
"""
enabled = True


def is_available():
    """False: ember's CPU kernels are NumPy's (and numba's), not oneDNN's."""
    return False
