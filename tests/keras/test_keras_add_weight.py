"""`Layer.add_weight` with Keras 3's signature: (shape, initializer, dtype) positionally or by keyword,
the layer's variable dtype by default, Keras's default initializer per dtype, and the options ember
does not implement refused rather than dropped."""
import numpy as np
import pytest

from ember import keras
from ember.errors import ArgumentError


class Holder(keras.layers.Layer):
    def call(self, x):
        return x


def test_float64_policy_weights_and_outputs_are_float64_as_numpy():
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    dense = keras.layers.Dense(2, dtype="float64")
    y = dense(x)
    kernel, bias = (w.detach().numpy() for w in dense.weights)
    assert kernel.dtype == bias.dtype == np.float64 and y.dtype.name == "float64"
    np.testing.assert_array_equal(y.detach().numpy(), x.astype(np.float64) @ kernel + bias)


def test_positional_and_keyword_forms_and_default_initializers():
    layer = Holder()
    w = layer.add_weight((3,), "ones", "float64", name="w")
    counts = layer.add_weight(shape=(2,), dtype="int32", trainable=False, name="counts")
    default = layer.add_weight(shape=(4, 5))
    assert (w.dtype.name, counts.dtype.name, default.dtype.name) == ("float64", "int32", "float32")
    np.testing.assert_array_equal(w.detach().numpy(), np.ones(3))
    np.testing.assert_array_equal(counts.detach().numpy(), np.zeros(2))  # zeros for non-floats, as Keras
    assert np.abs(default.detach().numpy()).max() <= np.sqrt(6 / 9) and default.detach().numpy().std() > 0
    assert not counts.trainable and w.trainable


@pytest.mark.parametrize("call, words", [
    (lambda l: l.add_weight("w"), "name must be passed as a keyword"),
    (lambda l: l.add_weight((2,), shape=(3,)), "shape was passed both"),
    (lambda l: l.add_weight((2,), "ones", "float32", "x"), "at most 3 positional"),
    (lambda l: l.add_weight((2,), constraint="non_neg"), "constraint"),
    (lambda l: l.add_weight((2,), aggregation="sum"), "aggregation"),
    (lambda l: l.add_weight((2,), overwrite_with_gradient=True), "overwrite_with_gradient"),
])
def test_unsupported_or_malformed_arguments_raise(call, words):
    with pytest.raises(ArgumentError, match=words):
        call(Holder())
