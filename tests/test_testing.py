"""ember.testing against torch.testing: assert_close's verdicts and failure messages, make_tensor."""
import numpy as np
import pytest
import torch

import ember
from ember.errors import ArgumentError, DTypeError


F = np.float32
CASES = [(np.array([1, 2, 3], F), np.array([1, 2.1, 3], F), {}), (1.0, 1.1, {}), (3, 4, {}), (2, 2, {}),
         (np.array([1, 2], F), np.array([1, 2, 3], F), {}), (np.array([1, 2], F), np.array([1, 2.0]), {}),
         (np.array([1, 2]), np.array([1, 3]), {}), ([np.array(1, F)], [np.array(2, F)], {}),
         ({"a": np.array(1, F)}, {"a": np.array(2, F)}, {}), (np.array([np.nan], F), np.array([np.nan], F), {}),
         (np.array([np.nan], F), np.array([np.nan], F), {"equal_nan": True}),
         (np.array([1.0], F), np.array([1.5], F), {"msg": "custom"}),
         (np.array([1.0, np.inf], F), np.array([1.0, np.inf], F), {}),
         (np.array([[1.0, 2], [3, 4]], F), np.array([[1.0, 2], [3, 5]], F), {}),
         (np.array([1.0], F), np.array([1.01], F), {"rtol": 0.1, "atol": 0}),
         (np.array([True]), np.array([False]), {}), (np.array([1.0], np.float16), np.array([1.002], np.float16), {}),
         (np.array([1.0], np.float16), np.array([1.0005], np.float16), {}),
         (np.array([1.0], F), np.array([1.01]), {"check_dtype": False}),
         (np.array([1.0, 2.0], F), np.array([1.0, 2.0 + 1e-6], F), {}), ([1.0, 2.0], [1.0, 2.5], {})]


def convert(lib, x):
    if isinstance(x, np.ndarray):
        return lib.tensor(x)
    if isinstance(x, list):
        return [convert(lib, i) for i in x]
    if isinstance(x, dict):
        return {k: convert(lib, v) for k, v in x.items()}
    return x


def verdict(lib, a, b, kw):
    try:
        lib.testing.assert_close(convert(lib, a), convert(lib, b), **kw)
        return "passed"
    except AssertionError as e:
        return str(e).replace("torch.", "ember.")


@pytest.mark.parametrize("i", range(len(CASES)))
def test_assert_close_verdicts_and_messages_as_torch(i):
    a, b, kw = CASES[i]
    assert verdict(ember, a, b, kw) == verdict(torch, a, b, kw)


def test_assert_close_bad_input():
    with pytest.raises(DTypeError, match="wrap the number"):
        ember.testing.assert_close(ember.tensor([1.0]), 1.0)
    with pytest.raises(ArgumentError, match="no atol"):
        ember.testing.assert_close(ember.tensor([1.0]), ember.tensor([1.0]), rtol=0.1)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "uint8", "bool"])
def test_make_tensor_dtype_shape_and_range_as_torch(dtype):
    t = torch.testing.make_tensor((50, 4), dtype=getattr(torch, dtype), device="cpu")
    e = ember.testing.make_tensor((50, 4), dtype=getattr(ember, dtype))
    assert tuple(e.shape) == tuple(t.shape) and str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1]
    tn, en = t.numpy().astype(float), e.numpy().astype(float)
    assert tn.min() >= -9 and en.min() >= -9 and tn.max() <= 10 and en.max() <= 10
    lo = ember.testing.make_tensor(3, 3, dtype=getattr(ember, dtype), low=1, high=2)
    if dtype != "bool":
        assert (lo.numpy() >= 1).all() and (lo.numpy() <= 2).all()
