"""`ember.testing`, as PyTorch's `torch.testing`: `assert_close` (same default tolerances per dtype, same
checks and failure messages) and `make_tensor`.

    >>> import ember
    >>> ember.testing.assert_close(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 2.0 + 1e-7]))
    >>> ember.testing.assert_close(ember.tensor([1.0]), ember.tensor([1.5]))
    Traceback (most recent call last):
    ...
    AssertionError: Tensor-likes are not close!
    ...
"""
import collections.abc
import math
import numbers

import numpy as np

from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.errors import ArgumentError, DTypeError
from ember.ops.creation import tensor as _tensor

__all__ = ["assert_close", "make_tensor"]

# (rtol, atol) by dtype, PyTorch's defaults; other dtypes compare exactly.
TOLERANCES = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
              "float64": (1e-7, 1e-7)}


def _is_tensor_like(x):
    return isinstance(x, (Tensor, np.ndarray))


def _array(x):
    a = x.detach().cpu().numpy() if isinstance(x, Tensor) else np.asarray(x)
    return a.astype(np.float32) if a.dtype.name == "bfloat16" else a


def _dtype(x):
    return x.dtype if isinstance(x, Tensor) else dtypes.dtype_of(np.asarray(x))


def _tolerances(dtype, rtol, atol):
    if (rtol is None) != (atol is None):
        raise ArgumentError(f"assert_close: both 'rtol' and 'atol' must be either specified or omitted, but got "
                            f"{'no rtol' if rtol is None else 'no atol'}")
    if rtol is not None:
        return rtol, atol
    return TOLERANCES.get(str(dtype).replace("ember.", ""), (0.0, 0.0))


def _check_attributes(actual, expected, check_dtype, check_device):
    checks = [("shape", tuple(actual.shape), tuple(expected.shape), lambda s: f"ember.Size({list(s)})")]
    if check_dtype:
        checks.append(("dtype", _dtype(actual), _dtype(expected), str))
    if check_device and isinstance(actual, Tensor) and isinstance(expected, Tensor):
        checks.append(("device", actual.device, expected.device, str))
    for name, a, e, show in checks:
        if a != e:
            raise AssertionError(f"The values for attribute '{name}' do not match: {show(a)} != {show(e)}.")


def _mismatch(a, e, rtol, atol, equal_nan, exact):
    """(bad mask, absolute differences, relative differences) in the inputs' dtype, as torch."""
    if a.dtype == np.bool_:
        a, e = a.astype(np.int64), e.astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # inf - inf, x / 0: as torch, silently
        diff = np.abs(a - e) if a.dtype.kind == "f" else np.abs(a.astype(np.int64) - e.astype(np.int64))
        rel = diff / np.abs(e) if a.dtype.kind == "f" else (diff / np.abs(e)).astype(np.float32)
        close = diff <= atol + rtol * np.abs(e) if not exact else a == e
        if a.dtype.kind == "f":
            close |= a == e  # equal infinities
            if equal_nan:
                close |= np.isnan(a) & np.isnan(e)
    return ~close, diff, rel


def _argmax(d):
    """The index of the largest element, NaN counting as largest (torch.max's rule)."""
    flat = d.reshape(-1)
    nan = np.isnan(flat) if flat.dtype.kind == "f" else np.zeros(flat.shape, bool)
    i = int(nan.argmax()) if nan.any() else int(flat.argmax())
    return tuple(int(k) for k in np.unravel_index(i, d.shape))


def _fmt(v):
    return repr(v.item() if hasattr(v, "item") else v)


def _compare_tensors(actual, expected, rtol, atol, equal_nan, check_dtype, check_device, msg):
    _check_attributes(actual, expected, check_dtype, check_device)
    pairs = [_tolerances(_dtype(x), rtol, atol) for x in (actual, expected)]
    rtol, atol = max(p[0] for p in pairs), max(p[1] for p in pairs)  # the looser dtype's, as torch
    a, e = _array(actual), _array(expected)
    a, e = a.astype(np.result_type(a, e)), e.astype(np.result_type(a, e))
    exact = rtol == 0 and atol == 0
    bad, diff, rel = _mismatch(a, e, rtol, atol, equal_nan, exact)
    if not bad.any():
        return
    if msg is not None:
        raise AssertionError(msg)
    allowed = lambda tol: "" if exact else f" (up to {tol} allowed)"  # noqa: E731
    kind = "equal" if exact else "close"
    if a.ndim == 0:
        raise AssertionError(f"Scalars are not {kind}!\n\nExpected {_fmt(e)} but got {_fmt(a)}.\n"
                             f"Absolute difference: {_fmt(diff)}{allowed(atol)}\n"
                             f"Relative difference: {_fmt(rel)}{allowed(rtol)}")
    where = {"abs": _argmax(diff), "rel": _argmax(rel)}
    n = int(bad.sum())
    raise AssertionError(f"Tensor-likes are not {kind}!\n\nMismatched elements: {n} / {a.size} "
                         f"({100.0 * n / a.size:.1f}%)\n"
                         f"Greatest absolute difference: {_fmt(diff[where['abs']])} at index {where['abs']}"
                         f"{allowed(atol)}\n"
                         f"Greatest relative difference: {_fmt(rel[where['rel']])} at index {where['rel']}"
                         f"{allowed(rtol)}")


def _compare_scalars(actual, expected, rtol, atol, equal_nan, msg):
    if type(actual) is not type(expected) and not (isinstance(actual, numbers.Real)
                                                  and isinstance(expected, numbers.Real)):
        raise DTypeError(f"assert_close: cannot compare {type(actual).__name__} with {type(expected).__name__}")
    floating = isinstance(actual, float) or isinstance(expected, float)
    rtol, atol = _tolerances("float64" if floating else "int64", rtol, atol)
    if actual == expected or (equal_nan and floating and math.isnan(actual) and math.isnan(expected)):
        return
    diff = abs(actual - expected)
    if floating and diff <= atol + rtol * abs(expected):
        return
    if msg is not None:
        raise AssertionError(msg)
    rel = diff / abs(expected) if expected else math.inf
    kind, allowed = ("close", lambda t: f" (up to {t} allowed)") if floating else ("equal", lambda t: "")
    raise AssertionError(f"Scalars are not {kind}!\n\nExpected {expected!r} but got {actual!r}.\n"
                         f"Absolute difference: {diff!r}{allowed(atol)}\nRelative difference: {rel!r}{allowed(rtol)}")


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None, equal_nan=False,
                 check_device=True, check_dtype=True, check_layout=True, check_stride=False, msg=None):
    """Raise AssertionError unless `actual` and `expected` are close: |actual - expected| <= atol +
    rtol * |expected| elementwise, with the same shape, dtype and device. Tensors, NumPy arrays,
    Python numbers, and sequences/mappings of them (compared item by item)."""
    if _is_tensor_like(actual) and _is_tensor_like(expected):
        return _compare_tensors(actual, expected, rtol, atol, equal_nan, check_dtype, check_device, msg)
    if _is_tensor_like(actual) or _is_tensor_like(expected):
        raise DTypeError(f"assert_close: no comparison for inputs of type {type(actual).__name__} and "
                         f"{type(expected).__name__}; wrap the number with ember.tensor")
    if isinstance(actual, collections.abc.Mapping) and isinstance(expected, collections.abc.Mapping):
        if set(actual) != set(expected):
            raise AssertionError(f"The keys of the mappings do not match: {sorted(map(repr, actual))} != "
                                 f"{sorted(map(repr, expected))}")
        items = [(k, actual[k], expected[k]) for k in actual]
    elif isinstance(actual, collections.abc.Sequence) and isinstance(expected, collections.abc.Sequence) \
            and not isinstance(actual, str):
        if len(actual) != len(expected):
            raise AssertionError(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}")
        items = list(zip(range(len(actual)), actual, expected))
    else:
        return _compare_scalars(actual, expected, rtol, atol, equal_nan, msg)
    for key, a, e in items:
        try:
            assert_close(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan, check_device=check_device,
                         check_dtype=check_dtype, msg=msg)
        except AssertionError as failure:
            raise AssertionError(f"{failure}\n\nThe failure occurred for item [{key!r}]") from None


def make_tensor(*shape, dtype, device=None, low=None, high=None, requires_grad=False, noncontiguous=False,
                exclude_zero=False, memory_format=None):
    """A random tensor of `shape` with values in [low, high) (PyTorch's defaults: [-9, 9] for floats,
    [-9, 10) for signed ints, [0, 10) for uint8, random bools)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    dt = dtypes.as_dtype(dtype, "make_tensor")
    rng = np.random.default_rng(np.random.SeedSequence().entropy)
    if dt is dtypes.bool_:
        a = rng.integers(0, 2, shape).astype(bool)
    elif dt.is_floating_point:
        lo, hi = -9.0 if low is None else low, 9.0 if high is None else high
        a = rng.uniform(lo, hi, shape)
    else:
        lo = (0 if dt is dtypes.uint8 else -9) if low is None else int(low)
        a = rng.integers(lo, 10 if high is None else int(high), shape)
    if exclude_zero:
        a = np.where(a == 0, (1 if dt.is_floating_point is False else np.finfo(np.float32).tiny), a)
    out = _tensor(a, dtype=dt, device=device, requires_grad=requires_grad and dt.is_floating_point)
    return out
