"""`ember.amp`: mixed precision. `autocast` runs each op in the precision PyTorch's op lists give
it; `GradScaler` scales the loss so float16 gradients neither underflow nor overflow unseen.

    >>> import ember
    >>> with ember.amp.autocast("cpu", dtype=ember.float16):
    ...     (ember.ones(2, 3) @ ember.ones(3, 2)).dtype
    ember.float16
"""
from ember.amp.autocast import autocast, get_autocast_dtype, is_autocast_enabled
from ember.amp.grad_scaler import GradScaler

__all__ = ["autocast", "GradScaler", "is_autocast_enabled", "get_autocast_dtype"]
