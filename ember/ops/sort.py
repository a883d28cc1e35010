"""Sorting along a dim: sort and topk return `(values, indices)` named tuples, whose
values' gradient is scattered back to the positions sorted; argsort returns the indices.
Sorts are stable, and NaN sorts as the largest value, as in PyTorch.

    >>> import ember
    >>> x = ember.tensor([3., 1., 2.])
    >>> x.sort().indices, x.argsort(descending=True), x.topk(2).values
    (tensor([1, 2, 0]), tensor([0, 2, 1]), tensor([3., 2.]))
"""
import numpy as np

from ember.autograd.checks import normalize_dim
from ember.autograd.function import Function
from ember.errors import ArgumentError
from ember.ops._dims import SortResult, TopKResult
from ember.ops._indexing import _zeros
from ember.ops.gather import scatter
from ember.ops.registry import Sample, register
from ember.ops._xp import stable_argsort

__all__ = ["sort", "argsort", "topk"]

# Tensor methods (bound in tensor_methods.py) and the ones with an in-place `name_` form.
METHODS = "sort argsort topk"
INPLACE = ""


def _low_rank(fn):
    """`fn(xp, x, axis, ...)` on an array of any rank: NumPy's sorting stops at 32 dims, so a
    higher-rank input is sorted as rows (the axis moved last) and laid back."""
    def run(xp, x, axis, *args):
        if x.ndim <= 32:
            return fn(xp, x, axis, *args)
        moved = xp.moveaxis(x, axis, -1)
        r = fn(xp, moved.reshape(-1, moved.shape[-1]), 1, *args)
        return xp.moveaxis(r.reshape(moved.shape[:-1] + r.shape[-1:]), -1, axis)
    return run


@_low_rank
def _argsort(xp, x, axis, descending):
    """Stable sort order along `axis`; NaN counts as the largest value, as in PyTorch."""
    if x.dtype.name == "bfloat16":  # ml_dtypes' bfloat16 sort misplaces inf and NaN; float32 holds it exactly
        x = x.astype(np.float32)
    if x.ndim == 0:
        return xp.zeros((), np.int64)
    if not descending:
        return stable_argsort(xp, x, axis)
    # Sorting the reversed array ascending and reversing back keeps ties in their original
    # order and puts NaN first, without negating (which bool and unsigned dtypes can't do).
    n = x.shape[axis]
    order = stable_argsort(xp, xp.flip(x, axis), axis)
    return (n - 1) - xp.flip(order, axis)


def _take(xp, x, idx, axis):
    return xp.take_along_axis(x, idx, axis) if x.ndim else x.copy()


class _ScatterValues(Function):
    """Base of sort/topk: outputs (values, indices); the values' gradient is scattered back."""
    save_inputs = False

    def backward(self, g, _):
        indices = self.output(self.idx, 1).detach()  # refuses indices changed in place since
        return scatter(_zeros(self.in_shape, g), self.dim, indices, g)


class Sort(_ScatterValues):
    def forward(self, x, dim=-1, descending=False):
        self.dim = normalize_dim(dim, x.ndim, "sort")
        self.in_shape = x.shape
        self.idx = _argsort(self.xp, x, self.dim, descending)
        return _take(self.xp, x, self.idx, self.dim), self.idx


class TopK(_ScatterValues):
    def forward(self, x, k, dim=-1, largest=True, sorted=True):
        self.dim = d = normalize_dim(dim, x.ndim, "topk")
        self.in_shape = x.shape
        n = x.shape[d] if x.ndim else 1
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 0 <= k <= n:
            raise ArgumentError(f"topk: k={k!r} is out of range for dim {d} of size {n} (shape {tuple(x.shape)})")
        self.idx = _topk_indices(self.xp, x, d, int(k), largest)
        return _take(self.xp, x, self.idx, d), self.idx


@_low_rank
def _topk_indices(xp, x, axis, k, largest):
    """The indices of the k largest (smallest) values along `axis`, best first."""
    n = x.shape[axis] if x.ndim else 1
    if x.ndim == 0:
        return xp.zeros((), np.int64)  # as in PyTorch, k may be 0 or 1 and the value comes back
    if k == 0 or 4 * k >= n:  # a full sort costs about as much as partitioning
        order = _argsort(xp, x, axis, largest)
        return order if k == n else xp.ascontiguousarray(order[(slice(None),) * axis + (slice(0, k),)])
    part = xp.argpartition(x, n - k if largest else k - 1, axis=axis)
    part = part[(slice(None),) * axis + (slice(n - k, n) if largest else slice(0, k),)]
    order = _argsort(xp, xp.take_along_axis(x, part, axis), axis, largest)
    return xp.take_along_axis(part, order, axis)


def _sort_samples(make):
    ties = make.ints(3, 6, high=3)  # integers: ties are not differentiable, but their order is checked
    extreme = np.array([[1.0, np.inf, -np.inf, np.nan, 0.0, -2.0]], make.dtype)
    return [Sample((make.distinct(3, 5),), name="last"),
            Sample((make.distinct(4, 3), 0), name="dim0"),
            Sample((make.distinct(3, 5), -1, True), name="descending"),
            Sample((ties,), {"stable": True}, "stable-ties"),
            Sample((ties,), {"stable": True, "descending": True}, "stable-ties-descending"),
            Sample((make.distinct(2, 3, 4), 1), name="3d"),
            Sample((make.distinct(5, 3).T,), name="noncontig"),
            Sample((make(0, 3), 0), name="empty"),
            Sample((make(),), name="0d"),
            Sample((extreme,), {"descending": True}, "extreme")]


@register("sort", _sort_samples, Sort)
def sort(input, dim=-1, descending=False, stable=False):
    """`(values, indices)` of `input` sorted along `dim`. The sort is always stable (ties keep
    their order; `stable` is accepted for PyTorch's signature); NaN sorts as the largest.

        >>> ember.tensor([3., 1., 2.]).sort().indices
        tensor([1, 2, 0])
    """
    return SortResult(*Sort.apply(input, dim=dim, descending=descending))


class ArgSort(Function):
    differentiable = False

    def forward(self, x, dim=-1, descending=False):
        return _argsort(self.xp, x, normalize_dim(dim, x.ndim, "argsort"), descending)


@register("argsort", lambda make: [s for s in _sort_samples(make) if s.name != "extreme"], ArgSort)
def argsort(input, dim=-1, descending=False, stable=False):
    """The indices that sort `input` along `dim` (stable; see `sort`)."""
    return ArgSort.apply(input, dim=dim, descending=descending)


def _topk_samples(make):
    return [Sample((make.distinct(3, 5), 2), name="last"),
            Sample((make.distinct(4, 3), 3, 0), name="dim0-all"),
            Sample((make.distinct(3, 5), 2), {"largest": False}, "smallest"),
            Sample((make.distinct(2, 40), 3), name="partition"),
            Sample((make.distinct(2, 40), 4, -1, False), name="partition-smallest"),
            Sample((make.distinct(5, 3).T, 1), name="noncontig"),
            Sample((make.distinct(3, 4), 0), name="k0"),
            Sample((make(0, 3), 2), name="empty"),
            Sample((make(), 1), name="0d"),
            Sample((np.array([[1.0, np.inf, -np.inf, np.nan, 0.0]], make.dtype), 3), name="extreme")]


@register("topk", _topk_samples, TopK)
def topk(input, k, dim=-1, largest=True, sorted=True):
    """`(values, indices)` of the `k` largest (`largest=False`: smallest) elements along `dim`,
    best first (always sorted). NaN counts as the largest.

        >>> ember.tensor([1., 5., 3.]).topk(2)
        topk(values=tensor([5., 3.]), indices=tensor([1, 2]))
    """
    return TopKResult(*TopK.apply(input, k, dim=dim, largest=largest, sorted=sorted))
