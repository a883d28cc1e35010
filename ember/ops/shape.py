"""Shape ops: views and rearrangements of a tensor's elements.

Views (reshape of a contiguous tensor, view, transpose, permute, expand,
squeeze, split, narrow) share memory and the version counter with their base,
as in PyTorch. Joining (cat, stack), flip, roll, repeat and pad copy.

    >>> import ember
    >>> x = ember.arange(6).reshape(2, 3)
    >>> x.T.shape, x.unsqueeze(0).shape, ember.cat([x, x], dim=1).shape
    (ember.Size([3, 2]), ember.Size([1, 2, 3]), ember.Size([2, 6]))
"""
import operator

import numpy as np

from ember.autograd.checks import broadcast_shapes, check_size, normalize_dim, normalize_dims
from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.errors import ArgumentError, DimError, DTypeError, ShapeError
from ember.ops.index import getitem
from ember.ops.reduce import sum_to_size
from ember.ops.registry import Sample, register

__all__ = ["reshape", "expand", "permute", "transpose", "swapaxes", "swapdims", "view", "view_as", "reshape_as",
           "expand_as", "flatten", "unflatten", "squeeze", "unsqueeze", "broadcast_to", "broadcast_tensors",
           "cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack", "split", "chunk", "unbind",
           "flip", "roll", "repeat", "tile", "pad", "narrow", "movedim", "moveaxis"]

# Tensor methods (bound in tensor_methods.py) and the ones with an in-place `name_` form.
METHODS = ("reshape expand permute transpose swapaxes swapdims view view_as reshape_as expand_as flatten "
           "unflatten squeeze unsqueeze broadcast_to split chunk unbind flip roll repeat tile narrow movedim moveaxis")
INPLACE = ""


def _sizes(args):
    """`f(2, 3)`, `f((2, 3))`, `f([2, 3])` and `f(x.shape)` all mean (2, 3)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def _ints(op, name, values):
    """`values` as a tuple of Python ints (NumPy and 0-d integer tensors too; not floats or strings)."""
    try:
        return tuple(operator.index(v) for v in values)
    except TypeError:
        raise ArgumentError(f"{op}: {name} must be ints, got {tuple(values)!r}") from None


def _int(op, name, value):
    try:
        return operator.index(value)
    except TypeError:
        raise ArgumentError(f"{op}: {name} must be an int, got {type(value).__name__} {value!r}") from None


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _infer_shape(op, numel, shape):
    """Resolve one -1 in `shape`; check that the element count matches."""
    shape = _ints(op, "shape", shape)
    unknown = [i for i, s in enumerate(shape) if s == -1]
    if len(unknown) > 1:
        raise ArgumentError(f"{op}: only one dimension can be -1, got shape {shape}")
    if any(s < -1 for s in shape):
        raise ArgumentError(f"{op}: invalid shape {shape}: dimensions must be >= 0 or -1")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if unknown:
        if known == 0 or numel % known:
            raise ShapeError(f"{op}: shape {shape} is invalid for input of size {numel}")
        shape = shape[:unknown[0]] + (numel // known,) + shape[unknown[0] + 1:]
    elif known != numel:
        raise ShapeError(f"{op}: shape {shape} is invalid for input of size {numel}")
    return shape


# --- views: reshape, expand, permute and the composites built on them ---------

class Reshape(Function):
    save_inputs = False
    is_view = True

    def forward(self, x, shape, op="reshape"):
        self.in_shape = x.shape
        try:  # NumPy checks the common case fastest; _infer_shape explains what it refuses
            return x.reshape(shape)
        except (ValueError, TypeError):
            _infer_shape(op, x.size, shape)
            raise

    def backward(self, g):
        return g.reshape(self.in_shape)


class Expand(Function):
    save_inputs = False
    is_view = True

    def forward(self, x, shape):
        shape = tuple(shape)
        if len(shape) < x.ndim:
            raise ShapeError(f"expand: the number of sizes {len(shape)} must be at least the tensor's rank "
                             f"{x.ndim} (shape {tuple(x.shape)} to {shape})")
        lead = len(shape) - x.ndim
        out = tuple(x.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(shape))
        for i, s in enumerate(x.shape):
            if s != 1 and s != out[lead + i]:
                raise ShapeError(f"expand: shape {tuple(x.shape)} cannot be expanded to {shape}: "
                                 f"dim {lead + i} has size {s}, not 1")
        check_size("expand", out, 0)
        self.in_shape = x.shape
        return self.xp.broadcast_to(x, out)

    def backward(self, g):
        return sum_to_size(g, self.in_shape)


class Permute(Function):
    save_inputs = False
    is_view = True

    def forward(self, x, dims):
        dims = tuple(normalize_dim(d, x.ndim, "permute", "dims") for d in dims)
        if sorted(dims) != list(range(x.ndim)):
            raise ArgumentError(f"permute: dims {dims} must be a permutation of 0..{x.ndim - 1} "
                                f"for a tensor of shape {tuple(x.shape)}")
        self.dims = dims
        return x.transpose(dims)

    def backward(self, g):
        inverse = [0] * len(self.dims)
        for i, d in enumerate(self.dims):
            inverse[d] = i
        return Permute.apply(g, dims=tuple(inverse))


def _shape_samples(make):
    return [Sample((make(3, 4), (4, 3)), name="2d"), Sample((make(2, 3, 4), (6, -1)), name="infer"),
            Sample((make(4, 3, noncontig=True), (12,)), name="noncontig"), Sample((make(0, 3), (3, 0)), name="empty")]


@register("reshape", _shape_samples, Reshape)
def reshape(input, *shape):
    """The same elements in a new shape (one dim may be -1). A view when the layout allows."""
    return Reshape.apply(input, _sizes(shape))


def _viewable(x, shape):
    """PyTorch's rule for `view`: every run of input dims that is contiguous in memory must
    map onto a run of new dims holding the same number of elements."""
    if x.size == 0 or x.ndim == 0:
        return True
    old, strides = x.shape, x.strides
    view_d = len(shape) - 1
    chunk = strides[-1]
    numel = view_numel = 1
    for d in range(x.ndim - 1, -1, -1):
        numel *= old[d]
        if d == 0 or (old[d - 1] != 1 and strides[d - 1] != numel * chunk):
            while view_d >= 0 and (view_numel < numel or shape[view_d] == 1):
                view_numel *= shape[view_d]
                view_d -= 1
            if view_numel != numel:
                return False
            if d > 0:
                chunk, numel, view_numel = strides[d - 1], 1, 1
    return view_d == -1


def _view_samples(make):
    return [Sample((make(3, 4), (4, 3)), name="2d"), Sample((make(2, 3, 4), 6, -1), name="varargs"),
            Sample((make(4, 3, noncontig=True), (2, 2, 3)), name="noncontig"),
            Sample((make(0, 3), (3, 0)), name="empty")]


@register("view", _view_samples, ref="Tensor.view")
def view(input, *shape):
    """`input`'s memory seen with a new shape; never copies.

        >>> ember.arange(6).view(2, -1).shape
        ember.Size([2, 3])

    Fails when the layout can't be viewed (e.g. `x.T.view(-1)`): use `reshape`.
    """
    shape = _sizes(shape)
    if len(shape) == 1 and isinstance(shape[0], (str, dtypes.DType)):
        raise ArgumentError(f"view: view(dtype) is not supported (got {shape[0]!r}); use .to(dtype) to "
                            f"convert values")
    x = input._data
    if x.flags.c_contiguous:
        return Reshape.apply(input, shape, op="view")
    shape = _infer_shape("view", x.size, shape)
    if not _viewable(x, shape):
        strides = tuple(s // x.itemsize for s in x.strides)
        raise ShapeError(f"view: shape {shape} is not compatible with the input's shape {tuple(x.shape)} and "
                         f"strides {strides}: at least one dim spans two non-contiguous blocks of memory. "
                         f"Use .reshape(...) (copies when needed) or call .contiguous() first")
    return Reshape.apply(input, shape)


def _as_samples(make):
    return [Sample((make(3, 4), make(2, 6)), name="2d"),
            Sample((make(4, 3, noncontig=True), make(12)), name="noncontig"),
            Sample((make(0, 3), make(3, 0)), name="empty")]


@register("view_as", lambda make: _as_samples(make)[::2], ref="Tensor.view_as")
def view_as(input, other):
    """`input.view(other.shape)`."""
    return view(input, tuple(other.shape))


@register("reshape_as", _as_samples, ref="Tensor.reshape_as")
def reshape_as(input, other):
    """`input.reshape(other.shape)`."""
    return Reshape.apply(input, tuple(other.shape))


@register("expand", lambda make: [Sample((make(3, 1), (3, 4)), name="2d"), Sample((make(4), (2, 3, 4)), name="lead"),
                                  Sample((make(3, 1), (-1, 5)), name="minus-one"),
                                  Sample((make(4, 3, noncontig=True), 2, 4, 3), name="noncontig-varargs"),
                                  Sample((make(1, 3), (0, 3)), name="empty")], Expand, ref="Tensor.expand")
def expand(input, *sizes):
    """A broadcast view with `sizes` (-1 keeps a dim)."""
    return Expand.apply(input, _ints("expand", "sizes", _sizes(sizes)))


@register("expand_as", lambda make: [Sample((make(3, 1), make(3, 4)), name="2d"),
                                     Sample((make(4, 3, noncontig=True), make(2, 4, 3)), name="noncontig"),
                                     Sample((make(1, 3), make(0, 3)), name="empty")], ref="Tensor.expand_as")
def expand_as(input, other):
    """`input.expand(other.shape)`."""
    return Expand.apply(input, tuple(other.shape))


@register("broadcast_to", lambda make: [Sample((make(3, 1), (3, 4)), name="2d"), Sample((make(4), (2, 3, 4)), name="lead"),
                                        Sample((make(4, 3, noncontig=True), (2, -1, 3)), name="noncontig"),
                                        Sample((make(0, 1), (0, 3)), name="empty")])
def broadcast_to(input, size):
    """A broadcast view of `input` with shape `size` (-1 keeps a dim), as `expand`."""
    return Expand.apply(input, _ints("broadcast_to", "size", _sizes((size,))))


@register("broadcast_tensors", lambda make: [Sample((make(3, 1), make(1, 4)), name="2d"),
                                             Sample((make(2, 3, 4), make(4), make(3, 1)), name="three"),
                                             Sample((make(4, 3, noncontig=True), make(3)), name="noncontig"),
                                             Sample((make(0, 3), make(1, 3)), name="empty")])
def broadcast_tensors(*tensors):
    """Broadcast views of `tensors` with one common shape.

        >>> a, b = ember.broadcast_tensors(ember.ones(3, 1), ember.ones(4))
        >>> a.shape, b.shape
        (ember.Size([3, 4]), ember.Size([3, 4]))
    """
    tensors = _sizes(tensors)
    shape = broadcast_shapes("broadcast_tensors", *(t.shape for t in tensors))
    return tuple(Expand.apply(t, shape) for t in tensors)


@register("permute", lambda make: [Sample((make(2, 3, 4), (2, 0, 1)), name="3d"),
                                   Sample((make(4, 3, noncontig=True), (1, 0)), name="noncontig"),
                                   Sample((make(0, 3, 2), (1, 2, 0)), name="empty")], Permute)
def permute(input, *dims):
    """Reorder the dims: a view."""
    return Permute.apply(input, _sizes(dims))


@register("transpose", lambda make: [Sample((make(2, 3, 4), 0, 2), name="3d"), Sample((make(3, 4), -1, -2), name="neg"),
                                     Sample((make(4, 3, noncontig=True), 0, 1), name="noncontig"),
                                     Sample((make(0, 3), 0, 1), name="empty")])
def transpose(input, dim0, dim1):
    """Swap two dims: a view."""
    n = input.ndim
    d0, d1 = normalize_dim(dim0, n, "transpose", "dim0"), normalize_dim(dim1, n, "transpose", "dim1")
    dims = list(range(n))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(input, tuple(dims)) if n else input


swapaxes = swapdims = transpose


def _move_samples(make):
    return [Sample((make(2, 3, 4), 0, 2), name="int"), Sample((make(2, 3, 4), (0, -1), (-1, 0)), name="tuple"),
            Sample((make(4, 3, noncontig=True), 1, 0), name="noncontig"), Sample((make(0, 3, 2), 0, -1), name="empty")]


@register("movedim", _move_samples)
def movedim(input, source, destination):
    """Move the dims `source` to positions `destination` (ints or sequences); the rest keep their order.

        >>> ember.zeros(2, 3, 4).movedim(0, -1).shape
        ember.Size([3, 4, 2])
    """
    n = input.ndim
    src, dst = _sizes((source,)), _sizes((destination,))
    if len(src) != len(dst):
        raise ArgumentError(f"movedim: source {src} and destination {dst} must have the same number of dims")
    src = [normalize_dim(d, n, "movedim", "source") for d in src]
    dst = [normalize_dim(d, n, "movedim", "destination") for d in dst]
    for name, ds, given in (("source", src, source), ("destination", dst, destination)):
        if len(set(ds)) != len(ds):
            raise ArgumentError(f"movedim: repeated dim in {name} {given}")
    perm = [None] * n
    for s, d in zip(src, dst):
        perm[d] = s
    rest = iter(d for d in range(n) if d not in src)
    perm = [next(rest) if p is None else p for p in perm]
    return Permute.apply(input, tuple(perm)) if n else input


moveaxis = movedim
register("moveaxis", _move_samples)(moveaxis)


# --- adding and removing dims -------------------------------------------------

def _new_dim(op, dim, ndim):
    """A dim in [-ndim - 1, ndim]: the positions a new dim can take (unsqueeze, stack)."""
    n = ndim + 1
    if isinstance(dim, int) and not -n <= dim < n:
        raise DimError(f"{op}: dim={dim} is out of range for a tensor of rank {ndim} "
                       f"(expected dim in [{-n}, {n - 1}])")
    return normalize_dim(dim, n, op)


@register("squeeze", lambda make: [Sample((make(1, 3, 1),), name="all"), Sample((make(1, 3, 1), 0), name="int"),
                                   Sample((make(1, 3, 1), (0, -1)), name="tuple"), Sample((make(2, 3), 1), name="noop"),
                                   Sample((make(3, 1, noncontig=True),), name="noncontig"),
                                   Sample((make(0, 1),), name="empty"), Sample((make(),), name="0d")])
def squeeze(input, dim=None):
    """Remove dims of size 1: all of them, or those of `dim` (an int or a tuple) that have size 1.

        >>> ember.zeros(1, 3, 1).squeeze().shape, ember.zeros(1, 3, 1).squeeze((0, 1)).shape
        (ember.Size([3]), ember.Size([3, 1]))
    """
    shape = input.shape
    dims = range(len(shape)) if dim is None else normalize_dims(dim, len(shape), "squeeze")
    if not shape:
        return Reshape.apply(input, ())
    drop = {d for d in dims if shape[d] == 1}
    return Reshape.apply(input, tuple(s for d, s in enumerate(shape) if d not in drop))


@register("unsqueeze", lambda make: [Sample((make(3, 4), 0), name="first"), Sample((make(3, 4), -1), name="last"),
                                     Sample((make(4, 3, noncontig=True), 1), name="noncontig"),
                                     Sample((make(0, 3), 1), name="empty"), Sample((make(), 0), name="0d")])
def unsqueeze(input, dim):
    """Insert a dim of size 1 at `dim` (in [-ndim - 1, ndim])."""
    shape = tuple(input.shape)
    d = _new_dim("unsqueeze", dim, len(shape))
    return Reshape.apply(input, shape[:d] + (1,) + shape[d:])


@register("flatten", lambda make: [Sample((make(2, 3, 4),), name="all"), Sample((make(2, 3, 4), 1), name="start"),
                                   Sample((make(2, 3, 4, 2), 1, -2), name="middle"),
                                   Sample((make(4, 3, noncontig=True),), name="noncontig"),
                                   Sample((make(2, 0, 3), 1), name="empty"), Sample((make(),), name="0d")])
def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims `start_dim..end_dim` (inclusive) into one.

        >>> ember.zeros(2, 3, 4).flatten(1).shape
        ember.Size([2, 12])
    """
    shape = tuple(input.shape)
    if not shape:
        return Reshape.apply(input, (1,))
    s = normalize_dim(start_dim, len(shape), "flatten", "start_dim")
    e = normalize_dim(end_dim, len(shape), "flatten", "end_dim")
    if s > e:
        raise ArgumentError(f"flatten: start_dim={start_dim} must not come after end_dim={end_dim} "
                            f"for a tensor of shape {shape}")
    if s == e:
        return input
    return Reshape.apply(input, shape[:s] + (_prod(shape[s:e + 1]),) + shape[e + 1:])


@register("unflatten", lambda make: [Sample((make(2, 6), 1, (2, 3)), name="2d"),
                                     Sample((make(2, 6), -1, (-1, 2)), name="infer"),
                                     Sample((make(6, 4, noncontig=True), 0, (3, 2)), name="noncontig"),
                                     Sample((make(0, 6), 1, (3, 2)), name="empty")])
def unflatten(input, dim, sizes):
    """Split dim `dim` into `sizes` (one may be -1).

        >>> ember.zeros(2, 12).unflatten(1, (3, -1)).shape
        ember.Size([2, 3, 4])
    """
    shape = tuple(input.shape)
    d = normalize_dim(dim, len(shape), "unflatten")
    sizes = _ints("unflatten", "sizes", sizes if isinstance(sizes, (tuple, list)) else (sizes,))
    if not sizes:
        raise ArgumentError("unflatten: sizes must be non-empty")
    try:
        sizes = _infer_shape("unflatten", shape[d], sizes)
    except ShapeError:
        raise ShapeError(f"unflatten: sizes {sizes} don't multiply to {shape[d]}, the size of dim {d} "
                         f"of the input of shape {shape}") from None
    return Reshape.apply(input, shape[:d] + sizes + shape[d + 1:])


# --- joining and splitting -----------------------------------------------------

def _tensor_list(op, tensors):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise ArgumentError(f"{op}: expected a list or tuple of tensors, got {type(tensors).__name__}")
    if not tensors:
        raise ArgumentError(f"{op}: expected a non-empty list of tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise DTypeError(f"{op}: expected a list of tensors, but element {i} is {type(t).__name__}")
    return tensors


def _common(xs):
    """The arrays cast to PyTorch's result dtype over all of them (as torch.cat promotes)."""
    dt = xs[0].dtype
    if all(x.dtype == dt for x in xs):
        return xs
    dt = dtypes.result_type(*xs).np
    return [x.astype(dt, copy=False) for x in xs]


class Cat(Function):
    save_inputs = False

    def forward(self, *xs, dim=0):
        xs = _common(xs)
        self.n = len(xs)
        ref = xs[0]
        if ref.ndim and ref.shape != (0,):  # the common case: NumPy checks the shapes
            d = self.dim = normalize_dim(dim, ref.ndim, "cat")
            try:
                out = self.xp.concatenate(xs, axis=d)
            except ValueError:
                return self._checked(xs, dim)
            self.kept = range(self.n)
            self.sizes = tuple([x.shape[d] for x in xs])
            return out
        return self._checked(xs, dim)

    def _checked(self, xs, dim):
        """Skip 1-D empties (PyTorch's legacy rule) and explain what NumPy refused."""
        arrays = [x for x in xs if x.shape != (0,)]
        self.kept = [i for i, x in enumerate(xs) if x.shape != (0,)]
        if not arrays:
            return xs[0].copy()
        ref = arrays[0]
        if ref.ndim == 0:
            raise ShapeError(f"cat: zero-dimensional tensor (at position {self.kept[0]}) cannot be concatenated")
        d = self.dim = normalize_dim(dim, ref.ndim, "cat")
        shape = ref.shape
        for k, x in enumerate(arrays):
            if x.ndim != ref.ndim or x.shape[:d] != shape[:d] or x.shape[d + 1:] != shape[d + 1:]:
                raise ShapeError(f"cat: tensor {self.kept[0]} has shape {tuple(shape)} and tensor {self.kept[k]} has "
                                 f"shape {tuple(x.shape)}: sizes must match except in dim {d}")
        self.sizes = tuple([x.shape[d] for x in arrays])
        return self.xp.concatenate(arrays, axis=d)

    def backward(self, g):
        grads = [None] * self.n
        if self.kept:
            for i, part in zip(self.kept, Split.apply(g, sizes=self.sizes, dim=self.dim)):
                grads[i] = part
        return tuple(grads)


class Stack(Function):
    save_inputs = False

    def forward(self, *xs, dim=0):
        xs = _common(xs)
        shape = xs[0].shape
        self.dim = _new_dim("stack", dim, len(shape))
        try:
            return self.xp.stack(xs, axis=self.dim)
        except ValueError:  # explain which shapes differ
            for i, x in enumerate(xs):
                if x.shape != shape:
                    raise ShapeError(f"stack: tensors must all have the same shape, but tensor 0 has shape "
                                     f"{tuple(shape)} and tensor {i} has shape {tuple(x.shape)}") from None
            raise

    def backward(self, g):
        return Unbind.apply(g, dim=self.dim)


class Split(Function):
    """Views of consecutive pieces of `x` along `dim` with lengths `sizes`."""
    save_inputs = False
    is_view = True

    def forward(self, x, sizes, dim):
        self.dim = dim
        lead = (slice(None),) * dim
        outs = []
        start = 0
        for s in sizes:
            outs.append(x[lead + (slice(start, start + s),)])
            start += s
        return tuple(outs)

    def backward(self, *grads):
        return Cat.apply(*grads, dim=self.dim)


class Unbind(Function):
    """The slices of `x` along `dim`, as views."""
    save_inputs = False
    is_view = True

    def forward(self, x, dim):
        self.dim = dim
        return tuple(x if dim == 0 else self.xp.moveaxis(x, dim, 0))

    def backward(self, *grads):
        return Stack.apply(*grads, dim=self.dim)


def _cat_samples(make):
    return [Sample(([make(2, 3), make(4, 3)],), name="dim0"), Sample(([make(2, 3), make(2, 5), make(2, 1)], 1), name="dim1"),
            Sample(([make(2, 3), make(2, 2)], -1), name="neg"),
            Sample(([make(4, 3, noncontig=True), make(2, 3)],), name="noncontig"),
            Sample(([make(0, 3), make(2, 3)],), name="empty"), Sample(([make(3)],), name="one"),
            Sample(([make(0), make(2, 3), make(1, 3)],), name="legacy-empty"),
            Sample(([make(2, 3), make.ints(2, 3)],), name="int-promote"),
            Sample(([make(2, 3), make(1, 3).astype("float64")],), name="f64-promote")]


@register("cat", _cat_samples, Cat)
def cat(tensors, dim=0):
    """Join `tensors` along the existing dim `dim`; dtypes promote as in PyTorch.

        >>> ember.cat([ember.zeros(2, 3), ember.ones(1, 3)]).shape
        ember.Size([3, 3])

    1-D tensors of shape (0,) are skipped (PyTorch's legacy rule), whatever the others' rank.
    """
    return Cat.apply(*_tensor_list("cat", tensors), dim=dim)


@register("concat", lambda make: _cat_samples(make)[2:5])
def concat(tensors, dim=0):
    """Alias of `cat`."""
    return Cat.apply(*_tensor_list("concat", tensors), dim=dim)


@register("concatenate", lambda make: _cat_samples(make)[2:5])
def concatenate(tensors, axis=0):
    """Alias of `cat`, with NumPy's argument name."""
    return Cat.apply(*_tensor_list("concatenate", tensors), dim=axis)


@register("stack", lambda make: [Sample(([make(2, 3), make(2, 3)],), name="dim0"),
                                 Sample(([make(2, 3), make(2, 3), make(2, 3)], 2), name="last"),
                                 Sample(([make(2, 3), make(2, 3)], -2), name="neg"),
                                 Sample(([make(4, 3, noncontig=True), make(4, 3)], 1), name="noncontig"),
                                 Sample(([make(0, 3), make(0, 3)], 1), name="empty"),
                                 Sample(([make(), make()],), name="0d"),
                                 Sample(([make(2, 3), make.ints(2, 3)],), name="int-promote")], Stack)
def stack(tensors, dim=0):
    """Join same-shape `tensors` along a new dim `dim`.

        >>> ember.stack([ember.zeros(2, 3), ember.ones(2, 3)], dim=1).shape
        ember.Size([2, 2, 3])
    """
    return Stack.apply(*_tensor_list("stack", tensors), dim=dim)


def _at_least(t, ndim):
    """`t` with size-1 dims added as NumPy's atleast_1d/2d/3d do."""
    shape = tuple(t.shape)
    if len(shape) >= ndim:
        return t
    if ndim == 3 and len(shape) == 2:
        return Reshape.apply(t, shape + (1,))
    if ndim == 3 and len(shape) == 1:
        return Reshape.apply(t, (1,) + shape + (1,))
    return Reshape.apply(t, (1,) * (ndim - len(shape)) + shape)


def _stack_samples(make, lower):
    return [Sample(([make(2, 3), make(2, 3)],), name="2d"), Sample(([make(3), make(3)],), name="1d"),
            Sample(([make(), make()] if lower else [make(2, 3), make(2, 3)],), name="0d"),
            Sample(([make(4, 3, noncontig=True), make(4, 3)],), name="noncontig"),
            Sample(([make(0, 3), make(0, 3)],), name="empty")]


@register("hstack", lambda make: _stack_samples(make, True) + [Sample(([make(2, 3), make(2, 1)],), name="uneven")])
def hstack(tensors):
    """Join along dim 1 (dim 0 for 1-D tensors)."""
    ts = [_at_least(t, 1) for t in _tensor_list("hstack", tensors)]
    return Cat.apply(*ts, dim=0 if ts[0].ndim == 1 else 1)


@register("vstack", lambda make: _stack_samples(make, True) + [Sample(([make(2, 3), make(1, 3)],), name="uneven")])
def vstack(tensors):
    """Join along dim 0, 1-D tensors as rows."""
    return Cat.apply(*(_at_least(t, 2) for t in _tensor_list("vstack", tensors)), dim=0)


@register("dstack", lambda make: _stack_samples(make, True))
def dstack(tensors):
    """Join along dim 2, after making tensors at least 3-D as NumPy does."""
    return Cat.apply(*(_at_least(t, 3) for t in _tensor_list("dstack", tensors)), dim=2)


def _split_dim(op, tensor, dim):
    if tensor.ndim == 0:
        raise DimError(f"{op}: expected a tensor with at least one dimension, got a 0-d tensor")
    d = normalize_dim(dim, tensor.ndim, op)
    return d, tensor.shape[d]


@register("split", lambda make: [Sample((make(5, 3), 2), name="int"), Sample((make(5, 3), [1, 4]), name="sizes"),
                                 Sample((make(3, 5), 2, -1), name="neg"), Sample((make(5, 3), [2, 0, 3]), name="zero-piece"),
                                 Sample((make(4, 3, noncontig=True), 3), name="noncontig"),
                                 Sample((make(0, 3), 2), name="empty")], Split)
def split(tensor, split_size_or_sections, dim=0):
    """Views of pieces along `dim`: of size `split_size_or_sections` (the last may be smaller), or of
    the sizes listed.

        >>> [p.shape[0] for p in ember.arange(5).split(2)], [p.shape[0] for p in ember.arange(5).split([1, 4])]
        ([2, 2, 1], [1, 4])
    """
    d, n = _split_dim("split", tensor, dim)
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = _ints("split", "split sizes", split_size_or_sections)
        if any(s < 0 for s in sizes) or sum(sizes) != n:
            raise ShapeError(f"split: split sizes {list(sizes)} must be non-negative and sum to {n}, the size "
                             f"of dim {d} of the input of shape {tuple(tensor.shape)}")
    else:
        size = _int("split", "split_size", split_size_or_sections)
        if size < 0 or (size == 0 and n):
            raise ArgumentError(f"split: split_size={size} must be positive (0 only for a dim of size 0)")
        sizes = (0,) if n == 0 else (size,) * (n // size) + ((n % size,) if n % size else ())
    return Split.apply(tensor, sizes=sizes, dim=d)


@register("chunk", lambda make: [Sample((make(5, 3), 2), name="uneven"), Sample((make(6, 3), 4), name="fewer"),
                                 Sample((make(3, 5), 2, -1), name="neg"),
                                 Sample((make(4, 3, noncontig=True), 2, 1), name="noncontig"),
                                 Sample((make(0, 3), 2), name="empty")])
def chunk(input, chunks, dim=0):
    """At most `chunks` views of equal size along `dim` (the last may be smaller), as PyTorch does."""
    d, n = _split_dim("chunk", input, dim)
    chunks = _int("chunk", "chunks", chunks)
    if chunks <= 0:
        raise ArgumentError(f"chunk: chunks must be greater than 0, got {chunks}")
    if n == 0:  # PyTorch gives `chunks` empty pieces; each costs a few hundred bytes
        check_size("chunk", (chunks,), 512, name="number of chunks")
        return Split.apply(input, sizes=(0,) * chunks, dim=d)
    size = -(-n // chunks)
    return Split.apply(input, sizes=(size,) * (n // size) + ((n % size,) if n % size else ()), dim=d)


@register("unbind", lambda make: [Sample((make(3, 4),), name="dim0"), Sample((make(3, 4), 1), name="dim1"),
                                  Sample((make(2, 3, 4), -1), name="neg"),
                                  Sample((make(4, 3, noncontig=True),), name="noncontig"),
                                  Sample((make(2, 0),), name="empty"), Sample((make(0, 3),), name="none")], Unbind)
def unbind(input, dim=0):
    """The slices along `dim` as a tuple of views (what `for row in x` iterates over)."""
    d, _ = _split_dim("unbind", input, dim)
    return Unbind.apply(input, dim=d)


@register("narrow", lambda make: [Sample((make(5, 3), 0, 1, 3), name="dim0"), Sample((make(3, 5), -1, -3, 2), name="neg"),
                                  Sample((make(4, 3, noncontig=True), 1, 1, 2), name="noncontig"),
                                  Sample((make(5, 3), 0, 2, 0), name="zero-length"),
                                  Sample((make(0, 3), 1, 1, 2), name="empty")])
def narrow(input, dim, start, length):
    """The view `input[..., start:start + length, ...]` along `dim` (`start` may be negative).

        >>> ember.arange(6).narrow(0, 2, 3)
        tensor([2, 3, 4])
    """
    d, n = _split_dim("narrow", input, dim)
    start, length = _int("narrow", "start", start), _int("narrow", "length", length)
    if not -n <= start <= n:
        raise ArgumentError(f"narrow: start={start} is out of range for dim {d} of size {n}")
    if start < 0:
        start += n
    if length < 0 or start + length > n:
        raise ArgumentError(f"narrow: start ({start}) + length ({length}) exceeds the size {n} of dim {d} "
                            f"of the input of shape {tuple(input.shape)}")
    return getitem(input, (slice(None),) * d + (slice(start, start + length),))


# --- copies: flip, roll, repeat, tile ------------------------------------------

class Flip(Function):
    save_inputs = False

    def forward(self, x, dims):
        self.dims = dims
        # A copy, not NumPy's negative-stride view: in PyTorch flip's result doesn't alias its input.
        return self.xp.flip(x, axis=dims).copy()

    def backward(self, g):
        return Flip.apply(g, dims=self.dims)


@register("flip", lambda make: [Sample((make(3, 4), (0,)), name="dim0"), Sample((make(2, 3, 4), [0, 2]), name="two"),
                                Sample((make(3, 4), (-1,)), name="neg"),
                                Sample((make(4, 3, noncontig=True), (0, 1)), name="noncontig"),
                                Sample((make(0, 3), (0, 1)), name="empty")], Flip)
def flip(input, dims, *more):
    """Reverse the order of elements along `dims`: `flip(x, (0, 1))` or `x.flip(0, 1)`. A copy."""
    if more:
        dims = (dims,) + more
    if dims is None:
        raise ArgumentError("flip: dims must be an int or a sequence of ints, got None")
    return Flip.apply(input, dims=normalize_dims(dims, input.ndim, "flip", "dims"))


class Roll(Function):
    save_inputs = False

    def forward(self, x, shifts, dims):
        self.shifts, self.dims = shifts, dims
        return self.xp.roll(x, shifts, axis=dims)

    def backward(self, g):
        return Roll.apply(g, shifts=tuple(-s for s in self.shifts), dims=self.dims)


@register("roll", lambda make: [Sample((make(3, 4), 1), name="flat"), Sample((make(3, 4), (1, -2), (0, 1)), name="two"),
                                Sample((make(3, 4), 5, -1), name="wrap"),
                                Sample((make(4, 3, noncontig=True), 2, 0), name="noncontig"),
                                Sample((make(4, 3, noncontig=True), -3), name="noncontig-flat"),
                                Sample((make(0, 3), 1, 1), name="empty")], Roll)
def roll(input, shifts, dims=None):
    """Shift elements circularly by `shifts` along `dims`; with `dims=None` the tensor is
    flattened, rolled and reshaped back.

        >>> ember.arange(5).roll(2)
        tensor([3, 4, 0, 1, 2])
    """
    shifts = _ints("roll", "shifts", shifts if isinstance(shifts, (tuple, list)) else (shifts,))
    if dims is None:
        if len(shifts) != 1:
            raise ArgumentError(f"roll: with dims=None, shifts must be a single int, got {shifts}")
        return Roll.apply(input, shifts=shifts, dims=None)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise ArgumentError(f"roll: shifts {shifts} and dims {dims} must have the same length")
    dims = tuple(normalize_dim(d, input.ndim, "roll", "dims") for d in dims)
    return Roll.apply(input, shifts=shifts, dims=dims)


class Repeat(Function):
    save_inputs = False

    def forward(self, x, repeats):
        self.in_shape, self.repeats = x.shape, repeats
        return self.xp.tile(x, repeats)

    def backward(self, g):
        # Output dim i is (repeats[i], size[i]) in row-major order: split it in two, sum the repeats.
        full = (1,) * (len(self.repeats) - len(self.in_shape)) + tuple(self.in_shape)
        split = [n for pair in zip(self.repeats, full) for n in pair]
        if not split:
            return g
        g = g.reshape(split).sum(dim=tuple(range(0, len(split), 2)))
        return g.reshape(self.in_shape)


@register("repeat", lambda make: [Sample((make(2, 3), (2, 1)), name="2d"), Sample((make(2, 3), 2, 1, 3), name="lead"),
                                  Sample((make(4, 3, noncontig=True), (1, 2)), name="noncontig"),
                                  Sample((make(2, 3), (0, 2)), name="zero"), Sample((make(0, 3), (2, 2)), name="empty"),
                                  Sample((make(), (2, 3)), name="0d")], Repeat, ref="Tensor.repeat")
def repeat(input, *repeats):
    """Tile `input` `repeats[i]` times along each dim (PyTorch's `Tensor.repeat`, NumPy's `tile`);
    extra leading repeats add dims.

        >>> ember.tensor([1, 2]).repeat(2, 2)
        tensor([[1, 2, 1, 2],
                [1, 2, 1, 2]])
    """
    repeats = _sizes(repeats)
    shape = tuple(input.shape)
    if len(repeats) < len(shape):
        raise ArgumentError(f"repeat: {len(repeats)} repeats {repeats} can't be fewer than the dims of the "
                            f"input of shape {shape}")
    full = (1,) * (len(repeats) - len(shape)) + shape
    check_size("repeat", repeats, 0, name="repeats")
    repeats = tuple(int(r) for r in repeats)
    check_size("repeat", tuple(r * s for r, s in zip(repeats, full)), input._data.itemsize, name="output shape")
    return Repeat.apply(input, repeats=repeats)


@register("tile", lambda make: [Sample((make(2, 3), (2,)), name="short"), Sample((make(2, 3), (2, 1, 2)), name="lead"),
                                Sample((make(4, 3, noncontig=True), (2, 2)), name="noncontig"),
                                Sample((make(0, 3), (2, 2)), name="empty")])
def tile(input, dims):
    """Repeat `input` as NumPy's `tile`: fewer `dims` than the input's rank are padded with 1s in front."""
    dims = _ints("tile", "dims", dims if isinstance(dims, (tuple, list)) else (dims,))
    return repeat(input, (1,) * (input.ndim - len(dims)) + dims)


# --- pad -----------------------------------------------------------------------

def _pad_pairs(op, shape, pad):
    """(dim, left, right) for each pair of `pad`, which lists pairs from the last dim backwards."""
    pad = _ints(op, "pad", pad)
    if len(pad) % 2 or len(pad) // 2 > len(shape):
        raise ArgumentError(f"{op}: pad {pad} must hold one (left, right) pair per padded dim, at most "
                            f"{len(shape)} pairs for an input of shape {tuple(shape)}")
    pairs = []
    for k in range(len(pad) // 2):
        d = len(shape) - 1 - k
        left, right = pad[2 * k], pad[2 * k + 1]
        if shape[d] + left + right < 0:
            raise ShapeError(f"{op}: pad ({left}, {right}) of dim {d} of size {shape[d]} gives a negative size "
                             f"for an input of shape {tuple(shape)}")
        pairs.append((d, left, right))
    return pad, pairs


class Pad(Function):
    """Constant padding; negative pads crop."""
    save_inputs = False

    def forward(self, x, pad, value=0):
        pad, pairs = _pad_pairs("pad", x.shape, pad)
        self.pad = pad
        out_shape = list(x.shape)
        src = [slice(None)] * x.ndim
        dst = [slice(None)] * x.ndim
        for d, left, right in pairs:
            n = x.shape[d]
            out_shape[d] = n + left + right
            a, b = max(-left, 0), max(n - max(-right, 0), max(-left, 0))  # the part of x that is kept
            src[d] = slice(a, b)
            dst[d] = slice(max(left, 0), max(left, 0) + b - a)
        check_size("pad", out_shape, x.itemsize, name="output shape")
        out = self.xp.full(out_shape, value, dtype=x.dtype)
        out[tuple(dst)] = x[tuple(src)]
        return out

    def backward(self, g):
        return Pad.apply(g, pad=tuple(-p for p in self.pad), value=0)  # crops what was added, zero-fills what was cut


def _pad_index(mode, n, left, right, d, shape):
    """Indices into a dim of size `n` that produce its reflect/replicate/circular padding."""
    if mode == "reflect":
        if left >= n or right >= n:
            raise ArgumentError(f"pad: reflect padding ({left}, {right}) must be less than the size {n} of "
                                f"dim {d} of the input of shape {tuple(shape)}")
        i = np.arange(-left, n + right)
        return (n - 1) - np.abs((n - 1) - np.abs(i))
    if n == 0:
        raise ShapeError(f"pad: {mode} padding needs a non-empty dim {d}, input has shape {tuple(shape)}")
    if mode == "replicate":
        return np.clip(np.arange(-left, n + right), 0, n - 1)
    # circular: negative pads crop first; positive pads then wrap around what is left, at most once
    a, m = max(-left, 0), n - max(-left, 0) - max(-right, 0)
    if max(left, 0) > m or max(right, 0) > m:
        raise ArgumentError(f"pad: circular padding ({left}, {right}) can't be larger than the size {m} of "
                            f"dim {d} of the input of shape {tuple(shape)}")
    return a + np.arange(-max(left, 0), m + max(right, 0)) % max(m, 1)


def _pad_samples(make):
    return [Sample((make(2, 3), (1, 2)), name="last"), Sample((make(2, 3, 4), (1, 1, 2, 0)), name="two"),
            Sample((make(2, 3), (1, 1), "constant", 1.5), name="value"),
            Sample((make(3, 4), (-1, 2, 1, -2)), name="crop"),
            Sample((make(4, 3, noncontig=True), (2, 1, 1, 0)), name="noncontig"),
            Sample((make(0, 3), (1, 1)), name="empty"),
            Sample((make(2, 3, 4), (2, 3), "reflect"), name="reflect"),
            Sample((make(2, 2, 3, 4), (1, 2, 2, 0), "reflect"), name="reflect-2d"),
            Sample((make(2, 4, 3, noncontig=True), (1, -1), "reflect"), name="reflect-noncontig"),
            Sample((make(2, 3, 4), (2, 3), "replicate"), name="replicate"),
            Sample((make(2, 2, 3, 4), (-1, 2, 3, 1), "replicate"), name="replicate-2d"),
            Sample((make(2, 3, 4), (2, 3), "circular"), name="circular"),
            Sample((make(1, 2, 3, 4), (1, 2, 3, 0), "circular"), name="circular-2d")]


@register("pad", _pad_samples, Pad, ref="nn.functional.pad")
def pad(input, pad, mode="constant", value=None):
    """Pad (or, with negative sizes, crop) the last dims: `pad` lists (left, right) pairs from the
    last dim backwards, as `torch.nn.functional.pad`. `mode` is 'constant' (with `value`),
    'reflect', 'replicate' or 'circular'.

        >>> ember.pad(ember.ones(2, 3), (1, 1, 0, 2)).shape
        ember.Size([4, 5])
    """
    if mode == "constant":
        return Pad.apply(input, pad=_ints("pad", "pad", _sizes((pad,))), value=0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise ArgumentError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}")
    if value:
        raise ArgumentError(f"pad: padding mode {mode!r} doesn't take a value argument")
    shape = tuple(input.shape)
    _, pairs = _pad_pairs("pad", shape, pad)
    out = input
    for d, left, right in pairs:
        if left or right:
            idx = _pad_index(mode, shape[d], left, right, d, shape)
            out = getitem(out, (slice(None),) * d + (idx,))  # a gather; its gradient scatter-adds
    return out
