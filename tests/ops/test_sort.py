"""Sorting against PyTorch: sort/argsort/topk's named fields, stable sorts with ties, topk
on larger inputs, double backward, and their errors. The registry test covers each op's
samples and gradcheck."""
import numpy as np
import pytest

import ember
from index_helpers import close, pair

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)


def test_argument_errors():
    x = ember.zeros(3, 4)
    with pytest.raises(ember.ArgumentError, match="topk: k=5 is out of range for dim 1 of size 4"):
        x.topk(5)
    with pytest.raises(ember.DimError, match="sort: dim=2"):
        x.sort(2)


def test_sort_and_topk_return_named_tuples():
    x = ember.tensor([[3.0, 1.0, 2.0]])
    s = x.sort(descending=True)
    assert isinstance(s, tuple) and len(s) == 2
    values, indices = s
    assert s.values is values and s.indices is indices
    assert values.tolist() == [[3.0, 2.0, 1.0]] and indices.tolist() == [[0, 2, 1]]
    assert indices.dtype == ember.int64
    k = ember.topk(x, 2, largest=False)
    assert k.values.tolist() == [[1.0, 2.0]] and k.indices.tolist() == [[1, 2]]
    assert k[0] is k.values and "values=" in repr(k)


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_stable_sort_with_many_ties_matches_torch(descending, dim):
    a = RNG.integers(0, 4, (30, 40)).astype(np.float32)
    e = ember.from_numpy(a).sort(dim, descending, stable=True)
    t = torch.from_numpy(a).sort(dim=dim, descending=descending, stable=True)
    close(e.values, t.values)
    np.testing.assert_array_equal(e.indices.numpy(), t.indices.numpy())
    np.testing.assert_array_equal(ember.from_numpy(a).argsort(dim, descending, stable=True).numpy(),
                                  torch.from_numpy(a).argsort(dim=dim, descending=descending, stable=True).numpy())


@pytest.mark.parametrize("k", [1, 3, 10, 99, 100])
@pytest.mark.parametrize("largest", [True, False])
def test_topk_matches_torch_on_larger_inputs(k, largest):
    a = RNG.permutation(400).reshape(4, 100).astype(np.float64)
    e, t = pair(a)
    eo, to = e.topk(k, largest=largest), t.topk(k, largest=largest)
    close(eo.values, to.values)
    np.testing.assert_array_equal(eo.indices.numpy(), to.indices.numpy())
    cot = RNG.standard_normal((4, k))
    eo.values.backward(ember.from_numpy(cot))
    to.values.backward(torch.from_numpy(cot))
    close(e.grad, t.grad)


def test_sort_backward_refuses_indices_changed_in_place():
    x = ember.tensor([3.0, 1.0, 2.0], requires_grad=True)
    values, indices = x.sort()
    indices.add_(0)
    with pytest.raises(ember.AutogradError, match="in-place"):
        values.sum().backward()


def test_double_backward_through_gather_and_sort():
    x = ember.tensor([[3.0, 1.0, 2.0]], requires_grad=True)
    y = (x.gather(1, ember.tensor([[2, 2, 0]])) ** 2).sum() + (x.sort().values ** 3).sum()
    (g,) = ember.autograd.grad(y, x, create_graph=True)
    (gg,) = ember.autograd.grad(g.sum(), x)
    tx = torch.tensor([[3.0, 1.0, 2.0]], requires_grad=True)
    ty = (tx.gather(1, torch.tensor([[2, 2, 0]])) ** 2).sum() + (tx.sort().values ** 3).sum()
    (tg,) = torch.autograd.grad(ty, tx, create_graph=True)
    (tgg,) = torch.autograd.grad(tg.sum(), tx)
    close(g, tg)
    close(gg, tgg)
