"""Window functions and a few more creation functions with PyTorch's names: `hann_window`,
`hamming_window`, `blackman_window`, `bartlett_window`, `kaiser_window` (periodic by default, as in
PyTorch), `range` (inclusive end, deprecated in PyTorch but still used), `scalar_tensor`, `asarray`,
`unravel_index`.

    >>> import ember
    >>> ember.hann_window(4)
    tensor([0.0000, 0.5000, 1.0000, 0.5000])
"""
import builtins
import math

import numpy as np

from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.errors import ArgumentError, DTypeError
from ember.ops._args import need_finite, need_ints, need_number
from ember.ops.creation import _dev, _dt, _finish, _grad_ok, as_tensor, tensor
from ember.autograd.checks import check_size

__all__ = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window", "range",
           "scalar_tensor", "asarray", "unravel_index"]
METHODS = ""
INPLACE = ""


def _window(op, length, periodic, dtype, device, requires_grad, values):
    if not isinstance(length, int) or isinstance(length, bool) or length < 0:
        raise ArgumentError(f"{op}: window_length must be a non-negative int, got {length!r}")
    if not isinstance(periodic, bool):
        raise ArgumentError(f"{op}: periodic must be a bool, got {periodic!r}")
    dt = _dt(dtype, op=op)
    if not dt.is_floating_point:
        raise DTypeError(f"{op}: dtype must be a floating point dtype, got {dt}")
    _grad_ok(op, dt, requires_grad)
    check_size(op, (length,), dt.itemsize)
    if length <= 1:
        out = np.ones(length)
    else:
        n = length + 1 if periodic else length
        out = values(np.arange(n, dtype=np.float64), n)[:length]
    dev = _dev(device)
    arr = out.astype(dt.np)
    return _finish(arr if dev.type == "cpu" else dev.xp.asarray(arr), dev, requires_grad)


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False):
    """`0.5 - 0.5 cos(2 pi n / (N - 1))`."""
    return _window("hann_window", window_length, periodic, dtype, device, requires_grad,
                   lambda k, n: 0.5 - 0.5 * np.cos(2 * math.pi * k / (n - 1)))


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None, layout=None, device=None,
                   requires_grad=False):
    """`alpha - beta cos(2 pi n / (N - 1))`."""
    return _window("hamming_window", window_length, periodic, dtype, device, requires_grad,
                   lambda k, n: alpha - beta * np.cos(2 * math.pi * k / (n - 1)))


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False):
    """`0.42 - 0.5 cos(2 pi n / (N - 1)) + 0.08 cos(4 pi n / (N - 1))`."""
    return _window("blackman_window", window_length, periodic, dtype, device, requires_grad,
                   lambda k, n: 0.42 - 0.5 * np.cos(2 * math.pi * k / (n - 1)) + 0.08 * np.cos(4 * math.pi * k / (n - 1)))


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None, requires_grad=False):
    """The triangular window `1 - |2n / (N - 1) - 1|`."""
    return _window("bartlett_window", window_length, periodic, dtype, device, requires_grad,
                   lambda k, n: 1 - np.abs(2 * k / (n - 1) - 1))


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None, device=None,
                  requires_grad=False):
    """`I0(beta sqrt(1 - (2n / (N - 1) - 1)^2)) / I0(beta)`."""
    return _window("kaiser_window", window_length, periodic, dtype, device, requires_grad,
                   lambda k, n: np.i0(beta * np.sqrt(np.clip(1 - (2 * k / (n - 1) - 1) ** 2, 0, None))) / np.i0(beta))


def range(start=0, end=None, step=1, *, dtype=None, layout=None, device=None, requires_grad=False):
    """Values from `start` to `end` inclusive by `step` (float32 by default): PyTorch's deprecated
    `torch.range`; prefer `arange`."""
    if end is None:
        start, end = 0, start
    start, end, step = (need_finite("range", n, need_number("range", n, v))
                        for n, v in (("start", start), ("end", end), ("step", step)))
    if step == 0 or (end - start) * step < 0:
        raise ArgumentError(f"range: step {step} does not lead from {start} to {end}")
    count = int(math.floor((end - start) / step)) + 1
    dt = _dt(dtype, op="range")
    _grad_ok("range", dt, requires_grad)
    check_size("range", (count,), dt.itemsize)
    arr = (start + step * np.arange(count, dtype=np.float64)).astype(dt.np)
    dev = _dev(device)
    return _finish(arr if dev.type == "cpu" else dev.xp.asarray(arr), dev, requires_grad)


def scalar_tensor(s, *, dtype=None, layout=None, device=None, requires_grad=False):
    """A 0-d tensor of the number `s` (float32 by default, as PyTorch)."""
    if isinstance(s, builtins.bool) or not isinstance(s, (int, float)):
        raise ArgumentError(f"scalar_tensor: expected a number, got {type(s).__name__}")
    if layout is not None:  # ember has one layout (strided): any other value would be dropped
        raise ArgumentError(f"scalar_tensor: layout must be None, got {type(layout).__name__}")
    return tensor(float(s), dtype=dtype or dtypes.get_default_dtype(), device=device, requires_grad=requires_grad)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """`obj` as a tensor, sharing memory when it can (`copy=True` always copies, `copy=False` refuses to)."""
    if copy is not None and not isinstance(copy, (bool, np.bool_)):
        raise DTypeError(f"asarray: copy must be a bool or None, got {type(copy).__name__}")
    if copy:
        out = tensor(obj, dtype=dtype, device=device)
    else:
        # a tensor is cast differentiably (its graph kept, as PyTorch); anything else becomes a new tensor
        out = obj.to(dtype=dtype, device=device) if isinstance(obj, Tensor) else as_tensor(obj, dtype=dtype, device=device)
        if copy is False and isinstance(obj, (Tensor, np.ndarray)) and \
                not np.shares_memory(np.asarray(out.detach().numpy()), np.asarray(obj.numpy() if isinstance(obj, Tensor) else obj)):
            raise ArgumentError("asarray: copy=False but the data must be copied (another dtype or device)")
    if requires_grad and not out.requires_grad:  # as PyTorch: `obj` itself (or its differentiable cast) when it can
        out.requires_grad_(True)
    return out


def unravel_index(indices, shape):
    """The coordinates of flat `indices` in an array of `shape`, as a tuple of tensors."""
    shape = need_ints("unravel_index", "shape", (shape,) if not isinstance(shape, (tuple, list)) else shape)
    if not isinstance(indices, Tensor):
        raise DTypeError(f"unravel_index: indices must be a tensor, got {type(indices).__name__}")
    flat = indices.detach().numpy()
    if flat.dtype.kind not in "iu":
        raise DTypeError("unravel_index: expected integer indices")
    total = int(np.prod(shape))
    if flat.size and (flat.min() < -total or flat.max() >= total):
        raise ArgumentError(f"unravel_index: indices out of range for shape {shape}")
    coords = np.unravel_index(np.where(flat < 0, flat + total, flat), shape)
    return tuple(tensor(c.astype(np.int64)) for c in coords)
