"""Idioms from Keras guides that ported code relies on, run on real Keras (torch backend) and on
ember.keras with the same code: a feature extractor built from `layer.output` / `model.input`, and
an adapted `Normalization` whose statistics are weights that a saved model keeps."""
import numpy as np
import pytest

from ember import keras as ember_keras


def _feature_extractor(keras):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((6,), name="features")
    hidden = keras.layers.Dense(4, activation="relu", name="hidden")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1, name="head")(hidden))
    extractor = keras.Model(inputs=model.input, outputs=model.get_layer("hidden").output)
    x = np.linspace(-1, 1, 18, dtype="float32").reshape(3, 6)
    model.get_layer("hidden").set_weights([np.full((6, 4), 0.5, "float32"), np.arange(4, dtype="float32")])
    return (tuple(model.get_layer("head").input.shape), tuple(model.layers[0].output.shape),
            model.output is model.outputs[0], np.asarray(extractor.predict(x, verbose=0)).round(5).tolist())


def test_layer_output_and_model_input_build_a_feature_extractor_as_in_keras(real_keras):
    assert _feature_extractor(ember_keras) == _feature_extractor(real_keras)


def test_output_of_a_layer_never_called_is_an_attribute_error():
    layer = ember_keras.layers.Dense(2)
    assert not hasattr(layer, "output")
    shared = ember_keras.layers.Dense(2)
    a, b = ember_keras.Input((3,)), ember_keras.Input((3,))
    shared(a), shared(b)
    with pytest.raises(ValueError, match="multiple inbound nodes"):
        shared.output


def _normalization(keras, path):
    data = np.arange(24, dtype="float32").reshape(8, 3) ** 1.5
    fresh = keras.layers.Normalization()
    before = np.asarray(fresh(data[:2])).round(5).tolist()   # not adapted: mean 0, variance 1
    norm = keras.layers.Normalization()
    norm.adapt(data)
    model = keras.Sequential([keras.Input((3,)), norm, keras.layers.Dense(1, kernel_initializer="ones")])
    weights = [(w.name, tuple(w.shape), bool(w.trainable)) for w in norm.weights]
    model.save(path)
    restored = keras.models.load_model(path)
    return (before, weights, len(model.non_trainable_weights),
            np.asarray(norm.weights[0].numpy()).round(3).tolist(),
            np.asarray(restored.predict(data, verbose=0)).round(4).tolist(),
            np.asarray(model.predict(data, verbose=0)).round(4).tolist())


def test_adapted_normalization_is_saved_with_its_statistics_as_in_keras(real_keras, tmp_path):
    ours = _normalization(ember_keras, str(tmp_path / "ours.keras"))
    theirs = _normalization(real_keras, str(tmp_path / "theirs.keras"))
    assert ours == theirs
    assert ours[4] == ours[5]   # the restored model predicts as the adapted one


def _sequential_extractor(keras):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, activation="relu", name="hidden",
                                                                    kernel_initializer="ones"),
                              keras.layers.Dense(2, name="head")])
    extractor = keras.Model(inputs=model.inputs, outputs=model.get_layer("hidden").output)
    x = np.linspace(-1, 1, 10, dtype="float32").reshape(2, 5)
    model.add(keras.layers.Dense(1, name="extra"))   # layers added later are traced as well
    return (np.asarray(extractor.predict(x, verbose=0)).round(5).tolist(), len(extractor.layers),
            tuple(model.outputs[0].shape), tuple(model.get_layer("head").input.shape),
            hasattr(model, "output"), tuple(model.predict(x, verbose=0).shape))


def test_sequential_feature_extractor_from_get_layer_output_as_in_keras(real_keras):
    assert _sequential_extractor(ember_keras) == _sequential_extractor(real_keras)


def _clone_and_clear(keras):
    keras.backend.clear_session()
    inputs = keras.Input((3,))
    model = keras.Model(inputs, keras.layers.Dense(2, name="out")(keras.layers.Dense(4)(inputs)))
    twin = keras.models.clone_model(model)
    fresh = [not np.array_equal(a, b) for a, b in zip(model.get_weights(), twin.get_weights())]
    twin.set_weights(model.get_weights())
    x = np.ones((2, 3), "float32")
    same = np.allclose(twin.predict(x, verbose=0), model.predict(x, verbose=0))
    twin.layers[1].kernel.assign(np.zeros((3, 4), "float32"))   # the clone's weights are its own
    keras.backend.clear_session()
    return ([layer.name for layer in twin.layers[1:]], fresh[0], same, bool(np.any(model.layers[1].kernel.numpy())),
            keras.layers.Dense(1).name)


def test_clone_model_and_clear_session_as_in_keras(real_keras):
    assert _clone_and_clear(ember_keras) == _clone_and_clear(real_keras)
