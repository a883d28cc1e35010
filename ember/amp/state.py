"""PyTorch's autocast state functions: what `ember.autocast` regions set on entry and restore on exit,
callable directly (`set_autocast_enabled`, `set_autocast_dtype`, the weight-cast cache, the nesting
count that clears it), plus the per-device spellings PyTorch keeps (`set_autocast_cpu_dtype`, ...).

    >>> import ember
    >>> ember.set_autocast_enabled("cpu", True)
    >>> (ember.ones(2, 2) @ ember.ones(2, 2)).dtype
    ember.bfloat16
    >>> ember.set_autocast_enabled("cpu", False)

State is per thread, as in PyTorch. ember has no IPU or XLA device: their flags read as PyTorch's
defaults (off; float16 on IPU, bfloat16 on XLA), their dtypes can be set and read back, and turning
autocast on for them raises (no op would ever run there to be cast).
"""
from ember.amp.autocast import (_LOW, _check_device_type, _local, _observe_op, _observe_primitive, _regions,
                                 _regions_lock, dispatch, get_autocast_dtype, is_autocast_enabled)
from ember.backend import dtypes
from ember.errors import ArgumentError, DTypeError

__all__ = ["set_autocast_enabled", "set_autocast_dtype", "set_autocast_cpu_enabled", "set_autocast_cpu_dtype",
           "set_autocast_gpu_dtype", "is_autocast_cache_enabled", "set_autocast_cache_enabled",
           "clear_autocast_cache", "autocast_increment_nesting", "autocast_decrement_nesting",
           "get_autocast_ipu_dtype", "get_autocast_xla_dtype", "is_autocast_ipu_enabled", "is_autocast_xla_enabled",
           "set_autocast_ipu_dtype", "set_autocast_xla_dtype", "set_autocast_ipu_enabled", "set_autocast_xla_enabled",
           "is_autocast_cpu_enabled", "get_autocast_cpu_dtype", "get_autocast_gpu_dtype"]

_NO_DEVICE = {"ipu": dtypes.float16, "xla": dtypes.bfloat16}  # PyTorch's default autocast dtypes there
_no_device_dtype = dict(_NO_DEVICE)
_hold = [False]  # whether set_autocast_enabled keeps the dispatch observers installed


def _bool(op, enabled):
    if not isinstance(enabled, bool):
        raise ArgumentError(f"{op}: enabled must be a bool, got {type(enabled).__name__}")
    return enabled


def _low(op, dtype):
    dt = dtypes.as_dtype(dtype, op)
    if dt not in _LOW:
        raise DTypeError(f"{op}: autocast runs ops in ember.bfloat16 or ember.float16, got {dt}")
    return dt


def _observers(want):
    """Install autocast's observers while a device type is switched on outside any region."""
    with _regions_lock:
        if want != _hold[0]:
            _hold[0] = want
            if want and _regions[0] == 0:
                dispatch.add_observer(_observe_primitive)
                dispatch.add_composite_observer(_observe_op)
            _regions[0] += 1 if want else -1
            if _regions[0] == 0:
                dispatch.remove_observer(_observe_primitive)
                dispatch.remove_composite_observer(_observe_op)


def set_autocast_enabled(device_type, enabled=None):
    """Switch autocast on or off for `device_type` ('cpu' or 'cuda'); `set_autocast_enabled(True)` alone
    is PyTorch's older CUDA form."""
    if enabled is None and isinstance(device_type, bool):
        device_type, enabled = "cuda", device_type
    d = _check_device_type(device_type)
    state = _local
    state.dtype[d] = state.fast[d] if _bool("set_autocast_enabled", enabled) else None
    _observers(any(v is not None for v in state.dtype.values()))


def set_autocast_dtype(device_type, dtype):
    """The dtype autocast casts to on `device_type` (takes effect at once if it is on there)."""
    d = _check_device_type(device_type)
    state = _local
    state.fast[d] = _low("set_autocast_dtype", dtype)
    if state.dtype[d] is not None:
        state.dtype[d] = state.fast[d]


def set_autocast_cpu_enabled(enabled):
    set_autocast_enabled("cpu", _bool("set_autocast_cpu_enabled", enabled))


def is_autocast_cpu_enabled():
    return is_autocast_enabled("cpu")


def set_autocast_cpu_dtype(dtype):
    set_autocast_dtype("cpu", dtype)


def get_autocast_cpu_dtype():
    return get_autocast_dtype("cpu")


def set_autocast_gpu_dtype(dtype):
    set_autocast_dtype("cuda", dtype)


def get_autocast_gpu_dtype():
    return get_autocast_dtype("cuda")


def is_autocast_cache_enabled():
    """Whether float32 weights are cast once per region (or until `clear_autocast_cache`)."""
    return _local.cache_on


def set_autocast_cache_enabled(enabled):
    _local.cache_on = _bool("set_autocast_cache_enabled", enabled)


def clear_autocast_cache():
    """Forget the cached low-precision copies of weights (a region does this when the outermost one exits)."""
    _local.cache.clear()


def autocast_increment_nesting():
    """One more open autocast region on this thread; returns the new count."""
    _local.depth += 1
    return _local.depth


def autocast_decrement_nesting():
    """One fewer open region; returns the new count (PyTorch lets it go below zero, and so does ember)."""
    _local.depth -= 1
    return _local.depth


def _no_device_get(kind):
    def get():
        return _no_device_dtype[kind]
    get.__name__, get.__doc__ = f"get_autocast_{kind}_dtype", f"The autocast dtype recorded for {kind.upper()}."
    return get


def _no_device_set(kind):
    def set_(dtype):
        _no_device_dtype[kind] = _low(f"set_autocast_{kind}_dtype", dtype)
    set_.__name__ = f"set_autocast_{kind}_dtype"
    return set_


def _no_device_is(kind):
    def is_():
        return False
    is_.__name__, is_.__doc__ = f"is_autocast_{kind}_enabled", f"False: ember has no {kind.upper()} device."
    return is_


def _no_device_enable(kind):
    def enable(enabled):
        if _bool(f"set_autocast_{kind}_enabled", enabled):
            raise ArgumentError(f"set_autocast_{kind}_enabled: ember has no {kind.upper()} device, so autocast "
                                f"cannot be switched on for it (devices: cpu, cuda)")
    enable.__name__ = f"set_autocast_{kind}_enabled"
    return enable


get_autocast_ipu_dtype, get_autocast_xla_dtype = _no_device_get("ipu"), _no_device_get("xla")
set_autocast_ipu_dtype, set_autocast_xla_dtype = _no_device_set("ipu"), _no_device_set("xla")
is_autocast_ipu_enabled, is_autocast_xla_enabled = _no_device_is("ipu"), _no_device_is("xla")
set_autocast_ipu_enabled, set_autocast_xla_enabled = _no_device_enable("ipu"), _no_device_enable("xla")
