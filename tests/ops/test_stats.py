"""Order statistics where the registry's samples do not reach: NaN, ties, tensor q, weights, against torch."""
import numpy as np
import pytest
import torch

import ember

NAN = np.nan
A = np.array([[1., 3., 3., 2., NAN, 5., NAN, 1.], [2., 2., 1., 1., 4., 4., 0., 9.]])
C = np.array([[1., NAN, 3., 2.], [4., 1., 2., 3.]])


def same(e, t):
    e = e if isinstance(e, tuple) else (e,)
    t = t if isinstance(t, tuple) else (t,)
    for a, b in zip(e, t):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), equal_nan=True, rtol=1e-12)


@pytest.mark.parametrize("name", ["cummax", "cummin"])
def test_running_extremes_with_ties_and_nan(name):
    same(tuple(getattr(ember, name)(ember.tensor(A), 1)), tuple(getattr(torch, name)(torch.tensor(A), 1)))


@pytest.mark.parametrize("call", [lambda lib, x: lib.median(x, 1), lambda lib, x: lib.nanmedian(x, 1),
                                  lambda lib, x: lib.median(x), lambda lib, x: lib.nanmedian(x),
                                  lambda lib, x: lib.quantile(x, lib.tensor([0.2, 0.8], dtype=lib.float64), 1),
                                  lambda lib, x: lib.nanquantile(x, 0.3, 1), lambda lib, x: lib.nansum(x, 0),
                                  lambda lib, x: lib.nanmean(x, 1), lambda lib, x: lib.mode(lib.tensor([[1., 2, 2, 3, 3, 1]]))])
def test_nan_aware_reductions(call):
    e, t = call(ember, ember.tensor(C)), call(torch, torch.tensor(C))
    same(tuple(e) if isinstance(e, tuple) else e, tuple(t) if isinstance(t, tuple) else t)


def test_bincount_histc_and_weighted_cov():
    x = np.array([0, 3, 3, 1, 5])
    w = np.array([0.5, 1.0, 2.0, 0.1, 3.0])
    same(ember.bincount(ember.tensor(x), ember.tensor(w), 8), torch.bincount(torch.tensor(x), torch.tensor(w), 8))
    v = np.random.default_rng(0).standard_normal(50)
    same(ember.histc(ember.tensor(v), 7, -1, 1), torch.histc(torch.tensor(v), 7, -1, 1))
    obs = np.random.default_rng(1).standard_normal((3, 6))
    fw, aw = np.array([1, 2, 1, 3, 1, 2]), np.random.default_rng(2).uniform(0.5, 1.5, 6)
    same(ember.cov(ember.tensor(obs), fweights=ember.tensor(fw), aweights=ember.tensor(aw)),
         torch.cov(torch.tensor(obs), fweights=torch.tensor(fw), aweights=torch.tensor(aw)))
    with pytest.raises(ember.ArgumentError, match="negative"):
        ember.bincount(ember.tensor([1, -1]))
    with pytest.raises(ember.ArgumentError, match="interpolation"):
        ember.quantile(ember.tensor(C), 0.5, interpolation="cubic")
