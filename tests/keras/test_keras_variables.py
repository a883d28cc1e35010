"""keras.Variable (assign, assign_add, assign_sub), metrics keeping their state in variables made by
`add_variable` (Keras's way to write a custom metric), and custom-metric results in fit's History,
each run on real Keras (torch backend) and on ember.keras with the same code."""
import numpy as np
import pytest

from ember import keras as ember_keras
from ember.errors import ShapeError


def _metric_class(keras):
    class WithinTolerance(keras.metrics.Metric):
        def __init__(self, tol=0.25, name="within_tol", **kwargs):
            super().__init__(name=name, **kwargs)
            self.tol = tol
            self.hits = self.add_variable(shape=(), initializer="zeros", name="hits")
            self.count = self.add_weight(shape=(), initializer="zeros", name="count")

        def update_state(self, y_true, y_pred, sample_weight=None):
            ok = keras.ops.cast(keras.ops.abs(y_true - y_pred) <= self.tol, "float32")
            self.hits.assign_add(keras.ops.sum(ok))
            self.count.assign(self.count + keras.ops.cast(keras.ops.size(ok), "float32"))

        def result(self):
            return self.hits / keras.ops.maximum(self.count, 1.0)

        def get_config(self):
            return {**super().get_config(), "tol": self.tol}
    return WithinTolerance


def _run_metric(keras):
    m = _metric_class(keras)(0.5)
    y_true = np.zeros((4, 1), "float32")
    first = float(m(y_true, np.array([[0.1], [0.6], [-0.4], [2.0]], "float32")))
    m.update_state(y_true, np.array([[0.0], [0.0], [3.0], [0.2]], "float32"))
    second = float(m.result())
    names = sorted(v.name for v in m.variables)
    trainable = [bool(v.trainable) for v in m.variables]
    m.reset_state()   # the base reset_state zeroes every variable
    after_reset = [float(np.asarray(v.numpy())) for v in m.variables]
    clone = type(m).from_config(m.get_config())
    return first, second, names, trainable, after_reset, clone.tol


def test_custom_metric_with_add_variable_matches_keras(real_keras):
    assert _run_metric(ember_keras) == _run_metric(real_keras)


def _variable_ops(keras):
    v = keras.Variable(np.array([1.0, 2.0], "float32"), trainable=False, name="v")
    v.assign_add(np.array([1.0, 1.0], "float32"))
    v.assign_sub(keras.ops.ones((2,)))
    v.assign(v * 3)
    z = keras.Variable("ones", shape=(2, 3), name="z")
    return np.asarray(v.numpy()).tolist(), bool(v.trainable), np.asarray(z.numpy()).tolist(), bool(z.trainable)


def test_variable_assignments_match_keras(real_keras):
    assert _variable_ops(ember_keras) == _variable_ops(real_keras)


def test_assign_with_another_shape_is_an_error_naming_both():
    v = ember_keras.Variable("zeros", shape=(2,), name="w")
    with pytest.raises(ShapeError, match=r"\(3,\).*'w'.*\(2,\)"):
        v.assign(np.zeros(3, "float32"))


def _fit_history(keras):
    keras.utils.set_random_seed(1)
    x = np.linspace(-1, 1, 64, dtype="float32")[:, None]
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, kernel_initializer="ones")])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", metrics=[_metric_class(keras)(0.3)])
    history = model.fit(x, 2 * x, batch_size=64, epochs=3, shuffle=False, verbose=0).history
    layer = model.layers[0]
    layer.kernel.assign(np.full((1, 1), 2.0, "float32"))   # a layer's weights are variables too
    return history, model.predict(x[:2], verbose=0).tolist()


def test_custom_metric_results_are_floats_in_history(real_keras):
    ours, theirs = _fit_history(ember_keras), _fit_history(real_keras)
    assert all(type(v) is float for v in ours[0]["within_tol"])
    np.testing.assert_allclose(ours[0]["within_tol"], theirs[0]["within_tol"], rtol=1e-6)
    np.testing.assert_allclose(ours[0]["loss"], theirs[0]["loss"], rtol=1e-5)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-5)
