"""ConvLSTM1D/2D/3D, GroupQueryAttention and SpectralNormalization against Keras 3 (torch backend): the
same layer on the same input with Keras's weights copied in gives the same outputs (and states,
attention scores, normalized kernels step after step); a short `fit` of a ConvLSTM2D model on a fixed
dataset gives Keras's loss curve; configs are read by the other library."""
import numpy as np
import pytest

import ember
from ember import keras as ek

RNG = np.random.default_rng(23)

CONV_LSTM = {  # id -> (layer name, arguments, input shape with the batch)
    "1d_same_sequences": ("ConvLSTM1D", dict(filters=3, kernel_size=3, padding="same", return_sequences=True),
                          (2, 4, 7, 3)),
    "2d_strided_state": ("ConvLSTM2D", dict(filters=2, kernel_size=(3, 2), strides=2, return_state=True),
                         (2, 3, 7, 6, 2)),
    "2d_backwards_relu": ("ConvLSTM2D", dict(filters=2, kernel_size=2, go_backwards=True, activation="relu",
                                             return_sequences=True, unit_forget_bias=False, use_bias=False),
                          (1, 3, 5, 5, 2)),
    "3d_dilated": ("ConvLSTM3D", dict(filters=2, kernel_size=2, dilation_rate=2, padding="same",
                                      return_sequences=True, return_state=True), (1, 3, 5, 5, 5, 2)),
}
COVERS = {"keras.layers": ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "GroupQueryAttention",
                           "SpectralNormalization"]}  # reached as getattr(k.layers, name) below


def as_list(out):
    return list(out) if isinstance(out, (list, tuple)) else [out]


def to_numpy(k, t):
    return t.detach().numpy() if k is ek else np.asarray(k.ops.convert_to_numpy(t))


def twin(real_keras, name, kwargs, x, **call):
    ref = getattr(real_keras.layers, name)(**kwargs)
    want = as_list(ref(x, **call))
    ours = getattr(ek.layers, name)(**kwargs)
    ours(ember.tensor(x))
    ours.set_weights(ref.get_weights())
    return ref, ours, want


@pytest.mark.parametrize("case", sorted(CONV_LSTM))
def test_conv_lstm_matches_keras(real_keras, case):
    name, kwargs, shape = CONV_LSTM[case]
    x = RNG.standard_normal(shape).astype("float32")
    ref, ours, want = twin(real_keras, name, kwargs, x)
    got = as_list(ours(ember.tensor(x)))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(to_numpy(ek, g), to_numpy(real_keras, w), rtol=1e-5, atol=1e-6)
    if kwargs.get("return_state"):  # continuing from the returned state, as Keras
        states = [to_numpy(real_keras, s) for s in want[1:]]
        more_ref = as_list(ref(x, initial_state=[real_keras.ops.convert_to_tensor(s) for s in states]))
        more = as_list(ours(ember.tensor(x), initial_state=[ember.tensor(s) for s in states]))
        np.testing.assert_allclose(to_numpy(ek, more[0]), to_numpy(real_keras, more_ref[0]), rtol=1e-5, atol=1e-6)
    back = getattr(real_keras.layers, name).from_config(ours.get_config())
    assert (back.filters, tuple(back.kernel_size), back.padding) == (ref.filters, tuple(ref.kernel_size), ref.padding)


def test_conv_lstm_weights_as_keras(real_keras):
    ref = real_keras.layers.ConvLSTM2D(4, (3, 2))
    ref(np.zeros((1, 2, 6, 5, 3), "float32"))
    ours = ek.layers.ConvLSTM2D(4, (3, 2))
    ours(ember.zeros(1, 2, 6, 5, 3))
    assert [tuple(w.shape) for w in ours.get_weights()] == [tuple(w.shape) for w in ref.get_weights()]
    np.testing.assert_array_equal(ours.get_weights()[2], ref.get_weights()[2])  # forget gate's bias starts at 1


def conv_lstm_model(k):
    return k.Sequential([k.Input((3, 6, 6, 1)), k.layers.ConvLSTM2D(3, 3, padding="same"),
                         k.layers.GlobalAveragePooling2D(), k.layers.Dense(2)])


def test_conv_lstm_fit_matches_keras(real_keras):
    x = RNG.standard_normal((16, 3, 6, 6, 1)).astype("float32")
    y = RNG.standard_normal((16, 2)).astype("float32")
    ref, ours = conv_lstm_model(real_keras), conv_lstm_model(ek)
    ours.set_weights(ref.get_weights())
    losses = []
    for k, model in ((real_keras, ref), (ek, ours)):
        model.compile(optimizer=k.optimizers.Adam(0.01), loss="mse")
        losses.append(model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"])
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-4)


GQA = {"causal": (dict(), dict(use_causal_mask=True)),
       "gate_window_scores": (dict(use_gate=True, sliding_window=2), dict(return_attention_scores=True)),
       "no_bias_mask": (dict(use_bias=False, num_key_value_heads=1), dict(attention_mask=True,
                                                                          return_attention_scores=True))}


@pytest.mark.parametrize("case", sorted(GQA))
def test_group_query_attention_matches_keras(real_keras, case):
    kwargs, call = GQA[case]
    kwargs = {"head_dim": 4, "num_query_heads": 4, "num_key_value_heads": 2, **kwargs}
    q, v = RNG.standard_normal((2, 5, 8)).astype("float32"), RNG.standard_normal((2, 6, 8)).astype("float32")
    mask = RNG.random((2, 5, 6)) > 0.3
    ref_call = {**call, "attention_mask": mask} if call.get("attention_mask") else call
    ref = real_keras.layers.GroupQueryAttention(**kwargs)
    want = as_list(ref(q, v, **ref_call))
    ours = ek.layers.GroupQueryAttention(**kwargs)
    ours(ember.tensor(q), ember.tensor(v))
    ours.set_weights(ref.get_weights())
    our_call = {key: ember.tensor(value) if isinstance(value, np.ndarray) else value for key, value in ref_call.items()}
    got = as_list(ours(ember.tensor(q), ember.tensor(v), **our_call))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(to_numpy(ek, g), to_numpy(real_keras, w), rtol=1e-5, atol=1e-6)
    config = real_keras.layers.GroupQueryAttention.from_config(ours.get_config()).get_config()
    for key in ("head_dim", "num_query_heads", "num_key_value_heads", "use_bias", "use_gate", "sliding_window"):
        assert config[key] == ref.get_config()[key], key


def test_group_query_attention_refuses_bad_heads():
    with pytest.raises(ValueError, match="multiple of num_key_value_heads"):
        ek.layers.GroupQueryAttention(4, 3, 2)
    with pytest.raises(ValueError, match="sliding_window"):
        ek.layers.GroupQueryAttention(4, 4, 2, sliding_window=0)
    layer = ek.layers.GroupQueryAttention(4, 4, 2)
    with pytest.raises(ValueError, match="attention_mask of shape"):
        layer(ember.ones(2, 5, 8), ember.ones(2, 6, 8), attention_mask=ember.ones(2, 6, 5))


@pytest.mark.parametrize("inner", ["Dense", "Conv2D", "Embedding"])
def test_spectral_normalization_matches_keras(real_keras, inner):
    make = {"Dense": (lambda k: k.layers.Dense(3), (3, 4)),
            "Conv2D": (lambda k: k.layers.Conv2D(2, 3), (2, 5, 5, 3)),
            "Embedding": (lambda k: k.layers.Embedding(6, 5), (3, 4))}[inner]
    x = RNG.integers(0, 6, make[1]) if inner == "Embedding" else RNG.standard_normal(make[1]).astype("float32")
    ref = real_keras.layers.SpectralNormalization(make[0](real_keras), power_iterations=2)
    ref(x)
    ours = ek.layers.SpectralNormalization(make[0](ek), power_iterations=2)
    ours(ember.tensor(x))
    ours.set_weights(ref.get_weights())  # Keras's order: kernel, vector_u, then the wrapped layer's others
    for got, want in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(got, want)
    for _ in range(3):  # the kernel is normalized in place at each training call, vector_u carried over
        want = to_numpy(real_keras, ref(x, training=True))
        got = to_numpy(ek, ours(ember.tensor(x), training=True))
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(to_numpy(ek, ours.vector_u), to_numpy(real_keras, ref.vector_u.value),
                                   rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(to_numpy(ek, ours.kernel), to_numpy(real_keras, ref.kernel.value),
                                   rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(to_numpy(ek, ours(ember.tensor(x))), to_numpy(real_keras, ref(x)), rtol=1e-5,
                               atol=1e-6)
    if inner == "Dense":  # the largest singular value of the normalized kernel is 1
        assert np.linalg.svd(to_numpy(ek, ours.kernel), compute_uv=False)[0] == pytest.approx(1.0, abs=0.05)
    back = real_keras.layers.deserialize(ek.layers.serialize(ours))
    assert back.power_iterations == 2 and type(back.layer).__name__ == inner


def test_spectral_normalization_needs_a_kernel():
    with pytest.raises(ValueError, match="power_iterations"):
        ek.layers.SpectralNormalization(ek.layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="kernel"):
        ek.layers.SpectralNormalization(ek.layers.ReLU())(ember.ones(2, 3))


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def test_conv_lstm_dropout_masks_as_keras(real_keras):
    """Keras's ConvLSTM dropout: one mask per gate, values 0 or 1 / (1 - rate), the same at every step.
    With a 1x1 kernel, no recurrent kernel and the same input at both steps, every output is one of the
    16 values the four gates' masks allow (redrawn masks would leave that set); both libraries are checked."""
    w, b = np.array([0.7, -0.4, 1.1, 0.9]), np.array([0.1, 0.3, -0.2, 0.05])
    x = np.repeat(RNG.uniform(0.5, 2.0, (3, 1, 8, 1)), 2, axis=1).astype("float32")
    v = x[:, 0, :, 0].astype(np.float64)[..., None]  # (batch, steps, 1)
    candidates = []
    for mi, mf, mc, mo in np.ndindex(2, 2, 2, 2):
        gi, gf = _sigmoid(w[0] * v * 2 * mi + b[0]), _sigmoid(w[1] * v * 2 * mf + b[1])
        gc, go = np.tanh(w[2] * v * 2 * mc + b[2]), _sigmoid(w[3] * v * 2 * mo + b[3])
        candidates.append(go * np.tanh(gf * gi * gc + gi * gc))
    candidates = np.concatenate(candidates, -1)  # (batch, steps, 16)
    weights = [w.reshape(1, 1, 4).astype("float32"), np.zeros((1, 1, 4), "float32"), b.astype("float32")]
    for k in (real_keras, ek):
        layer = k.layers.ConvLSTM1D(1, 1, dropout=0.5)
        layer(x[:1] if k is real_keras else ember.tensor(x[:1]))
        layer.set_weights(weights)
        out = to_numpy(k, layer(x if k is real_keras else ember.tensor(x), training=True))[..., 0]
        gap = np.abs(candidates - out[..., None]).min(-1)
        assert gap.max() < 1e-5, k.__name__
        assert len(np.unique(np.round(out / candidates[..., 15], 4))) > 2, k.__name__  # the masks vary


def test_conv_lstm_recurrent_dropout_in_training_and_inference(real_keras):
    x = RNG.standard_normal((2, 1, 5, 5, 2)).astype("float32")
    for k in (real_keras, ek):
        plain = k.layers.ConvLSTM2D(2, 3, padding="same")
        dropped = k.layers.ConvLSTM2D(2, 3, padding="same", dropout=0.3, recurrent_dropout=0.4)
        xk = x if k is real_keras else ember.tensor(x)
        plain(xk)
        dropped(xk)
        dropped.set_weights(plain.get_weights())
        np.testing.assert_allclose(to_numpy(k, dropped(xk, training=False)), to_numpy(k, plain(xk)), atol=1e-6)
        rec_only = k.layers.ConvLSTM2D(2, 3, padding="same", recurrent_dropout=0.4)
        rec_only(xk)
        rec_only.set_weights(plain.get_weights())  # one step from h = 0: the recurrent mask changes nothing
        np.testing.assert_allclose(to_numpy(k, rec_only(xk, training=True)), to_numpy(k, plain(xk)), atol=1e-6)


def test_conv_lstm_with_dropout_trains():
    """'same' padding with dropout masks (the masks apply before the padding), in a fit."""
    model = ek.Sequential([ek.Input((3, 6, 6, 1)), ek.layers.ConvLSTM2D(3, 3, padding="same", dropout=0.2,
                                                                         recurrent_dropout=0.2),
                           ek.layers.GlobalAveragePooling2D(), ek.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    x, y = RNG.random((8, 3, 6, 6, 1)).astype("float32"), RNG.random((8, 2)).astype("float32")
    losses = model.fit(x, y, epochs=2, batch_size=4, verbose=0).history["loss"]
    assert np.isfinite(losses).all()
    with pytest.raises(ValueError, match="dropout"):
        ek.layers.ConvLSTM2D(2, 3, dropout=1.0)
