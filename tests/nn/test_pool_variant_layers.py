"""AdaptiveMaxPool1d/2d, LPPool1d/2d and MaxUnpool1d/2d against torch.nn: outputs, indices, gradients, reprs."""
import numpy as np
import pytest

import ember
import ember.nn
from conformance import check_module

torch = pytest.importorskip("torch")
rng = np.random.default_rng(0)

CASES = [("AdaptiveMaxPool1d", (4,), {}, (2, 3, 10)), ("AdaptiveMaxPool1d", (3,), {}, (3, 7)),
         ("AdaptiveMaxPool2d", ((3, 4),), {}, (2, 3, 7, 9)), ("AdaptiveMaxPool2d", ((None, 2),), {}, (2, 2, 5, 5)),
         ("AdaptiveMaxPool2d", (1,), {}, (3, 4, 4)),
         ("LPPool1d", (2, 3), {}, (2, 3, 10)), ("LPPool1d", (3, 2), dict(stride=1), (2, 3, 7)),
         ("LPPool2d", (2, (2, 3)), dict(stride=2), (2, 3, 7, 9)), ("LPPool2d", (1.5, 2), dict(ceil_mode=True), (1, 2, 5, 5))]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,args,kw,shape", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_conforms_to_torch(name, args, kw, shape, dtype):
    x = rng.standard_normal(shape)
    if name.startswith("LPPool"):
        x = np.abs(x) + 0.1   # fractional powers of negative numbers are NaN in both libraries
    check_module(getattr(ember.nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw), x, dtype=dtype)
    assert repr(getattr(ember.nn, name)(*args, **kw)) == repr(getattr(torch.nn, name)(*args, **kw))


@pytest.mark.parametrize("nd", [1, 2])
def test_adaptive_max_indices_and_unpool_round_trip(nd):
    shape = (2, 3, 11) if nd == 1 else (2, 3, 7, 9)
    x = rng.standard_normal(shape)
    e_pool = getattr(ember.nn, f"AdaptiveMaxPool{nd}d")(3 if nd == 1 else (3, 4), return_indices=True)
    t_pool = getattr(torch.nn, f"AdaptiveMaxPool{nd}d")(3 if nd == 1 else (3, 4), return_indices=True)
    (e, ei), (t, ti) = e_pool(ember.tensor(x)), t_pool(torch.tensor(x))
    np.testing.assert_array_equal(ei.numpy(), ti.numpy())
    pool_e = getattr(ember.nn, f"MaxPool{nd}d")(2, return_indices=True)
    pool_t = getattr(torch.nn, f"MaxPool{nd}d")(2, return_indices=True)
    (ye, ie), (yt, it) = pool_e(ember.tensor(x)), pool_t(torch.tensor(x))
    unpool_e, unpool_t = getattr(ember.nn, f"MaxUnpool{nd}d")(2), getattr(torch.nn, f"MaxUnpool{nd}d")(2)
    size = shape[2:]
    check_module(unpool_e, unpool_t, yt.numpy(), it.numpy(), kwargs={"output_size": size}, dtype="float64")
    assert repr(unpool_e) == repr(unpool_t)
    with pytest.raises(ember.ArgumentError, match="indices must lie"):
        unpool_e(ye, ie * 100)
