"""Window functions, creation helpers, real-number forms of complex-aware names, bit shifts and Tensor
attributes/methods against torch."""
import numpy as np
import pytest
import torch

import ember

WINDOWS = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]


@pytest.mark.parametrize("name", WINDOWS)
@pytest.mark.parametrize("n", [0, 1, 5, 8])
@pytest.mark.parametrize("periodic", [True, False])
def test_windows_match_torch(name, n, periodic):
    e = getattr(ember, name)(n, periodic, dtype=ember.float64).numpy()
    t = getattr(torch, name)(n, periodic, dtype=torch.float64).numpy()
    np.testing.assert_allclose(e, t, atol=1e-12)


def test_creation_helpers_match_torch():
    with pytest.warns(UserWarning):
        t = torch.range(0, 1, 0.25)
    np.testing.assert_allclose(ember.range(0, 1, 0.25).numpy(), t.numpy())
    assert ember.scalar_tensor(3).dtype is ember.float32 and float(ember.scalar_tensor(3)) == 3.0
    e, t = ember.unravel_index(ember.tensor([4, 7, -1]), (2, 4)), torch.unravel_index(torch.tensor([4, 7, -1]), (2, 4))
    for a, b in zip(e, t):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    a = np.arange(3.0)
    assert np.shares_memory(ember.asarray(a).numpy(), a) and not np.shares_memory(ember.asarray(a, copy=True).numpy(), a)
    with pytest.raises(ember.ArgumentError, match="copy=False"):
        ember.asarray(a, dtype=ember.float32, copy=False)


def test_real_forms_and_shifts_match_torch():
    v = np.array([-0.0, 1.0, -np.inf, np.inf, np.nan, -2.5])
    e, t = ember.tensor(v), torch.tensor(v)
    for name in ("signbit", "isposinf", "isneginf", "isreal", "angle", "absolute", "conj", "resolve_neg", "real"):
        np.testing.assert_array_equal(getattr(ember, name)(e).numpy(), getattr(torch, name)(t).numpy(), err_msg=name)
    for a, b in zip(ember.frexp(ember.tensor([8.0, 0.3, -5.0])), torch.frexp(torch.tensor([8.0, 0.3, -5.0]))):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    i = np.array([1, -8, 5])
    np.testing.assert_array_equal(ember.bitwise_left_shift(ember.tensor(i), 2).numpy(),
                                  torch.bitwise_left_shift(torch.tensor(i), 2).numpy())
    np.testing.assert_array_equal(ember.tensor(i).bitwise_right_shift(1).numpy(), torch.tensor(i).bitwise_right_shift(1).numpy())
    with pytest.raises(ember.DTypeError, match="imag"):
        ember.imag(e)


def test_tensor_attributes_and_methods_match_torch():
    e, t = ember.arange(12.0).reshape(3, 4), torch.arange(12.0).reshape(3, 4)
    assert e.stride() == t.stride() and e.t().stride() == t.t().stride() and e.stride(1) == t.stride(1)
    assert e[1:, 1:].storage_offset() == t[1:, 1:].storage_offset()
    assert (e.nbytes, e.itemsize, e.is_cpu, e.get_device(), e.ndimension()) == \
        (t.nbytes, t.itemsize, t.is_cpu, t.get_device(), t.ndimension())
    for args in ((1, 2, 1), (1, 3, 2), (0, 2, 1)):
        np.testing.assert_array_equal(e.unfold(*args).numpy(), t.unfold(*args).numpy())
    np.testing.assert_array_equal(e.mH.numpy(), t.mH.numpy())
    np.testing.assert_array_equal(e.adjoint().numpy(), t.adjoint().numpy())
    for lib_e, lib_t in ((ember.zeros(3, 3), torch.zeros(3, 3)), (ember.zeros(5, 2), torch.zeros(5, 2))):
        lib_e.fill_diagonal_(5.0, wrap=True)
        lib_t.fill_diagonal_(5.0, wrap=True)
        np.testing.assert_array_equal(lib_e.numpy(), lib_t.numpy())
    z, zt = ember.ones(1, 3), torch.ones(1, 3)
    for op, args in (("squeeze_", ()), ("unsqueeze_", (1,)), ("t_", ()), ("transpose_", (0, 1))):
        getattr(z, op)(*args)
        getattr(zt, op)(*args)
        assert tuple(z.shape) == tuple(zt.shape)
    w, wt = ember.arange(4.0), torch.arange(4.0)
    w.apply_(lambda v: v * 2 + 1)
    wt.apply_(lambda v: v * 2 + 1)
    np.testing.assert_array_equal(w.numpy(), wt.numpy())
    w.map_(ember.ones(4), lambda a, b: a - b)
    wt.map_(torch.ones(4), lambda a, b: a - b)
    np.testing.assert_array_equal(w.numpy(), wt.numpy())


def test_random_fills_have_their_distributions():
    ember.manual_seed(0)
    g = ember.zeros(20000)
    assert abs(float(g.geometric_(0.25).mean()) - 4.0) < 0.15
    assert abs(float(g.log_normal_(0.0, 0.5).mean()) - np.exp(0.125)) < 0.03
    assert abs(float(g.cauchy_(1.0, 0.1).median()) - 1.0) < 0.02
    with pytest.raises(ember.ArgumentError, match="geometric_"):
        g.geometric_(0.0)


def test_functional_names_at_the_top_level_match_torch():
    x = np.random.default_rng(3).standard_normal((1, 4, 6, 6))
    for name, args in (("hardshrink", (0.3,)), ("pixel_shuffle", (2,)), ("channel_shuffle", (2,)),
                       ("threshold", (0.1, -1.0)), ("rms_norm", ((6,),))):
        np.testing.assert_allclose(getattr(ember, name)(ember.tensor(x), *args).numpy(),
                                   getattr(torch, name)(torch.tensor(x), *args).numpy(), rtol=1e-12, err_msg=name)
    e, t = ember.adaptive_max_pool1d(ember.tensor(x[0]), 3), torch.adaptive_max_pool1d(torch.tensor(x[0]), 3)
    np.testing.assert_array_equal(e[1].numpy(), t[1].numpy())
    np.testing.assert_allclose(ember.pdist(ember.tensor(x[0, 0])).numpy(), torch.pdist(torch.tensor(x[0, 0])).numpy())
