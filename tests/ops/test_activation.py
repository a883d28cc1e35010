"""Activations beyond the registry: stability for |x| up to 1e4, in-place forms, argument
errors, softmax's dtype and implicit dim, and second derivatives against PyTorch."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

X = np.array([-1e4, -1e3, -88.7, -20.0, -1.0, -0.3, 0.7, 1.0, 20.0, 88.7, 1e3, 1e4], dtype=np.float32)

ELEMENTWISE = {
    "gelu": lambda f, x: f.gelu(x), "gelu-tanh": lambda f, x: f.gelu(x, approximate="tanh"),
    "silu": lambda f, x: f.silu(x), "mish": lambda f, x: f.mish(x), "softplus": lambda f, x: f.softplus(x),
    "softplus-beta": lambda f, x: f.softplus(x, beta=0.5, threshold=1e6), "logsigmoid": lambda f, x: f.logsigmoid(x),
    "elu": lambda f, x: f.elu(x), "selu": lambda f, x: f.selu(x), "celu": lambda f, x: f.celu(x, 0.5),
    "leaky_relu": lambda f, x: f.leaky_relu(x, 0.1), "hardtanh": lambda f, x: f.hardtanh(x),
    "relu6": lambda f, x: f.relu6(x), "hardsigmoid": lambda f, x: f.hardsigmoid(x),
    "hardswish": lambda f, x: f.hardswish(x), "softsign": lambda f, x: f.softsign(x),
    "tanhshrink": lambda f, x: f.tanhshrink(x),
    "softmax": lambda f, x: f.softmax(x.reshape(3, 4), dim=1), "log_softmax": lambda f, x: f.log_softmax(x, dim=0),
    "softmin": lambda f, x: f.softmin(x.reshape(4, 3), dim=0), "glu": lambda f, x: f.glu(x.reshape(3, 4), dim=1),
}


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_finite_for_large_inputs_wherever_torch_is(name):
    fn = ELEMENTWISE[name]
    e, t = ember.tensor(X, requires_grad=True), torch.tensor(X, requires_grad=True)
    ey, ty = fn(F, e), fn(TF, t)
    tv, ev = ty.detach().numpy(), ey.detach().numpy()
    fin = np.isfinite(tv)
    assert np.isfinite(ev[fin]).all(), f"{name}: non-finite values where torch's are finite: {ev}"
    np.testing.assert_allclose(ev[fin], tv[fin], rtol=1e-5, atol=1e-5)
    up = np.linspace(-1, 1, tv.size).astype(np.float32).reshape(tv.shape)
    ey.backward(ember.tensor(up))
    ty.backward(torch.tensor(up))
    tg, eg = t.grad.numpy(), e.grad.numpy()
    gfin = np.isfinite(tg)
    assert np.isfinite(eg[gfin]).all(), f"{name}: non-finite gradients: {eg} vs {tg}"
    np.testing.assert_allclose(eg[gfin], tg[gfin], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name,kwargs", [("silu", {}), ("mish", {}), ("elu", {"alpha": 0.7}), ("selu", {}),
                                         ("celu", {}), ("leaky_relu", {"negative_slope": 0.2}),
                                         ("hardtanh", {"min_val": -0.5}), ("relu6", {}),
                                         ("hardsigmoid", {}), ("hardswish", {})])
def test_inplace_overwrites_input_and_backpropagates_like_torch(name, kwargs):
    a = np.random.default_rng(0).uniform(-4, 7, (3, 5))
    e_leaf, t_leaf = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    e_mid, t_mid = e_leaf * 2, t_leaf * 2
    e_out = getattr(F, name)(e_mid, inplace=True, **kwargs)
    t_out = getattr(TF, name)(t_mid, inplace=True, **kwargs)
    assert e_out is e_mid
    np.testing.assert_allclose(e_mid.detach().numpy(), t_mid.detach().numpy(), rtol=1e-12, atol=1e-12)
    (e_out * e_out).sum().backward()
    (t_out * t_out).sum().backward()
    # PyTorch's hardsigmoid gradient uses a float32 1/6 even in float64: rtol 1e-7, not 1e-10
    np.testing.assert_allclose(e_leaf.grad.numpy(), t_leaf.grad.numpy(), rtol=1e-7, atol=1e-12)


def test_inplace_function_forms():
    x = ember.tensor([-2.0, 3.0])
    assert F.leaky_relu_(x, 0.5) is x and x.tolist() == [-1.0, 3.0]
    assert F.hardtanh_(x).tolist() == [-1.0, 1.0]
    y = ember.tensor([-1.0, 1.0])
    F.elu_(y)
    np.testing.assert_allclose(y.numpy(), [np.expm1(-1.0), 1.0], rtol=1e-6)


def test_inplace_on_leaf_that_requires_grad_is_refused():
    x = ember.randn(3, requires_grad=True)
    with pytest.raises(ember.AutogradError, match="leaf"):
        F.silu(x, inplace=True)


@pytest.mark.parametrize("name", ["gelu", "silu", "mish", "softplus", "elu", "logsigmoid", "hardswish"])
def test_second_derivative_matches_torch(name):
    a = np.linspace(-3.1, 2.9, 13)
    e, t = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    (eg,) = ember.autograd.grad(getattr(F, name)(e).sum(), e, create_graph=True)
    (tg,) = torch.autograd.grad(getattr(TF, name)(t).sum(), t, create_graph=True)
    (egg,) = ember.autograd.grad((eg * eg).sum(), e)
    (tgg,) = torch.autograd.grad((tg * tg).sum(), t)
    np.testing.assert_allclose(egg.numpy(), tgg.numpy(), rtol=1e-9, atol=1e-12)


def test_softmax_rows_sum_to_one_and_dtype_argument():
    x = ember.randn(4, 7) * 50
    np.testing.assert_allclose(ember.softmax(x, 1).sum(1).numpy(), np.ones(4), rtol=1e-6)
    y = ember.softmax(x, -1, dtype=ember.float64)
    assert y.dtype == ember.float64
    assert x.softmax(0).shape == x.shape and x.log_softmax(dim=1).dtype == ember.float32
    assert ember.softmax(x, 1, ember.float64).dtype == ember.float64  # torch.softmax's positional dtype


def test_softmax_implicit_dim_warns_like_torch():
    x = ember.randn(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        y = F.softmax(x)
    np.testing.assert_allclose(y.sum(1).numpy(), np.ones(2), rtol=1e-6)


def test_argument_errors_name_the_op():
    x = ember.randn(3, 5)
    with pytest.raises(ember.ShapeError, match=r"glu: .*dim 1 .*shape \(3, 5\) has size 5"):
        F.glu(x)
    with pytest.raises(ember.ShapeError, match=r"prelu: weight of shape \(2,\)"):
        F.prelu(x, ember.ones(2))
    with pytest.raises(ember.ArgumentError, match="approximate"):
        F.gelu(x, approximate="fast")
    with pytest.raises(ember.ArgumentError, match="max_val"):
        F.hardtanh(x, 1.0, -1.0)
    with pytest.raises(ember.ArgumentError, match="alpha"):
        F.celu(x, alpha=0.0)
    with pytest.raises(ember.DTypeError, match="negative_slope"):  # a TypeError, as PyTorch's
        F.leaky_relu(x, "steep")
    with pytest.raises(ember.DTypeError, match="softmax"):
        ember.softmax(ember.tensor([1, 2, 3]), 0)
    with pytest.raises(ember.DimError, match="log_softmax"):
        ember.log_softmax(x, 2)
    with pytest.raises(ember.DTypeError, match="silu"):
        F.silu(ember.tensor([1, 2]))


def test_prelu_per_channel_weight_gradient_matches_torch():
    a = np.random.default_rng(1).standard_normal((4, 3, 5))
    w = np.array([0.1, 0.2, 0.3])
    ex, ew = ember.tensor(a, requires_grad=True), ember.tensor(w, requires_grad=True)
    tx, tw = torch.tensor(a, requires_grad=True), torch.tensor(w, requires_grad=True)
    ember.prelu(ex, ew).pow(2).sum().backward()
    torch.prelu(tx, tw).pow(2).sum().backward()
    np.testing.assert_allclose(ew.grad.numpy(), tw.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-10)
