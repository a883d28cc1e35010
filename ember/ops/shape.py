"""Shape ops: views and rearrangements of a tensor's elements.

Views (reshape of a contiguous tensor, transpose, permute, expand, basic
slicing) share memory and the version counter with their base, as in PyTorch.

    >>> import ember
    >>> x = ember.arange(6).reshape(2, 3)
    >>> x.T.shape, x.unsqueeze(0).shape, ember.cat([x, x], dim=1).shape
    (ember.Size([3, 2]), ember.Size([1, 2, 3]), ember.Size([2, 6]))
"""
from ember.autograd.checks import check_size, normalize_dim
from ember.autograd.function import Function
from ember.errors import ArgumentError, ShapeError
from ember.ops.reduce import sum_to_size
from ember.ops.registry import Sample, register

__all__ = ["reshape", "expand", "permute", "transpose", "swapaxes", "swapdims"]

# Tensor methods (bound in tensor_methods.py) and the ones with an in-place `name_` form.
METHODS = "reshape expand permute transpose swapaxes swapdims"
INPLACE = ""


def _infer_shape(op, numel, shape):
    """Resolve one -1 in `shape`; check that the element count matches."""
    shape = tuple(int(s) for s in shape)
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


class Reshape(Function):
    save_inputs = False
    is_view = True

    def forward(self, x, shape):
        self.in_shape = x.shape
        return x.reshape(_infer_shape("reshape", x.size, shape))

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
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return Reshape.apply(input, tuple(shape))


@register("expand", lambda make: [Sample((make(3, 1), (3, 4)), name="2d"), Sample((make(4), (2, 3, 4)), name="lead"),
                                  Sample((make(3, 1), (-1, 5)), name="minus-one"),
                                  Sample((make(1, 3), (0, 3)), name="empty")], Expand, ref="Tensor.expand")
def expand(input, *sizes):
    """A broadcast view with `sizes` (-1 keeps a dim)."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = sizes[0]
    return Expand.apply(input, tuple(sizes))


@register("permute", lambda make: [Sample((make(2, 3, 4), (2, 0, 1)), name="3d"),
                                   Sample((make(4, 3, noncontig=True), (1, 0)), name="noncontig"),
                                   Sample((make(0, 3, 2), (1, 2, 0)), name="empty")], Permute)
def permute(input, *dims):
    """Reorder the dims: a view."""
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = dims[0]
    return Permute.apply(input, tuple(dims))


@register("transpose", lambda make: [Sample((make(2, 3, 4), 0, 2), name="3d"), Sample((make(3, 4), -1, -2), name="neg"),
                                     Sample((make(0, 3), 0, 1), name="empty")])
def transpose(input, dim0, dim1):
    """Swap two dims: a view."""
    n = input.ndim
    d0, d1 = normalize_dim(dim0, n, "transpose", "dim0"), normalize_dim(dim1, n, "transpose", "dim1")
    dims = list(range(n))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(input, tuple(dims)) if n else input


swapaxes = swapdims = transpose
