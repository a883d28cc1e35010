"""Argument checks shared by the ops: dims, shapes, sizes. Each raises an ember
error that names the op, the argument and the shapes involved."""
import os

from ember.errors import AllocationError, ArgumentError, DimError, ShapeError


def normalize_dim(dim, ndim, op, name="dim"):
    """A dim in [-ndim, ndim) as a non-negative int (a 0-d tensor takes dims -1 and 0)."""
    if not isinstance(dim, int) or isinstance(dim, bool):
        try:
            if isinstance(dim, bool) or type(dim).__name__ == "bool_":  # PyTorch refuses a bool where a dim goes
                raise TypeError
            if getattr(getattr(dim, "dtype", None), "name", "int") not in ("int8", "int16", "int32", "int64"):
                raise TypeError  # a tensor or NumPy scalar of bool or uint8

            dim = dim.__index__()
        except (AttributeError, TypeError):
            shown = repr(dim)[:30] if dim is None or isinstance(dim, (str, float)) else ""
            raise ArgumentError(f"{op}: {name} must be an int, got {type(dim).__name__} {shown}".rstrip()) from None
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise DimError(f"{op}: {name}={dim} is out of range for a tensor of rank {ndim} "
                       f"(expected {name} in [{-n}, {n - 1}])")
    return dim + n if dim < 0 else dim


def normalize_dims(dims, ndim, op, name="dim"):
    """None (all dims), an int, or a sequence of ints, as a sorted tuple without repeats."""
    if dims is None:
        return tuple(range(ndim))
    if isinstance(dims, (list, tuple)):
        out = tuple(normalize_dim(d, ndim, op, name) for d in dims)
        if len(set(out)) != len(out):
            raise ArgumentError(f"{op}: {name}={tuple(dims)} repeats a dimension")
        return tuple(sorted(out))
    return (normalize_dim(dims, ndim, op, name),)


def broadcast_shapes(op, *shapes):
    """NumPy's broadcast of shapes, or a ShapeError naming the op and the shapes."""
    ndim = max((len(s) for s in shapes), default=0)
    out = [1] * ndim
    for s in shapes:
        for i, d in enumerate(s, ndim - len(s)):
            if d != out[i]:
                if out[i] == 1:
                    out[i] = d
                elif d != 1:
                    names = " and ".join(str(tuple(x)) for x in shapes)
                    raise ShapeError(f"{op}: shapes {names} cannot be broadcast together")
    return tuple(out)


def _memory_limit():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 1 << 40


MEMORY_LIMIT = _memory_limit()


def check_size(op, shape, itemsize, name="size"):
    """Validate a requested shape before allocating: ints, non-negative, fits in memory."""
    n = 1
    for d in shape:
        if not isinstance(d, int) or isinstance(d, bool):
            try:
                d = d.__index__()
            except (AttributeError, TypeError):
                raise ArgumentError(f"{op}: {name} must be a sequence of ints, got a {type(d).__name__} in it") from None
        if d < 0:
            raise ArgumentError(f"{op}: {name} {tuple(shape)} has a negative dimension")
        n *= d
    if n * itemsize > MEMORY_LIMIT:
        gib = n * itemsize // 2**20 / 1024 if n * itemsize < 2**1000 else float("inf")  # no float overflow
        raise AllocationError(f"{op}: {name} {_short(shape)} needs {gib:.1f} GiB, "
                              f"more than this machine's {MEMORY_LIMIT / 2**30:.1f} GiB of memory")
    return n


def as_shape(op, size, name="size"):
    """`f(2, 3)`, `f((2, 3))` and `f([2, 3])` all mean shape (2, 3)."""
    if len(size) == 1 and getattr(size[0], "ndim", 0):  # a tensor or array of sizes: PyTorch refuses it
        raise ArgumentError(f"{op}: {name} must be ints, got a {type(size[0]).__name__} of shape "
                            f"{tuple(size[0].shape)}")
    if len(size) == 1 and hasattr(size[0], "__len__") and getattr(size[0], "ndim", 1) != 0 and \
            not isinstance(size[0], (str, bytes, bytearray, dict)):  # (a 0-d tensor is one int)
        size = tuple(size[0])
    if any(isinstance(s, bool) for s in size):  # PyTorch refuses True as a size
        raise ArgumentError(f"{op}: {name} must be ints, got a bool in {_short(size)}")
    try:
        shape = tuple(int(s.__index__()) for s in size)
    except (AttributeError, TypeError):
        raise ArgumentError(f"{op}: {name} must be ints, got {_short(size)}") from None
    return shape


def _short(shape):
    """A shape for an error message: its ints, each cut short (10**400 has 400 digits)."""
    return "(" + ", ".join(str(d) if isinstance(d, int) and abs(d) < 10**30 else
                           (f"<{type(d).__name__}>" if not isinstance(d, int) else "<huge int>")
                           for d in tuple(shape)[:8]) + (", ...)" if len(shape) > 8 else ")")
