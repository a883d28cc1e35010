"""`keras.config` (and its readers in `keras.backend`) against Keras 3 on its torch backend: the
defaults, `set_floatx` changing new layers' dtype, and the settings ember has no second value for
refused rather than ignored."""
import numpy as np
import pytest

from ember import keras as ek
from ember.errors import ArgumentError


def test_defaults_match_keras(real_keras):
    for name in ("floatx", "epsilon", "image_data_format"):
        assert getattr(ek.config, name)() == getattr(real_keras.config, name)(), name
        assert getattr(ek.backend, name)() == getattr(real_keras.backend, name)(), name
    assert ek.config.backend() == ek.backend.backend() == "ember"


def test_set_floatx_float64_makes_new_layers_float64_as_in_keras(real_keras):
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    got = {}
    for k in (ek, real_keras):
        k.backend.clear_session()  # no dtype policy fixed yet: the next layer's follows floatx
        k.config.set_floatx("float64")
        try:
            layer = k.layers.Dense(2)
            y = layer(x)
            got[k] = (k.config.floatx(), str(layer.kernel.dtype).split(".")[-1], str(y.dtype).split(".")[-1])
            fixed = k.layers.Dense(2)
            k.config.set_floatx("float32")  # the policy is fixed now: floatx no longer moves new layers
            got[k] += (str(k.layers.Dense(2).dtype_policy.name), str(fixed.dtype_policy.name))
        finally:
            k.config.set_floatx("float32")
            k.backend.clear_session()
    assert got[ek] == got[real_keras] == ("float64", "float64", "float64", "float64", "float64")
    assert ek.config.floatx() == "float32" and ek.layers.Dense(2).dtype_policy.name == "float32"


@pytest.mark.parametrize("call", [lambda: ek.config.set_floatx("float16"), lambda: ek.config.set_epsilon(1e-3),
                                  lambda: ek.config.set_image_data_format("channels_first")])
def test_settings_ember_does_not_have_raise(call):
    with pytest.raises(ArgumentError):
        call()
    assert (ek.config.floatx(), ek.config.epsilon(), ek.config.image_data_format()) == \
        ("float32", 1e-7, "channels_last")


def test_setting_the_values_ember_has_is_accepted():
    ek.config.set_epsilon(1e-7)
    ek.config.set_image_data_format("channels_last")
    ek.config.set_floatx("float32")
