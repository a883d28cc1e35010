"""PyTorch's functional forms of views and in-place calls: the `*_copy` ops (a view's values in new memory,
differentiable), `torch.detach/detach_/adjoint/fill/fill_/zero_` as functions, and allocation with an
explicit memory layout (`empty_strided`, `empty_permuted`) or over a buffer (`frombuffer`).

    >>> import ember
    >>> x = ember.arange(6.0).reshape(2, 3)
    >>> y = ember.transpose_copy(x, 0, 1)
    >>> y.shape, y.is_contiguous()
    (ember.Size([3, 2]), True)
"""
import numpy as np

from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.backend.device import device as as_device
from ember.autograd.checks import check_size, normalize_dim
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.ops import fill as _fill, tensor_info
from ember.ops._args import need_int, need_ints
from ember.ops._util import _wrap, const
from ember.ops.binary import where
from ember.ops.convert import clone
from ember.ops.creation import full_like

__all__ = ["alias_copy", "detach_copy", "diagonal_copy", "expand_copy", "narrow_copy", "permute_copy", "select_copy",
           "slice_copy", "split_copy", "split_with_sizes_copy", "squeeze_copy", "t_copy", "transpose_copy",
           "unbind_copy", "unfold_copy", "unsqueeze_copy", "view_copy", "detach", "detach_", "adjoint", "fill",
           "fill_", "zero_", "empty_strided", "empty_permuted", "frombuffer", "typename", "get_device"]
METHODS = "narrow_copy"
INPLACE = ""


def _copied(out):
    if isinstance(out, (tuple, list)):
        return type(out)(clone(o) for o in out) if not hasattr(out, "_fields") else type(out)(*map(clone, out))
    return clone(out)


def alias_copy(input):
    """A copy of `input` (the functional form of an alias)."""
    return clone(input)


def detach_copy(input):
    """`input.detach()` in new memory."""
    return clone(input.detach())


def diagonal_copy(input, offset=0, dim1=0, dim2=1):
    return _copied(input.diagonal(offset, dim1, dim2))


def expand_copy(input, size, *, implicit=False):
    return _copied(input.expand(*need_ints("expand_copy", "size", size)))


def narrow_copy(input, dim, start, length):
    return _copied(input.narrow(dim, start, length))


def permute_copy(input, dims):
    return _copied(input.permute(*need_ints("permute_copy", "dims", dims)))


def select_copy(input, dim, index):
    return _copied(input.select(dim, index))


def slice_copy(input, dim=0, start=None, end=None, step=1):
    start, end = (None if v is None else need_int("slice_copy", name, v, low=None)
                  for name, v in (("start", start), ("end", end)))
    step = need_int("slice_copy", "step", step, low=1)  # PyTorch: the step must be positive
    key = (slice(None),) * normalize_dim(dim, input.ndim, "slice_copy") + (slice(start, end, step),)
    return _copied(input[key])


def split_copy(input, split_size, dim=0):
    return _copied(input.split(split_size, dim))


def split_with_sizes_copy(input, split_sizes, dim=0):
    return _copied(input.split(list(need_ints("split_with_sizes_copy", "split_sizes", split_sizes)), dim))


def squeeze_copy(input, dim=None):
    return _copied(input.squeeze() if dim is None else input.squeeze(dim))


def t_copy(input):
    return _copied(input.t())


def transpose_copy(input, dim0, dim1):
    return _copied(input.transpose(dim0, dim1))


def unbind_copy(input, dim=0):
    return _copied(input.unbind(dim))


def unfold_copy(input, dimension, size, step):
    return _copied(tensor_info.unfold(input, dimension, size, step))


def unsqueeze_copy(input, dim):
    return _copied(input.unsqueeze(dim))


def view_copy(input, *shape):
    """`input.view(shape)` (or `.view(dtype)`) in new memory."""
    return _copied(input.view(*shape))


def detach(input):
    """`input.detach()`: the same values outside the autograd graph (sharing memory)."""
    return input.detach()


def detach_(input):
    """Detach `input` from the graph in place."""
    return input.detach_()


def adjoint(input):
    """The conjugate transpose of the last two dims (the transpose: ember has real dtypes only)."""
    return tensor_info.adjoint(input)


def fill(input, value):
    """A new tensor like `input` filled with `value` (differentiable in a 0-d tensor `value`)."""
    if isinstance(value, Tensor):
        if value.ndim:
            raise ArgumentError(f"fill: value must be a number or a 0-d tensor, got shape {tuple(value.shape)}")
        value = value.to(input.dtype).expand(input.shape)
    else:
        value = full_like(input, value)
    # the value wherever the input holds NaN too, with a zero gradient to the input, as PyTorch's
    return where(const(np.ones(tuple(input.shape), bool), input), value, input)


def fill_(input, value):
    """Fill `input` with `value` in place."""
    return _fill.fill_(input, value)


def zero_(input):
    """Fill `input` with zeros in place."""
    return _fill.zero_(input)


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """An uninitialized tensor of `size` whose elements lie `stride` elements apart, as in PyTorch."""
    size, stride = need_ints("empty_strided", "size", size), need_ints("empty_strided", "stride", stride)
    if len(size) != len(stride) or any(s < 0 for s in size + stride):
        raise ShapeError(f"empty_strided: size {size} and stride {stride} must be non-negative and of one length")
    dt = dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype, "empty_strided")
    dev = as_device(device or "cpu")
    extent = 1 + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else 0
    check_size("empty_strided", (extent,), dt.itemsize, "storage")
    base = dev.xp.empty(extent, dtype=dt.np)
    arr = dev.xp.lib.stride_tricks.as_strided(base, size, tuple(s * base.itemsize for s in stride))
    out = _wrap(arr, dev)
    return out.requires_grad_() if requires_grad else out


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None, requires_grad=False,
                   pin_memory=False):
    """An uninitialized tensor of `size` laid out in memory in the dim order `physical_layout`."""
    size, order = need_ints("empty_permuted", "size", size), need_ints("empty_permuted", "physical_layout", physical_layout)
    if sorted(order) != list(range(len(size))):
        raise ArgumentError(f"empty_permuted: physical_layout {order} must be a permutation of the {len(size)} dims")
    stride, step = [0] * len(size), 1
    for d in reversed(order):
        stride[d], step = step, step * max(size[d], 1)  # as PyTorch lays out empty dims
    return empty_strided(size, stride, dtype=dtype, device=device, requires_grad=requires_grad)


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """A 1-D tensor over the memory of a Python buffer object (shared, not copied)."""
    dt = dtypes.as_dtype(dtype, "frombuffer")
    try:
        memoryview(buffer)
    except TypeError:
        raise DTypeError(f"frombuffer: buffer must support the buffer protocol (bytes, bytearray, array, ...), "
                         f"got {type(buffer).__name__}") from None
    count, offset = need_int("frombuffer", "count", count, low=-1), need_int("frombuffer", "offset", offset)
    size = memoryview(buffer).nbytes
    if not 0 <= offset < size or count < -1 or count == 0 or \
            (count == -1 and (size - offset) % dt.np.itemsize) or count * dt.np.itemsize > size - offset:
        raise ArgumentError(f"frombuffer: count={count}, offset={offset} do not fit a buffer of {size} bytes "
                            f"read as {dt} ({dt.np.itemsize} bytes each)")
    arr = np.frombuffer(buffer, dtype=dt.np, count=count, offset=offset)
    out = _wrap(arr, as_device("cpu"))
    return out.requires_grad_() if requires_grad else out


def typename(obj):
    """PyTorch's type name: 'ember.FloatTensor' for a float32 CPU tensor, else the object's qualified class name."""
    if isinstance(obj, Tensor):
        return obj.type()
    cls = obj if isinstance(obj, type) else type(obj)
    module = cls.__module__
    return cls.__qualname__ if module in ("builtins", None) else f"{module}.{cls.__qualname__}"


def get_device(input):
    """The CUDA device index of `input`, -1 on the CPU."""
    return input.get_device()
