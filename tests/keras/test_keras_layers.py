"""ember.keras layers against hand-computed NumPy with the same weights (Keras's layouts)."""
import numpy as np
import pytest

import ember
from ember import keras
from ember.errors import ArgumentError, ShapeError

L = keras.layers


def test_dense_matches_numpy_and_keras_layout():
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    layer = L.Dense(3, activation="relu")
    out = layer(ember.tensor(x)).detach().numpy()
    kernel, bias = layer.kernel.detach().numpy(), layer.bias.detach().numpy()
    assert kernel.shape == (5, 3) and bias.shape == (3,)
    assert np.all(bias == 0)
    limit = np.sqrt(6 / (5 + 3))
    assert np.all(np.abs(kernel) <= limit)
    np.testing.assert_allclose(out, np.maximum(x @ kernel + bias, 0), rtol=1e-5, atol=1e-6)
    assert list(layer.state_dict()) == ["kernel", "bias"]


def test_dense_softmax_and_shape_error():
    layer = L.Dense(4, activation="softmax")
    out = layer(ember.randn(2, 3)).detach().numpy()
    np.testing.assert_allclose(out.sum(-1), 1, rtol=1e-5)
    with pytest.raises(ShapeError, match="last dimension 3"):
        layer(ember.randn(2, 5))


def _conv_nhwc(x, k, b, stride, pad):
    (top, bottom), (left, right) = pad
    x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    kh, kw, _, out_c = k.shape
    oh, ow = (x.shape[1] - kh) // stride + 1, (x.shape[2] - kw) // stride + 1
    out = np.zeros((x.shape[0], oh, ow, out_c))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * stride:i * stride + kh, j * stride:j * stride + kw, :]
            out[:, i, j] = np.einsum("nhwc,hwco->no", patch, k)
    return out + b


@pytest.mark.parametrize("padding,stride,size,pad", [("valid", 1, 6, ((0, 0), (0, 0))),
                                                      ("same", 1, 6, ((1, 1), (1, 1))),
                                                      ("same", 2, 6, ((0, 1), (0, 1))),
                                                      ("same", 2, 5, ((1, 1), (1, 1)))])
def test_conv2d_matches_numpy(padding, stride, size, pad):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, size, size, 3)).astype(np.float32)
    layer = L.Conv2D(4, 3, strides=stride, padding=padding)
    out = layer(ember.tensor(x)).detach().numpy()
    k, b = layer.kernel.detach().numpy(), layer.bias.detach().numpy()
    assert k.shape == (3, 3, 3, 4)
    np.testing.assert_allclose(out, _conv_nhwc(x, k, b, stride, pad), rtol=1e-4, atol=1e-5)


def test_pooling_flatten_dropout_activation():
    x = np.arange(2 * 4 * 4 * 3, dtype=np.float32).reshape(2, 4, 4, 3)
    pooled = L.MaxPooling2D()(ember.tensor(x)).detach().numpy()
    np.testing.assert_array_equal(pooled, x.reshape(2, 2, 2, 2, 2, 3).max(axis=(2, 4)))
    np.testing.assert_array_equal(L.Flatten()(ember.tensor(x)).detach().numpy(), x.reshape(2, -1))
    drop = L.Dropout(0.5)
    drop.eval()
    np.testing.assert_array_equal(drop(ember.tensor(x)).detach().numpy(), x)
    np.testing.assert_allclose(L.Activation("tanh")(ember.tensor(x[:1, :1])).numpy(), np.tanh(x[:1, :1]))


def test_layer_names_and_bad_arguments():
    assert L.Dense(2).name.startswith("dense") and L.MaxPooling2D().name.startswith("max_pooling2d")
    with pytest.raises(ArgumentError, match="known names"):
        L.Dense(2, activation="nope")
    with pytest.raises(ArgumentError, match="padding"):
        L.Conv2D(2, 3, padding="full")


def test_conv2d_config_keeps_initializers_and_regularizers():
    import json
    layer = L.Conv2D(2, 3, kernel_initializer="he_uniform", bias_initializer=keras.initializers.Constant(0.5),
                     kernel_regularizer=keras.regularizers.L2(0.1))
    layer(ember.randn(1, 5, 5, 2))
    config = json.loads(json.dumps(layer.get_config()))
    assert config["kernel_initializer"] == "he_uniform"
    assert config["bias_initializer"] == {"class_name": "Constant", "config": {"value": 0.5}}
    assert config["kernel_regularizer"] == {"class_name": "L2", "config": {"l2": 0.1}}
    clone = L.Conv2D.from_config(config)
    clone(ember.randn(1, 5, 5, 2))
    np.testing.assert_array_equal(clone.bias.detach().numpy(), [0.5, 0.5])
    assert len(clone.losses) == 1
    np.testing.assert_allclose(clone.losses[0].item(), 0.1 * (clone.kernel.detach().numpy() ** 2).sum(), rtol=1e-5)
