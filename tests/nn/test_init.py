"""ember.nn.init: the distributions PyTorch's initialisers draw from, checked statistically
(bounds, mean and standard deviation against the formula PyTorch uses), and reproducibility."""
import math

import numpy as np
import pytest
import torch

import ember
from ember.nn import init

SHAPE = (256, 128, 3, 3)  # fan_in 1152, fan_out 2304: enough draws for tight statistics


def draw(fn, *args, shape=SHAPE, **kwargs):
    w = ember.empty(*shape)
    out = fn(w, *args, **kwargs)
    assert out is w
    return w.numpy().astype(np.float64)


@pytest.mark.parametrize("nonlinearity,param", [("linear", None), ("conv2d", None), ("sigmoid", None),
                                                ("tanh", None), ("relu", None), ("leaky_relu", None),
                                                ("leaky_relu", 0.2), ("selu", None)])
def test_calculate_gain_matches_pytorch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(torch.nn.init.calculate_gain(nonlinearity, param))


def test_fans_match_pytorch():
    for shape in [(5, 3), (8, 4, 3, 3), (6, 2, 5)]:
        t = torch.empty(shape)
        assert init._calculate_fan_in_and_fan_out(ember.empty(*shape)) == \
            torch.nn.init._calculate_fan_in_and_fan_out(t)
    with pytest.raises(ember.errors.ShapeError, match="fewer than 2"):
        init.xavier_uniform_(ember.empty(3))


def _uniform_ok(w, bound):
    assert w.min() >= -bound and w.max() <= bound
    assert abs(w.mean()) < 0.01 * bound
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.01)


def _normal_ok(w, std):
    assert abs(w.mean()) < 0.01 * std
    assert w.std() == pytest.approx(std, rel=0.01)


def test_uniform_family():
    fan_in, fan_out = 128 * 9, 256 * 9
    _uniform_ok(draw(init.uniform_, -0.3, 0.3), 0.3)
    _uniform_ok(draw(init.xavier_uniform_, gain=2.0), 2.0 * math.sqrt(6 / (fan_in + fan_out)))
    # PyTorch's default for Linear/Conv weights: kaiming_uniform_(a=sqrt(5)) -> bound 1/sqrt(fan_in)
    _uniform_ok(draw(init.kaiming_uniform_, a=math.sqrt(5)), 1 / math.sqrt(fan_in))
    _uniform_ok(draw(init.kaiming_uniform_, mode="fan_out", nonlinearity="relu"), math.sqrt(6 / fan_out))


def test_normal_family():
    fan_in, fan_out = 128 * 9, 256 * 9
    w = draw(init.normal_, 0.0, 0.02)
    _normal_ok(w, 0.02)
    _normal_ok(draw(init.xavier_normal_), math.sqrt(2 / (fan_in + fan_out)))
    _normal_ok(draw(init.kaiming_normal_, nonlinearity="relu"), math.sqrt(2 / fan_in))
    # about 4.6% of N(0, 1) draws exceed 2 sigma: they must be present for a plain normal
    assert (np.abs(w) > 0.04).mean() == pytest.approx(0.0455, abs=0.005)


def test_trunc_normal_is_truncated_not_clipped():
    w = draw(init.trunc_normal_, mean=0.0, std=1.0, a=-1.0, b=1.0)
    assert w.min() >= -1 and w.max() <= 1
    # the variance of N(0, 1) truncated to [-1, 1]: 1 - 2 phi(1) / (2 Phi(1) - 1)
    phi = math.exp(-0.5) / math.sqrt(2 * math.pi)
    var = 1 - 2 * phi / math.erf(1 / math.sqrt(2))
    assert w.std() == pytest.approx(math.sqrt(var), rel=0.01)
    assert (np.abs(w) > 0.999).mean() < 0.002  # no pile-up at the bounds


@pytest.mark.parametrize("shape", [(64, 32), (32, 64), (16, 4, 3, 3)])
def test_orthogonal(shape):
    w = draw(init.orthogonal_, gain=1.5, shape=shape).reshape(shape[0], -1)
    if w.shape[0] <= w.shape[1]:
        np.testing.assert_allclose(w @ w.T, 2.25 * np.eye(w.shape[0]), atol=1e-4)
    else:
        np.testing.assert_allclose(w.T @ w, 2.25 * np.eye(w.shape[1]), atol=1e-4)


def test_constant_eye_dirac():
    assert (draw(init.constant_, 0.5, shape=(3, 4)) == 0.5).all()
    assert (draw(init.zeros_, shape=(2,)) == 0).all() and (draw(init.ones_, shape=(2,)) == 1).all()
    np.testing.assert_array_equal(draw(init.eye_, shape=(3, 4)), np.eye(3, 4))
    t = torch.empty(4, 2, 3, 3)
    torch.nn.init.dirac_(t, groups=2)
    np.testing.assert_array_equal(draw(init.dirac_, 2, shape=(4, 2, 3, 3)), t.numpy())


def test_seeded_and_no_grad():
    w = ember.nn.Parameter(ember.empty(10, 10))
    ember.manual_seed(3)
    a = init.kaiming_uniform_(w, a=math.sqrt(5)).detach().clone()
    ember.manual_seed(3)
    b = init.kaiming_uniform_(w, a=math.sqrt(5))
    assert (a == b).all() and b.is_leaf and b.requires_grad
    g = ember.Generator().manual_seed(7)
    c = init.normal_(ember.empty(5), generator=g).clone()
    g.manual_seed(7)
    assert (init.normal_(ember.empty(5), generator=g) == c).all()


def test_bad_arguments():
    with pytest.raises(ember.errors.ArgumentError, match="nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ember.errors.ArgumentError, match="mode"):
        init.kaiming_uniform_(ember.empty(3, 3), mode="fan_avg")
    with pytest.raises(ember.errors.ArgumentError, match="a < b"):
        init.trunc_normal_(ember.empty(3), a=1.0, b=-1.0)
