"""`ember.backends`, where PyTorch scripts set and query their backends (`torch.backends`).

ember computes on NumPy (CPU) and CuPy (CUDA): it has no cuDNN, MPS, MKL-DNN or OpenMP backend of its
own. The flags scripts set (`cudnn.benchmark = True`, `cudnn.deterministic = True`,
`cuda.matmul.allow_tf32 = False`) are plain attributes that ember reads nowhere — ember's kernels are
deterministic and compute float32 matmuls in float32 whatever they say — and the availability queries
answer for ember: `cudnn.is_available()` and `mps.is_available()` are False, `cuda.is_built()` says
whether CuPy can reach a GPU.

    >>> import ember
    >>> ember.backends.cudnn.deterministic = True
    >>> ember.backends.cudnn.is_available(), ember.backends.mps.is_available()
    (False, False)
"""
from ember.backends import cpu, cuda, cudnn, mkldnn, mps, openmp
from ember.backends.settings import (are_deterministic_algorithms_enabled, get_float32_matmul_precision,
                                     is_deterministic_algorithms_warn_only_enabled, set_float32_matmul_precision,
                                     use_deterministic_algorithms)

__all__ = ["cpu", "cuda", "cudnn", "mkldnn", "mps", "openmp"]
