"""`keras.backend`: where Keras code calls `keras.backend.clear_session()` (the same function as
`keras.utils.clear_session`: automatic layer names start again from `dense`).

    >>> keras.backend.clear_session()
    >>> keras.layers.Dense(2).name
    'dense'
"""
from ember.keras.utils_more import clear_session

__all__ = ["clear_session"]
