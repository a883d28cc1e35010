"""default_collate / default_convert: same structure, dtypes and values as torch's, with ember Tensors."""
import collections

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import ember
from ember.data import default_collate, default_convert

Point = collections.namedtuple("Point", "x y")


def same(ours, ref):
    """Recursively compare an ember batch with torch's: container types, tensor dtypes and values."""
    if isinstance(ref, torch.Tensor):
        assert isinstance(ours, ember.Tensor), type(ours)
        assert str(ours.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    elif isinstance(ref, (list, tuple, dict)):
        assert type(ours) is type(ref) and len(ours) == len(ref)
        if isinstance(ref, dict):
            assert list(ours) == list(ref)
            for k in ref:
                same(ours[k], ref[k])
        else:
            for a, b in zip(ours, ref):
                same(a, b)
    else:
        assert ours == ref


def to_torch(x):
    if isinstance(x, dict):
        return {k: to_torch(v) for k, v in x.items()}
    if isinstance(x, Point):
        return Point(*(to_torch(v) for v in x))
    if isinstance(x, (list, tuple)):
        return type(x)(to_torch(v) for v in x)
    if isinstance(x, ember.Tensor):
        return torch.from_numpy(x.numpy().copy())
    return x


CASES = {
    "arrays": [np.full((2, 3), i, np.float32) for i in range(4)],
    "floats": [0.5, 1.5, 2.5],
    "ints": [1, 2, 3],
    "bools": [True, False],
    "numpy scalars": [np.float32(1.5), np.float32(2.5)],
    "int64 scalars": [np.int64(7), np.int64(8)],
    "strings": ["a", "bc"],
    "tuples": [(np.zeros(2, np.float32), 1), (np.ones(2, np.float32), 2)],
    "lists": [[1.0, "x"], [2.0, "y"]],
    "dicts": [{"img": np.zeros((2, 2), np.uint8), "label": 3, "name": "a"},
              {"img": np.ones((2, 2), np.uint8), "label": 4, "name": "b"}],
    "namedtuples": [Point(1, 2.0), Point(3, 4.0)],
    "nested": [{"a": (np.arange(3), {"b": [1.0, 2.0]})}, {"a": (np.arange(3) + 1, {"b": [3.0, 4.0]})}],
    "tensors": [ember.tensor([1.0, 2.0]), ember.tensor([3.0, 4.0])],
}


@pytest.mark.parametrize("name", list(CASES))
def test_default_collate_matches_torch(name):
    batch = CASES[name]
    same(default_collate(batch), tud.default_collate(to_torch(batch)))


@pytest.mark.parametrize("name", ["arrays", "dicts", "namedtuples", "tuples", "nested"])
def test_default_convert_matches_torch(name):
    sample = CASES[name][0]
    same(default_convert(sample), tud.default_convert(to_torch(sample)))


def test_collate_errors_say_what_is_wrong():
    with pytest.raises(ember.ShapeError, match="equal size"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(ember.ShapeError, match="equal size"):
        default_collate([[1, 2], [1]])
    with pytest.raises(ember.DTypeError, match="found"):
        default_collate([object(), object()])
    with pytest.raises(ember.DTypeError, match="dtype"):
        default_collate([np.array(["a"]), np.array(["b"])])


def test_collate_keeps_autograd():
    a = ember.tensor([1.0, 2.0], requires_grad=True)
    b = default_collate([a, a * 2])
    b.sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 3.0])
