"""Creating tensors: from data, filled, ranges, and random (seeded by `ember.manual_seed`
or an explicit `ember.Generator`).

    >>> import ember
    >>> ember.zeros(2, 3).shape, ember.arange(0, 1, 0.25), ember.eye(2, dtype=ember.int64)
    (ember.Size([2, 3]), tensor([0.  , 0.25, 0.5 , 0.75]), tensor([[1, 0],
            [0, 1]]))
"""
import math

import numpy as np

from ember.autograd import grad_mode
from ember.autograd.checks import as_shape, broadcast_shapes, check_size
from ember.autograd.function import Function
from ember.autograd.tensor import Tensor, _wrap, as_array
from ember.backend import dtypes, memory_format
from ember.backend.device import CPU, array_device, device as as_device
from ember.backend.random import default_generator
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.ops._args import need_generator, need_int, need_number, need_tensor

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "zeros_like",
           "ones_like", "empty_like", "full_like", "arange", "linspace", "logspace", "eye", "rand",
           "randn", "randint", "randperm", "rand_like", "randn_like", "randint_like", "normal",
           "bernoulli", "multinomial"]

# Tensor methods (bound in tensor_methods.py) and the ones with an in-place `name_` form.
METHODS = "bernoulli multinomial"
INPLACE = ""


def _finish(array, dev, requires_grad):
    t = _wrap(array, dev)
    if requires_grad:
        t._rg = True  # the dtype was checked by `_grad_ok` before allocating
    return t


def _dt(dtype, default=None, op=None):
    return (default or dtypes.get_default_dtype()) if dtype is None else dtypes.as_dtype(dtype, op)


def _grad_ok(op, dt, requires_grad):
    """Refuse requires_grad=True for a non-float dtype before anything is allocated."""
    if requires_grad and not dt.is_floating_point:
        raise DTypeError(f"{op}: requires_grad=True needs a floating point dtype, got {dt}; "
                         f"only floating point tensors can require gradients")


def _dev(device):
    return CPU if device is None else as_device(device)


def tensor(data, *, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of `data` (nested lists, numbers, arrays, tensors).

        >>> ember.tensor([[1, 2], [3, 4]]).dtype, ember.tensor([1.5]).dtype
        (ember.int64, ember.float32)
    """
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype, "tensor")
        _grad_ok("tensor", dtype, requires_grad)
    arr = as_array(data, dtype, device)
    if requires_grad and dtype is None:
        _grad_ok("tensor", dtypes.dtype_of(arr), requires_grad)
    if arr is data or (isinstance(data, Tensor) and arr is data._data) or getattr(arr, "base", None) is not None:
        arr = arr.copy()
    return _finish(arr, _dev(device) if device is not None else array_device(arr), requires_grad)


def as_tensor(data, *, dtype=None, device=None):
    """`data` as a tensor, sharing memory with a NumPy array or tensor when dtype and device allow."""
    if isinstance(data, Tensor) and dtype is None and device is None:
        return data
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype, "as_tensor")
    arr = as_array(data, dtype, device)
    return _finish(arr, array_device(arr), False)


def from_numpy(ndarray):
    """A tensor sharing memory with `ndarray` (keeps its dtype)."""
    if not isinstance(ndarray, np.ndarray):
        raise DTypeError(f"from_numpy: expected a numpy.ndarray, got {type(ndarray).__name__}")
    if ndarray.dtype not in dtypes._NP:
        raise DTypeError(f"from_numpy: arrays of dtype {ndarray.dtype} are not supported; "
                         f"supported: {', '.join(d.name for d in dtypes.ALL)}")
    return _wrap(ndarray, CPU)


class Full(Function):
    """A filled array as a primitive, so that a graph records a fill whose shape follows the
    batch size (an RNN's zero initial state) instead of capturing one array."""
    internal = True  # tested through zeros/ones/full
    differentiable = False
    save_inputs = False

    def forward(self, shape=(), value=0, dtype=None):
        return self.xp.full(shape, value, dtype)


class Arange(Function):
    """`arange` as a primitive, so that a graph records positions or a batch index whose length
    follows the batch size (`arange(x.shape[0])`) instead of capturing one array."""
    internal = True  # tested through arange
    differentiable = False
    save_inputs = False

    def forward(self, n=0, start=0, step=1, acc=None, dtype=None):
        return (self.xp.arange(n, dtype=acc) * step + start).astype(dtype, copy=False)


def _filled(op, fill, size, dtype, device, requires_grad, value=0):
    shape = as_shape(op, size)
    dt = _dt(dtype, op=op)
    _grad_ok(op, dt, requires_grad)
    check_size(op, shape, dt.itemsize)
    dev = _dev(device)
    if dev is CPU and grad_mode._state.tracer is not None:
        return _finish(Full.apply(shape=shape, value=value, dtype=dt.np)._data, dev, requires_grad)
    return _finish(fill(dev.xp, shape, dt.np), dev, requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of zeros: `zeros(2, 3)` or `zeros((2, 3))`."""
    return _filled("zeros", lambda xp, s, d: xp.zeros(s, d), size, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    """A tensor of ones."""
    return _filled("ones", lambda xp, s, d: xp.ones(s, d), size, dtype, device, requires_grad, 1)


def empty(*size, dtype=None, device=None, requires_grad=False):
    """An uninitialized tensor."""
    return _filled("empty", lambda xp, s, d: xp.empty(s, d), size, dtype, device, requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False):
    """A tensor filled with `fill_value` (its dtype inferred from the value, as in PyTorch)."""
    if isinstance(fill_value, Tensor):
        fill_value = _number("full", "fill_value", fill_value)
    if dtypes.scalar_kind(fill_value) is None:
        raise DTypeError(f"full: fill_value must be a number or bool, got {type(fill_value).__name__}")
    if dtype is None:
        dtype = dtypes.result_type(fill_value)
    dt = dtypes.as_dtype(dtype, "full")
    if dt.np.kind in "iu" and not isinstance(fill_value, bool) and \
            not (math.isfinite(fill_value) and np.iinfo(dt.np).min <= fill_value <= np.iinfo(dt.np).max):
        raise ArgumentError(f"full: fill_value={fill_value!r} cannot be converted to {dt} without overflow")
    try:
        return _filled("full", lambda xp, s, d: xp.full(s, fill_value, d), (size,), dtype, device, requires_grad,
                       fill_value)
    except OverflowError:
        raise ArgumentError(f"full: fill_value={fill_value!r} is out of range for dtype "
                            f"{dtypes.as_dtype(dtype)}") from None


def _like(fn):
    def like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
        need_tensor(fn.__name__ + "_like", "input", input)
        out = fn(tuple(input.shape), dtype=input.dtype if dtype is None else dtype,
                 device=input.device if device is None else device, requires_grad=requires_grad)
        return _formatted(fn.__name__ + "_like", out, input, memory_format)
    like.__name__ = fn.__name__ + "_like"
    like.__doc__ = f"`{fn.__name__}` with `input`'s shape, dtype and device."
    return like


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    """`full` with `input`'s shape, dtype and device."""
    need_tensor("full_like", "input", input)
    out = full(tuple(input.shape), fill_value, dtype=input.dtype if dtype is None else dtype,
               device=input.device if device is None else device, requires_grad=requires_grad)
    return _formatted("full_like", out, input, memory_format)


def _formatted(op, out, input, fmt):
    """A fresh `*_like` result laid out as `fmt` asks (preserve_format: as `input` is)."""
    if fmt is not None:
        out._data = memory_format.lay_out(out._device.xp, out._data,
                                          memory_format.order_of(op, out._data, fmt, source=input._data))
    return out


def _number(op, name, x):
    """A Python number from an argument that may be a 0-d tensor; refuses anything else."""
    if isinstance(x, Tensor):
        if x.ndim:  # PyTorch takes a 0-d tensor where it takes a number, nothing larger
            raise ArgumentError(f"{op}: {name} must be a number or a 0-d tensor, got shape {tuple(x.shape)}")
        x = float(x) if x.is_floating_point() else x.item()
    if dtypes.scalar_kind(x) is None:
        raise ArgumentError(f"{op}: {name} must be a number, got {type(x).__name__}")
    if isinstance(x, int) and abs(x) > 2**1000:  # past float64: NumPy would fall back to object arrays
        raise ArgumentError(f"{op}: {name} is too large (an int of {x.bit_length()} bits)")
    return x


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """Values from `start` to `end` (exclusive) by `step`; int64 for integer arguments.

        >>> ember.arange(5).dtype, ember.arange(0, 1, 0.1).shape
        (ember.int64, ember.Size([10]))
    """
    if end is None:
        start, end = 0, start
    start, end, step = (_number("arange", n, a) for n, a in (("start", start), ("end", end), ("step", step)))
    dt = _dt(dtype, dtypes.result_type(start, end, step), "arange")
    _grad_ok("arange", dt, requires_grad)
    if not all(math.isfinite(a) for a in (start, end, step)):
        raise ArgumentError(f"arange: start, end and step must be finite, got {start}, {end}, {step}")
    if not dt.is_floating_point:  # as PyTorch: an integer arange runs on the truncated bounds
        start, end, step = int(start), int(end), int(step)
    if step == 0:
        raise ArgumentError("arange: step must be nonzero")
    if (end - start) / step < 0:
        raise ArgumentError(f"arange: upper bound and larger bound inconsistent with step sign "
                            f"(start={start}, end={end}, step={step})")
    n = math.ceil((end - start) / step)
    check_size("arange", (n,), dt.itemsize)
    dev = _dev(device)
    acc = np.dtype(np.float64 if dt.is_floating_point else np.int64)  # values computed as start + i * step
    if dev is CPU and grad_mode._state.tracer is not None:
        return _finish(Arange.apply(n=n, start=start, step=step, acc=acc, dtype=dt.np)._data, dev, requires_grad)
    return _finish((dev.xp.arange(n, dtype=acc) * step + start).astype(dt.np, copy=False), dev, requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    """`steps` values evenly spaced from `start` to `end` inclusive.

        >>> ember.linspace(0, 1, 5)
        tensor([0.  , 0.25, 0.5 , 0.75, 1.  ])
    """
    start, end = _number("linspace", "start", start), _number("linspace", "end", end)
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 0:
        raise ArgumentError(f"linspace: steps must be a non-negative int, got {steps!r}")
    dt = _dt(dtype, op="linspace")
    _grad_ok("linspace", dt, requires_grad)
    check_size("linspace", (steps,), dt.itemsize, name="steps")
    return _finish(_spaced("linspace", start, end, steps, dt).astype(dt.np, copy=False), _dev(device), requires_grad)


def _spaced(op, start, end, steps, dt):
    """PyTorch's linspace values in float64: an integer dtype truncates the bounds first; the first half
    counts up from start and the second down from end (so an inf end gives NaN, as in PyTorch); one step
    is start alone."""
    if not dt.is_floating_point:
        if not (math.isfinite(start) and math.isfinite(end)):
            raise ArgumentError(f"{op}: start and end must be finite for dtype {dt}, got {start} and {end}")
        start, end = math.trunc(start), math.trunc(end)
    start, end = float(start), float(end)
    i = np.arange(steps, dtype=np.float64)
    if steps == 1:
        return np.full(1, start)
    with np.errstate(all="ignore"):
        step = (end - start) / (steps - 1) if math.isfinite(end - start) else (end - start)
        return np.where(i < steps // 2, start + i * step, end - (steps - 1 - i) * step)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    """`steps` values from `base ** start` to `base ** end`, evenly spaced in the exponent."""
    dt = _dt(dtype, op="logspace")
    base = need_number("logspace", "base", base)
    _grad_ok("logspace", dt, requires_grad)
    start, end = _number("logspace", "start", start), _number("logspace", "end", end)
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 0:
        raise ArgumentError(f"logspace: steps must be a non-negative int, got {steps!r}")
    check_size("logspace", (steps,), dt.itemsize, name="steps")
    with np.errstate(all="ignore"):
        values = np.power(float(base), _spaced("logspace", start, end, steps, dt))
    return _finish(values.astype(dt.np), _dev(device), requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    """The identity matrix (n x m).

        >>> ember.eye(2, 3, dtype=ember.int64)
        tensor([[1, 0, 0],
                [0, 1, 0]])
    """
    n = need_int("eye", "n", n)
    m = n if m is None else need_int("eye", "m", m)
    dt = _dt(dtype, op="eye")
    _grad_ok("eye", dt, requires_grad)
    check_size("eye", (n, m), dt.itemsize, name="(n, m)")
    dev = _dev(device)
    return _finish(dev.xp.eye(n, m, dtype=dt.np), dev, requires_grad)


# --- random ---------------------------------------------------------------------

def _rng(generator, op="random"):
    return (need_generator(op, generator) or default_generator).np


def _random(op, sample, shape, dt, device, requires_grad, generator):
    """Check, then draw `sample(rng, shape)` on the CPU generator and move it to `device`."""
    need_generator(op, generator)
    _grad_ok(op, dt, requires_grad)
    check_size(op, shape, dt.itemsize)
    dev = _dev(device)
    arr = np.asarray(sample(_rng(generator), shape)).astype(dt.np, copy=False)
    return _finish(arr if dev is CPU else dev.xp.asarray(arr), dev, requires_grad)


def _float_dt(op, dtype):
    dt = _dt(dtype, op=op)
    if not dt.is_floating_point:
        raise DTypeError(f"{op}: dtype must be a floating point dtype, got {dt}")
    return dt


# Bits of precision of the half types: uniform samples are drawn on this grid, so that
# rounding to the dtype can never produce 1.0 (as PyTorch does).
_HALF_BITS = {"float16": 11, "bfloat16": 8}


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Uniform samples in [0, 1).

        >>> ember.rand(2, 3).shape
        ember.Size([2, 3])
    """
    dt = _float_dt("rand", dtype)

    def sample(rng, shape):
        if dt.name in _HALF_BITS:
            bits = _HALF_BITS[dt.name]
            return rng.integers(0, 1 << bits, shape) * (1.0 / (1 << bits))
        return rng.random(shape, dtype=np.float32 if dt is dtypes.float32 else np.float64)
    return _random("rand", sample, as_shape("rand", size), dt, device, requires_grad, generator)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False):
    """Standard normal samples."""
    dt = _float_dt("randn", dtype)

    def sample(rng, shape):
        return rng.standard_normal(shape, dtype=np.float32 if dt is dtypes.float32 else np.float64)
    return _random("randn", sample, as_shape("randn", size), dt, device, requires_grad, generator)


def _int_arg(op, name, x):
    try:
        return int(x.__index__())
    except (AttributeError, TypeError):
        raise ArgumentError(f"{op}: {name} must be an int, got {type(x).__name__} {x!r}") from None


def randint(low=0, high=None, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """Integers in [low, high); `randint(high, size)` or `randint(low, high, size)` as in PyTorch.

        >>> ember.randint(0, 10, (2, 3)).dtype
        ember.int64
    """
    if size is None:
        if not isinstance(high, (tuple, list)):
            raise ArgumentError("randint: size must be given as a tuple, e.g. randint(0, 10, (3,))")
        low, high, size = 0, low, high
    elif high is None:  # randint(high, size=...)
        low, high = 0, low
    low, high = _int_arg("randint", "low", low), _int_arg("randint", "high", high)
    if high <= low:
        raise ArgumentError(f"randint: low ({low}) must be smaller than high ({high})")
    dt = _dt(dtype, dtypes.int64, "randint")
    if dt.kind == "i":
        info = np.iinfo(dt.np)
        if low < info.min or high - 1 > info.max:
            raise ArgumentError(f"randint: [low, high) = [{low}, {high}) is out of range for dtype {dt}")
    shape = as_shape("randint", size if isinstance(size, (tuple, list)) else (size,))
    return _random("randint", lambda rng, s: rng.integers(low, high, s), shape, dt, device, requires_grad,
                   generator)


def randperm(n, generator=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of 0..n-1."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ArgumentError(f"randperm: n must be a non-negative int, got {n!r}")
    dt = _dt(dtype, dtypes.int64, "randperm")
    if dt.name == "bool":
        raise DTypeError("randperm: not implemented for bool (as in PyTorch)")
    return _random("randperm", lambda rng, s: rng.permutation(n), (n,), dt, device, requires_grad, generator)


def rand_like(input, generator=None, dtype=None, device=None, requires_grad=False):
    """`rand` with `input`'s shape, dtype and device."""
    need_tensor("rand_like", "input", input)
    return rand(tuple(input.shape), generator=generator, dtype=dtype or input.dtype,
                device=device or input.device, requires_grad=requires_grad)


def randn_like(input, generator=None, dtype=None, device=None, requires_grad=False):
    """`randn` with `input`'s shape, dtype and device."""
    need_tensor("randn_like", "input", input)
    return randn(tuple(input.shape), generator=generator, dtype=dtype or input.dtype,
                 device=device or input.device, requires_grad=requires_grad)


def randint_like(input, low, high=None, generator=None, dtype=None, device=None):
    """`randint` with `input`'s shape, dtype and device."""
    need_tensor("randint_like", "input", input)
    if high is None:
        low, high = 0, low
    return randint(low, high, tuple(input.shape), generator=generator, dtype=dtype or input.dtype,
                   device=device or input.device)


def normal(mean=0.0, std=1.0, size=None, generator=None, dtype=None, device=None, requires_grad=False):
    """Normal samples: `normal(mean, std, size)`, or elementwise with tensor `mean`/`std`.

        >>> ember.normal(2.0, 3.0, size=(4,)).shape
        ember.Size([4])
    """
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        return _normal_tensors(mean, std, generator)
    mean, std = _number("normal", "mean", mean), _number("normal", "std", std)
    if size is None:
        raise ArgumentError("normal: give size= when mean and std are numbers, e.g. normal(0.0, 1.0, size=(3,))")
    if not std >= 0:
        raise ArgumentError(f"normal: std must be >= 0, got {std}")
    _float_dt("normal", dtype)
    z = randn(size if isinstance(size, (tuple, list)) else (size,), generator=generator, dtype=dtype,
              device=device, requires_grad=requires_grad)
    z._data *= std  # a fresh leaf: scaling its array in place is safe
    z._data += mean
    return z


def _normal_tensors(mean, std, generator):
    like = mean if isinstance(mean, Tensor) else std
    if not like.is_floating_point():
        raise DTypeError(f"normal: mean and std tensors must be floating point, got {like.dtype}")
    if isinstance(std, Tensor):
        if std.numel() and not bool((std._data >= 0).all()):
            raise ArgumentError("normal: all elements of std must be >= 0")
    elif not std >= 0:
        raise ArgumentError(f"normal: std must be >= 0, got {std}")
    shape = broadcast_shapes("normal", tuple(getattr(mean, "shape", ())), tuple(getattr(std, "shape", ())))
    z = randn(shape, generator=generator, dtype=like.dtype, device=like.device)
    return z * std + mean


def bernoulli(input, p=None, generator=None):
    """1 with probability `input` (or `p`), else 0, with `input`'s shape and dtype; no gradient.

        >>> ember.bernoulli(ember.tensor([0.0, 1.0]))
        tensor([0., 1.])
    """
    need_tensor("bernoulli", "input", input)
    need_generator("bernoulli", generator)
    if not input.is_floating_point():
        raise DTypeError(f"bernoulli: input must be a floating point tensor, got {input.dtype}")
    if p is None:
        probs = np.asarray(input.__array__())  # the draw is made on the CPU generator
    else:
        p = _number("bernoulli", "p", p)
        if not 0 <= p <= 1:  # even for an empty tensor, as PyTorch
            raise ArgumentError(f"bernoulli: probabilities must be in [0, 1], got p={p}")
        probs = np.full(input._data.shape, p)
    if probs.size and not bool(((probs >= 0) & (probs <= 1)).all()):
        raise ArgumentError("bernoulli: probabilities must be in [0, 1]" +
                            ("" if p is None else f", got p={p}"))
    u = _rng(generator).random(probs.shape)
    out = (u < probs).astype(input._data.dtype)
    return _wrap(out if input._device is CPU else input._device.xp.asarray(out), input._device)


def multinomial(input, num_samples, replacement=False, generator=None):
    """Sample category indices with probabilities proportional to the rows of `input`.

    Without replacement, categories of probability 0 are drawn only after all the others, as in
    PyTorch (so `multinomial(tensor([1., 0., 0.]), 2)` gives 0 and then one of the others).

        >>> ember.multinomial(ember.tensor([0.0, 1.0]), 1)
        tensor([1])
    """
    need_tensor("multinomial", "input", input)
    num_samples = need_int("multinomial", "num_samples", num_samples, low=1)
    need_generator("multinomial", generator)
    if input.ndim not in (1, 2):
        raise ShapeError(f"multinomial: input must be 1-d or 2-d, got shape {tuple(input.shape)}")
    if not input.is_floating_point():
        raise DTypeError(f"multinomial: input must be a floating point tensor, got {input.dtype}")
    p = np.asarray(input.detach().__array__(), np.float64)
    if p.shape[-1] == 0:
        raise ArgumentError(f"multinomial: no categories to draw from (input shape {p.shape})")
    rows = p.reshape(-1, p.shape[-1])
    if (rows < 0).any() or not np.isfinite(rows).all():
        raise ArgumentError("multinomial: probabilities must be finite and non-negative")
    if rows.shape[1] == 0 or (rows.sum(axis=1) <= 0).any():
        raise ArgumentError("multinomial: each row of probabilities must have a positive sum")
    if not replacement and num_samples > rows.shape[1]:
        raise ArgumentError(f"multinomial: cannot draw {num_samples} samples without replacement "
                            f"from {rows.shape[1]} categories")
    check_size("multinomial", (rows.shape[0], num_samples), 8)
    rng = _rng(generator)
    if replacement:
        out = np.stack([rng.choice(rows.shape[1], num_samples, p=r / r.sum()) for r in rows]) if len(rows) else \
            np.zeros((0, num_samples), np.int64)  # no rows: no draws, as PyTorch
    else:  # keys p / Exp(1): their order is a draw without replacement; p = 0 comes last
        keys = rows / rng.exponential(size=rows.shape)
        out = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    out = out.reshape(p.shape[:-1] + (num_samples,)).astype(np.int64)  # drawn on the CPU generator
    return _wrap(out if input._device is CPU else input._device.xp.asarray(out), input._device)
