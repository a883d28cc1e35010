"""Indexing along a dim: gather and scatter (scatter_add, `reduce=`), index_select and
index_add, take and take_along_dim. Each pair is the other's gradient; repeated
indices add up where the op adds.

    >>> import ember
    >>> x = ember.tensor([[1., 2.], [3., 4.]])
    >>> x.gather(1, ember.tensor([[1], [0]])).flatten(), x.index_select(0, ember.tensor([1])).flatten()
    (tensor([2., 3.]), tensor([3., 4.]))

Index tensors are int64 (int32 is accepted where PyTorch accepts it); one outside
its dim raises `IndexOutOfRangeError` before anything is allocated. Changing an
index tensor in place before the backward that needs it is an error, as in PyTorch.
"""
import numpy as np

from ember.autograd.checks import broadcast_shapes, normalize_dim
from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.errors import ArgumentError, AutogradError, DTypeError, ShapeError
from ember.ops._indexing import (ReadsIndex, _add_at, _add_rows, _check_bounds, _check_dtype, _check_watched,
                                 _flat_index, _index_arg, _zeros)
from ember.ops import binary
from ember.ops._xp import ufunc_at
from ember.ops._args import need_tensor
from ember.ops._util import const
from ember.ops.index import IndexPut
from ember.ops.registry import Sample, register

__all__ = ["gather", "scatter", "scatter_add", "index_select", "index_add", "take_along_dim", "take"]

# Tensor methods (bound in tensor_methods.py) and the ones with an in-place `name_` form.
METHODS = "gather scatter scatter_add index_select index_add take_along_dim take"
INPLACE = "scatter scatter_add index_add"


# --- gather / scatter -------------------------------------------------------------

def _check_along(op, x, index, dim):
    """gather/scatter's rules: same rank, no larger than `x` off `dim`, values in range along `dim`."""
    _check_dtype(op, index)
    if index.ndim != x.ndim:
        raise ShapeError(f"{op}: index of shape {tuple(index.shape)} must have as many dims as the input "
                         f"of shape {tuple(x.shape)}")
    for d, (i, s) in enumerate(zip(index.shape, x.shape)):
        if d != dim and i > s:
            raise ShapeError(f"{op}: index of shape {tuple(index.shape)} is larger than the input of shape "
                             f"{tuple(x.shape)} at dim {d} (only dim {dim} may be larger)")
    _check_bounds(op, index, dim, x.shape[dim] if x.ndim else 1)


class Gather(ReadsIndex):
    """`out[i][j] = x[index[i][j]][j]` for dim 0 (`x[i][index[i][j]]` for dim 1)."""

    def forward(self, x, index, dim, op="gather"):
        d = normalize_dim(dim, x.ndim, op)
        _check_along(op, x, index, d)
        self.dim, self.in_shape = d, x.shape
        if not x.flags.c_contiguous:
            x = self.xp.ascontiguousarray(x)
        return x.reshape(-1).take(_flat_index(index, d, x.shape, index.shape, self.xp))

    def backward(self, g):
        _check_watched(self)
        return scatter_add(_zeros(self.in_shape, g), self.dim, self.inputs[1], g), None


def _distinct_rows(make, n, shape):
    """Int64 indices below `n`, distinct along dim 0 (scatter without repeats is deterministic)."""
    return np.argsort(make.rng.random((n,) + shape[1:]), axis=0)[:shape[0]].astype(np.int64)


def _gather_samples(make):
    return [Sample((make(3, 4), 1, make.ints(3, 2, high=4)), name="dim1"),
            Sample((make(3, 4), 0, make.ints(2, 4, high=3)), name="dim0"),
            Sample((make(3, 4), 1, make.ints(2, 6, high=4)), name="smaller-and-longer"),
            Sample((make(2, 3, 4), -2, make.ints(2, 5, 4, high=3)), name="3d"),
            Sample((make(4, 3, noncontig=True), -1, make.ints(4, 3, high=3)), name="noncontig"),
            Sample((make(0, 3), 1, make.ints(0, 2, high=3)), name="empty"),
            Sample((make(), 0, np.array(0)), name="0d")]


@register("gather", _gather_samples, Gather)
def gather(input, dim, index, *, sparse_grad=False):
    """Values of `input` picked along `dim` by `index` (same rank as `input`).

        >>> ember.tensor([[1., 2.], [3., 4.]]).gather(1, ember.tensor([[1], [0]]))
        tensor([[2.],
                [3.]])
    """
    return Gather.apply(input, _index_arg("gather", index, input), dim=dim)


class Scatter(ReadsIndex):
    """`x` with `src` (a tensor, or a number) written along `dim` where `gather` would read;
    `reduce="add"` or `"multiply"` combines with what is there (repeats combine too)."""

    def forward(self, x, index, src, dim, reduce=None, op="scatter"):
        d = normalize_dim(dim, x.ndim, op)
        if reduce not in (None, "add", "multiply"):
            raise ArgumentError(f"{op}: reduce must be 'add' or 'multiply', got {reduce!r}")
        _check_along(op, x, index, d)
        if hasattr(src, "dtype"):
            src = self._src(op, x, index, src)
        self.dim, self.reduce = d, reduce
        out = x.copy()  # C-contiguous, for the flat positions
        flat = _flat_index(index, d, x.shape, index.shape, self.xp)
        if reduce is None:
            out.reshape(-1)[flat] = src
        elif reduce == "add":
            _add_at(out, flat, src, self.xp)
        else:
            ufunc_at(self.xp, "multiply", out.reshape(-1), flat.reshape(-1),
                     self.xp.broadcast_to(src, flat.shape).reshape(-1))
        return out

    @staticmethod
    def _src(op, x, index, src):
        if src.dtype != x.dtype:
            raise DTypeError(f"{op}: src ({dtypes.dtype_of(src)}) must have the input's dtype "
                             f"({dtypes.dtype_of(x)})")
        if src.ndim != index.ndim or any(i > s for i, s in zip(index.shape, src.shape)):
            raise ShapeError(f"{op}: src of shape {tuple(src.shape)} must have the rank of index "
                             f"{tuple(index.shape)} and be at least as large in every dim")
        if src.shape != index.shape:
            src = src[tuple(slice(0, i) for i in index.shape)]  # only the part that index covers is used
        return src

    def backward(self, g):
        _check_watched(self)
        _, index, src = self.inputs
        if self.reduce == "multiply":
            raise AutogradError("scatter: the gradient of reduce='multiply' is not implemented (nor in PyTorch)")
        gx = g if self.reduce == "add" else Scatter.apply(g, index, 0.0, dim=self.dim)
        gsrc = None
        if isinstance(src, Tensor):
            gsrc = Gather.apply(g, index, dim=self.dim)
            if gsrc.shape != src.shape:  # src larger than index: its unused part gets zeros
                cover = tuple(slice(0, i) for i in index.shape)
                gsrc = IndexPut.apply(_zeros(tuple(src.shape), g), gsrc, idx=cover)
        return gx, None, gsrc


def _scatter_samples(make):
    idx = _distinct_rows(make, 3, (2, 4))
    ints = make.ints(3, 4, low=-3, high=4)
    return [Sample((make(3, 4), 0, idx, make(2, 4)), name="src"),
            Sample((make(3, 4), 1, _distinct_rows(make, 4, (3, 3)).T.copy(), make(3, 3)), name="dim1"),
            Sample((make(3, 4), 0, idx, 1.5), name="value"),
            Sample((make(3, 4), 0, idx[:, :3].copy()), {"value": -2.0}, "value-kw"),
            Sample((make(4, 3, noncontig=True), -2, _distinct_rows(make, 4, (4, 3)), make(4, 3)), name="noncontig"),
            Sample((make(0, 3), 0, make.ints(0, 3), make(0, 3)), name="empty"),
            Sample((make(), 0, np.array(0), make()), name="0d"),
            Sample((ints, 0, make.ints(4, 4, high=3), make.ints(4, 4, low=-3, high=4)), {"reduce": "add"}, "add-ints"),
            Sample((ints, 1, make.ints(3, 2, high=4), make.ints(3, 2, low=-3, high=4)), {"reduce": "multiply"},
                   "multiply-ints")]


@register("scatter", _scatter_samples, Scatter)
def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """`input` with `src` (or the number `value`) written along `dim` at `index`:
    `out[index[i][j]][j] = src[i][j]` for dim 0. Repeated indices leave one of the writes;
    `reduce="add"`/`"multiply"` combines them instead.

        >>> ember.zeros(2, 2).scatter(0, ember.tensor([[1, 0]]), ember.tensor([[5., 6.]]))
        tensor([[0., 6.],
                [5., 0.]])
    """
    if src is None:
        if value is None:
            raise ArgumentError("scatter: expected src (a tensor) or value (a number)")
        src = value.item() if isinstance(value, Tensor) else value
    return Scatter.apply(input, _index_arg("scatter", index, input), src, dim=dim, reduce=reduce)


def _scatter_add_samples(make):
    return [Sample((make(3, 4), 0, make.ints(4, 4, high=3), make(4, 4)), name="repeats"),
            Sample((make(3, 4), 1, make.ints(3, 6, high=4), make(3, 6)), name="dim1"),
            Sample((make(4, 3, noncontig=True), -1, make.ints(2, 3, high=3), make(2, 3)), name="noncontig"),
            Sample((make(3, 0), 0, make.ints(2, 0, high=3), make(2, 0)), name="empty")]


@register("scatter_add", _scatter_add_samples, Scatter)
def scatter_add(input, dim, index, src):
    """`input` plus `src` added along `dim` at `index`; repeated indices add up (gather's gradient).

        >>> ember.zeros(3).scatter_add(0, ember.tensor([0, 0, 2]), ember.tensor([1., 2., 3.]))
        tensor([3., 0., 3.])
    """
    if not isinstance(src, Tensor):
        raise DTypeError(f"scatter_add: src must be a tensor, got {type(src).__name__}")
    return Scatter.apply(input, _index_arg("scatter_add", index, input), src, dim=dim, reduce="add",
                         op="scatter_add")


scatter.saves_self = scatter_add.saves_self = False  # their in-place forms need no copy of the old values


# --- index_select / index_add / take ---------------------------------------------------

def _vector_index(op, index, x, dim):
    """A 0-d or 1-d index as 1-d, checked against `x`'s `dim`."""
    _check_dtype(op, index)
    if index.ndim > 1:
        raise ShapeError(f"{op}: index must be 0-d or 1-d, got shape {tuple(index.shape)}")
    index = index.reshape(-1)
    if x.ndim == 0 and index.size != 1:
        raise ShapeError(f"{op}: indexing a 0-d tensor takes exactly one index, got {index.size}")
    _check_bounds(op, index, dim, x.shape[dim] if x.ndim else 1)
    return index


class IndexSelect(ReadsIndex):

    def forward(self, x, index, dim):
        d = normalize_dim(dim, x.ndim, "index_select")
        self.index = _vector_index("index_select", index, x, d)
        self.dim, self.in_shape = d, x.shape
        return self.xp.take(x, self.index, axis=d) if x.ndim else x.copy()

    def backward(self, g):
        _check_watched(self)
        return index_add(_zeros(self.in_shape, g), self.dim, const(self.index, g), g), None


def _index_select_samples(make):
    return [Sample((make(3, 4), 0, np.array([2, 0, 2])), name="repeats"),
            Sample((make(3, 4), 1, np.array([3])), name="dim1"),
            Sample((make(3, 4), -1, np.array(1)), name="0d-index"),
            Sample((make(4, 3, noncontig=True), 0, np.array([1, 3])), name="noncontig"),
            Sample((make(3, 4), 0, np.zeros(0, np.int64)), name="no-index"),
            Sample((make(0, 3), 1, np.array([0, 2])), name="empty"),
            Sample((make(), 0, np.array([0])), name="0d")]


@register("index_select", _index_select_samples, IndexSelect)
def index_select(input, dim, index):
    """The slices of `input` along `dim` at the positions in `index` (1-d).

        >>> ember.tensor([[1., 2.], [3., 4.]]).index_select(0, ember.tensor([1, 1]))
        tensor([[3., 4.],
                [3., 4.]])
    """
    return IndexSelect.apply(input, _index_arg("index_select", index, input), dim=dim)


class IndexAdd(ReadsIndex):

    def forward(self, x, index, source, dim, alpha=1):
        d = normalize_dim(dim, x.ndim, "index_add")
        index = _vector_index("index_add", index, x, d)
        _check_source(x, index, source, d)
        self.dim, self.index, self.alpha = d, index, alpha
        if alpha != 1:  # integer inputs take alpha truncated to their dtype first, as PyTorch
            source = source * (x.dtype.type(alpha) if x.dtype.kind in "biu" else alpha)
        v = source
        out = x.copy()
        if x.ndim == 0:
            out += v.reshape(())
        else:
            _add_rows(self.xp.moveaxis(out, d, 0), index, self.xp.moveaxis(v, d, 0), self.xp)
        return out

    def backward(self, g):
        _check_watched(self)
        gsrc = None
        if isinstance(self.inputs[2], Tensor):
            gsrc = IndexSelect.apply(g, const(self.index, g), dim=self.dim)
            if self.alpha != 1:
                gsrc = gsrc * self.alpha
        return g, None, gsrc


def _check_source(x, index, source, dim):
    if source.dtype != x.dtype:
        raise DTypeError(f"index_add: source ({dtypes.dtype_of(source)}) must have the input's dtype "
                         f"({dtypes.dtype_of(x)})")
    want = list(x.shape) if x.ndim else [1]
    want[dim] = index.size
    if tuple(source.shape) != tuple(want) and not (x.ndim == 0 and source.size == 1):
        raise ShapeError(f"index_add: source of shape {tuple(source.shape)} does not fit: with {index.size} "
                         f"indices into dim {dim} of the input of shape {tuple(x.shape)} it must be {tuple(want)}")


def _index_add_samples(make):
    return [Sample((make(3, 4), 0, np.array([0, 2, 0]), make(3, 4)), name="repeats"),
            Sample((make(3, 4), 1, np.array([3, 1]), make(3, 2)), {"alpha": 2.0}, "alpha"),
            Sample((make(4, 3, noncontig=True), 0, np.array([1]), make(1, 3)), name="noncontig"),
            Sample((make(3, 4), 0, np.zeros(0, np.int64), make(0, 4)), name="empty")]


@register("index_add", _index_add_samples, IndexAdd)
def index_add(input, dim, index, source, *, alpha=1):
    """`input` with `alpha * source[i]` added to its slice `index[i]` along `dim`; repeats add up.

        >>> ember.zeros(3).index_add(0, ember.tensor([0, 0]), ember.tensor([1., 2.]))
        tensor([3., 0., 0.])
    """
    need_tensor("index_add", "source", source)
    return IndexAdd.apply(input, _index_arg("index_add", index, input), source, dim=dim, alpha=alpha)


index_add.saves_self = False


def _take_samples(make):
    return [Sample((make(3, 4), make.ints(2, 3, high=12)), name="2d-index"),
            Sample((make(3, 4), make.ints(5, low=-12, high=12)), name="negative"),
            Sample((make(4, 3, noncontig=True), make.ints(4, high=12)), name="noncontig"),
            Sample((make(3, 4), make.ints(0, 2)), name="empty"),
            Sample((make(), np.array(0)), name="0d")]


@register("take", _take_samples)
def take(input, index):
    """Elements of `input` seen as 1-d, at `index` (any shape; negative counts from the end).

        >>> ember.tensor([[1., 2.], [3., 4.]]).take(ember.tensor([0, -1]))
        tensor([1., 4.])
    """
    index = _index_arg("take", index, input)
    if index.dtype.name != "int64":
        raise DTypeError(f"take: expected an index of dtype int64, got {index.dtype}")
    a = index._data
    _check_dtype("take", a)
    n = input.numel()
    _check_bounds("take", a, 0, n, negative=True)
    if a.size:  # negative indices count from the end (as ops, so a compiled replay does it too)
        index = binary.where(index < 0, index + n, index)
    return index_select(input.reshape(-1), 0, index.reshape(-1)).reshape(tuple(index.shape))


def _take_along_dim_samples(make):
    return [Sample((make(3, 4), make.ints(3, 2, high=4), 1), name="dim1"),
            Sample((make(3, 4), make.ints(5, high=12)), name="flat"),
            Sample((make(3, 1), make.ints(2, 4, high=3), 0), name="broadcast"),
            Sample((make(2, 3, 4), make.ints(1, 3, 2, high=4), -1), name="broadcast-index"),
            Sample((make(4, 3, noncontig=True), make.ints(4, 3, high=4), 0), name="noncontig"),
            Sample((make(0, 3), make.ints(0, 1, high=3), 1), name="empty")]


@register("take_along_dim", _take_along_dim_samples)
def take_along_dim(input, indices, dim=None):
    """`gather` with `input` and `indices` broadcast against each other off `dim`;
    with `dim=None`, both are flattened first (NumPy's `take_along_axis`).

        >>> x = ember.tensor([[10., 30., 20.]])
        >>> ember.take_along_dim(x, x.argsort(dim=1), dim=1)
        tensor([[10., 20., 30.]])
    """
    need_tensor("take_along_dim", "indices", indices)
    indices = _index_arg("take_along_dim", indices, input)
    if indices.dtype.name != "int64":
        raise DTypeError(f"take_along_dim: expected indices of dtype int64, got {indices.dtype}")
    if dim is None:
        input, indices = input.reshape(-1), indices.reshape(-1)
        dim = 0
    d = normalize_dim(dim, input.ndim, "take_along_dim")
    if indices.ndim != input.ndim:
        raise ShapeError(f"take_along_dim: indices of shape {tuple(indices.shape)} must have as many dims as "
                         f"the input of shape {tuple(input.shape)}")
    a = indices._data
    _check_dtype("take_along_dim", a)
    size = input.shape[d] if input.ndim else 1
    _check_bounds("take_along_dim", a, d, size, negative=True)
    if a.size:
        indices = binary.where(indices < 0, indices + size, indices)
    off = broadcast_shapes("take_along_dim", _with(input.shape, d, 1), _with(indices.shape, d, 1))
    if tuple(input.shape) != _with(off, d, size):
        input = input.expand(_with(off, d, size))
    if tuple(indices.shape) != _with(off, d, indices.shape[d]):
        indices = indices.expand(_with(off, d, indices.shape[d]))
    return Gather.apply(input, indices, dim=d, op="take_along_dim")


def _with(shape, dim, size):
    shape = list(shape)
    if shape:
        shape[dim] = size
    return tuple(shape)
