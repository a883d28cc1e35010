"""Memory formats and layouts, as PyTorch names them.

An ember tensor holds a NumPy (or CuPy) array, and arrays may have any strides, so the memory formats
are real: `channels_last` lays a 4-d (N, C, H, W) tensor out as N, H, W, C in memory (strides
(HWC, 1, WC, C)), `channels_last_3d` does the same for 5-d tensors, `contiguous_format` is row-major,
and `preserve_format` keeps the source's dim order when it is dense. `strided` is the one layout ember
has; `jagged` (nested tensors) is named so it can be refused clearly.

    >>> import ember
    >>> ember.ones(2, 3, 4, 5).to(memory_format=ember.channels_last).stride()
    (60, 1, 15, 3)
"""
import reprlib

import numpy as np

from ember.errors import ArgumentError, ShapeError

__all__ = ["memory_format", "contiguous_format", "channels_last", "channels_last_3d", "preserve_format",
           "legacy_contiguous_format", "layout", "strided", "jagged"]


class _Named:
    """A module-level constant known by its name (one object per name)."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "ember." + self.name

    def __reduce__(self):  # pickled and copied by name: the module's one object
        return self.name


class memory_format(_Named):
    """A memory format: `ember.contiguous_format`, `ember.channels_last`, `ember.channels_last_3d`,
    `ember.preserve_format`."""

    __slots__ = ()


class layout(_Named):
    """A tensor layout: `ember.strided` (every ember tensor's) or `ember.jagged` (refused)."""

    __slots__ = ()


contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")
legacy_contiguous_format = contiguous_format  # PyTorch keeps this name for the same format
strided = layout("strided")
jagged = layout("jagged")

# format -> (rank it needs, the dim order in memory, outermost first)
ORDERS = {channels_last: (4, (0, 2, 3, 1)), channels_last_3d: (5, (0, 2, 3, 4, 1))}


def need_format(op, fmt):
    if not isinstance(fmt, memory_format):
        raise ArgumentError(f"{op}: memory_format must be an ember memory format (ember.contiguous_format, "
                            f"ember.channels_last, ...), got {reprlib.repr(fmt)}")
    return fmt


def need_layout(op, value):
    """Accept None or `strided`; refuse any other layout by name."""
    if value is None or value is strided:
        return value
    raise ArgumentError(f"{op}: layout={value!r} is not supported; ember tensors are strided (dense) only")


def _dense_order(a):
    """The dim order of a non-overlapping, dense array, outermost first (None when it is not dense)."""
    order = sorted(range(a.ndim), key=lambda d: (-abs(a.strides[d]), d))
    step = a.itemsize
    for d in reversed(order):
        if a.shape[d] != 1 and a.strides[d] != step:
            return None
        step *= a.shape[d]
    return tuple(order)


def order_of(op, array, fmt, source=None):
    """The dim order (outermost first) `fmt` asks for, for `array` (`source`: what preserve follows)."""
    need_format(op, fmt)
    if fmt in ORDERS:
        rank, order = ORDERS[fmt]
        if array.ndim != rank:
            raise ShapeError(f"{op}: {fmt!r} needs a {rank}-d tensor, got shape {tuple(array.shape)}")
        return order
    if fmt is preserve_format:
        return _dense_order(array if source is None else source) or tuple(range(array.ndim))
    return tuple(range(array.ndim))


def strides_for(shape, order):
    """PyTorch's strides (in elements) for `shape` laid out in `order`: size-1 dims included."""
    strides, step = [0] * len(shape), 1
    for d in reversed(order):
        strides[d], step = step, step * max(shape[d], 1)
    return tuple(strides)


def is_dense_in(array, order):
    """Whether `array` is contiguous in `order`, size-1 dims ignored (PyTorch's `is_contiguous(format)`)."""
    return array.transpose(order).flags.c_contiguous


def is_laid_out(array, order):
    """Whether `array` has exactly the strides `lay_out` would give it."""
    item = max(array.itemsize, 1)
    return tuple(s // item for s in array.strides) == strides_for(array.shape, order) or array.size == 0 and \
        is_dense_in(array, order)


def lay_out(xp, array, order, copy=False):
    """`array`'s values in new memory whose strides put its dims in `order` (unless already so)."""
    if not copy and is_laid_out(array, order):
        return array
    n = int(np.prod(array.shape, dtype=np.int64))
    flat = xp.empty(n, dtype=array.dtype)
    out = xp.lib.stride_tricks.as_strided(flat, array.shape, tuple(s * flat.itemsize for s in
                                                                   strides_for(array.shape, order)))
    out[...] = array
    return out
