"""A layer's build() called directly, as Keras 3: the layer is built when build() returns, so the next
call keeps the weights set in between, and a saved layer built that way rebuilds on load. Checked
against Keras 3 on its torch backend."""
import os

import numpy as np
import pytest

from ember import keras as ekeras

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")


def _layer_class(lib):
    class Projection(lib.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 2), name="w")

        def call(self, x):
            return x @ self.w
    return Projection


@pytest.mark.parametrize("make", [lambda lib: _layer_class(lib)(), lambda lib: lib.layers.Dense(2, use_bias=False)])
def test_build_called_directly_marks_the_layer_built_as_keras(make):
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    results = []
    for lib in (keras, ekeras):
        layer = make(lib)
        layer.build((None, 3))
        assert layer.built
        layer.set_weights([np.full((3, 2), 0.5, np.float32)])
        results.append(lib.ops.convert_to_numpy(layer(x)))  # not rebuilt: the weights set above
    np.testing.assert_array_equal(results[1], results[0])
    np.testing.assert_array_equal(results[1], x @ np.full((3, 2), 0.5, np.float32))


def test_a_model_of_a_directly_built_layer_saves_and_loads(tmp_path):
    layer = ekeras.layers.Dense(2)
    layer.build((None, 3))
    model = ekeras.Sequential([layer])
    x = np.ones((1, 3), np.float32)
    expected = ekeras.ops.convert_to_numpy(model(x))
    model.save(tmp_path / "m.keras")
    loaded = ekeras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(ekeras.ops.convert_to_numpy(loaded(x)), expected)
