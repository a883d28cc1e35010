"""Every layer ember.keras has, against Keras 3 (torch backend): the same layer built on the same input,
the Keras layer's weights copied in, the same outputs (inference, and training mode where it is
deterministic)."""
import numpy as np
import pytest

from ember import keras as ek

# name -> (function of the keras module making the layer, input shape without the batch)
LAYERS = {
    "Dense": (lambda k: k.layers.Dense(4, activation="tanh"), (5,)),
    "Activation": (lambda k: k.layers.Activation("softplus"), (5,)),
    "Dropout": (lambda k: k.layers.Dropout(0.4), (5,)),
    "Flatten": (lambda k: k.layers.Flatten(), (3, 4)),
    "Lambda": (lambda k: k.layers.Lambda(lambda x: x * 2 + 1), (3,)),
    "Conv1D": (lambda k: k.layers.Conv1D(3, 3, strides=2, padding="same", activation="relu"), (9, 2)),
    "Conv2D": (lambda k: k.layers.Conv2D(3, (3, 2), dilation_rate=(1, 2), padding="valid"), (7, 8, 2)),
    "Conv2DTranspose": (lambda k: k.layers.Conv2DTranspose(2, 3, strides=2, padding="same"), (4, 5, 3)),
    "MaxPooling1D": (lambda k: k.layers.MaxPooling1D(2), (8, 3)),
    "MaxPooling2D": (lambda k: k.layers.MaxPooling2D((2, 3), padding="same"), (7, 8, 2)),
    "AveragePooling1D": (lambda k: k.layers.AveragePooling1D(3, strides=2), (9, 2)),
    "AveragePooling2D": (lambda k: k.layers.AveragePooling2D(2), (6, 6, 2)),
    "GlobalAveragePooling1D": (lambda k: k.layers.GlobalAveragePooling1D(), (5, 3)),
    "GlobalAveragePooling2D": (lambda k: k.layers.GlobalAveragePooling2D(keepdims=True), (4, 5, 3)),
    "GlobalMaxPooling1D": (lambda k: k.layers.GlobalMaxPooling1D(), (5, 3)),
    "GlobalMaxPooling2D": (lambda k: k.layers.GlobalMaxPooling2D(), (4, 5, 3)),
    "BatchNormalization": (lambda k: k.layers.BatchNormalization(momentum=0.9), (4, 3)),
    "LayerNormalization": (lambda k: k.layers.LayerNormalization(), (4, 3)),
    "SimpleRNN": (lambda k: k.layers.SimpleRNN(3, return_sequences=True), (5, 2)),
    "LSTM": (lambda k: k.layers.LSTM(3), (5, 2)),
    "GRU": (lambda k: k.layers.GRU(3, go_backwards=True), (5, 2)),
    "Bidirectional": (lambda k: k.layers.Bidirectional(k.layers.LSTM(2, return_sequences=True)), (5, 3)),
    "TimeDistributed": (lambda k: k.layers.TimeDistributed(k.layers.Dense(2)), (4, 3)),
    "Reshape": (lambda k: k.layers.Reshape((2, -1)), (3, 4)),
    "Permute": (lambda k: k.layers.Permute((2, 1)), (3, 4)),
    "RepeatVector": (lambda k: k.layers.RepeatVector(3), (4,)),
    "ZeroPadding1D": (lambda k: k.layers.ZeroPadding1D((1, 2)), (3, 2)),
    "ZeroPadding2D": (lambda k: k.layers.ZeroPadding2D(((1, 0), (2, 1))), (3, 3, 2)),
    "UpSampling1D": (lambda k: k.layers.UpSampling1D(2), (3, 2)),
    "UpSampling2D": (lambda k: k.layers.UpSampling2D((2, 3)), (2, 3, 2)),
    "Cropping1D": (lambda k: k.layers.Cropping1D((1, 1)), (5, 2)),
    "Cropping2D": (lambda k: k.layers.Cropping2D(((1, 0), (0, 2))), (4, 5, 2)),
    "ReLU": (lambda k: k.layers.ReLU(max_value=0.5, negative_slope=0.1, threshold=0.2), (6,)),
    "LeakyReLU": (lambda k: k.layers.LeakyReLU(negative_slope=0.2), (6,)),
    "ELU": (lambda k: k.layers.ELU(alpha=0.5), (6,)),
    "Softmax": (lambda k: k.layers.Softmax(axis=1), (3, 4)),
    "Rescaling": (lambda k: k.layers.Rescaling(1 / 255.0, offset=-1), (6,)),
    "SpatialDropout1D": (lambda k: k.layers.SpatialDropout1D(0.5), (4, 3)),
    "SpatialDropout2D": (lambda k: k.layers.SpatialDropout2D(0.5), (3, 3, 2)),
    "Masking": (lambda k: k.layers.Masking(0.0), (4, 3)),
    "Embedding": (lambda k: k.layers.Embedding(10, 3), "tokens"),
    "Identity": (lambda k: k.layers.Identity(), (4,)),
    "ActivityRegularization": (lambda k: k.layers.ActivityRegularization(l1=0.1, l2=0.2), (4,)),
    "GaussianNoise": (lambda k: k.layers.GaussianNoise(0.5), (4,)),
    "GaussianDropout": (lambda k: k.layers.GaussianDropout(0.3), (4,)),
    "UnitNormalization": (lambda k: k.layers.UnitNormalization(), (3, 4)),
    "RMSNormalization": (lambda k: k.layers.RMSNormalization(), (3, 4)),
    "PReLU": (lambda k: k.layers.PReLU(alpha_initializer=k.initializers.Constant(0.25), shared_axes=[1]), (3, 4)),
    "Convolution1D": (lambda k: k.layers.Convolution1D(2, 2), (5, 3)),
    "Convolution2D": (lambda k: k.layers.Convolution2D(2, 2), (4, 4, 1)),
    "Convolution2DTranspose": (lambda k: k.layers.Convolution2DTranspose(2, 2), (3, 3, 1)),
    "MaxPool1D": (lambda k: k.layers.MaxPool1D(), (4, 2)),
    "MaxPool2D": (lambda k: k.layers.MaxPool2D(), (4, 4, 2)),
    "AvgPool1D": (lambda k: k.layers.AvgPool1D(2), (4, 2)),
    "AvgPool2D": (lambda k: k.layers.AvgPool2D(2), (4, 4, 2)),
    "GlobalMaxPool1D": (lambda k: k.layers.GlobalMaxPool1D(), (4, 2)),
    "GlobalMaxPool2D": (lambda k: k.layers.GlobalMaxPool2D(), (4, 4, 2)),
    "GlobalAvgPool1D": (lambda k: k.layers.GlobalAvgPool1D(), (4, 2)),
    "GlobalAvgPool2D": (lambda k: k.layers.GlobalAvgPool2D(), (4, 4, 2)),
    "MultiHeadAttention": (None, (5, 4)),
    "Attention": (None, (5, 4)),
}
COVERS = {"keras.layers": sorted(LAYERS) + ["Input", "InputLayer", "Layer"]}
RANDOM_IN_TRAINING = ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "GaussianNoise", "GaussianDropout")


def model_for(k, name):
    make, shape = LAYERS[name]
    if name == "MultiHeadAttention":
        x = k.Input(shape=shape)
        return k.Model(x, k.layers.MultiHeadAttention(num_heads=2, key_dim=3)(x, x))
    if name == "Attention":
        q, v = k.Input(shape=shape), k.Input(shape=(6, 4))
        return k.Model([q, v], k.layers.Attention(use_scale=True)([q, v]))
    if shape == "tokens":
        return k.Sequential([k.layers.InputLayer(shape=(6,), dtype="int32"), make(k)])
    return k.Sequential([k.Input(shape=shape), make(k)])


def data(name, n=3):
    rng = np.random.default_rng(abs(hash(name)) % 1000)
    shape = LAYERS[name][1]
    if shape == "tokens":
        return rng.integers(0, 10, (n, 6))
    x = rng.standard_normal((n,) + shape).astype("float32")
    if name == "Masking":
        x[:, 1] = 0.0
    if name == "Attention":
        return [x, rng.standard_normal((n, 6, 4)).astype("float32")]
    return x


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_outputs_match_keras(real_keras, name):
    real, ours = model_for(real_keras, name), model_for(ek, name)
    ours.set_weights(real.get_weights())
    x = data(name)
    want = real.predict(x, verbose=0)
    np.testing.assert_allclose(ours.predict(x, verbose=0), want, rtol=1e-5, atol=1e-5)
    if name not in RANDOM_IN_TRAINING:
        import torch
        with torch.no_grad():
            train_want = real(x if not isinstance(x, list) else [real_keras.ops.convert_to_tensor(a) for a in x],
                              training=True)
        train_got = ours(x if not isinstance(x, list) else [ek.ops.convert_to_tensor(a) for a in x], training=True)
        np.testing.assert_allclose(train_got.detach().numpy(), np.asarray(train_want.cpu()), rtol=1e-5, atol=1e-5)


def test_custom_layer_subclass_matches_keras(real_keras):
    def make(k):
        class Scale(k.layers.Layer):
            def build(self, input_shape):
                self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

            def call(self, inputs):
                return inputs * self.w + k.ops.sum(inputs, axis=-1, keepdims=True)
        return k.Sequential([k.Input(shape=(3,)), Scale()])
    real, ours = make(real_keras), make(ek)
    real.set_weights([np.array([1.0, 2.0, 3.0], "float32")])
    ours.set_weights(real.get_weights())
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(ours.predict(x, verbose=0), real.predict(x, verbose=0))


def test_activity_regularization_loss_matches_keras(real_keras):
    x = np.array([[1.0, -2.0], [0.5, 3.0]], "float32")
    layers = [k.layers.ActivityRegularization(l1=0.1, l2=0.2) for k in (real_keras, ek)]
    layers[0](x)
    layers[1](x)
    np.testing.assert_allclose(float(layers[1].losses[0]), float(np.asarray(layers[0].losses[0].cpu())), rtol=1e-6)
