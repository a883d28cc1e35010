"""Shape ops: a tensor's elements seen with another shape, as views.

reshape (of a contiguous tensor), view, expand, permute, transpose, movedim,
squeeze, unsqueeze, flatten and unflatten share memory and the version counter
with their base, as in PyTorch. Joining and splitting (cat, stack, split, ...)
are in `join`; copies that rearrange elements (flip, roll, repeat, pad) in `arrange`.

    >>> import ember
    >>> x = ember.arange(6).reshape(2, 3)
    >>> x.T.shape, x.unsqueeze(0).shape, x.flatten().shape
    (ember.Size([3, 2]), ember.Size([1, 2, 3]), ember.Size([6]))
"""
import operator

from ember.autograd.checks import broadcast_shapes, check_size, normalize_dim, normalize_dims
from ember.autograd.function import Function
from ember.backend import dtypes
from ember.errors import ArgumentError, DimError, DTypeError, ShapeError
from ember.ops.reduce import sum_to_size
from ember.ops.registry import Sample, register

__all__ = ["reshape", "expand", "permute", "transpose", "swapaxes", "swapdims", "view", "view_as", "reshape_as",
           "expand_as", "flatten", "unflatten", "squeeze", "unsqueeze", "broadcast_to", "broadcast_tensors",
           "movedim", "moveaxis", "t"]

# Tensor methods (bound in tensor_methods.py) and the ones with an in-place `name_` form.
METHODS = ("reshape expand permute transpose swapaxes swapdims view view_as reshape_as expand_as flatten "
           "unflatten squeeze unsqueeze broadcast_to movedim moveaxis t")
INPLACE = ""


def _sizes(args):
    """`f(2, 3)`, `f((2, 3))`, `f([2, 3])` and `f(x.shape)` all mean (2, 3)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def _given(op, name, args):
    """The varargs of `x.reshape(2, 3)` / `x.reshape((2, 3))`: PyTorch requires them (`x.reshape()` is refused)."""
    if not args:
        raise DTypeError(f"{op}: missing the required argument {name!r} (for a 0-d result pass ())")
    return args


def _ints(op, name, values):
    """`values` as a tuple of Python ints (NumPy and 0-d integer tensors too; not floats, strings or bools)."""
    if any(isinstance(v, bool) or getattr(v, "dtype", None) in (bool, dtypes.bool_) for v in values):
        raise ArgumentError(f"{op}: {name} must be ints, got a bool in {tuple(values)!r}")
    try:
        return tuple(operator.index(v) for v in values)
    except TypeError:
        raise ArgumentError(f"{op}: {name} must be ints, got {tuple(values)!r}") from None


def _int(op, name, value):
    if isinstance(value, bool) or getattr(value, "dtype", None) in (bool, dtypes.bool_):  # PyTorch refuses bools
        raise ArgumentError(f"{op}: {name} must be an int, got bool {value!r}")
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


_INT = {int}


class Permute(Function):
    save_inputs = False
    is_view = True

    def forward(self, x, dims):
        if type(dims) is tuple and set(map(type, dims)) == _INT and sorted(dims) == list(range(x.ndim)):
            self.dims = dims  # already a permutation of non-negative ints (every compiled replay of it)
            return x.transpose(dims)
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
    return Reshape.apply(input, _sizes(_given("reshape", "shape", shape)))


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
    shape = _sizes(_given("view", "shape", shape))
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
    return Permute.apply(input, _sizes(_given("permute", "dims", dims)))


@register("transpose", lambda make: [Sample((make(2, 3, 4), 0, 2), name="3d"), Sample((make(3, 4), -1, -2), name="neg"),
                                     Sample((make(4, 3, noncontig=True), 0, 1), name="noncontig"),
                                     Sample((make(0, 3), 0, 1), name="empty")])
def transpose(input, dim0, dim1):
    """Swap two dims: a view."""
    n = input.ndim
    d0, d1 = normalize_dim(dim0, n, "transpose", "dim0"), normalize_dim(dim1, n, "transpose", "dim1")
    if not n:  # a 0-d tensor takes dims 0 and -1 and stays as it is
        return input
    dims = list(range(n))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(input, tuple(dims))


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
    if not n:  # a 0-d tensor: dims 0 and -1 name its one position
        return input
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
    if not shape:  # a 0-d tensor takes dims 0 and -1 only
        normalize_dim(start_dim, 0, "flatten", "start_dim"), normalize_dim(end_dim, 0, "flatten", "end_dim")
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
    if not shape:
        raise DimError(f"unflatten: dim={dim!r} given for a 0-d tensor, which has no dims")
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


def t(input):
    """Transpose a tensor of at most 2 dimensions, as `torch.t`: 0-d and 1-d tensors come back as they are."""
    if input.ndim > 2:
        raise DimError(f"t: expects a tensor with at most 2 dimensions, got shape {tuple(input.shape)}; "
                       f"use transpose(dim0, dim1) or .mT")
    return transpose(input, 0, 1) if input.ndim == 2 else input
