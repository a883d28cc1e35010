"""`keras.utils`: `set_random_seed`, `to_categorical`.

    >>> keras.utils.to_categorical([0, 2], num_classes=3)
    array([[1., 0., 0.],
           [0., 0., 1.]], dtype=float32)
"""
import random

import numpy as np

from ember.backend.random import manual_seed
from ember.errors import ArgumentError

__all__ = ["set_random_seed", "to_categorical"]


def set_random_seed(seed):
    """Seed Python's, NumPy's and ember's random generators."""
    random.seed(seed)
    np.random.seed(seed)
    manual_seed(seed)


def to_categorical(x, num_classes=None):
    """One-hot float32 rows for integer labels."""
    labels = np.asarray(x, dtype=np.int64)
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels[..., 0]
    num_classes = int(labels.max()) + 1 if num_classes is None else num_classes
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ArgumentError(f"to_categorical: labels must be in [0, {num_classes}), got min {labels.min()} "
                            f"and max {labels.max()}")
    return np.eye(num_classes, dtype=np.float32)[labels]
