"""Top-level in-place functions (`ember.exp_(x)`, as `torch.exp_(x)`) and Tensor methods of the new math
families: every one PyTorch also has, on the same input, gives PyTorch's values, in place."""
import numpy as np
import pytest
import torch

import ember
from ember import ops

# addmv_ and index_put_ take other arguments; their own tests cover them
NAMES = sorted({n for f in ops.FAMILIES for n in f.INPLACE.split() if n in f.__all__ and hasattr(torch, n + "_")}
               - {"addmv", "index_put"})
DOMAIN = {"acosh": (1.2, 3.0), "arccosh": (1.2, 3.0), "log": (0.2, 2.0), "sqrt": (0.2, 2.0), "rsqrt": (0.2, 2.0),
          "log10": (0.2, 2.0), "log2": (0.2, 2.0), "lgamma": (0.3, 3.0), "digamma": (0.3, 3.0), "logit": (0.1, 0.9),
          "reciprocal": (0.5, 2.0), "mvlgamma": (2.0, 3.0)}
ARGS = {"clamp": dict(min=-0.5, max=0.5), "clip": dict(min=-0.5, max=0.5), "mvlgamma": dict(p=2),
        "clamp_min": dict(min=0.1), "clamp_max": dict(max=0.1)}


@pytest.mark.parametrize("name", NAMES)
def test_top_level_inplace_matches_torch(name):
    low, high = DOMAIN.get(name, (-0.9, 0.9))
    x = np.random.default_rng(0).uniform(low, high, (3, 4))
    e, t = ember.tensor(x), torch.tensor(x)
    kw = ARGS.get(name, {})
    binary = name in ("atan2", "arctan2", "hypot", "fmod", "copysign", "xlogy", "nextafter", "ldexp", "float_power",
                      "heaviside")
    extra = (ember.tensor(x[::-1].copy()),) if binary else ()
    t_extra = (torch.tensor(x[::-1].copy()),) if binary else ()
    if name in ("gcd", "lcm"):
        e, t = ember.tensor((x * 10).astype(np.int64)), torch.tensor((x * 10).astype(np.int64))
        extra, t_extra = (ember.tensor([[3]]),), (torch.tensor([[3]]),)
    out = getattr(ember, name + "_")(e, *extra, **kw)
    getattr(torch, name + "_")(t, *t_extra, **kw)
    assert out is e
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-10, atol=1e-12)


def test_methods_of_the_new_families():
    x = np.random.default_rng(1).uniform(0.2, 0.9, (2, 3))
    e, t = ember.tensor(x), torch.tensor(x)
    for name in ("sinh", "asin", "atanh", "erfinv", "log10", "logit", "frac", "deg2rad", "sinc", "i0", "lgamma"):
        np.testing.assert_allclose(getattr(e, name)().numpy(), getattr(t, name)().numpy(), rtol=1e-10, err_msg=name)
    np.testing.assert_allclose(e.polygamma(2).numpy(), t.polygamma(2).numpy(), rtol=1e-10)
    np.testing.assert_allclose(e.atan2(e.flip(0)).numpy(), t.atan2(t.flip(0)).numpy(), rtol=1e-12)
