"""`torch.backends.cuda`: `is_built()` says whether CuPy can reach a GPU; `matmul.allow_tf32` and the
other precision flags are plain attributes (PyTorch's defaults) that ember reads nowhere — its float32
matmuls run in float32.

    >>> import ember
    >>> ember.backends.cuda.matmul.allow_tf32 = False
    >>> ember.backends.cuda.is_built() == ember.cuda.is_available()
    True
"""
import types

from ember.backend.device import cuda_is_available

matmul = types.SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True,
                               allow_bf16_reduced_precision_reduction=True)


def is_built():
    """Whether ember can run on CUDA here (CuPy installed and a GPU visible)."""
    return cuda_is_available()


def flash_sdp_enabled():
    """False: ember's scaled_dot_product_attention has one implementation (no flash kernel)."""
    return False


def mem_efficient_sdp_enabled():
    """False: no memory-efficient attention kernel either."""
    return False


def math_sdp_enabled():
    """True: the one implementation is the math one."""
    return True
