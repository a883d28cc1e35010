"""Linear and Bilinear against torch.nn (train/eval, float32/float64), PyTorch's default
initialization (statistically), state_dict names, repr and shape errors."""
import math

import numpy as np
import pytest

import ember
import ember.nn
from conformance import check_module

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("shape,bias", [((5, 7), True), ((2, 3, 7), True), ((7,), False), ((0, 7), True)])
def test_linear_conforms_to_torch(shape, bias, train, dtype):
    x = np.random.default_rng(0).standard_normal(shape)
    check_module(ember.nn.Linear(7, 4, bias=bias), torch.nn.Linear(7, 4, bias=bias), x, dtype=dtype, train=train)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_conforms_to_torch(bias, train, dtype):
    rng = np.random.default_rng(1)
    check_module(ember.nn.Bilinear(3, 5, 4, bias=bias), torch.nn.Bilinear(3, 5, 4, bias=bias),
                 rng.standard_normal((2, 6, 3)), rng.standard_normal((2, 6, 5)), dtype=dtype, train=train)


def test_linear_default_init_has_torchs_distribution():
    ember.manual_seed(0)
    torch.manual_seed(0)
    e = ember.nn.Linear(400, 300)
    t = torch.nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)  # kaiming_uniform_(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    for name in ("weight", "bias"):
        ew, tw = getattr(e, name).detach().numpy(), getattr(t, name).detach().numpy()
        assert np.abs(ew).max() <= bound and np.abs(ew).max() > 0.95 * bound
        # both standard deviations near U(-b, b)'s, b / sqrt(3), within 5 standard errors of the estimate
        # (about 1/sqrt(2.5 n) relative for a uniform sample of n)
        for w in (ew, tw):
            assert abs(w.std() - bound / math.sqrt(3)) < 5 / math.sqrt(2.5 * w.size) * bound / math.sqrt(3)
    w = e.weight.detach().numpy()
    assert abs(w.std() - bound / math.sqrt(3)) < 0.01 * bound and abs(w.mean()) < 0.01 * bound


def test_bilinear_default_init_bound():
    e = ember.nn.Bilinear(16, 5, 30)
    bound = 1 / math.sqrt(16)
    w = e.weight.detach().numpy()
    assert np.abs(w).max() <= bound and abs(w.std() - bound / math.sqrt(3)) < 0.1 * bound
    assert np.abs(e.bias.detach().numpy()).max() <= bound


def test_state_dict_and_repr_match_torch():
    for e, t in ((ember.nn.Linear(3, 2), torch.nn.Linear(3, 2)),
                 (ember.nn.Linear(3, 2, bias=False), torch.nn.Linear(3, 2, bias=False)),
                 (ember.nn.Bilinear(3, 4, 2), torch.nn.Bilinear(3, 4, 2))):
        assert repr(e) == repr(t)
        assert {k: tuple(v.shape) for k, v in e.state_dict().items()} == \
               {k: tuple(v.shape) for k, v in t.state_dict().items()}
    assert ember.nn.Linear(3, 2, bias=False).bias is None


def test_shape_errors_name_the_layer_and_the_expected_shape():
    with pytest.raises(ember.ShapeError, match=r"^Linear\(in_features=784, out_features=10, bias=True\): input of "
                                                r"shape \(32, 785\): the last dimension must be 784$"):
        ember.nn.Linear(784, 10)(ember.randn(32, 785))
    with pytest.raises(ember.ShapeError, match=r"Bilinear\(in1_features=3.*shapes \(2, 3\) and \(4, 5\)"):
        ember.nn.Bilinear(3, 5, 2)(ember.randn(2, 3), ember.randn(4, 5))
    with pytest.raises(ember.DTypeError, match="expected a Tensor input"):
        ember.nn.Linear(3, 2)(np.zeros((2, 3)))
    with pytest.raises(ember.ArgumentError, match="in_features"):
        ember.nn.Linear(-1, 2)


def test_linear_dtype_and_trains():
    fc = ember.nn.Linear(4, 2, dtype=ember.float64)
    assert fc.weight.dtype == ember.float64 and fc.bias.dtype == ember.float64
    y = fc(ember.randn(3, 4, dtype=ember.float64))
    y.sum().backward()
    np.testing.assert_allclose(fc.bias.grad.numpy(), [3.0, 3.0])
