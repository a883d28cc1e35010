"""Keras's losses, as classes and as functions (`ember.keras.losses.core` has the common ones and the
lookup by name; `ember.keras.losses.more` the focal, Dice, Tversky, circle and generalized losses).

    >>> keras.losses.get("binary_focal_crossentropy")
    BinaryFocalCrossentropy(name='binary_focal_crossentropy', reduction='sum_over_batch_size', ...)
"""
from ember.keras.losses.core import *  # noqa: F401,F403  (its __all__: the common losses and the lookup)
from ember.keras.losses.core import CLASSES, FUNCTIONS, LOSSES, __all__ as _core_all, reduce_weighted_values
from ember.keras.losses.more import *  # noqa: F401,F403
from ember.keras.losses.more import __all__ as _more_all

__all__ = _core_all + _more_all + ["reduce_weighted_values"]
