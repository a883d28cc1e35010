"""`ember.cuda`: CUDA through CuPy, so device-agnostic scripts run unchanged.

    >>> import ember
    >>> dev = "cuda" if ember.cuda.is_available() else "cpu"
    >>> ember.ones(2, device=dev).device.type == dev
    True

Everything but `is_available`, `device_count`, `manual_seed` and `is_bf16_supported` needs a
GPU and raises `DeviceError` without one (as PyTorch raises without CUDA). Memory is counted by
CuPy's default memory pool, which serves every ember array on the GPU.
"""
import numpy as np

from ember.backend import dtypes
from ember.backend.device import cuda_device_count, cuda_is_available, device as as_device
from ember.backend.random import manual_seed as _seed
from ember.errors import DeviceError


def is_available():
    return cuda_is_available()


def device_count():
    return cuda_device_count()


def manual_seed(seed):
    """Seeds ember's generator: one generator serves every device (random values are drawn on the
    host and copied), so a seed gives the same numbers on the CPU and the GPU."""
    return _seed(seed)


manual_seed_all = manual_seed


def _cupy(what):
    if not cuda_is_available():
        raise DeviceError(f"ember.cuda.{what}: CUDA is not available (install ember[cuda12] or ember[cuda13] "
                          f"on a machine with an NVIDIA GPU; ember.cuda.is_available() tells)")
    return as_device("cuda").xp


def _index(device):
    if device is None:
        return current_device()
    return device if isinstance(device, int) else as_device(device).index


def current_device():
    return _cupy("current_device").cuda.runtime.getDevice()


def set_device(device):
    """Make `device` (an index, "cuda:1" or a device) the current CUDA device."""
    _cupy("set_device").cuda.Device(_index(device)).use()


def get_device_name(device=None):
    props = _cupy("get_device_name").cuda.runtime.getDeviceProperties(_index(device))
    name = props["name"]
    return name.decode() if isinstance(name, bytes) else name


def synchronize(device=None):
    """Wait for every kernel queued on `device` (default: the current one) to finish."""
    cp = _cupy("synchronize")
    with cp.cuda.Device(_index(device)):
        cp.cuda.get_current_stream().synchronize()


def memory_allocated(device=None):
    """Bytes held by live GPU arrays (CuPy's memory pool, in use)."""
    cp = _cupy("memory_allocated")
    with cp.cuda.Device(_index(device)):
        return cp.get_default_memory_pool().used_bytes()


def memory_reserved(device=None):
    """Bytes the memory pool holds from the driver (in use plus cached for reuse)."""
    cp = _cupy("memory_reserved")
    with cp.cuda.Device(_index(device)):
        return cp.get_default_memory_pool().total_bytes()


def empty_cache():
    """Give the pool's cached, unused GPU blocks (and pinned host blocks) back to the driver."""
    cp = _cupy("empty_cache")
    cp.get_default_memory_pool().free_all_blocks()
    cp.get_default_pinned_memory_pool().free_all_blocks()


def is_bf16_supported():
    """Whether bfloat16 arrays work on the GPU: CuPy supports `ml_dtypes.bfloat16` from version 14
    (experimentally); older CuPy has no bfloat16 at all."""
    if not cuda_is_available():
        return False
    cp = as_device("cuda").xp
    try:
        a = cp.ones((2, 2), dtype=dtypes.bfloat16.np)
        return bool(np.asarray(cp.asnumpy(a @ a), np.float32)[0, 0] == 2)
    except Exception:  # CuPy without bfloat16: TypeError/NotImplementedError, or a compile error
        return False


def pinned_copy(array):
    """A copy of the NumPy array `array` in page-locked (pinned) host memory, from which copies to
    the GPU run at full bandwidth; `DataLoader(pin_memory=True)` puts its batches there."""
    _cupy("pinned_copy")
    import cupyx  # ships with CuPy; imported here because CuPy itself is optional
    out = cupyx.empty_pinned(array.shape, array.dtype)
    out[...] = array
    return out
