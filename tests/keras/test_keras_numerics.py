"""No NumPy RuntimeWarning leaks from Keras paths where Keras (torch backend) is silent: log(0),
exp overflow and 0/0 in activations, losses, metrics, layers and a training step; the values agree."""
import warnings

import numpy as np
import pytest

from ember import keras as ek

COVERS = {"keras.activations": ["celu", "exponential", "softplus", "log_sigmoid"],
          "keras.losses": ["poisson", "categorical_crossentropy", "kl_divergence"]}
LOGITS = np.array([[-1000.0, 1000.0], [80.0, -90.0]], "float32")
Y_TRUE = np.array([[0.0, 1.0], [1.0, 0.0]], "float32")
Y_PRED = np.array([[0.0, 1.0], [-1.0, 2.0]], "float32")   # a zero and a negative "probability"


def values(v):
    return np.asarray(v.detach().cpu().numpy() if hasattr(v, "detach") else v, dtype=np.float64)


@pytest.mark.parametrize("name", ["celu", "exponential", "softplus", "log_sigmoid"])
def test_activations_are_silent_and_agree(real_keras, name):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        got = getattr(ek.activations, name)(ek.ops.convert_to_tensor(LOGITS))
    np.testing.assert_allclose(values(got), values(getattr(real_keras.activations, name)(LOGITS)), rtol=1e-6)


@pytest.mark.parametrize("name", ["poisson", "categorical_crossentropy", "kl_divergence"])
def test_losses_and_metrics_are_silent(real_keras, name):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        got = getattr(ek.losses, name)(ek.ops.convert_to_tensor(Y_TRUE), ek.ops.convert_to_tensor(Y_PRED))
        metric = ek.metrics.get(name)
        metric.update_state(Y_TRUE, Y_PRED)
        metric.result()
    want = values(getattr(real_keras.losses, name)(Y_TRUE, Y_PRED))
    np.testing.assert_allclose(values(got), want, rtol=1e-5, equal_nan=True)


def test_training_step_with_overflow_is_silent():
    model = ek.Sequential([ek.Input(shape=(2,)), ek.layers.Dense(2, activation="exponential",
                                                               kernel_initializer=ek.initializers.Constant(500.0))])
    model.compile(loss="poisson", optimizer="sgd", metrics=[ek.metrics.AUC(from_logits=True)])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        history = model.fit(np.full((4, 2), 3.0, "float32"), np.zeros((4, 2), "float32"), verbose=0)
    assert not np.isfinite(history.history["loss"][0])   # inf, as Keras reports it, without a warning
