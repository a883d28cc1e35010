"""`ember.autocast`: mixed precision by op, as `torch.autocast`.

Inside the region, matrix products and convolutions run in the low-precision dtype
(`bfloat16` by default on the CPU, `float16` on CUDA), losses and the other ops of PyTorch's
float32 list run in float32, and the rest run in whatever dtype their inputs have
(`ember/amp/lists.py`). Parameters stay float32; their gradients come back float32.

    >>> import ember
    >>> layer = ember.nn.Linear(4, 2)
    >>> with ember.autocast("cpu"):
    ...     y = layer(ember.randn(3, 4))
    ...     loss = ember.nn.functional.mse_loss(y, ember.zeros(3, 2))
    >>> y.dtype, loss.dtype
    (ember.bfloat16, ember.float32)

It works as a decorator too (`@ember.autocast("cpu")`). It is an observer on the dispatch
hook (`ember/autograd/dispatch.py`): it casts an op's inputs and lets the op run, so the
graph tracer, which runs inside the observers, records the casts and `ember.compile` traces
autocast regions. Backward runs in the dtypes of the forward (no casts in backward), as in
PyTorch. The autocast state is process-wide (PyTorch's is per thread).
"""
import contextlib
import functools
import threading

from ember.autograd import dispatch, grad_mode
from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.errors import ArgumentError, DTypeError
from ember.amp.lists import rule

DEVICE_TYPES = ("cpu", "cuda")
_DEFAULT_DTYPE = {"cpu": dtypes.bfloat16, "cuda": dtypes.float16}
_LOW = (dtypes.float16, dtypes.bfloat16)



class _ThreadState(threading.local):
    """Per thread, as PyTorch's autocast state: a region opened on one thread casts nothing on another."""

    def __init__(self):
        self.dtype = {"cpu": None, "cuda": None}  # what each device type casts to; None: autocast off
        self.fast = dict(_DEFAULT_DTYPE)  # the dtype each device type casts to when on (set_autocast_dtype)
        self.cache_on = True
        self.depth = 0        # this thread's open regions
        self.suspended = 0    # inside an op autocast handled: its inner ops are not cast again
        self.cache = {}       # id(leaf) -> (leaf, version, dtype, cast): one cast per weight per region


_local = _ThreadState()
_regions = [0]              # open regions on all threads: the observers are installed while it is above 0
_regions_lock = threading.Lock()


def is_autocast_enabled(device_type="cuda"):
    """Whether autocast is on for `device_type` here."""
    return _local.dtype[_check_device_type(device_type)] is not None


def get_autocast_dtype(device_type):
    """The dtype autocast casts to on `device_type` (what `set_autocast_dtype` or the region set, even when off)."""
    return _local.fast[_check_device_type(device_type)]


@dispatch.add_guard
def _guard():
    """What a compiled graph traced now assumes: autocast's dtype per device type."""
    return "autocast(" + ", ".join(f"{d}={s.name if s else 'off'}" for d, s in _local.dtype.items()) + ")"


def _check_device_type(device_type):
    if device_type not in DEVICE_TYPES:
        raise ArgumentError(f"autocast: device_type={device_type!r} is not supported; ember has autocast for "
                            f"{' and '.join(map(repr, DEVICE_TYPES))}")
    return device_type


class autocast:
    """Context manager and decorator: ops in the region run in mixed precision.

    `autocast(device_type, dtype=None, enabled=True, cache_enabled=None)`: `dtype` is
    `ember.bfloat16` or `ember.float16` (default: bfloat16 on "cpu", float16 on "cuda");
    `enabled=False` turns autocast off for the region (also inside an enclosing one);
    `cache_enabled` (default True) casts each float32 weight once per region.

        >>> @ember.autocast("cpu", dtype=ember.float16)
        ... def f(a, b):
        ...     return a @ b
        >>> f(ember.ones(2, 2), ember.ones(2, 2)).dtype
        ember.float16
    """

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        self.device_type = _check_device_type(device_type)
        dtype = _local.fast[device_type] if dtype is None else dtypes.as_dtype(dtype, "autocast")
        if dtype not in _LOW:
            raise DTypeError(f"autocast: dtype={dtype} is not supported; use ember.bfloat16 or ember.float16")
        if not isinstance(enabled, bool):
            raise ArgumentError(f"autocast: enabled must be a bool, got {enabled!r}")
        if cache_enabled is not None and not isinstance(cache_enabled, bool):
            raise ArgumentError(f"autocast: cache_enabled must be a bool or None, got {cache_enabled!r}")
        self.fast_dtype, self.enabled = dtype, enabled
        self.cache_enabled = True if cache_enabled is None else cache_enabled
        self._saved = []

    def __enter__(self):
        state = _local
        self._saved.append((state.dtype[self.device_type], state.cache_on, state.fast[self.device_type]))
        state.dtype[self.device_type] = self.fast_dtype if self.enabled else None
        state.fast[self.device_type] = self.fast_dtype
        state.cache_on = self.cache_enabled
        state.depth += 1
        with _regions_lock:
            if _regions[0] == 0:
                dispatch.add_observer(_observe_primitive)
                dispatch.add_composite_observer(_observe_op)
            _regions[0] += 1
        return self

    def __exit__(self, *exc):
        state = _local
        state.dtype[self.device_type], state.cache_on, state.fast[self.device_type] = self._saved.pop()
        state.depth -= 1
        if state.depth == 0:
            state.cache.clear()
        with _regions_lock:
            _regions[0] -= 1
            if _regions[0] == 0:
                dispatch.remove_observer(_observe_primitive)
                dispatch.remove_composite_observer(_observe_op)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with autocast(self.device_type, self.fast_dtype, self.enabled, self.cache_enabled):
                return fn(*args, **kwargs)
        return wrapped


# --- the observers ----------------------------------------------------------------------------

def _observe_primitive(cls, args, attrs, proceed):
    return _observe(cls.op_name(), args, attrs, proceed)


def _observe_op(name, args, kwargs, proceed):
    return _observe(name, args, kwargs, proceed)


def _observe(name, args, kwargs, proceed):
    state = _local
    if state.suspended or dispatch.in_backward():  # off (dtype None) unless a region or set_autocast_enabled
        return proceed(args, kwargs)
    device_type = _device_type(args, kwargs)
    if device_type is None or state.dtype[device_type] is None:
        return proceed(args, kwargs)
    kind = rule(device_type, name, args, kwargs)
    if kind is None:
        return proceed(args, kwargs)
    if kind == "banned":
        raise DTypeError(f"{name} is unsafe to autocast on {device_type} (its float16 gradient can overflow); "
                         f"use the *_with_logits form, or leave autocast (enabled=False) around it")
    cast = _CASTS[kind](state.dtype[device_type], args, kwargs)
    args, kwargs = _map(cast, args), {k: _map(cast, v) for k, v in kwargs.items()}
    with _suspend():
        return proceed(args, kwargs)


@contextlib.contextmanager
def _suspend():
    _local.suspended += 1
    try:
        yield
    finally:
        _local.suspended -= 1


def _tensors(value):
    if isinstance(value, Tensor):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _tensors(v)


def _device_type(args, kwargs):
    for t in _tensors(args):
        return t._device.type
    for v in kwargs.values():
        for t in _tensors(v):
            return t._device.type
    return None


def _map(fn, value):
    if isinstance(value, Tensor):
        return fn(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_map(fn, v) for v in value)
    return value


def _lower(dtype, args, kwargs):
    def cast(t):
        d = t.dtype
        if not d.is_floating_point or d is dtypes.float64 or d is dtype:
            return t
        return _cached_cast(t, dtype)
    return cast


def _float32(dtype, args, kwargs):
    return lambda t: t.to(dtypes.float32) if t.dtype in _LOW else t


def _promote(dtype, args, kwargs):
    floats = [t.dtype for t in _tensors((args, tuple(kwargs.values()))) if t.dtype.is_floating_point]
    if not floats:
        return lambda t: t
    widest = functools.reduce(dtypes.promote_types, floats)
    return lambda t: t.to(widest) if t.dtype.is_floating_point and t.dtype is not widest else t


def _opaque(dtype, args, kwargs):
    return lambda t: t


_CASTS = {"lower": _lower, "float32": _float32, "promote": _promote, "opaque": _opaque}


def _cached_cast(t, dtype):
    """A float32 leaf that requires grad (a weight) is cast once per region, as in PyTorch; not
    while tracing, where the cast must be recorded in the graph."""
    if not (_local.cache_on and t._rg and t.grad_fn is None and t.dtype is dtypes.float32
            and grad_mode._state.tracer is None):
        return t.to(dtype)
    hit = _local.cache.get(id(t))
    if hit is not None and hit[0] is t and hit[1] == t._version and hit[2] is dtype:
        return hit[3]
    out = t.to(dtype)
    _local.cache[id(t)] = (t, t._version, dtype, out)
    return out
