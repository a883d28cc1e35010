"""Creating tensors: from data, filled, ranges, and random (seeded by `ember.manual_seed`
or an explicit `ember.Generator`).

    >>> import ember
    >>> ember.zeros(2, 3).shape, ember.arange(0, 1, 0.25), ember.eye(2, dtype=ember.int64)
    (ember.Size([2, 3]), tensor([0.  , 0.25, 0.5 , 0.75]), tensor([[1, 0],
            [0, 1]]))
"""
import math

import numpy as np

from ember.autograd.checks import as_shape, check_size
from ember.autograd.tensor import Tensor, _wrap, as_array
from ember.backend import dtypes
from ember.backend.device import CPU, array_device, device as as_device
from ember.backend.random import default_generator
from ember.errors import ArgumentError, DTypeError

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "zeros_like",
           "ones_like", "empty_like", "full_like", "arange", "linspace", "logspace", "eye", "rand",
           "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like", "normal",
           "bernoulli", "multinomial"]

# Tensor methods (bound in tensor_methods.py) and the ones with an in-place `name_` form.
METHODS = ""
INPLACE = ""


def _finish(array, dev, requires_grad):
    t = _wrap(array, dev)
    if requires_grad:
        t.requires_grad = True
    return t


def _dt(dtype, default=None):
    return (default or dtypes.get_default_dtype()) if dtype is None else dtypes.as_dtype(dtype)


def _dev(device):
    return CPU if device is None else as_device(device)


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of `data` (nested lists, numbers, arrays, tensors)."""
    arr = as_array(data, dtype, device)
    if arr is data or (isinstance(data, Tensor) and arr is data._data) or getattr(arr, "base", None) is not None:
        arr = arr.copy()
    return _finish(arr, _dev(device) if device is not None else array_device(arr), requires_grad)


def as_tensor(data, dtype=None, device=None):
    """`data` as a tensor, sharing memory with a NumPy array or tensor when dtype and device allow."""
    if isinstance(data, Tensor) and dtype is None and device is None:
        return data
    arr = as_array(data, dtype, device)
    return _finish(arr, array_device(arr), False)


def from_numpy(ndarray):
    """A tensor sharing memory with `ndarray` (keeps its dtype)."""
    if not isinstance(ndarray, np.ndarray):
        raise DTypeError(f"from_numpy: expected a numpy.ndarray, got {type(ndarray).__name__}")
    dtypes.dtype_of(ndarray)
    return _wrap(ndarray, CPU)


def _filled(op, fill, size, dtype, device, requires_grad):
    shape = as_shape(op, size)
    dt = _dt(dtype)
    check_size(op, shape, dt.itemsize)
    dev = _dev(device)
    return _finish(fill(dev.xp, shape, dt.np), dev, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of zeros: `zeros(2, 3)` or `zeros((2, 3))`."""
    return _filled("zeros", lambda xp, s, d: xp.zeros(s, d), size, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of ones."""
    return _filled("ones", lambda xp, s, d: xp.ones(s, d), size, dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    """An uninitialized tensor."""
    return _filled("empty", lambda xp, s, d: xp.empty(s, d), size, dtype, device, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    """A tensor filled with `fill_value` (its dtype inferred from the value, as in PyTorch)."""
    if dtype is None:
        dtype = dtypes.result_type(fill_value)
    return _filled("full", lambda xp, s, d: xp.full(s, fill_value, d), (size,), dtype, device, requires_grad)


def _like(fn):
    def like(input, dtype=None, device=None, requires_grad=False, memory_format=None):
        return fn(tuple(input.shape), dtype=input.dtype if dtype is None else dtype,
                  device=input.device if device is None else device, requires_grad=requires_grad)
    like.__name__ = fn.__name__ + "_like"
    like.__doc__ = f"`{fn.__name__}` with `input`'s shape, dtype and device."
    return like


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False, memory_format=None):
    return full(tuple(input.shape), fill_value, dtype=input.dtype if dtype is None else dtype,
                device=input.device if device is None else device, requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """Values from `start` to `end` (exclusive) by `step`; int64 for integer arguments."""
    if end is None:
        start, end = 0, start
    args = [float(a) if isinstance(a, Tensor) and a.is_floating_point() else a for a in (start, end, step)]
    start, end, step = (a.item() if isinstance(a, Tensor) else a for a in args)
    if step == 0:
        raise ArgumentError("arange: step must be nonzero")
    if any(isinstance(a, float) and not math.isfinite(a) for a in (start, end, step)):
        raise ArgumentError(f"arange: start, end and step must be finite, got {start}, {end}, {step}")
    if (end - start) / step < 0:
        raise ArgumentError(f"arange: upper bound and larger bound inconsistent with step sign "
                            f"(start={start}, end={end}, step={step})")
    if dtype is None:
        dtype = dtypes.result_type(start, end, step)
    dt = dtypes.as_dtype(dtype)
    n = max(0, math.ceil((end - start) / step))
    check_size("arange", (n,), dt.itemsize)
    dev = _dev(device)
    if dt.is_floating_point:
        arr = (start + step * dev.xp.arange(n, dtype=np.float64)).astype(dt.np)
    else:
        arr = dev.xp.arange(start, end, step).astype(dt.np)[:n]
    return _finish(arr, dev, requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    """`steps` values evenly spaced from `start` to `end` inclusive."""
    if not isinstance(steps, int) or steps < 0:
        raise ArgumentError(f"linspace: steps must be a non-negative int, got {steps!r}")
    dt = _dt(dtype)
    check_size("linspace", (steps,), dt.itemsize)
    dev = _dev(device)
    return _finish(dev.xp.linspace(start, end, steps).astype(dt.np), dev, requires_grad)


def logspace(start, end, steps, base=10.0, dtype=None, device=None, requires_grad=False):
    t = linspace(start, end, steps, dtype=dtypes.float64, device=device)
    return _finish((base ** t._data).astype(_dt(dtype).np), t.device, requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    """The identity matrix (n x m)."""
    m = n if m is None else m
    dt = _dt(dtype)
    check_size("eye", (n, m), dt.itemsize)
    dev = _dev(device)
    return _finish(dev.xp.eye(n, m, dtype=dt.np), dev, requires_grad)


# --- random ---------------------------------------------------------------------

def _rng(generator):
    return (generator or default_generator).np


def _random(op, sample, size, dtype, device, requires_grad, generator, default=None):
    shape = as_shape(op, size)
    dt = _dt(dtype, default)
    check_size(op, shape, dt.itemsize)
    dev = _dev(device)
    arr = sample(_rng(generator), shape, dt)
    if dev is not CPU:
        arr = dev.xp.asarray(arr)
    return _finish(np.asarray(arr).astype(dt.np, copy=False) if dev is CPU else arr, dev, requires_grad)


def _need_float(op, dt):
    if not dt.is_floating_point:
        raise DTypeError(f"{op}: expected a floating dtype, got {dt}")


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform samples in [0, 1)."""
    def sample(rng, shape, dt):
        _need_float("rand", dt)
        return rng.random(shape, dtype=np.float64 if dt.itemsize != 4 else np.float32)
    return _random("rand", sample, size, dtype, device, requires_grad, generator)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal samples."""
    def sample(rng, shape, dt):
        _need_float("randn", dt)
        return rng.standard_normal(shape, dtype=np.float64 if dt.itemsize != 4 else np.float32)
    return _random("randn", sample, size, dtype, device, requires_grad, generator)


def randint(low, high=None, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """Integers in [low, high); `randint(high, size)` or `randint(low, high, size)` as in PyTorch."""
    if size is None:
        if not isinstance(high, (tuple, list)):
            raise ArgumentError("randint: size must be given as a tuple, e.g. randint(0, 10, (3,))")
        low, high, size = 0, low, high
    if high <= low:
        raise ArgumentError(f"randint: low ({low}) must be smaller than high ({high})")
    return _random("randint", lambda rng, s, dt: rng.integers(low, high, s), (tuple(size),), dtype,
                   device, requires_grad, generator, dtypes.int64)


def randperm(n, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of 0..n-1."""
    if not isinstance(n, int) or n < 0:
        raise ArgumentError(f"randperm: n must be a non-negative int, got {n!r}")
    return _random("randperm", lambda rng, s, dt: rng.permutation(n), ((n,),), dtype, device,
                   requires_grad, generator, dtypes.int64)


def rand_like(input, generator=None, dtype=None, device=None, requires_grad=False):
    return rand(tuple(input.shape), generator=generator, dtype=dtype or input.dtype,
                device=device or input.device, requires_grad=requires_grad)


def randn_like(input, generator=None, dtype=None, device=None, requires_grad=False):
    return randn(tuple(input.shape), generator=generator, dtype=dtype or input.dtype,
                 device=device or input.device, requires_grad=requires_grad)


def randint_like(input, low, high=None, generator=None, dtype=None, device=None):
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), generator=generator, dtype=dtype or input.dtype,
                   device=device or input.device)


def normal(mean=0.0, std=1.0, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """Normal samples: `normal(mean, std, size)`, or elementwise with tensor `mean`/`std`."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        like = mean if isinstance(mean, Tensor) else std
        shape = np.broadcast_shapes(tuple(getattr(mean, "shape", ())), tuple(getattr(std, "shape", ())))
        z = randn(shape, generator=generator, dtype=like.dtype, device=like.device)
        return z * std + mean
    if size is None:
        raise ArgumentError("normal: give size=, or tensors for mean/std")
    if std < 0:
        raise ArgumentError(f"normal: std must be >= 0, got {std}")
    z = randn(size if isinstance(size, (tuple, list)) else (size,), generator=generator, dtype=dtype, device=device)
    z._data *= std
    z._data += mean
    return z.requires_grad_(requires_grad) if requires_grad else z


def bernoulli(input, p=None, generator=None):
    """1 with probability `input` (or `p`), else 0, with `input`'s shape and dtype."""
    probs = input._data if p is None else np.full(input._data.shape, p)
    if probs.size and (probs.min() < 0 or probs.max() > 1):
        raise ArgumentError("bernoulli: probabilities must be in [0, 1]")
    u = _rng(generator).random(probs.shape)
    out = (u < probs).astype(input._data.dtype)
    return _wrap(input._device.xp.asarray(out), input._device)


def multinomial(input, num_samples, replacement=False, generator=None):
    """Sample category indices with probabilities proportional to the rows of `input`."""
    p = np.asarray(input.detach().__array__(), np.float64)
    rows = p.reshape(-1, p.shape[-1])
    if (rows < 0).any() or not np.isfinite(rows).all():
        raise ArgumentError("multinomial: probabilities must be finite and non-negative")
    if not replacement and num_samples > rows.shape[1]:
        raise ArgumentError(f"multinomial: cannot draw {num_samples} samples without replacement "
                            f"from {rows.shape[1]} categories")
    rng = _rng(generator)
    out = np.stack([rng.choice(rows.shape[1], num_samples, replace=replacement, p=r / r.sum()) for r in rows])
    return _wrap(out.reshape(p.shape[:-1] + (num_samples,)).astype(np.int64), input._device)
