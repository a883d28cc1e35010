"""Argument types read from an op's signature, checked by the guard before the op runs
(registry.guard), with PyTorch's rules for the arguments named like its own:

- The first parameter of a function form named `input` (or `x1`, `query`, ...) must be a tensor,
  as must `input` (`polygamma(n, input)`), `input2`, `x2`, `mat2`, `batch1`, ... wherever they are;
  the functions in NUMBER_INPUT also take a Python number there, as `torch.pow(2, t)` does.
- A parameter named `other` takes a tensor or a number (an operator such as `t + array` also a
  NumPy array); in OTHER_TENSOR only a tensor, and None only where it is the default.
- `memory_format` as None or an ember memory format (each function that takes one lays its result out so).
- Parameters named in TENSOR_PARAMS (`weight`, `bias`, `mask`, ...) take tensors, those in
  NUMBER_PARAMS (`alpha`, `eps`, ...) numbers; None for a tensor (PyTorch's optional tensors) and for
  a number where it is the default.
- No Python int of more than 64 bits (PyTorch cannot convert one) and no list nested deeper than
  MAX_NESTING (NumPy's limit on dims), anywhere at the top level of the call.

    >>> ember.exp(2.0)
    Traceback (most recent call last):
    ember.errors.DTypeError: exp: argument 'input' must be a Tensor, got float
"""
import inspect
import numbers

import numpy as np

from ember.autograd.tensor import Tensor
from ember.backend import memory_format
from ember.errors import ArgumentError, DTypeError

# The names PyTorch gives a first parameter that must be a tensor, and those that must be one anywhere.
TENSOR_FIRST = ("input", "input1", "x1", "query", "y", "a", "tensor", "sorted_sequence", "x", "condition", "B", "L")
TENSOR_ANYWHERE = ("input", "input2", "x2", "batch1", "batch2", "mat1", "mat2", "mat", "vec", "vec1", "vec2",
                   "tensor1", "tensor2", "L")

# Function forms whose input may be a Python number (torch.add(2, t), torch.pow(2, t), ...).
NUMBER_INPUT = frozenset(
    "add sub subtract mul multiply div divide true_divide floor_divide remainder pow float_power xlogy "
    "bitwise_and bitwise_or bitwise_xor bitwise_left_shift bitwise_right_shift bucketize result_type "
    "searchsorted".split())

# Ops whose `other` PyTorch takes as a tensor only (`torch.hypot(t, 2.0)` is refused). maximum and
# minimum keep taking a number: the result is PyTorch's for the number as a 0-d tensor.
OTHER_TENSOR = frozenset(
    "allclose arctan2 atan2 cross dist equal fmax fmin gcd hypot inner is_same_size isclose kron lcm ldexp "
    "logaddexp logaddexp2 logical_and logical_or logical_xor matmul nextafter vdot view_as expand_as reshape_as "
    "type_as __matmul__ __rmatmul__".split())

# Parameters that PyTorch takes as a tensor (or None), and as a number (a 0-d tensor passes too), by name.
TENSOR_PARAMS = ("weight", "bias", "mask", "values", "target", "weights", "boundaries", "sorter", "prepend", "append",
                 "fweights", "aweights", "pos_weight", "running_mean", "running_var")
NUMBER_PARAMS = ("alpha", "beta", "eps", "label_smoothing", "negative_slope", "lambd", "min_val", "max_val", "margin")
# Where PyTorch differs from the rule by name: lerp's weight may be a number.
NOT_BY_NAME = {"lerp": ("weight",)}

# Dtypes PyTorch has no kernel for, by op: the kinds ("b" bool, "i" signed, "u" unsigned integers)
# refused for the dtype its tensor arguments (input, other) promote to. `frac` of an integer tensor
# or `relu` of a bool one is an error there, not a computation.
NO_KERNEL = {"frac": "biu", "nextafter": "biu", "hypot": "biu", "histc": "biu", "logcumsumexp": "biu",
             "logaddexp": "biu", "logaddexp2": "biu", "relu": "b", "trace": "b", "median": "b", "nanmedian": "b",
             "bincount": "b", "trapezoid": "b", "trapz": "b", "cumulative_trapezoid": "b",
             "bitwise_left_shift": "b", "bitwise_right_shift": "b", "floor_divide": "b", "__floordiv__": "b",
             "__rfloordiv__": "b", "remainder": "b", "__mod__": "b", "__rmod__": "b", "fmod": "b", "topk": "b"}

MAX_NESTING = 64
INT_RANGE = (-(1 << 63), 1 << 64)  # int64, or uint64 for a non-negative scalar


def is_number(v):
    return isinstance(v, (numbers.Number, np.bool_)) and not isinstance(v, np.ndarray)


def checks(name, fn):
    """((position, param name, kind, None allowed), ...) for `fn` published as `name`; kind is
    "tensor", "number" or "either"."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return ()
    out = []
    method = name.startswith("Tensor.")
    base = name.split(".")[-1]
    for i, p in enumerate(params):
        if p.kind not in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            break  # positions after *args are not this parameter's
        pos = i if p.kind != p.KEYWORD_ONLY else None
        first = i == 0 and p.name in TENSOR_FIRST and not method
        optional = p.default is not inspect.Parameter.empty
        if (first or (i > 0 and p.name in TENSOR_ANYWHERE)) and not optional:
            number = name in NUMBER_INPUT and p.name != "sorted_sequence"  # searchsorted's input may be one
            out.append((pos, p.name, "either" if number else "tensor", False))
        elif i > 0 and p.name == "other":
            out.append((pos, p.name, "tensor" if base in OTHER_TENSOR else "either", p.default is None))
        elif p.name == "memory_format":  # None or a memory format; the function honours it
            out.append((pos, p.name, "none", True))
        elif i > 0 and p.name not in NOT_BY_NAME.get(base, ()):
            kind = "tensor" if p.name in TENSOR_PARAMS else "number" if p.name in NUMBER_PARAMS else None
            if kind:
                out.append((pos, p.name, kind, kind == "tensor" or p.default is None))  # PyTorch's Tensor?
    return tuple(out)


def check(op, specs, args, kwargs):
    """The tensor arguments of `specs` (from `checks`): `pow(2, 3)` has no tensor at all. An operator
    given an operand it does not take raises an ember error too (PyTorch returns NotImplemented and
    Python raises a TypeError): `t + "x"` names the op and the operand."""
    n, numbers, tensor = len(args), 0, False
    for pos, name, kind, none in specs:
        if kwargs and name in kwargs:
            v = kwargs[name]
        elif pos is not None and pos < n:
            v = args[pos]
        else:
            continue
        if isinstance(v, Tensor) and (kind != "number" or not v._data.ndim):  # a 0-d tensor is a number too
            tensor = True
        elif kind != "tensor" and kind != "none" and (type(v) in _NUMBERS or is_number(v)):
            numbers += kind == "either"
        else:
            _refuse(op, name, kind, none, v)
    if numbers > 1 and not tensor:
        raise DTypeError(f"{op}: got only numbers; at least one argument must be a Tensor")


_NUMBERS = frozenset((int, float, bool))


def _refuse(op, name, kind, none, v):
    """Raise for `v` given as `name`, unless it is None where that is allowed, or an array operand."""
    if kind == "none":
        if v is not None:
            memory_format.need_format(op, v)
        return
    if (none and v is None) or (kind == "either" and isinstance(v, np.ndarray) and op.startswith("Tensor.__")):
        return  # `t + array` is a tensor, as in PyTorch (NumPy's operand rules)
    want = {"tensor": "a Tensor", "number": "a number", "either": "a Tensor or a number"}[kind]
    raise DTypeError(f"{op}: argument {name!r} must be {want}, got {type(v).__name__}")


_SCANNED = frozenset((int, list, tuple))


def scalars(op, args, kwargs):
    """Python ints beyond 64 bits and lists nested past MAX_NESTING, refused before anything runs."""
    for i, v in enumerate(args):
        if type(v) in _SCANNED:
            _scalar(op, f"at position {i + 1}", v)
    if kwargs:
        for k, v in kwargs.items():
            if type(v) in _SCANNED:
                _scalar(op, repr(k), v)


def _scalar(op, where, v):
    if type(v) is int:
        if not INT_RANGE[0] <= v < INT_RANGE[1]:
            raise ArgumentError(f"{op}: the int argument {where} (of {v.bit_length()} bits) does not fit in 64 bits")
        return
    depth = 0
    while (type(v) is list or type(v) is tuple) and v:
        v, depth = v[0], depth + 1
        if depth > MAX_NESTING:
            raise ArgumentError(f"{op}: the argument {where} is a sequence nested more than {MAX_NESTING} deep")


def no_kernel(name):
    """The dtype kinds PyTorch has no `name` kernel for ("" for none)."""
    base = name.split(".")[-1]
    return NO_KERNEL.get(base, NO_KERNEL.get(base.rstrip("_"), "")) if not base.startswith("__") else \
        NO_KERNEL.get(base, "")


def dtypes_ok(op, kinds, args, kwargs):
    """The promoted kind of the first two tensor arguments is not one of `kinds`."""
    first = args[0] if args else kwargs.get("input")
    if isinstance(first, Tensor) and first.dtype.is_floating_point:  # no kind of `kinds` is a float's
        return
    ts = [v for v in (*args[:2], kwargs.get("input"), kwargs.get("other")) if isinstance(v, Tensor)]
    if not ts:
        return
    got = {t.dtype.name for t in ts}
    kind = "f" if any(t.is_floating_point() for t in ts) else "i" if any(d.startswith("int") for d in got) else \
        "u" if "uint8" in got else "b"
    if kind in kinds:
        raise DTypeError(f"{op}: not implemented for {' and '.join(sorted(got))} tensors (as in PyTorch)")
