"""keras.losses beyond the common ones, against Keras 3 (torch backend): the focal, Dice, Tversky, circle and
generalized cross-entropy losses as functions and classes (with sample weights and reductions), their configs
read by the other library, a custom `Loss` subclass, and Keras's masking of padded steps in the loss."""
import numpy as np
import pytest

from ember import keras as ek

RNG = np.random.default_rng(4)
Y_TRUE = (RNG.random((6, 4)) > 0.5).astype("float32")
Y_PRED = RNG.uniform(0.05, 0.95, (6, 4)).astype("float32")
LOGITS = RNG.standard_normal((6, 4)).astype("float32")
LABELS = RNG.integers(0, 3, 6)
EMB = RNG.standard_normal((6, 5)).astype("float32")
EMB /= np.linalg.norm(EMB, axis=1, keepdims=True)
SW = RNG.random(6).astype("float32")

# name -> (function of the keras module making the loss or calling the function, (y_true, y_pred))
CASES = {
    "BinaryFocalCrossentropy": (lambda k: k.losses.BinaryFocalCrossentropy(apply_class_balancing=True, gamma=1.5),
                                (Y_TRUE, Y_PRED)),
    "binary_focal_crossentropy": (lambda k: lambda t, p: k.losses.binary_focal_crossentropy(
        t, p, from_logits=True, label_smoothing=0.1), (Y_TRUE, LOGITS)),
    "CategoricalFocalCrossentropy": (lambda k: k.losses.CategoricalFocalCrossentropy(alpha=0.5, from_logits=True),
                                     (Y_TRUE, LOGITS)),
    "categorical_focal_crossentropy": (lambda k: lambda t, p: k.losses.categorical_focal_crossentropy(
        t, p, gamma=3.0, label_smoothing=0.2), (Y_TRUE, Y_PRED)),
    "Dice": (lambda k: k.losses.Dice(axis=1), (Y_TRUE, Y_PRED)),
    "dice": (lambda k: k.losses.dice, (Y_TRUE, Y_PRED)),
    "Tversky": (lambda k: k.losses.Tversky(alpha=0.7, beta=0.3, axis=(1,)), (Y_TRUE, Y_PRED)),
    "tversky": (lambda k: lambda t, p: k.losses.tversky(t, p, alpha=0.2, beta=0.8), (Y_TRUE, Y_PRED)),
    "Circle": (lambda k: k.losses.Circle(gamma=10.0), (LABELS, EMB)),
    "circle": (lambda k: lambda t, p: k.losses.circle(t, p, margin=0.3, remove_diagonal=False), (LABELS, EMB)),
    "CategoricalGeneralizedCrossEntropy": (lambda k: k.losses.CategoricalGeneralizedCrossEntropy(q=0.7),
                                           (LABELS, Y_PRED / Y_PRED.sum(1, keepdims=True))),
    "categorical_generalized_cross_entropy": (lambda k: lambda t, p: k.losses.categorical_generalized_cross_entropy(
        t, p, 0.3), (LABELS, Y_PRED / Y_PRED.sum(1, keepdims=True))),
}
COVERS = {"keras.losses": sorted(CASES) + ["Loss", "deserialize"],
          "keras.metrics": ["binary_focal_crossentropy", "categorical_focal_crossentropy"]}


def as_np(v):
    v = v.detach() if hasattr(v, "detach") else v
    return np.asarray(v.cpu() if hasattr(v, "cpu") else v, dtype=np.float64)


@pytest.mark.parametrize("name", sorted(CASES))
def test_loss_values_match_keras(real_keras, name):
    make, (t, p) = CASES[name]
    ref, ours = make(real_keras), make(ek)
    t_ref, p_ref = real_keras.ops.convert_to_tensor(t), real_keras.ops.convert_to_tensor(p)
    np.testing.assert_allclose(as_np(ours(t, p)), as_np(ref(t_ref, p_ref)), rtol=1e-5, atol=1e-6)
    if name[0].isupper():
        np.testing.assert_allclose(as_np(ours(t, p, sample_weight=SW)), as_np(ref(t_ref, p_ref, sample_weight=SW)),
                                   rtol=1e-5, atol=1e-6)
        config = real_keras.losses.serialize(ref)
        back = ek.losses.deserialize(config)
        np.testing.assert_allclose(as_np(back(t, p)), as_np(ref(t_ref, p_ref)), rtol=1e-5, atol=1e-6)
        assert type(ek.losses.get(config["config"]["name"])).__name__ == name
        back_in_keras = real_keras.losses.deserialize(ek.losses.serialize(ours))
        if name != "CategoricalGeneralizedCrossEntropy":  # Keras 3.15 does not register this class for deserialize
            assert back_in_keras.get_config() == ref.get_config()


@pytest.mark.parametrize("name", ["binary_focal_crossentropy", "categorical_focal_crossentropy"])
def test_focal_metric_functions(real_keras, name):
    np.testing.assert_allclose(as_np(getattr(ek.metrics, name)(Y_TRUE, Y_PRED)),
                               as_np(getattr(real_keras.metrics, name)(Y_TRUE, Y_PRED)), rtol=1e-5)


def test_custom_loss_subclass(real_keras):
    """A `Loss` subclass as Keras's guides write it, reduced with sample weights, in both libraries."""
    def make(k):
        class Cubed(k.losses.Loss):
            def call(self, y_true, y_pred):
                return k.ops.mean(k.ops.abs(y_true - y_pred) ** 3, axis=-1)
        return Cubed(reduction="sum")
    np.testing.assert_allclose(as_np(make(ek)(Y_TRUE, Y_PRED, sample_weight=SW)),
                               as_np(make(real_keras)(Y_TRUE, Y_PRED, sample_weight=SW)), rtol=1e-5)


@pytest.mark.parametrize("loss", ["mse", "sparse_categorical_crossentropy"])
def test_masked_steps_do_not_count_in_the_loss(real_keras, loss):
    """Embedding(mask_zero) -> LSTM(return_sequences) -> Dense: Keras averages the loss over the real
    steps only (the mask becomes sample weights); evaluate agrees, with and without sample weights."""
    def build(k):
        model = k.Sequential([k.Input((5,), dtype="int32"), k.layers.Embedding(8, 3, mask_zero=True),
                              k.layers.LSTM(4, return_sequences=True), k.layers.Dense(3, activation="softmax")])
        model.compile(loss=loss)
        return model
    real, ours = build(real_keras), build(ek)
    ours.set_weights(real.get_weights())
    x = np.array([[1, 2, 3, 0, 0], [4, 5, 0, 0, 0], [6, 7, 1, 2, 3]], "int32")
    y = RNG.integers(0, 3, (3, 5)) if loss.startswith("sparse") else RNG.random((3, 5, 3)).astype("float32")
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0), real.evaluate(x, y, verbose=0), rtol=1e-5)
    w = RNG.random((3, 5)).astype("float32")  # per step (Keras 3.15 cannot broadcast per-sample weights here)
    np.testing.assert_allclose(ours.evaluate(x, y, sample_weight=w, verbose=0),
                               real.evaluate(x, y, sample_weight=w, verbose=0), rtol=1e-5)
