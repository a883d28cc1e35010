"""isclose / allclose / equal, Tensor.t(), Tensor.type(), randint(high, size=...) against PyTorch."""
import numpy as np
import pytest
import torch

import ember

NAN, INF = float("nan"), float("inf")
PAIRS = [
    ([1.0, 2.0, 3.0], [1.0, 2.0 + 1e-6, 3.1]),
    ([NAN, INF, -INF, 0.0], [NAN, INF, INF, 1e-9]),
    ([[1.0, 2.0]], [[1.0], [2.0000001]]),          # broadcast
    ([], []),
]


@pytest.mark.parametrize("a,b", PAIRS)
@pytest.mark.parametrize("kw", [{}, dict(rtol=0.1), dict(atol=1e-3, equal_nan=True), dict(rtol=0, atol=0)])
def test_isclose_and_allclose_match_torch(a, b, kw):
    for dt in ("float32", "float64"):
        ea, eb = ember.tensor(np.array(a, dt)), ember.tensor(np.array(b, dt))
        ta, tb = torch.tensor(np.array(a, dt)), torch.tensor(np.array(b, dt))
        np.testing.assert_array_equal(ember.isclose(ea, eb, **kw).numpy(), torch.isclose(ta, tb, **kw).numpy())
        assert ember.allclose(ea, eb, **kw) == torch.allclose(ta, tb, **kw)
        assert ea.allclose(eb, **kw) == ta.allclose(tb, **kw)


def test_isclose_on_integers_and_errors():
    a, b = [1, 5, 10], [1, 6, 12]
    for kw in ({}, dict(atol=1), dict(rtol=0.1)):
        np.testing.assert_array_equal(ember.isclose(ember.tensor(a), ember.tensor(b), **kw).numpy(),
                                      torch.isclose(torch.tensor(a), torch.tensor(b), **kw).numpy())
    with pytest.raises(ember.DTypeError, match="isclose"):
        ember.isclose(ember.ones(2), ember.ones(2, dtype=ember.float64))
    with pytest.raises(ember.ShapeError):
        ember.allclose(ember.ones(2), ember.ones(3))
    with pytest.raises(ember.ArgumentError, match="rtol"):
        ember.isclose(ember.ones(2), ember.ones(2), rtol=-1)


@pytest.mark.parametrize("a,b", [([1.0, 2.0], [1.0, 2.0]), ([1.0, NAN], [1.0, NAN]), ([1.0], [1.0, 1.0]),
                                 ([[1, 2]], [[1, 2]]), ([1, 2], [1, 3])])
def test_equal_matches_torch(a, b):
    assert ember.equal(ember.tensor(a), ember.tensor(b)) == torch.equal(torch.tensor(a), torch.tensor(b))
    assert ember.tensor(a).equal(ember.tensor(b)) == torch.tensor(a).equal(torch.tensor(b))


@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_t_matches_torch(shape):
    x = np.arange(int(np.prod(shape)), dtype="float32").reshape(shape)
    np.testing.assert_array_equal(ember.tensor(x).t().numpy(), torch.tensor(x).t().numpy())
    np.testing.assert_array_equal(ember.t(ember.tensor(x)).numpy(), torch.t(torch.tensor(x)).numpy())
    with pytest.raises(ember.DimError, match="t: expects a tensor with at most 2 dimensions"):
        ember.ones(2, 3, 4).t()


def test_t_gradient():
    w = ember.randn(2, 3, requires_grad=True)
    (w.t() * ember.arange(6.0).reshape(3, 2)).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.arange(6.0).reshape(3, 2).T)


@pytest.mark.parametrize("name", ["float32", "float64", "float16", "bfloat16", "uint8", "int8", "int16", "int32",
                                  "int64", "bool"])
def test_type_names_match_torch(name):
    e, t = ember.zeros(2, dtype=getattr(ember, name)), torch.zeros(2, dtype=getattr(torch, name))
    assert e.type() == t.type().replace("torch.", "ember.")
    assert e.float().type(t.type()).dtype.name == str(t.dtype).removeprefix("torch.")  # a torch name converts
    assert e.type(e.type()).dtype == e.dtype


def test_type_converts_and_refuses_unknown_names():
    x = ember.tensor([1.7, -2.2])
    assert x.type(ember.int32).tolist() == torch.tensor([1.7, -2.2]).type(torch.int32).tolist()
    assert x.type("ember.DoubleTensor").dtype is ember.float64
    assert x.type("float64").dtype is ember.float64
    with pytest.raises(ember.DTypeError, match="unknown tensor type"):
        x.type("torch.ComplexTensor")


def test_randint_with_high_and_size_keyword():
    ember.manual_seed(0)
    cases = [((5,), dict(size=(1000,)), (0, 5)), ((2, 5), dict(size=(1000,)), (2, 5)), ((10, (3, 4)), {}, (0, 10)),
             ((), dict(low=3, high=5, size=(100,)), (3, 5))]
    for args, kw, (low, high) in cases:
        e, t = ember.randint(*args, **kw), torch.randint(*args, **kw)
        assert e.shape == tuple(t.shape) and e.dtype is ember.int64
        assert low <= int(e.min()) and int(e.max()) < high
        assert low <= int(t.min()) and int(t.max()) < high
