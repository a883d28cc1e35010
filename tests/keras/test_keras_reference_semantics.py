"""Differential tests of Keras semantics that fit must share with Keras 3 (torch backend): class
weights reach `weighted_metrics` only; data is cast to the Input/layer dtype; the functional merges
(layer classes and lowercase functions); the confusion-count metrics."""
import numpy as np
import pytest

from ember import keras as ember_keras

COVERS = {
    "keras.layers": ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot", "add",
                     "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot", "Embedding",
                     "LSTM", "Dense", "Input", "GlobalAveragePooling1D"],
    "keras.metrics": ["TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives", "Precision", "Recall",
                      "BinaryAccuracy"],
    "keras": ["Input", "Model", "Sequential"],
}


def imbalanced(n=256, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 5)).astype("float32")
    y = (x[:, 0] + 0.5 * x[:, 1] + 0.6 * rng.standard_normal(n) > 1.2).astype("float32")[:, None]
    return x, y


def classifier(keras):
    return keras.Sequential([keras.Input(shape=(5,)), keras.layers.Dense(8, activation="relu"),
                             keras.layers.Dense(1, activation="sigmoid")])


def test_class_weight_reaches_weighted_metrics_only(real_keras):
    x, y = imbalanced()
    real, ours = classifier(real_keras), classifier(ember_keras)
    ours.set_weights(real.get_weights())
    for k, model in ((real_keras, real), (ember_keras, ours)):
        model.compile(optimizer=k.optimizers.SGD(0.1), loss="binary_crossentropy",
                      metrics=[k.metrics.Precision(name="precision"), "accuracy"],
                      weighted_metrics=[k.metrics.Precision(name="wp"), "accuracy"])
    kw = dict(epochs=3, batch_size=32, shuffle=False, verbose=0, class_weight={0: 1.0, 1: 6.0})
    h_real, h_ours = real.fit(x, y, **kw).history, ours.fit(x, y, **kw).history
    assert sorted(h_ours) == sorted(h_real)
    for key in h_real:
        np.testing.assert_allclose(h_ours[key], h_real[key], rtol=1e-4, atol=1e-6, err_msg=key)
    assert h_ours["precision"] != h_ours["wp"]  # the class weights changed the weighted one only


@pytest.mark.parametrize("name", ["TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives"])
@pytest.mark.parametrize("thresholds", [None, 0.3, [0.2, 0.5, 0.8]])
def test_confusion_counts(real_keras, name, thresholds):
    rng = np.random.default_rng(1)
    y_true = (rng.random((40, 3)) > 0.5).astype("float32")
    y_pred = rng.random((40, 3)).astype("float32")
    sw = rng.random(40).astype("float32")
    real, ours = getattr(real_keras.metrics, name)(thresholds), getattr(ember_keras.metrics, name)(thresholds)
    for m in (real, ours):
        m.update_state(y_true[:20], y_pred[:20])
        m.update_state(y_true[20:], y_pred[20:], sample_weight=sw[20:])
    np.testing.assert_allclose(np.asarray(ours.result()), np.asarray(real.result()), rtol=1e-6)
    assert real.name.startswith(ours.name)  # Keras numbers repeated metric names: true_positives_1, ...


MERGES = [("Add", {}, 3), ("Subtract", {}, 2), ("Multiply", {}, 3), ("Average", {}, 2), ("Maximum", {}, 3),
          ("Minimum", {}, 2), ("Concatenate", {"axis": -1}, 3), ("Concatenate", {"axis": 1}, 2),
          ("Dot", {"axes": 2}, 2), ("Dot", {"axes": (1, 1)}, 2), ("Dot", {"axes": 2, "normalize": True}, 2)]


@pytest.mark.parametrize("name,kwargs,n", MERGES)
def test_merges_class_and_function(real_keras, name, kwargs, n):
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal((4, 3, 5)).astype("float32") for _ in range(n)]

    def functional(keras, use_function):
        inputs = [keras.Input(shape=(3, 5)) for _ in range(n)]
        merged = getattr(keras.layers, name.lower())(inputs, **kwargs) if use_function else \
            getattr(keras.layers, name)(**kwargs)(inputs)
        return keras.Model(inputs, merged)

    for use_function in (False, True):
        want = functional(real_keras, use_function).predict(arrays, verbose=0)
        got = functional(ember_keras, use_function).predict(arrays, verbose=0)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_dot_of_vectors_keeps_a_feature_axis(real_keras):
    a, b = np.ones((2, 3), "float32"), np.arange(6, dtype="float32").reshape(2, 3)
    want = np.asarray(real_keras.layers.Dot(axes=1)([a, b]))
    got = ember_keras.layers.Dot(axes=1)([ember_keras.ops.convert_to_tensor(a), ember_keras.ops.convert_to_tensor(b)])
    np.testing.assert_allclose(got.numpy(), want)


def test_float_indices_and_bool_sequences_are_cast(real_keras):
    rng = np.random.default_rng(3)
    tokens = rng.integers(0, 10, (6, 7)).astype("float64")  # float indices into Embedding
    flags = rng.random((6, 7, 2)) > 0.5                      # bool sequences into LSTM

    def model(keras):
        t = keras.Input(shape=(7,))
        f = keras.Input(shape=(7, 2), dtype="bool")
        e = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(10, 4)(t))
        r = keras.layers.LSTM(3)(f)
        return keras.Model([t, f], keras.layers.Concatenate()([e, r]))

    real, ours = model(real_keras), model(ember_keras)
    ours.set_weights(real.get_weights())
    np.testing.assert_allclose(ours.predict([tokens, flags], verbose=0), real.predict([tokens, flags], verbose=0),
                               rtol=1e-5, atol=1e-6)
    seq = ember_keras.Sequential([ember_keras.Input(shape=(7,), dtype="int64"), ember_keras.layers.Embedding(10, 2)])
    assert seq.predict(tokens, verbose=0).shape == (6, 7, 2)
