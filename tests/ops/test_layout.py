"""The layout family against torch: splits, flips, selection, scatter-like copies, repeats, searches,
unique, grids and combinations — values, shapes and dtypes, and gradients where they flow."""
import numpy as np
import pytest
import torch

import ember

rng = np.random.default_rng(0)
X = rng.standard_normal((4, 6))
V = np.array([3, 1, 2, 3, 3, 1])
S = np.sort(rng.standard_normal(5))

CASES = {
    "atleast_3d": lambda L: L.atleast_3d(L.tensor(X)),
    "atleast_2d": lambda L: L.atleast_2d(L.tensor(1.0), L.tensor([1., 2.])),
    "column_stack": lambda L: L.column_stack([L.tensor([1., 2.]), L.tensor(X[:2])]),
    "tensor_split": lambda L: L.tensor_split(L.tensor(X), 4, 1),
    "tensor_split_indices": lambda L: L.tensor_split(L.tensor(X), [1, 4], 1),
    "hsplit": lambda L: L.hsplit(L.tensor(X), 3), "vsplit": lambda L: L.vsplit(L.tensor(X), [1, 3]),
    "dsplit": lambda L: L.dsplit(L.tensor(X.reshape(2, 2, 6)), 2),
    "split_with_sizes": lambda L: L.tensor(X).split_with_sizes([2, 4], 1),
    "row_stack": lambda L: L.row_stack([L.tensor([1., 2.]), L.tensor([3., 4.])]),
    "rot90": lambda L: L.rot90(L.tensor(X), 3), "ravel": lambda L: L.ravel(L.tensor(X).t()),
    "select": lambda L: L.select(L.tensor(X), 1, 2),
    "index_copy": lambda L: L.index_copy(L.tensor(X), 0, L.tensor([2, 0]), L.tensor(X[:2] * 10)),
    "index_fill": lambda L: L.tensor(X).index_fill(1, L.tensor([1, 3]), -1.0),
    "masked_scatter": lambda L: L.tensor(X).masked_scatter(L.tensor(X > 0), L.tensor(np.arange(24.))),
    "repeat_dim": lambda L: L.repeat_interleave(L.tensor(X), 2, 0),
    "repeat_counts": lambda L: L.repeat_interleave(L.tensor([2, 0, 3])),
    "repeat_tensor": lambda L: L.repeat_interleave(L.tensor(X), L.tensor([1, 2, 0, 1]), 0),
    "repeat_flat": lambda L: L.repeat_interleave(L.tensor(X), 2),
    "searchsorted": lambda L: L.searchsorted(L.tensor(S), L.tensor(X)),
    "searchsorted_right": lambda L: L.searchsorted(L.tensor(S), L.tensor(X), right=True),
    "searchsorted_nd": lambda L: L.searchsorted(L.tensor(np.sort(X, 1)), L.tensor(X[:, :2]), side="right"),
    "bucketize": lambda L: L.bucketize(L.tensor(X), L.tensor(S)),
    "isin": lambda L: L.isin(L.tensor(V), L.tensor([1, 3])),
    "unique": lambda L: L.unique(L.tensor(V), return_inverse=True, return_counts=True),
    "unique_dim": lambda L: L.unique(L.tensor(np.array([[1, 2], [1, 2], [0, 1]])), dim=0, return_counts=True),
    "unique_consecutive": lambda L: L.unique_consecutive(L.tensor(V), return_inverse=True, return_counts=True),
    "meshgrid_xy": lambda L: L.meshgrid(L.tensor([1., 2., 3.]), L.tensor([4., 5.]), indexing="xy"),
    "meshgrid_ij": lambda L: L.meshgrid(L.tensor([1., 2.]), L.tensor([4., 5., 6.]), L.tensor([0., 1.]), indexing="ij"),
    "cartesian_prod": lambda L: L.cartesian_prod(L.tensor([1, 2, 3]), L.tensor([4, 5])),
    "combinations": lambda L: L.combinations(L.tensor([1., 2., 3., 4.]), 3),
    "combinations_rep": lambda L: L.combinations(L.tensor([1., 2., 3.]), 2, True),
    "block_diag": lambda L: L.block_diag(L.tensor(X[:2, :3]), L.tensor([7., 8.]), L.tensor(5.)),
    "tril_indices": lambda L: L.tril_indices(4, 3, -1), "triu_indices": lambda L: L.triu_indices(3, 5, 1),
}


@pytest.mark.parametrize("name", CASES)
def test_matches_torch(name):
    e, t = CASES[name](ember), CASES[name](torch)
    e, t = (e if isinstance(e, (tuple, list)) else (e,)), (t if isinstance(t, (tuple, list)) else (t,))
    assert len(e) == len(t)
    for a, b in zip(e, t):
        assert tuple(a.shape) == tuple(b.shape) and str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), equal_nan=True)


def test_gradients_flow_through_selections():
    for lib in (ember, torch):
        x = lib.tensor(X, requires_grad=True)
        (lib.repeat_interleave(x, 2, 0).sum() + lib.select(x, 1, 2).sum() + lib.rot90(x).pow(2).sum()).backward()
        if lib is ember:
            e_grad = x.grad.numpy()
        else:
            np.testing.assert_allclose(e_grad, x.grad.numpy())


def test_refusals():
    with pytest.raises(ember.ArgumentError, match="divisible"):
        ember.hsplit(ember.ones(2, 5), 2)
    with pytest.raises(ember.ArgumentError, match="indexing"):
        ember.meshgrid(ember.ones(2), indexing="yx")
    with pytest.raises(ember.ShapeError, match="masked_scatter"):
        ember.ones(3).masked_scatter(ember.tensor([True, True, True]), ember.ones(2))
