"""repr(tensor) against PyTorch's, character for character, under torch.set_printoptions's options."""
import numpy as np
import pytest
import torch

import ember
from ember.errors import ArgumentError

VALUES = [[1.0, 2.5], [1.123456, 2.5], [1e-5, 1.0], [[1.5, 2.25], [3, 4]], [0.0, 0.0],
          [float("nan"), 1.0, float("inf")], [1e9, 2.0], [-1.5, 2.0], np.arange(2000.0),
          np.arange(24.0).reshape(2, 3, 4) / 7, np.random.default_rng(0).standard_normal((40, 40)),
          [1, 2, 3], [True, False], 3.5, -0.0, np.zeros((0, 3)), np.arange(10000).reshape(100, 100),
          np.full((2, 2), -123456.0)]
OPTIONS = [{"precision": 2}, {"sci_mode": True}, {"sci_mode": False}, {"profile": "short"},
           {"threshold": 5, "edgeitems": 1}, {"threshold": 5, "edgeitems": 0}, {"linewidth": 30},
           {"profile": "full"}]


def array(v):
    a = np.asarray(v)
    return a.astype(np.float32) if a.dtype == np.float64 else a


@pytest.fixture(autouse=True)
def default_options():
    yield
    torch.set_printoptions(profile="default", sci_mode=None)
    ember.set_printoptions(profile="default", sci_mode=None)


@pytest.mark.parametrize("i", range(len(VALUES)))
def test_repr_matches_torch(i):
    a = array(VALUES[i])
    assert repr(ember.tensor(a)) == repr(torch.tensor(a))
    assert str(ember.tensor(a)) == str(torch.tensor(a))


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
def test_set_printoptions_as_torch(options):
    torch.set_printoptions(**options)
    ember.set_printoptions(**options)
    for v in VALUES[:13]:
        a = array(v)
        assert repr(ember.tensor(a)) == repr(torch.tensor(a)), (options, v)


def test_float16_and_grad_suffixes_follow_the_same_format():
    a = np.array([0.5, 1.25], np.float16)
    assert repr(ember.tensor(a)) == repr(torch.tensor(a)).replace("torch.", "ember.")
    assert repr(ember.tensor([1.5, 2.0], requires_grad=True)) == repr(torch.tensor([1.5, 2.0], requires_grad=True))


def test_printoptions_errors_and_reading_back():
    with pytest.raises(ArgumentError, match="profile"):
        ember.set_printoptions(profile="long")
    ember.set_printoptions(precision=6)
    assert ember.get_printoptions()["precision"] == 6
