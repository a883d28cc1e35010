"""`keras.preprocessing.sequence` (and `keras.utils`): `pad_sequences`."""
import numpy as np

from ember.errors import ArgumentError

__all__ = ["pad_sequences"]


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
