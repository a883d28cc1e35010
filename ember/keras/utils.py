"""`keras.utils`: `set_random_seed`, `to_categorical`, `normalize`, `pad_sequences`, `get_file`, the
image helpers, the (x, y, sample_weight) packing of custom steps, `plot_model`, `model_to_dot`.

    >>> keras.utils.to_categorical([0, 2], num_classes=3)
    array([[1., 0., 0.],
           [0., 0., 1.]], dtype=float32)
    >>> keras.utils.pad_sequences([[1, 2, 3], [4]], maxlen=2)
    array([[2, 3],
           [0, 4]], dtype=int32)
"""
import random

import numpy as np

from ember.backend.random import manual_seed
from ember.errors import ArgumentError
from ember.keras.file_utils import get_file
from ember.keras.plotting import model_to_dot, plot_model
from ember.keras.preprocessing.image import array_to_img, img_to_array, load_img, save_img
from ember.keras.preprocessing.sequence import pad_sequences
from ember.keras.utils_more import (Config, CustomObjectScope, PyDataset, Sequence, clear_session, custom_object_scope,
                                    deserialize_keras_object, get_custom_objects, get_registered_name,
                                    get_registered_object, get_source_inputs, is_keras_tensor,
                                    register_keras_serializable, serialize_keras_object, standardize_dtype)
from ember.keras import utils_more as _more
from ember.keras.progbar import (Progbar, disable_interactive_logging, enable_interactive_logging,
                                 is_interactive_logging_enabled)
from ember.keras.utils_more import split_dataset
from ember.keras.preprocessing.timeseries import timeseries_dataset_from_array

__all__ = ["set_random_seed", "to_categorical", "normalize", "pad_sequences", "get_file", "array_to_img",
           "img_to_array", "load_img", "save_img", "pack_x_y_sample_weight", "unpack_x_y_sample_weight",
           "plot_model", "model_to_dot", "Progbar", "disable_interactive_logging", "enable_interactive_logging",
           "is_interactive_logging_enabled", "timeseries_dataset_from_array"] + _more.__all__


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


def normalize(x, axis=-1, order=2):
    """`x` divided by its `order`-norm along `axis` (a zero norm is left as 1): a NumPy array. As in
    Keras, a 1-D `x` comes back as one row, of shape (1, n)."""
    x = np.asarray(x)
    norms = np.atleast_1d(np.linalg.norm(x, order, axis))
    norms[norms == 0] = 1
    return x / np.expand_dims(norms, axis)


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The batch a step receives: x alone ((x,) when x is a tuple or list), (x, y) or (x, y, sample_weight)."""
    if y is None:
        return (x,) if isinstance(x, (tuple, list)) else x
    return (x, y) if sample_weight is None else (x, y, sample_weight)


def unpack_x_y_sample_weight(data):
    """(x, y, sample_weight) of a batch: a tuple of 1 to 3 items, or x alone."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if not 1 <= len(data) <= 3:
        raise ArgumentError(f"unpack_x_y_sample_weight: expected (x,), (x, y) or (x, y, sample_weight), got a "
                            f"tuple of {len(data)}")
    return tuple(data) + (None,) * (3 - len(data))
