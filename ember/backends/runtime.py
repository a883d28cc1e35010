"""Top-level runtime queries and switches PyTorch scripts call: the deterministic debug mode, the
build's capabilities (`has_lapack`, ...), denormal flushing, the thread pool and the default device.

    >>> import ember
    >>> ember.set_deterministic_debug_mode("warn")
    >>> ember.get_deterministic_debug_mode(), ember.is_deterministic_algorithms_warn_only_enabled()
    (1, True)
    >>> ember.set_deterministic_debug_mode(0)
"""
import numpy as np

from ember.backend import threads
from ember.backend.device import device as as_device
from ember.backends import settings
from ember.errors import ArgumentError, DeviceError

__all__ = ["set_deterministic_debug_mode", "get_deterministic_debug_mode", "set_flush_denormal", "init_num_threads",
           "is_vulkan_available", "set_default_device", "has_lapack", "has_mkl", "has_openmp", "has_spectral"]

DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}

has_lapack = True    # NumPy's linalg (LAPACK) backs ember.linalg
has_spectral = True  # NumPy's FFT backs ember.fft
has_openmp = False   # ember's kernels are NumPy's and its BLAS's; ember builds no OpenMP code
has_mkl = "mkl" in np.show_config(mode="dicts").get("Build Dependencies", {}).get("blas", {}).get("name", "")


def set_deterministic_debug_mode(debug_mode):
    """0/'default': nondeterministic algorithms allowed; 1/'warn': warn on them; 2/'error': refuse them
    (`use_deterministic_algorithms` with `warn_only`). ember's algorithms are deterministic either way."""
    mode = DEBUG_MODES.get(debug_mode, debug_mode) if isinstance(debug_mode, str) else debug_mode
    if isinstance(debug_mode, str) and debug_mode not in DEBUG_MODES:
        raise ArgumentError(f"set_deterministic_debug_mode: invalid mode {debug_mode!r}; expected one of "
                            f"{sorted(DEBUG_MODES)}")
    if type(mode) is not int or mode not in DEBUG_MODES.values():
        raise ArgumentError(f"set_deterministic_debug_mode: invalid mode {debug_mode!r}; expected 0, 1 or 2")
    settings.use_deterministic_algorithms(mode > 0, warn_only=mode == 1)


def get_deterministic_debug_mode():
    """0, 1 or 2: what `set_deterministic_debug_mode` (or `use_deterministic_algorithms`) set."""
    if not settings.are_deterministic_algorithms_enabled():
        return 0
    return 1 if settings.is_deterministic_algorithms_warn_only_enabled() else 2


def set_flush_denormal(mode):
    """Whether flushing denormals to zero could be set: False, for ember's NumPy kernels give no control over
    the CPU's flush-to-zero flags; subnormal values stay as IEEE arithmetic makes them."""
    if not isinstance(mode, bool):
        raise ArgumentError(f"set_flush_denormal: mode must be a bool, got {type(mode).__name__}")
    return False


def init_num_threads():
    """Start the intra-op pool: ember's is the BLAS library's, loaded with NumPy; its controller (the `fast`
    extra's threadpoolctl, which `set_num_threads` uses) is looked up here, so that call does not pay for it."""
    threads._controller()


def is_vulkan_available():
    """False: ember has no Vulkan backend (devices: cpu, and cuda through CuPy)."""
    return False


def set_default_device(device):
    """ember creates tensors on the CPU unless an op is given `device=`; 'cpu' (or None) is accepted, any
    other device is refused rather than ignored."""
    dev = as_device("cpu" if device is None else device)
    if dev.type != "cpu":
        raise DeviceError(f"set_default_device: ember creates new tensors on the CPU unless given device=; "
                          f"a default of {dev} is not supported (pass device={str(dev)!r} to the creating op)")
