"""More of keras.layers against Keras 3 (torch backend): 3-d and transposed convolutions, depthwise and
separable convolutions, 3-d and adaptive pooling, 3-d reshaping, group normalization, additive attention,
EinsumDense, AlphaDropout — the same layer built on the same input, Keras's weights copied in, the same
outputs in inference and (where deterministic) training mode, and the config read back by the other library."""
import numpy as np
import pytest

from ember import keras as ek

# name -> (function of the keras module making the layer, input shape without the batch)
LAYERS = {
    "Conv3D": (lambda k: k.layers.Conv3D(3, (2, 3, 2), strides=(1, 2, 1), padding="same", activation="relu"),
               (4, 5, 4, 2)),
    "Convolution3D": (lambda k: k.layers.Convolution3D(2, 2, dilation_rate=(1, 1, 2)), (3, 4, 5, 1)),
    "Conv1DTranspose": (lambda k: k.layers.Conv1DTranspose(3, 3, strides=2, padding="same"), (5, 2)),
    "Convolution1DTranspose": (lambda k: k.layers.Convolution1DTranspose(2, 4, strides=3), (4, 3)),
    "Conv3DTranspose": (lambda k: k.layers.Conv3DTranspose(2, 3, strides=(2, 1, 2), padding="same"), (2, 3, 3, 2)),
    "Convolution3DTranspose": (lambda k: k.layers.Convolution3DTranspose(2, 2), (2, 2, 3, 1)),
    "DepthwiseConv1D": (lambda k: k.layers.DepthwiseConv1D(3, depth_multiplier=2, padding="same"), (6, 3)),
    "DepthwiseConv2D": (lambda k: k.layers.DepthwiseConv2D((3, 2), strides=2, activation="tanh"), (7, 6, 3)),
    "SeparableConv1D": (lambda k: k.layers.SeparableConv1D(4, 3, depth_multiplier=2, padding="same"), (7, 3)),
    "SeparableConv2D": (lambda k: k.layers.SeparableConv2D(5, 3, strides=2, padding="same"), (6, 6, 2)),
    "SeparableConvolution1D": (lambda k: k.layers.SeparableConvolution1D(2, 2), (5, 2)),
    "SeparableConvolution2D": (lambda k: k.layers.SeparableConvolution2D(2, 2, use_bias=False), (4, 4, 2)),
    "MaxPooling3D": (lambda k: k.layers.MaxPooling3D((2, 2, 1), padding="same"), (5, 4, 3, 2)),
    "MaxPool3D": (lambda k: k.layers.MaxPool3D(), (4, 4, 4, 1)),
    "AveragePooling3D": (lambda k: k.layers.AveragePooling3D(2, strides=1), (3, 4, 3, 2)),
    "AvgPool3D": (lambda k: k.layers.AvgPool3D(2), (4, 4, 2, 1)),
    "GlobalAveragePooling3D": (lambda k: k.layers.GlobalAveragePooling3D(), (2, 3, 4, 2)),
    "GlobalAvgPool3D": (lambda k: k.layers.GlobalAvgPool3D(keepdims=True), (2, 3, 4, 2)),
    "GlobalMaxPooling3D": (lambda k: k.layers.GlobalMaxPooling3D(), (2, 3, 4, 2)),
    "GlobalMaxPool3D": (lambda k: k.layers.GlobalMaxPool3D(), (2, 3, 4, 2)),
    "AdaptiveAveragePooling1D": (lambda k: k.layers.AdaptiveAveragePooling1D(3), (7, 2)),
    "AdaptiveAveragePooling2D": (lambda k: k.layers.AdaptiveAveragePooling2D((2, 3)), (5, 7, 2)),
    "AdaptiveAveragePooling3D": (lambda k: k.layers.AdaptiveAveragePooling3D(2), (4, 5, 3, 1)),
    "AdaptiveMaxPooling1D": (lambda k: k.layers.AdaptiveMaxPooling1D(4), (9, 2)),
    "AdaptiveMaxPooling2D": (lambda k: k.layers.AdaptiveMaxPooling2D(2), (5, 6, 3)),
    "AdaptiveMaxPooling3D": (lambda k: k.layers.AdaptiveMaxPooling3D((1, 2, 2)), (3, 4, 5, 1)),
    "ZeroPadding3D": (lambda k: k.layers.ZeroPadding3D(((1, 0), (0, 2), (1, 1))), (2, 3, 2, 2)),
    "Cropping3D": (lambda k: k.layers.Cropping3D(((1, 0), (0, 1), (1, 1))), (3, 4, 4, 2)),
    "UpSampling3D": (lambda k: k.layers.UpSampling3D((1, 2, 3)), (2, 2, 2, 2)),
    "SpatialDropout3D": (lambda k: k.layers.SpatialDropout3D(0.5), (2, 2, 2, 3)),
    "GroupNormalization": (lambda k: k.layers.GroupNormalization(groups=2, epsilon=1e-3), (3, 4)),
    "AlphaDropout": (lambda k: k.layers.AlphaDropout(0.3), (6,)),
    "EinsumDense": (lambda k: k.layers.EinsumDense("abc,cde->abde", output_shape=(None, 2, 3), bias_axes="de"),
                    (4, 5)),
    "AdditiveAttention": (None, (5, 4)),
}
COVERS = {"keras.layers": sorted(LAYERS) + ["Wrapper", "serialize", "deserialize"]}
RANDOM_IN_TRAINING = ("SpatialDropout3D", "AlphaDropout")


def model_for(k, name):
    make, shape = LAYERS[name]
    if name == "AdditiveAttention":
        q, v = k.Input(shape=shape), k.Input(shape=(6, 4))
        return k.Model([q, v], k.layers.AdditiveAttention()([q, v]))
    return k.Sequential([k.Input(shape=shape), make(k)])


def data(name, n=2):
    rng = np.random.default_rng(abs(hash(name)) % 1000)
    x = rng.standard_normal((n,) + LAYERS[name][1]).astype("float32")
    if name == "AdditiveAttention":
        return [x, rng.standard_normal((n, 6, 4)).astype("float32")]
    return x


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_outputs_match_keras(real_keras, name):
    import torch
    real, ours = model_for(real_keras, name), model_for(ek, name)
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in real.get_weights()]
    ours.set_weights(real.get_weights())
    x = data(name)
    np.testing.assert_allclose(ours.predict(x, verbose=0), real.predict(x, verbose=0), rtol=1e-5, atol=1e-5)
    if name not in RANDOM_IN_TRAINING:
        with torch.no_grad():
            want = real(x if not isinstance(x, list) else [real_keras.ops.convert_to_tensor(a) for a in x],
                        training=True)
        got = ours(x if not isinstance(x, list) else [ek.ops.convert_to_tensor(a) for a in x], training=True)
        np.testing.assert_allclose(got.detach().numpy(), np.asarray(want.cpu()), rtol=1e-5, atol=1e-5)


def plain(value):
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_config_round_trip_and_matches_keras(real_keras, name):
    """`serialize` then `deserialize` gives the same layer (same outputs); the arguments both configs
    hold (numbers, strings, shapes) have Keras's values."""
    ours, real = model_for(ek, name), model_for(real_keras, name)
    layer, ref = ours.layers[-1], real.layers[-1]
    config, want = ek.layers.serialize(layer), real_keras.layers.serialize(ref)
    assert config["class_name"] == want["class_name"]
    for key, value in config["config"].items():
        if key in want["config"] and key not in ("name", "dtype", "trainable") and \
                isinstance(plain(want["config"][key]), (int, float, str, bool, list, type(None))):
            assert plain(value) == plain(want["config"][key]), (key, value, want["config"][key])
    if name == "AdditiveAttention":
        return
    again = ek.layers.deserialize(config)
    x = ek.ops.convert_to_tensor(data(name))
    again(x)
    again.set_weights(layer.get_weights())
    if name not in RANDOM_IN_TRAINING:
        np.testing.assert_allclose(again(x).detach().numpy(), layer(x).detach().numpy(), rtol=1e-6)
    assert again.get_config() == layer.get_config()


@pytest.mark.parametrize("rate", [0.2, 0.5])
def test_alpha_dropout_keeps_selu_statistics_as_keras(real_keras, rate):
    """Random in training: both keep the mean and variance of standard-normal inputs."""
    x = np.random.default_rng(0).standard_normal((400, 50)).astype("float32")
    want = np.asarray(real_keras.layers.AlphaDropout(rate)(x, training=True).cpu())
    got = ek.layers.AlphaDropout(rate)(ek.ops.convert_to_tensor(x), training=True).numpy()
    for out in (got, want):
        assert abs(out.mean()) < 0.05 and abs(out.std() - 1) < 0.05
    assert abs((got == got.min()).mean() - (want == want.min()).mean()) < 0.02  # the same share dropped


def test_wrapper_subclass_matches_keras(real_keras):
    """A user's Wrapper subclass: the wrapped layer is built and its weights are the wrapper's."""
    def make(k):
        class Doubled(k.layers.Wrapper):
            def call(self, inputs):
                return self.layer(inputs) * 2
        return k.Sequential([k.Input((3,)), Doubled(k.layers.Dense(2))])
    real, ours = make(real_keras), make(ek)
    ours.set_weights(real.get_weights())
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(ours.predict(x, verbose=0), real.predict(x, verbose=0), rtol=1e-6)
