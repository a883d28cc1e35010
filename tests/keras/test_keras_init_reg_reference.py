"""keras.initializers and keras.regularizers beyond the common ones, against Keras 3 (torch backend):
the lowercase and *Initializer aliases, custom initializers and regularizers written as Keras users
write them, `serialize`/`deserialize` of each other's configs, and the orthogonal regularizer's value."""
import numpy as np
import pytest

from ember import keras as ek

RANDOM = ["glorot_normal", "he_uniform", "lecun_normal", "lecun_uniform", "orthogonal", "random_normal",
          "random_uniform", "truncated_normal", "variance_scaling", "OrthogonalInitializer"]
COVERS = {"keras.initializers": RANDOM + ["IdentityInitializer", "Initializer", "deserialize", "serialize"],
          "keras.regularizers": ["OrthogonalRegularizer", "orthogonal_regularizer", "Regularizer", "serialize",
                                 "deserialize"]}


def as_np(v):
    v = v.detach() if hasattr(v, "detach") else v
    return np.asarray(v.cpu() if hasattr(v, "cpu") else v)


@pytest.mark.parametrize("name", RANDOM)
def test_random_initializers_have_keras_statistics(real_keras, name):
    shape = (150, 60)
    want = as_np(getattr(real_keras.initializers, name)(seed=3)(shape))
    got = as_np(getattr(ek.initializers, name)(seed=3)(shape))
    assert got.shape == want.shape
    np.testing.assert_array_equal(as_np(getattr(ek.initializers, name)(seed=3)(shape)), got)
    assert abs(got.mean() - want.mean()) < 0.1 * want.std() + 1e-3
    np.testing.assert_allclose(got.std(), want.std(), rtol=0.05)
    np.testing.assert_allclose(np.abs(got).max(), np.abs(want).max(), rtol=0.35)
    if "orthogonal" in name.lower():  # rows orthonormal in both
        np.testing.assert_allclose(got.T @ got, np.eye(60), atol=1e-4)


def test_identity_initializer(real_keras):
    np.testing.assert_allclose(as_np(ek.initializers.IdentityInitializer(gain=2.0)((3, 4))),
                               as_np(real_keras.initializers.IdentityInitializer(gain=2.0)((3, 4))))


@pytest.mark.parametrize("make", [lambda k: k.initializers.RandomUniform(-0.5, 0.25, seed=2),
                                  lambda k: k.initializers.VarianceScaling(2.0, "fan_out", "uniform"),
                                  lambda k: k.initializers.Constant(0.7), lambda k: k.initializers.Orthogonal(1.5)])
def test_initializer_configs_cross_libraries(real_keras, make):
    """Keras's serialized initializer is read by ember's `deserialize`, and back: same config."""
    want = real_keras.initializers.serialize(make(real_keras))
    ours = ek.initializers.deserialize(want)
    assert type(ours).__name__ == want["class_name"]
    for key, value in ek.initializers.serialize(ours)["config"].items():
        assert value == pytest.approx(want["config"][key]), key
    back = real_keras.initializers.deserialize(ek.initializers.serialize(ours))
    assert back.get_config() == real_keras.initializers.deserialize(want).get_config()


def test_custom_initializer_and_regularizer_classes(real_keras):
    """Subclasses written as Keras's guides write them work the same in a Dense layer."""
    def build(k):
        class Halves(k.initializers.Initializer):
            def __call__(self, shape, dtype=None):
                return k.ops.ones(shape, dtype=dtype) * 0.5

        class SumSquares(k.regularizers.Regularizer):
            def __call__(self, x):
                return 0.1 * k.ops.sum(k.ops.square(x))

        layer = k.layers.Dense(3, kernel_initializer=Halves(), bias_initializer=lambda shape, dtype=None:
                               k.ops.ones(shape) * 0.25, kernel_regularizer=SumSquares())
        model = k.Sequential([k.Input((4,)), layer])
        return model, layer
    (real, real_layer), (ours, our_layer) = build(real_keras), build(ek)
    x = np.arange(8, dtype="float32").reshape(2, 4)
    np.testing.assert_allclose(ours.predict(x, verbose=0), real.predict(x, verbose=0))
    np.testing.assert_allclose(float(sum(as_np(v) for v in ours.losses)), float(sum(as_np(v) for v in real.losses)),
                               rtol=1e-6)


@pytest.mark.parametrize("mode", ["rows", "columns"])
def test_orthogonal_regularizer_value(real_keras, mode):
    w = np.random.default_rng(0).standard_normal((5, 3)).astype("float32")
    w_ref = real_keras.ops.convert_to_tensor(w)  # Keras 3.15 mis-normalizes NumPy columns (axis 0 read as -1)
    want = real_keras.regularizers.OrthogonalRegularizer(0.2, mode=mode)(w_ref)
    got = ek.regularizers.OrthogonalRegularizer(0.2, mode=mode)(ek.ops.convert_to_tensor(w))
    np.testing.assert_allclose(as_np(got), as_np(want), rtol=1e-5)
    got = ek.regularizers.orthogonal_regularizer(factor=0.3)(ek.ops.convert_to_tensor(w))
    np.testing.assert_allclose(as_np(got), as_np(real_keras.regularizers.orthogonal_regularizer(factor=0.3)(w_ref)),
                               rtol=1e-5)


@pytest.mark.parametrize("make", [lambda k: k.regularizers.L1L2(0.1, 0.2), lambda k: k.regularizers.L2(0.3),
                                  lambda k: k.regularizers.OrthogonalRegularizer(0.05, "columns")])
def test_regularizer_configs_cross_libraries(real_keras, make):
    want = real_keras.regularizers.serialize(make(real_keras))
    ours = ek.regularizers.deserialize(want)
    assert ek.regularizers.serialize(ours)["config"] == pytest.approx(want["config"]) if "mode" not in \
        want["config"] else ek.regularizers.serialize(ours)["config"] == want["config"]
    w = np.random.default_rng(1).standard_normal((4, 3)).astype("float32")
    np.testing.assert_allclose(as_np(ours(ek.ops.convert_to_tensor(w))),
                               as_np(real_keras.regularizers.deserialize(want)(
                                   real_keras.ops.convert_to_tensor(w))), rtol=1e-5)
