"""`keras.backend`: where Keras code calls `keras.backend.clear_session()` (the same function as
`keras.utils.clear_session`: automatic layer names start again from `dense`) and reads the settings of
`keras.config` (`floatx()`, `epsilon()`, `image_data_format()`, `backend()`).

    >>> keras.backend.clear_session()
    >>> keras.layers.Dense(2).name
    'dense'
"""
from ember.keras.config import backend, epsilon, floatx, image_data_format, set_epsilon, set_floatx, \
    set_image_data_format
from ember.keras.utils_more import clear_session

__all__ = ["backend", "clear_session", "epsilon", "floatx", "image_data_format", "set_epsilon", "set_floatx",
           "set_image_data_format"]
