"""Masks and patterns: masked_fill and masked_select by a bool mask, nonzero/argwhere (a
mask's positions), tril/triu (a triangular mask), and one_hot (an indicator of class
indices).

    >>> import ember
    >>> x = ember.tensor([[1., 2.], [3., 4.]])
    >>> x.masked_fill(x > 2, 0.0).flatten(), (x > 2).nonzero(), x.triu().flatten()
    (tensor([1., 2., 0., 0.]), tensor([[1, 0],
            [1, 1]]), tensor([1., 2., 0., 4.]))
"""
import numpy as np

from ember.autograd.checks import broadcast_shapes, check_size
from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.errors import ArgumentError, DimError, DTypeError, ShapeError
from ember.ops._indexing import ReadsIndex, _check_bounds, _check_dtype, _check_watched, _index_arg, _watch
from ember.ops._args import need_number
from ember.ops._util import const, fits
from ember.ops.index import GetItem
from ember.ops.registry import Sample, register

__all__ = ["masked_fill", "masked_select", "nonzero", "argwhere", "one_hot", "tril", "triu"]

# Tensor methods (bound in tensor_methods.py) and the ones with an in-place `name_` form.
METHODS = "masked_fill masked_select nonzero argwhere tril triu"
INPLACE = "masked_fill tril triu"


# --- masks ---------------------------------------------------------------------------

def _check_mask(op, mask):
    if mask.dtype != bool:
        raise DTypeError(f"{op}: mask must be a bool tensor, got {dtypes.dtype_of(mask)}")


class MaskedFill(ReadsIndex):

    def forward(self, x, mask, value):
        _check_mask("masked_fill", mask)
        if getattr(value, "ndim", 0) != 0:
            raise ShapeError(f"masked_fill: value must be a number or a 0-d tensor, got shape {tuple(value.shape)}")
        if mask.shape != x.shape:
            broadcast_shapes("masked_fill", x.shape, mask.shape)
        self.mask = mask
        return self.xp.where(mask, self.xp.asarray(value, dtype=x.dtype), x)

    def backward(self, g):
        _check_watched(self)
        gx = MaskedFill.apply(g, const(self.mask, g), 0.0)
        gv = None
        if isinstance(self.inputs[2], Tensor):
            gv = MaskedFill.apply(g, const(~self.mask, g), 0.0).sum()
        return gx, None, gv


def _masked_fill_samples(make):
    return [Sample((make(3, 4), make.bools(3, 4), 1.5), name="number"),
            Sample((make(3, 4), make.bools(1, 4), -2.0), name="broadcast-mask"),
            Sample((make(1, 4), make.bools(3, 4), 2.0), name="broadcast-input"),
            Sample((make(3, 4), make.bools(3, 4), make()), name="tensor-value"),
            Sample((make(4, 3, noncontig=True), make.bools(4, 3), 0.0), name="noncontig"),
            Sample((make(0, 3), make.bools(0, 3), 1.0), name="empty"),
            Sample((make(3, 4), make.bools(3, 4), -np.inf), name="extreme")]


@register("masked_fill", _masked_fill_samples, MaskedFill)
def masked_fill(input, mask, value):
    """`input` with `value` (a number or 0-d tensor) where the bool `mask` (broadcast) is True.

        >>> ember.zeros(3).masked_fill(ember.tensor([True, False, True]), -1.0)
        tensor([-1.,  0., -1.])
    """
    if isinstance(value, Tensor) and value.ndim:
        raise ShapeError(f"masked_fill: value must be a number or a 0-d tensor, got shape {tuple(value.shape)}")
    if not isinstance(value, Tensor):
        need_number("masked_fill", "value", value)
        if isinstance(input, Tensor) and input.dtype.np.kind in "iu":
            if not np.isfinite(value):
                raise ArgumentError(f"masked_fill: value {value} cannot be converted to {input.dtype}")
            fits("masked_fill", input._data, value)
    return MaskedFill.apply(input, _index_arg("masked_fill", mask, input), value)


masked_fill.saves_self = False


def _masked_select_samples(make):
    return [Sample((make(3, 4), make.bools(3, 4)), name="same"),
            Sample((make(3, 4), make.bools(1, 4)), name="broadcast-mask"),
            Sample((make(1, 4), make.bools(3, 4)), name="broadcast-input"),
            Sample((make(4, 3, noncontig=True), make.bools(4, 3)), name="noncontig"),
            Sample((make(0, 3), make.bools(0, 3)), name="empty")]


@register("masked_select", _masked_select_samples)
def masked_select(input, mask):
    """The elements of `input` where the bool `mask` (broadcast) is True, as a 1-d tensor.

        >>> ember.tensor([1., 2., 3.]).masked_select(ember.tensor([True, False, True]))
        tensor([1., 3.])
    """
    mask = _index_arg("masked_select", mask, input)
    _check_mask("masked_select", mask._data)
    shape = broadcast_shapes("masked_select", tuple(input.shape), tuple(mask.shape))
    if tuple(input.shape) != shape:
        input = input.expand(shape)
    if tuple(mask.shape) != shape:
        mask = mask.expand(shape)
    return _watch(GetItem.apply(input, idx=(mask._data,)), mask)


# --- nonzero -------------------------------------------------------------------------

class Nonzero(Function):
    differentiable = False

    def forward(self, x, as_tuple=False):
        if as_tuple:
            return tuple(self.xp.nonzero(x if x.ndim else x.reshape(1)))
        return self.xp.argwhere(x)


def _nonzero_samples(make):
    return [Sample((make.ints(3, 4, high=2).astype(make.dtype),), name="2d"),
            Sample((make.ints(3, 4, high=2).astype(make.dtype),), {"as_tuple": True}, "as-tuple"),
            Sample((make.bools(2, 3, 2),), name="3d-bool"),
            Sample((make.ints(5, high=2),), {"as_tuple": True}, "1d-tuple"),
            Sample((make(0, 3),), name="empty"),
            Sample((make(),), name="0d"),
            Sample((make(),), {"as_tuple": True}, "0d-tuple")]


@register("nonzero", _nonzero_samples, Nonzero, grad=False)
def nonzero(input, *, as_tuple=False):
    """The indices of the nonzero elements: an int64 tensor of shape (count, ndim), or
    with `as_tuple` one 1-d tensor per dim (ready to index with).

        >>> ember.tensor([[0, 1], [1, 0]]).nonzero()
        tensor([[0, 1],
                [1, 0]])
    """
    return Nonzero.apply(input, as_tuple=as_tuple)


@register("argwhere", lambda make: [s for s in _nonzero_samples(make) if not s.kwargs], grad=False)
def argwhere(input):
    """`nonzero(input)`: the indices of the nonzero elements, one row each."""
    return Nonzero.apply(input)


# --- one_hot ------------------------------------------------------------------------

class OneHot(Function):
    differentiable = False

    def forward(self, x, num_classes=-1):
        _check_dtype("one_hot", x, "a tensor of class indices", allowed=(np.int64,))
        if num_classes == -1:
            if x.size == 0:
                raise ArgumentError("one_hot: can't infer num_classes from an empty tensor; pass num_classes")
            num_classes = max(int(x.max()) + 1, 0)  # a negative index fails the bounds check below
        shape = tuple(x.shape) + (num_classes,)
        check_size("one_hot", shape, 8, "output shape (..., num_classes)")
        num_classes = int(num_classes.__index__())
        shape = shape[:-1] + (num_classes,)
        _check_bounds("one_hot", x, -1, num_classes)
        out = self.xp.zeros(shape, np.int64)
        flat = out.reshape(-1, num_classes)
        flat[self.xp.arange(flat.shape[0]), x.reshape(-1)] = 1
        return out


def _one_hot_samples(make):
    return [Sample((make.ints(2, high=5),), name="infer"),
            Sample((make.ints(3, 4, high=3), 5), name="classes"),
            Sample((make.ints(4, 3, high=4).T, 4), name="noncontig"),
            Sample((make.ints(0, 2), 3), name="empty"),
            Sample((np.array(2),), name="0d")]


@register("one_hot", _one_hot_samples, OneHot, ref="nn.functional.one_hot", grad=False)
def one_hot(tensor, num_classes=-1):
    """int64 one-hot rows for the class indices in `tensor` (int64): shape `(*tensor.shape,
    num_classes)`; `num_classes=-1` takes the largest index + 1.

        >>> ember.one_hot(ember.tensor([0, 2]), 3)
        tensor([[1, 0, 0],
                [0, 0, 1]])
    """
    return OneHot.apply(tensor, num_classes=num_classes)


# --- tril / triu ------------------------------------------------------------------------

class _Triangle(Function):
    """Zero the elements above (tril) or below (triu) the `diagonal` of the last two dims."""
    save_inputs = False
    fn = None

    def forward(self, x, diagonal=0):
        if x.ndim < 2:
            raise DimError(f"{self.op_name()}: input must have at least 2 dimensions, got shape {tuple(x.shape)}")
        if not isinstance(diagonal, (int, np.integer)) or isinstance(diagonal, bool):
            raise ArgumentError(f"{self.op_name()}: diagonal must be an int, got {diagonal!r}")
        self.diagonal = int(diagonal)
        return getattr(self.xp, self.fn)(x, self.diagonal)

    def backward(self, g):
        return type(self).apply(g, diagonal=self.diagonal)


class Tril(_Triangle):
    fn = "tril"


class Triu(_Triangle):
    fn = "triu"


def _triangle_samples(make):
    return [Sample((make(4, 5),), name="square-ish"),
            Sample((make(4, 5), 1), name="above"),
            Sample((make(4, 5), -2), name="below"),
            Sample((make(2, 3, 4),), name="batched"),
            Sample((make(4, 3, noncontig=True), -1), name="noncontig"),
            Sample((make(0, 3),), name="empty"),
            Sample((make.ints(3, 3),), name="ints")]


@register("tril", _triangle_samples, Tril)
def tril(input, diagonal=0):
    """The lower triangle of the last two dims (elements above `diagonal` zeroed).

        >>> ember.ones(2, 2).tril()
        tensor([[1., 0.],
                [1., 1.]])
    """
    return Tril.apply(input, diagonal=diagonal)


@register("triu", _triangle_samples, Triu)
def triu(input, diagonal=0):
    """The upper triangle of the last two dims (elements below `diagonal` zeroed)."""
    return Triu.apply(input, diagonal=diagonal)


tril.saves_self = triu.saves_self = False
