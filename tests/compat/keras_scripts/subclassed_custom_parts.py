"""Custom parts in the style of Keras's "Making new layers and models via subclassing" and
"Customizing Saving and Serialization" guides: a Layer creating its weights with add_weight in
build(), a subclassed Model with call() and get_config(), a custom Loss and a custom Metric class
(with its own state variables), all registered as serializable, trained with fit, saved to a .keras
file and loaded back with the same predictions, weights and config."""
import numpy as np
import keras
from keras import ops

keras.utils.set_random_seed(4)


@keras.saving.register_keras_serializable(package="scripts")
class ScaledDense(keras.layers.Layer):
    def __init__(self, units=32, init_scale=1.0, **kwargs):
        super().__init__(**kwargs)
        self.units, self.init_scale = units, init_scale

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform",
                                 trainable=True, name="kernel")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True, name="bias")
        self.scale = self.add_weight(shape=(), initializer=keras.initializers.Constant(self.init_scale),
                                     trainable=False, name="scale")

    def call(self, inputs):
        return self.scale * (ops.matmul(inputs, self.w) + self.b)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "init_scale": self.init_scale}


@keras.saving.register_keras_serializable(package="scripts")
class HuberLike(keras.losses.Loss):
    def __init__(self, delta=1.0, name="huber_like", **kwargs):
        super().__init__(name=name, **kwargs)
        self.delta = delta

    def call(self, y_true, y_pred):
        err = ops.abs(y_true - y_pred)
        quadratic = ops.minimum(err, self.delta)
        return ops.mean(0.5 * quadratic ** 2 + self.delta * (err - quadratic), axis=-1)

    def get_config(self):
        return {**super().get_config(), "delta": self.delta}


@keras.saving.register_keras_serializable(package="scripts")
class WithinTolerance(keras.metrics.Metric):
    """Fraction of predictions within `tol` of the target."""

    def __init__(self, tol=0.25, name="within_tol", **kwargs):
        super().__init__(name=name, **kwargs)
        self.tol = tol
        self.hits = self.add_variable(shape=(), initializer="zeros", name="hits")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        ok = ops.cast(ops.abs(y_true - y_pred) <= self.tol, "float32")
        self.hits.assign_add(ops.sum(ok))
        self.count.assign_add(ops.cast(ops.size(ok), "float32"))

    def result(self):
        return self.hits / ops.maximum(self.count, 1.0)

    def reset_state(self):
        self.hits.assign(0.0)
        self.count.assign(0.0)

    def get_config(self):
        return {**super().get_config(), "tol": self.tol}


@keras.saving.register_keras_serializable(package="scripts")
class Regressor(keras.Model):
    def __init__(self, hidden=16, dropout=0.1, **kwargs):
        super().__init__(**kwargs)
        self.hidden, self.dropout_rate = hidden, dropout
        self.block = ScaledDense(hidden, init_scale=0.5)
        self.dropout = keras.layers.Dropout(dropout)
        self.head = keras.layers.Dense(1)

    def call(self, inputs, training=False):
        x = ops.relu(self.block(inputs))
        return self.head(self.dropout(x, training=training))

    def get_config(self):
        return {**super().get_config(), "hidden": self.hidden, "dropout": self.dropout_rate}


rng = np.random.default_rng(4)
x = rng.uniform(-1, 1, size=(512, 3)).astype("float32")
y = (np.sin(2 * x[:, :1]) + x[:, 1:2] * x[:, 2:3]).astype("float32")
y[::50] += 4.0   # a few outliers, for the robust loss
model = Regressor(hidden=32, name="regressor")
model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=HuberLike(delta=0.5), metrics=[WithinTolerance(0.25)])
history = model.fit(x, y, batch_size=32, epochs=15, verbose=0)
h = history.history
print({k: [round(v[0], 4), round(v[-1], 4)] for k, v in h.items()})
assert h["loss"][-1] < 0.5 * h["loss"][0] and h["within_tol"][-1] > 0.7, h
assert model.block.scale.trainable is False and float(model.block.scale.numpy()) == 0.5
assert len(model.trainable_weights) == 4 and len(model.non_trainable_weights) == 1

model.save("regressor.keras")
restored = keras.saving.load_model("regressor.keras")
assert type(restored) is Regressor and restored.get_config()["hidden"] == 32
assert isinstance(restored.loss, HuberLike) and restored.loss.delta == 0.5
np.testing.assert_allclose(restored.predict(x[:64], verbose=0), model.predict(x[:64], verbose=0), rtol=1e-6, atol=1e-6)
for a, b in zip(model.get_weights(), restored.get_weights()):
    np.testing.assert_array_equal(a, b)
scores = restored.evaluate(x, y, verbose=0, return_dict=True)
assert abs(scores["loss"] - model.evaluate(x, y, verbose=0, return_dict=True)["loss"]) < 1e-6
metric = WithinTolerance.from_config(WithinTolerance(0.5).get_config())
metric.update_state(np.zeros((4, 1), "float32"), np.array([[0.1], [0.6], [-0.4], [2.0]], "float32"))
assert metric.tol == 0.5 and abs(float(metric.result()) - 0.5) < 1e-7
metric.reset_state()
assert float(metric.result()) == 0.0
