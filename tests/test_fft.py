"""ember.fft against torch.fft: the real-valued helpers (values, dtypes, gradients of the shifts) and a
clear error for the transforms, which need complex tensors ember does not have."""
import numpy as np
import pytest
import torch

import ember
from ember.errors import ArgumentError, DTypeError


@pytest.mark.parametrize("n", [0, 1, 4, 5, 8])
@pytest.mark.parametrize("d", [1.0, 0.5, 3])
@pytest.mark.parametrize("name", ["fftfreq", "rfftfreq"])
def test_frequencies_as_torch(name, n, d):
    t, e = getattr(torch.fft, name)(n, d), getattr(ember.fft, name)(n, d)
    assert tuple(e.shape) == tuple(t.shape) and str(e.dtype) == str(t.dtype).replace("torch", "ember")
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-7, equal_nan=True)


def test_frequency_dtype_and_requires_grad_as_torch():
    t = torch.fft.fftfreq(6, dtype=torch.float64, requires_grad=True)
    e = ember.fft.fftfreq(6, dtype=ember.float64, requires_grad=True)
    assert e.dtype == ember.float64 and e.requires_grad == t.requires_grad
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy())
    with pytest.raises(DTypeError, match="floating point"):
        ember.fft.rfftfreq(4, dtype=ember.int64)
    with pytest.raises(ArgumentError, match="non-negative int"):
        ember.fft.fftfreq(-1)


@pytest.mark.parametrize("dim", [None, 0, 1, (0, 2), -1])
@pytest.mark.parametrize("name", ["fftshift", "ifftshift"])
def test_shifts_and_their_gradients_as_torch(name, dim):
    x = np.random.default_rng(0).standard_normal((3, 4, 5))
    t, e = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    yt, ye = getattr(torch.fft, name)(t, dim=dim), getattr(ember.fft, name)(e, dim=dim)
    np.testing.assert_array_equal(ye.detach().numpy(), yt.detach().numpy())
    w = np.arange(x.size, dtype=float).reshape(x.shape)
    (yt * torch.tensor(w)).sum().backward()
    (ye * ember.tensor(w)).sum().backward()
    np.testing.assert_array_equal(e.grad.numpy(), t.grad.numpy())


def test_shift_round_trip_on_frequencies_as_torch():
    t = torch.fft.ifftshift(torch.fft.fftshift(torch.fft.fftfreq(7)))
    e = ember.fft.ifftshift(ember.fft.fftshift(ember.fft.fftfreq(7)))
    np.testing.assert_allclose(e.numpy(), t.numpy())


@pytest.mark.parametrize("name", ember.fft.COMPLEX_TRANSFORMS)
def test_transforms_say_ember_has_no_complex_dtype(name):
    assert callable(getattr(torch.fft, name))  # a real torch.fft name
    with pytest.raises(DTypeError, match=f"fft.{name}: ember has no complex dtype"):
        getattr(ember.fft, name)(ember.ones(8))
