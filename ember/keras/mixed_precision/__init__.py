"""`keras.mixed_precision`: dtype policies and loss scaling, with Keras 3's names.

    >>> from ember import keras
    >>> keras.mixed_precision.set_global_policy("mixed_float16")
    >>> keras.mixed_precision.global_policy()
    <DTypePolicy "mixed_float16">
    >>> keras.mixed_precision.set_global_policy("float32")
"""
from ember.keras.mixed_precision.policy import (DTypePolicy, Policy, dtype_policy, global_policy, set_dtype_policy,
                                                set_global_policy)
from ember.keras.optimizers.loss_scale_optimizer import LossScaleOptimizer

__all__ = ["DTypePolicy", "Policy", "LossScaleOptimizer", "set_global_policy", "global_policy",
           "set_dtype_policy", "dtype_policy"]
