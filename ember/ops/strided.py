"""Views with explicit geometry over a tensor's memory: `as_strided` (and its in-place, copying and
scattering forms), `slice_inverse`, and `resize_as_`.

A tensor's *storage* is the array that owns its memory (the outermost NumPy/CuPy base); sizes, strides
and the storage offset count elements of it, as in PyTorch. A geometry that reaches outside the storage
is refused with an ember error, never read.

    >>> import ember
    >>> ember.arange(10.0).as_strided((2, 2), (3, 1), 1)
    tensor([[1., 2.],
            [4., 5.]])
"""
import numpy as np

from ember.autograd import grad_mode
from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.errors import ArgumentError, AutogradError, ShapeError
from ember.ops import binary, creation, gather
from ember.ops._args import need_int, need_ints, need_tensor
from ember.ops._util import const
from ember.ops.registry import Sample, register

__all__ = ["as_strided", "as_strided_", "as_strided_copy", "as_strided_scatter", "slice_inverse", "resize_as_"]
METHODS = " ".join(__all__[:-1]) + " resize_as_"
INPLACE = ""


def _owner(a):
    while getattr(a, "base", None) is not None and hasattr(a.base, "strides"):
        a = a.base
    return a


def _ptr(a):
    return a.__array_interface__["data"][0] if isinstance(a, np.ndarray) else a.data.ptr


def storage_of(op, x):
    """(flat storage array, this tensor's element offset in it)."""
    return _storage(op, x._data)


def _storage(op, a):
    owner = _owner(a)
    if not owner.flags.c_contiguous:
        raise ArgumentError(f"{op}: the tensor's memory is not one contiguous block (its base has strides "
                            f"{owner.strides}); call .contiguous() first")
    return owner.reshape(-1), (_ptr(a) - _ptr(owner)) // max(a.itemsize, 1)


def _parse(op, size, stride, offset):
    size, stride = need_ints(op, "size", size), need_ints(op, "stride", stride)
    if len(size) != len(stride):
        raise ShapeError(f"{op}: size {size} and stride {stride} must have one length")
    if any(s < 0 for s in size):
        raise ShapeError(f"{op}: sizes must be non-negative, got {size}")
    if any(s < 0 for s in stride):
        raise ArgumentError(f"{op}: negative strides are not supported, got {stride}")
    offset = need_ints(op, "storage_offset", (offset,))[0]
    if offset < 0:
        raise ArgumentError(f"{op}: storage_offset must be non-negative, got {offset}")
    return size, stride, offset


def _check_extent(op, size, stride, offset, n):
    need = 0 if 0 in size else offset + 1 + sum((k - 1) * s for k, s in zip(size, stride))
    if need > n:
        raise ShapeError(f"{op}: size {size}, stride {stride} and storage offset {offset} need a storage of "
                         f"{need} elements; the storage has {n}")


def _geometry(op, x, size, stride, storage_offset):
    flat, own = storage_of(op, x)
    size, stride, offset = _parse(op, size, stride, own if storage_offset is None else storage_offset)
    _check_extent(op, size, stride, offset, flat.size)
    return size, stride, offset, flat


def positions(size, stride, offset):
    """The storage index of every element of a geometry, as an int64 array of shape `size`."""
    idx = np.full(size, offset, dtype=np.int64)
    for d, (n, s) in enumerate(zip(size, stride)):
        shape = [1] * len(size)
        shape[d] = n
        idx = idx + (np.arange(n, dtype=np.int64) * s).reshape(shape)
    return idx


def _view(flat, size, stride, offset, xp):
    item = flat.itemsize
    return xp.lib.stride_tricks.as_strided(flat[offset:] if flat.size else flat, size, tuple(s * item for s in stride))


class AsStrided(Function):
    is_view = True
    save_inputs = False

    def forward(self, x, size, stride, offset):
        flat, own = _storage("as_strided", x)  # the storage is found from the array itself (also at replay)
        own_stride = tuple(s // max(x.itemsize, 1) for s in x.strides)
        self.geometry = (size, stride, offset, x.shape, own_stride, own, flat.size)
        return _view(flat, size, stride, offset, self.xp)

    def backward(self, g):
        size, stride, offset, in_shape, own_stride, own_offset, n = self.geometry
        out_idx = const(positions(size, stride, offset).reshape(-1), g)
        in_idx = const(positions(in_shape, own_stride, own_offset), g)
        total = gather.index_add(creation.zeros(n, dtype=g.dtype, device=g.device), 0, out_idx, g.reshape(-1))
        return gather.take(total, in_idx)  # the storage's gradient, read where the input's elements lie


def _as_strided_samples(make):
    return [Sample((make(10), (2, 2), (3, 1), 1), name="2d"), Sample((make(3, 4), (3, 2), (4, 2)), name="default-offset"),
            Sample((make(6), (2, 2), (1, 1), 1), name="overlapping"), Sample((make(5), (3, 2), (0, 1)), name="zero-stride"),
            Sample((make(4), (0, 2), (1, 1)), name="empty"), Sample((make(4), (), (), 3), name="0d")]


@register("as_strided", _as_strided_samples, AsStrided)
def as_strided(input, size, stride, storage_offset=None):
    """A view of `input`'s storage with the given sizes, strides and storage offset (default: `input`'s).

        >>> ember.arange(6.0).as_strided((2, 2), (1, 2))
        tensor([[0., 2.],
                [1., 3.]])
    """
    need_tensor("as_strided", "input", input)
    size, stride, offset, _ = _geometry("as_strided", input, size, stride, storage_offset)
    return AsStrided.apply(input, size, stride, offset)


def as_strided_(input, size, stride, storage_offset=None):
    """Give `input` itself the new geometry over its storage (in place)."""
    need_tensor("as_strided_", "input", input)
    if input.requires_grad and grad_mode.is_grad_enabled():
        raise AutogradError("as_strided_: a tensor that requires grad can't be restrided in place; use "
                            "as_strided (a view autograd records)")
    size, stride, offset, flat = _geometry("as_strided_", input, size, stride, storage_offset)
    input._data = _view(flat, size, stride, offset, input._device.xp)
    return input


def as_strided_copy(input, size, stride, storage_offset=None):
    """`as_strided` as a new tensor with its own memory."""
    return as_strided(input, size, stride, storage_offset).clone()


def as_strided_scatter(input, src, size, stride, storage_offset=None):
    """A copy of `input` (contiguous) whose elements at the geometry `size`/`stride`/`storage_offset` over
    that copy are replaced by `src`; differentiable in both.

        >>> ember.as_strided_scatter(ember.zeros(4), ember.ones(2), (2,), (2,))
        tensor([1., 0., 1., 0.])
    """
    op = "as_strided_scatter"
    need_tensor(op, "input", input)
    need_tensor(op, "src", src)
    size, stride, offset = _parse(op, size, stride, 0 if storage_offset is None else storage_offset)
    base = input.contiguous()
    _check_extent(op, size, stride, offset, base.numel())
    if tuple(src.shape) != size:
        raise ShapeError(f"{op}: src has shape {tuple(src.shape)}, expected the geometry's size {size}")
    idx = positions(size, stride, offset).reshape(-1)
    if len(np.unique(idx)) != idx.size:
        raise ArgumentError(f"{op}: the geometry size {size}, stride {stride} overlaps itself; each element "
                            f"must be written once")
    keep = np.ones(base.numel(), dtype=bool)
    keep[idx] = False
    flat = base.reshape(-1) * const(keep.astype(base._data.dtype), base)
    written = gather.index_add(creation.zeros(base.numel(), dtype=base.dtype, device=base.device), 0,
                               const(idx, base), src.to(base.dtype).reshape(-1))
    return (flat + written).reshape(tuple(input.shape))


def slice_inverse(input, src, dim=0, start=None, end=None, step=1):
    """The inverse of slicing `src` along `dim`: a tensor with `src`'s geometry over `input`'s storage
    (`input` being that slice), as PyTorch's functionalization uses it."""
    need_tensor("slice_inverse", "src", src)
    # PyTorch checks the slice's arguments for type only: the geometry comes from src
    for name, v in (("dim", dim), ("start", start), ("end", end), ("step", step)):
        if v is not None or name in ("dim", "step"):
            need_int("slice_inverse", name, v, low=None)
    stride = tuple(s // max(src._data.itemsize, 1) for s in src._data.strides)
    out = as_strided(input, tuple(src.shape), stride, storage_of("slice_inverse", src)[1])
    if src.requires_grad:  # PyTorch connects src with a zero gradient (a true 0: where's untaken branch)
        out = binary.where(creation.ones(tuple(src.shape), dtype=dtypes.bool_, device=src.device), out,
                           src.to(out.dtype))
    return out


def resize_as_(input, the_template, *, memory_format=None):
    """Give `input` the shape of `the_template` in place, keeping its leading elements (row-major);
    new elements are zeros. Refused for tensors that require grad, as in PyTorch."""
    need_tensor("resize_as_", "the_template", the_template)
    if memory_format is not None:
        raise ArgumentError("resize_as_: memory_format is not supported (the result is row-major)")
    if input.requires_grad:
        raise AutogradError("resize_as_: cannot resize a tensor that requires grad")
    shape = tuple(the_template.shape)
    n = int(np.prod(shape, dtype=np.int64))
    flat, own = storage_of("resize_as_", input)
    if input._data.flags.c_contiguous and own + n <= flat.size:
        input._data = flat[own:own + n].reshape(shape)
    else:
        xp = input._device.xp
        grown = xp.zeros(n, dtype=input._data.dtype)
        old = input._data.reshape(-1)[:n]
        grown[:old.size] = old
        input._data = grown.reshape(shape)
    return input
