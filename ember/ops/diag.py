"""Diagonals: `diagonal` (a view of the diagonal over two dims), `diagonal_scatter` (a
copy with the diagonal written), `diag_embed` (a tensor with the given diagonal) and
`trace`. Each is the other's gradient.

    >>> import ember
    >>> x = ember.arange(9.0).reshape(3, 3)
    >>> x.diagonal(), x.diagonal(1), x.trace(), ember.diag_embed(ember.ones(2)).shape
    (tensor([0., 4., 8.]), tensor([1., 5.]), tensor(12.), ember.Size([2, 2]))
"""
from ember.autograd.checks import check_size, normalize_dim
from ember.autograd.function import Function
from ember.errors import ArgumentError, ShapeError
from ember.ops._args import need_int
from ember.ops._util import const
from ember.ops.linalg import _need_ranks, _need_tensors
from ember.ops.registry import Sample, register

__all__ = ["diagonal", "diagonal_scatter", "diag_embed", "trace"]

# Tensor methods (bound in tensor_methods.py) and the ones with an in-place `name_` form.
METHODS = "diagonal diagonal_scatter diag_embed trace"
INPLACE = ""


def _diag_dims(op, ndim, dim1, dim2):
    d1, d2 = normalize_dim(dim1, ndim, op, "dim1"), normalize_dim(dim2, ndim, op, "dim2")
    if ndim < 2 or d1 == d2:
        raise ArgumentError(f"{op}: needs two different dims of a tensor of rank >= 2, got dim1={dim1}, "
                            f"dim2={dim2} for rank {ndim}")
    return d1, d2


def _diag_view(xp, x, offset, d1, d2):
    """The writable strided view of a diagonal of `x`: the other dims in order, then the diagonal."""
    start1, start2 = max(-offset, 0), max(offset, 0)
    length = max(min(x.shape[d1] - start1, x.shape[d2] - start2), 0)
    rest = [i for i in range(x.ndim) if i not in (d1, d2)]
    shape = tuple(x.shape[i] for i in rest) + (length,)
    strides = tuple(x.strides[i] for i in rest) + (x.strides[d1] + x.strides[d2],)
    if length:
        index = [slice(None)] * x.ndim
        index[d1], index[d2] = slice(start1, None), slice(start2, None)
        x = x[tuple(index)]
    return xp.lib.stride_tricks.as_strided(x, shape, strides)


class Diagonal(Function):
    save_inputs = False
    is_view = True

    def forward(self, x, offset=0, dim1=0, dim2=1):
        d1, d2 = _diag_dims("diagonal", x.ndim, dim1, dim2)
        self.in_shape, self.where = x.shape, dict(offset=offset, dim1=d1, dim2=d2)
        return _diag_view(self.xp, x, offset, d1, d2)

    def backward(self, g):
        zeros = const(self.xp.zeros(self.in_shape, g._data.dtype), g)
        return DiagonalScatter.apply(zeros, g, **self.where)


class DiagonalScatter(Function):
    save_inputs = False

    def forward(self, x, src, offset=0, dim1=0, dim2=1):
        d1, d2 = _diag_dims("diagonal_scatter", x.ndim, dim1, dim2)
        y = x.copy()
        view = _diag_view(self.xp, y, offset, d1, d2)
        if view.shape != src.shape:
            raise ShapeError(f"diagonal_scatter: src of shape {tuple(src.shape)} does not match the shape "
                             f"{tuple(view.shape)} of the diagonal (input {tuple(x.shape)}, offset={offset}, "
                             f"dim1={dim1}, dim2={dim2})")
        view[...] = src
        self.src_shape, self.where = src.shape, dict(offset=offset, dim1=d1, dim2=d2)
        return y

    def backward(self, g):
        x, src = self.inputs
        gx = None
        if x.requires_grad:
            gx = DiagonalScatter.apply(g, const(self.xp.zeros(self.src_shape, g._data.dtype), g), **self.where)
        return gx, (Diagonal.apply(g, **self.where) if src.requires_grad else None)


@register("diagonal", lambda make: _diagonal_samples(make), Diagonal)
def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal over `dim1` and `dim2` (above it for `offset` > 0) as a view, moved to the last dim.

        >>> ember.arange(9.0).reshape(3, 3).diagonal()
        tensor([0., 4., 8.])
    """
    _need_tensors("diagonal", ("input", input))
    offset = need_int("diagonal", "offset", offset, low=None)
    return Diagonal.apply(input, offset=offset, dim1=dim1, dim2=dim2)


@register("diagonal_scatter", lambda make: [Sample((make(3, 4), make(3)), name="2d"),
                                            Sample((make(3, 4), make(3)), {"offset": 1}, "offset"),
                                            Sample((make(2, 3, 4), make(3, 2)), {"dim1": 0, "dim2": 2}, "3d")],
          DiagonalScatter)
def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """A copy of `input` with `src` written on the diagonal that `diagonal(input, offset, dim1, dim2)` reads."""
    _need_tensors("diagonal_scatter", ("input", input), ("src", src))
    offset = need_int("diagonal_scatter", "offset", offset, low=None)
    return DiagonalScatter.apply(input, src, offset=offset, dim1=dim1, dim2=dim2)


@register("diag_embed", lambda make: [Sample((make(2, 3),), name="2d"), Sample((make(4),), {"offset": -1}, "offset"),
                                      Sample((make(2, 3),), {"offset": 1, "dim1": 0, "dim2": 2}, "dims")])
def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Zeros with the last dim of `input` on the diagonal over the new dims `dim1` and `dim2`."""
    _need_tensors("diag_embed", ("input", input))
    if input.ndim == 0:
        raise ShapeError("diag_embed: expected a tensor with at least 1 dimension, got a 0-d tensor")
    offset = need_int("diag_embed", "offset", offset, low=None)
    d1, d2 = _diag_dims("diag_embed", input.ndim + 1, dim1, dim2)
    size = input.shape[-1] + abs(offset)
    shape = list(input.shape[:-1])
    for d in sorted((d1, d2)):
        shape.insert(d, size)
    check_size("diag_embed", shape, input._data.itemsize, "output shape")
    zeros = const(input._device.xp.zeros(shape, input._data.dtype), input)
    return DiagonalScatter.apply(zeros, input, offset=offset, dim1=d1, dim2=d2)


@register("trace", lambda make: [Sample((make(3, 3),), name="square"), Sample((make(3, 5),), name="wide"),
                                 Sample((make(4, 3, noncontig=True),), name="noncontig")])
def trace(input):
    """Sum of the main diagonal of a matrix."""
    _need_tensors("trace", ("input", input))
    _need_ranks("trace", "a 2-D tensor", (input, (2,)))
    return Diagonal.apply(input).sum()


def _diagonal_samples(make):
    return [Sample((make(3, 4),), name="2d"), Sample((make(3, 4), 1), name="offset"),
            Sample((make(2, 3, 4), -1, 0, 2), name="3d-negative"),
            Sample((make(4, 3, noncontig=True),), {"dim1": 1, "dim2": 0}, "noncontig-swapped"),
            Sample((make(3, 4), 5), name="empty")]
