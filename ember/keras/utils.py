"""`keras.utils`: `set_random_seed`, `to_categorical`, `normalize`, `pad_sequences`, `plot_model`,
`model_to_dot`.

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
from ember.keras.plotting import model_to_dot, plot_model

__all__ = ["set_random_seed", "to_categorical", "normalize", "pad_sequences", "plot_model", "model_to_dot"]


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


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """Sequences of different lengths as one array of shape (len(sequences), maxlen, ...): longer ones
    cut and shorter ones filled with `value`, at the start (`"pre"`, Keras's default) or the end (`"post"`)."""
    for arg, given in (("padding", padding), ("truncating", truncating)):
        if given not in ("pre", "post"):
            raise ArgumentError(f"pad_sequences: {arg} must be 'pre' or 'post', got {given!r}")
    try:
        lengths = [len(s) for s in sequences]
    except TypeError:
        raise ArgumentError("pad_sequences: sequences must be a list of sequences (lists or arrays), "
                            "each with a length") from None
    if maxlen is None:
        maxlen = max(lengths, default=0)
    if maxlen < 0:
        raise ArgumentError(f"pad_sequences: maxlen must be >= 0, got {maxlen}")
    sample_shape = next((np.asarray(s).shape[1:] for s in sequences if len(s)), ())
    out = np.full((len(lengths), maxlen) + sample_shape, value, dtype=dtype)
    for i, seq in enumerate(sequences):
        if not len(seq) or not maxlen:
            continue
        seq = np.asarray(seq)
        kept = seq[-maxlen:] if truncating == "pre" else seq[:maxlen]
        if kept.shape[1:] != sample_shape:
            raise ArgumentError(f"pad_sequences: sequence {i} has items of shape {kept.shape[1:]}, the first "
                                f"non-empty one has items of shape {sample_shape}; they must be the same")
        if padding == "post":
            out[i, :len(kept)] = kept
        else:
            out[i, maxlen - len(kept):] = kept
    return out
