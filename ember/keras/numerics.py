"""NumPy's floating-point warnings in Keras paths: PyTorch and Keras compute log(0) = -inf, exp(1000) = inf
and 0/0 = nan silently, so ember's Keras layers, losses, metrics and training steps do too.

    >>> with quiet():
    ...     np.log(np.zeros(1))
    array([-inf])
"""
import functools

import numpy as np

__all__ = ["quiet", "quietly"]


def quiet():
    """A context in which NumPy's divide, overflow and invalid warnings are not raised."""
    return np.errstate(divide="ignore", over="ignore", invalid="ignore")


def quietly(fn):
    """`fn` run under `quiet()`."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with quiet():
            return fn(*args, **kwargs)
    return wrapper
