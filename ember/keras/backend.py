"""`keras.backend.clear_session()`: forget the automatic layer names, as Keras does between models
built in one process (`dense`, `dense_1`, ... start again from `dense`).

    >>> keras.backend.clear_session()
    >>> keras.layers.Dense(2).name
    'dense'
"""
from ember.errors import ArgumentError
from ember.keras.layers.base import _COUNTERS

__all__ = ["clear_session"]


def clear_session(free_memory=True):
    """Reset the per-process counters behind automatic layer and model names."""
    if not isinstance(free_memory, bool):
        raise ArgumentError(f"clear_session: free_memory must be a bool, got {type(free_memory).__name__}")
    _COUNTERS.clear()
