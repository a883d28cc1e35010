"""`keras.preprocessing`: the sequence and image helpers Keras 3 still exports.

    >>> keras.preprocessing.sequence.pad_sequences([[1, 2], [3]], maxlen=3)
    array([[0, 1, 2],
           [0, 0, 3]], dtype=int32)
"""
from ember.keras.preprocessing import image, sequence
from ember.keras.preprocessing.timeseries import timeseries_dataset_from_array

__all__ = ["image", "sequence", "timeseries_dataset_from_array"]
