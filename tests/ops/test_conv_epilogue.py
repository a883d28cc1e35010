"""The fused epilogue of convolution and linear (ember/ops/_epilogue.py): bias and ReLU in one numba pass equal
NumPy's `y += bias` then `maximum(y, 0)` bit for bit (NaN kept, -0.0 made 0.0, infinities, no bias,
float32 and float64, an empty batch); and a fused Conv(relu=True) equals conv then ReLU (eager and
channels-last results, and the channels-first kernels) and PyTorch."""
import numpy as np
import pytest
import torch

import ember
from ember.backend import jit
from ember.ops import _epilogue as E, _im2col as K, _im2col_cl as CL, _layout


def _numpy_epilogue(y, bias, relu):
    y = y.copy()
    if bias is not None:
        y += bias
    return np.maximum(y, 0, out=y) if relu else y


def _special(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    y = rng.standard_normal(shape).astype(dtype)
    flat = y.reshape(-1)
    specials = np.array([np.nan, -0.0, 0.0, np.inf, -np.inf, -1e-30], dtype)
    flat[:min(flat.size, 6)] = specials[:min(flat.size, 6)]
    return y


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(37, 5), (1, 64), (0, 3)])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("relu", [True, False])
def test_numba_epilogue_equals_numpy_bit_for_bit(dtype, shape, bias, relu):
    pytest.importorskip("numba")
    assert E._BIAS_RELU.get() is not None
    y = _special(shape, dtype, 1)
    b = _special((shape[1],), dtype, 2) if bias else None
    if b is not None:
        b[:2] = (-0.0, np.inf)   # -0.0 + -0.0 stays -0.0 until the ReLU; inf + -inf is NaN
    want = _numpy_epilogue(y, b, relu)
    got = E.bias_relu(np, y.copy(), b, relu)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got.view(np.uint8), want.view(np.uint8))   # the same bits, -0.0 and NaN too
    before = jit.set_enabled(False)
    try:
        np.testing.assert_array_equal(E.bias_relu(np, y.copy(), b, relu).view(np.uint8), want.view(np.uint8))
    finally:
        jit.set_enabled(before)


@pytest.mark.parametrize("layout", ["eager", "channels-last"])
@pytest.mark.parametrize("stride,padding,dilation", [(1, 1, 1), (2, (0, 1), 2)])
def test_conv_with_relu_equals_conv_then_relu_and_torch(layout, stride, padding, dilation):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 4, 9, 8)).astype(np.float32)
    x[0, 0, 2, 3] = np.nan   # read by some window in both geometries
    w = rng.standard_normal((5, 4, 3, 3)).astype(np.float32)
    b = rng.standard_normal(5).astype(np.float32)
    want = torch.relu(torch.nn.functional.conv2d(torch.tensor(x), torch.tensor(w), torch.tensor(b), stride,
                                                 padding, dilation)).numpy()
    pads = tuple((p, p) for p in ((padding,) * 2 if isinstance(padding, int) else padding))
    geo = K.geometry("conv2d", x.shape, w.shape, (stride,) * 2, pads, (dilation,) * 2, 1, 2)
    with _layout.channels_last(layout == "channels-last"):
        fused = K.forward(np, x, w, b, geo, relu=True)
        plain = np.maximum(K.forward(np, x, w, b, geo), 0)
        cf = K.forward_cf(np, x, w, b, geo, relu=True)
        assert CL.applies(geo, x, w)
    np.testing.assert_array_equal(fused, plain)
    np.testing.assert_allclose(cf, plain, rtol=1e-5, atol=1e-5)
    assert np.array_equal(np.isnan(cf), np.isnan(plain))
    np.testing.assert_allclose(fused, want, rtol=1e-5, atol=1e-5)
    assert np.isnan(fused).any() and np.isnan(want).any()


def test_compiled_inference_with_fused_conv_relu_equals_eager():
    torch.manual_seed(0)
    ref = torch.nn.Sequential(torch.nn.Conv2d(3, 6, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Conv2d(6, 4, 3, stride=2), torch.nn.ReLU())
    model = ember.nn.Sequential(ember.nn.Conv2d(3, 6, 3, padding=1), ember.nn.ReLU(), ember.nn.MaxPool2d(2),
                                ember.nn.Conv2d(6, 4, 3, stride=2), ember.nn.ReLU())
    model.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
    model.eval()
    x = np.random.default_rng(4).standard_normal((1, 3, 13, 11)).astype(np.float32)
    compiled = ember.compile(model)
    with ember.no_grad():
        got = compiled(ember.tensor(x)).numpy()
        eager = model(ember.tensor(x)).numpy()
    assert "relu=True" in compiled.source()
    np.testing.assert_array_equal(got, eager)
    np.testing.assert_allclose(got, ref(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(37, 5), (3, 1, 64), (0, 3)])
def test_relu_and_its_gradient_kernels_equal_numpy_bit_for_bit(dtype, shape):
    """ReLU's forward and its gradient from the output (the ReluGrad primitive): numba against
    NumPy's maximum(x, 0) and where(y <= 0, 0, g), NaN, -0.0 and infinities included, and on a
    non-contiguous input (NumPy's path)."""
    pytest.importorskip("numba")
    assert E._RELU.get() is not None and E._RELU_GRAD.get() is not None
    x, g = _special(shape, dtype, 3), _special(shape, dtype, 4)
    y = np.maximum(x, 0)
    for got, want in ((E.relu(np, x), y), (E.relu_grad(np, g, y), np.where(y <= 0, dtype(0), g)),
                      (E.relu(np, x.T), np.maximum(x.T, 0)), (E.relu_grad(np, g.T, y.T), np.where(y.T <= 0, dtype(0), g.T))):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(np.ascontiguousarray(got).view(np.uint8), np.ascontiguousarray(want).view(np.uint8))


def test_relu_gradients_once_and_twice_match_torch():
    """relu's gradient (ReluGrad) and the gradient of that gradient, NaN passing its gradient on, and
    an infinite or NaN gradient where the ReLU is off giving 0 (PyTorch's threshold_backward)."""
    x = np.array([[-1.5, 0.0, 2.0, -2.0, -0.0], [np.nan, 3.0, -0.0, 1.0, -3.0]])
    up = np.array([[1.0, 2.0, 3.0, np.inf, np.nan], [4.0, -5.0, 6.0, -np.inf, -np.inf]])
    got, want = [], []
    for lib, out in ((ember, got), (torch, want)):
        t = lib.tensor(x, requires_grad=True)
        u = lib.tensor(up, requires_grad=True)
        (gx,) = lib.autograd.grad(t.relu(), [t], u, create_graph=True)
        (gx * gx).sum().backward()
        out += [t.relu().detach().numpy(), gx.detach().numpy(), u.grad.numpy()]
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
