"""Padding layers against torch.nn: outputs and input gradients for every mode and rank, reprs, errors."""
import numpy as np
import pytest

import ember
import ember.nn
from conformance import check_module

torch = pytest.importorskip("torch")

CASES = [("ConstantPad1d", (2, 3.5)), ("ConstantPad2d", ((1, 0, 2, 1), -1.0)), ("ConstantPad3d", (1, 2.0)),
         ("ZeroPad1d", ((0, 2),)), ("ZeroPad2d", (2,)), ("ZeroPad3d", ((1, 0, 0, 1, 2, 0),)),
         ("ReflectionPad1d", (2,)), ("ReflectionPad2d", ((1, 2, 0, 3),)), ("ReflectionPad3d", (1,)),
         ("ReplicationPad1d", ((3, 1),)), ("ReplicationPad2d", (2,)), ("ReplicationPad3d", ((1, 0, 2, 1, 0, 1),)),
         ("CircularPad1d", (2,)), ("CircularPad2d", ((1, 2, 2, 0),)), ("CircularPad3d", (1,))]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,args", CASES, ids=[c[0] + str(i) for i, c in enumerate(CASES)])
def test_padding_conforms_to_torch(name, args, dtype):
    dims = int(name[-2])
    x = np.random.default_rng(0).standard_normal((2, 3) + (4,) * dims)
    check_module(getattr(ember.nn, name)(*args), getattr(torch.nn, name)(*args), x, dtype=dtype)
    assert repr(getattr(ember.nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))


def test_bad_padding_is_refused():
    with pytest.raises(ember.ArgumentError, match="ReflectionPad2d: padding must be an int or 4 ints"):
        ember.nn.ReflectionPad2d((1, 2))
