"""The legacy typed-tensor classes (`FloatTensor`, `LongTensor`, ...) against torch's: construction
from data and from a size, isinstance, and `Tensor.type(cls)`."""
import numpy as np
import pytest
import torch

import ember

NAMES = ["FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "ByteTensor", "CharTensor",
         "ShortTensor", "IntTensor", "LongTensor", "BoolTensor"]


def _same(e, t):
    assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1] and tuple(e.shape) == tuple(t.shape)


@pytest.mark.parametrize("name", NAMES)
def test_constructors_and_isinstance_as_torch(name):
    E, T = getattr(ember, name), getattr(torch, name)
    for data in ([1, 0, 2], [[1.5, 2.0], [0.0, 3.0]], np.array([1, 2, 3]), [True, False]):
        e, t = E(data), T(data)
        _same(e, t)
        np.testing.assert_array_equal(e.float().numpy(), t.float().numpy())
    for size in ((3,), (2, 3), ()):
        _same(E(*size), T(*size))
    _same(E(ember.Size([2, 3])), T(torch.Size([2, 3])))  # a Size is a size; a plain tuple is data
    _same(E((2, 3)), T((2, 3)))
    for dtype_name in ("float32", "int64", "bool"):
        e_x, t_x = ember.zeros(2, dtype=getattr(ember, dtype_name)), torch.zeros(2, dtype=getattr(torch, dtype_name))
        assert isinstance(e_x, E) == isinstance(t_x, T)
        _same(e_x.type(E), t_x.type(T))
    assert not isinstance(np.zeros(2), E)


@pytest.mark.parametrize("bad", [2.5, "abc", None])
def test_what_torch_refuses_raises(bad):
    with pytest.raises(TypeError):
        torch.FloatTensor(bad)
    with pytest.raises(ember.DTypeError, match="FloatTensor"):
        ember.FloatTensor(bad)


def test_a_tensor_of_another_dtype_is_refused_as_torch():
    with pytest.raises(TypeError):
        torch.FloatTensor(torch.tensor([1, 2]))
    with pytest.raises(ember.DTypeError, match="expected a tensor of dtype ember.float32"):
        ember.FloatTensor(ember.tensor([1, 2]))
    x = ember.tensor([1.0, 2.0])
    assert ember.FloatTensor(x) is x
