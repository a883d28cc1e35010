"""Activation layers against torch.nn: outputs, input gradients and PReLU's weight gradient
(train and eval mode, float32 and float64), `repr`, and shape errors."""
import numpy as np
import pytest

import ember
import ember.nn
from conformance import check_module

torch = pytest.importorskip("torch")

LAYERS = {
    "ReLU": ((), {}), "ReLU6": ((), {}), "GELU": ((), {}), "GELU-tanh": ((), {"approximate": "tanh"}),
    "SiLU": ((), {}), "Mish": ((), {}), "Softplus": ((), {"beta": 2.0, "threshold": 5.0}),
    "LeakyReLU": ((0.2,), {}), "ELU": ((), {"alpha": 0.5}), "SELU": ((), {}), "CELU": ((1.5,), {}),
    "Hardtanh": ((-0.5, 2.0), {}), "Hardsigmoid": ((), {}), "Hardswish": ((), {}), "LogSigmoid": ((), {}),
    "Softsign": ((), {}), "Tanhshrink": ((), {}), "Tanh": ((), {}), "Sigmoid": ((), {}),
    "Softmax": ((), {"dim": 1}), "LogSoftmax": ((), {"dim": -1}), "Softmin": ((), {"dim": 0}),
    "GLU": ((), {"dim": 1}), "PReLU": ((), {}), "PReLU-channels": ((4,), {"init": 0.1}),
}


def _input(seed=0):
    x = np.random.default_rng(seed).uniform(-4, 4, (3, 4, 6))
    x[np.abs(x) < 1e-2] += 0.05  # keep away from the kinks
    return x


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("name", LAYERS)
def test_conforms_to_torch(name, train, dtype):
    args, kwargs = LAYERS[name]
    cls = name.split("-")[0]
    # PyTorch's hardsigmoid gradient uses a float32 1/6 even in float64
    rtol = 1e-7 if cls == "Hardsigmoid" and dtype == "float64" else None
    check_module(getattr(ember.nn, cls)(*args, **kwargs), getattr(torch.nn, cls)(*args, **kwargs), _input(),
                 dtype=dtype, train=train, rtol=rtol)


@pytest.mark.parametrize("name", LAYERS)
def test_repr_matches_torch(name):
    args, kwargs = LAYERS[name]
    cls = name.split("-")[0]
    assert repr(getattr(ember.nn, cls)(*args, **kwargs)) == repr(getattr(torch.nn, cls)(*args, **kwargs))


@pytest.mark.parametrize("cls", ["ReLU", "SiLU", "LeakyReLU", "ELU", "Hardtanh", "ReLU6", "Hardswish", "SELU"])
def test_inplace_layers_overwrite_their_input(cls):
    layer = getattr(ember.nn, cls)(inplace=True)
    assert repr(layer) == repr(getattr(torch.nn, cls)(inplace=True))
    assert layer.inplace
    x = ember.tensor(_input()[0])
    expected = getattr(torch.nn, cls)()(torch.tensor(_input()[0])).numpy()
    assert layer(x) is x
    np.testing.assert_allclose(x.numpy(), expected, rtol=1e-12)


def test_prelu_parameters_and_state_dict_match_torch():
    e, t = ember.nn.PReLU(3, init=0.3), torch.nn.PReLU(3, init=0.3)
    assert list(e.state_dict()) == list(t.state_dict()) == ["weight"]
    np.testing.assert_array_equal(e.weight.detach().numpy(), t.weight.detach().numpy())


def test_shape_errors_name_the_layer():
    with pytest.raises(ember.ShapeError, match=r"PReLU\(num_parameters=4\): input of shape \(2, 3\)"):
        ember.nn.PReLU(4)(ember.randn(2, 3))
    with pytest.raises(ember.ShapeError, match="glu"):
        ember.nn.GLU()(ember.randn(2, 3))
    with pytest.raises(ember.DTypeError, match=r"GELU\(approximate='none'\): expected a Tensor"):
        ember.nn.GELU()([1.0, 2.0])
    with pytest.raises(ember.ArgumentError, match="approximate"):
        ember.nn.GELU("cubic")


def test_modules_in_a_sequential_train_end_to_end():
    net = ember.nn.Sequential(ember.nn.Linear(6, 8), ember.nn.Mish(), ember.nn.PReLU(), ember.nn.Linear(8, 3),
                              ember.nn.LogSoftmax(dim=1))
    out = net(ember.randn(5, 6))
    out.sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    np.testing.assert_allclose(out.exp().sum(1).detach().numpy(), np.ones(5), rtol=1e-5)


MORE = {"Hardshrink": ((), {}), "Hardshrink-lambd": ((1.5,), {}), "Softshrink": ((), {}),
        "Softshrink-lambd": ((2.0,), {}), "Threshold": ((0.5, -3.0), {}), "RReLU": ((), {}),
        "RReLU-range": ((0.1, 0.6), {})}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", MORE)
def test_more_activations_conform_to_torch(name, dtype):
    args, kwargs = MORE[name]
    cls = name.split("-")[0]
    check_module(getattr(ember.nn, cls)(*args, **kwargs), getattr(torch.nn, cls)(*args, **kwargs), _input(),
                 dtype=dtype, train=False)
    assert repr(getattr(ember.nn, cls)(*args, **kwargs)) == repr(getattr(torch.nn, cls)(*args, **kwargs))


def test_rrelu_in_training_draws_slopes_in_range_and_softmax2d():
    x = ember.tensor(-np.ones((2000,)), dtype=ember.float64)
    y = ember.nn.RReLU(0.1, 0.3).train()(x).numpy()
    assert -0.3 <= y.min() and y.max() <= -0.1 and y.std() > 0.03
    check_module(ember.nn.Softmax2d(), torch.nn.Softmax2d(), _input().reshape(1, 3, 4, 6), dtype="float64")
    with pytest.raises(ember.ShapeError, match="Softmax2d"):
        ember.nn.Softmax2d()(ember.ones(3, 4))
    inplace = ember.tensor([-1.0, 2.0])
    ember.nn.functional.threshold_(inplace, 0.0, 5.0)
    assert inplace.tolist() == [5.0, 2.0]
