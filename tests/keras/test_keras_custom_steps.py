"""Differential tests of the custom-step contract: the code of Keras 3's "customizing what happens in
fit()" guide (torch backend), run unchanged on real Keras and on ember.keras with the same data and
the same initial weights; the loss and metric curves must agree."""
import numpy as np
import pytest

import ember
from ember import keras as ember_keras

COVERS = {"keras.metrics": ["Mean", "MeanAbsoluteError"], "keras.losses": ["MeanSquaredError"],
          "keras.optimizers": ["Adam", "SGD"]}


def guide_models(keras, torch):
    """The guide's models, written once against (keras, torch) modules."""

    class CompiledLoss(keras.Model):  # compute_loss, self.metrics, optimizer.apply, variable.value
        def train_step(self, data):
            x, y = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            loss.backward()
            trainable_weights = [v for v in self.trainable_weights]
            gradients = [v.value.grad for v in trainable_weights]
            with torch.no_grad():
                self.optimizer.apply(gradients, trainable_weights)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

        def test_step(self, data):
            x, y = data
            y_pred = self(x, training=False)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    class OwnMetrics(keras.Model):  # compile() without a loss; metrics listed by the model
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_tracker = keras.metrics.Mean(name="loss")
            self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")
            self.loss_fn = keras.losses.MeanSquaredError()

        def train_step(self, data):
            x, y = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.loss_fn(y, y_pred)
            loss.backward()
            trainable_weights = [v for v in self.trainable_weights]
            gradients = [v.value.grad for v in trainable_weights]
            with torch.no_grad():
                self.optimizer.apply(gradients, trainable_weights)
            self.loss_tracker.update_state(loss)
            self.mae_metric.update_state(y, y_pred)
            return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae_metric]

    class Weighted(keras.Model):  # sample weights through compute_loss and the metrics
        def train_step(self, data):
            x, y, sample_weight = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)
            loss.backward()
            trainable_weights = [v for v in self.trainable_weights]
            gradients = [v.value.grad for v in trainable_weights]
            with torch.no_grad():
                self.optimizer.apply(gradients, trainable_weights)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred, sample_weight=sample_weight)
            return {m.name: m.result() for m in self.metrics}

    class OwnPredict(keras.Model):
        def predict_step(self, data):
            (x,) = data if isinstance(data, tuple) else (data,)
            return self(x, training=False) * 2.0

    return CompiledLoss, OwnMetrics, Weighted, OwnPredict


def build(keras, cls, hidden=8):
    inputs = keras.Input(shape=(6,))
    h = keras.layers.Dense(hidden, activation="relu")(inputs)
    outputs = keras.layers.Dense(1)(h)
    return cls(inputs, outputs)


def data(n=48):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 6)).astype("float32")
    y = (x[:, :1] * 2 - x[:, 1:2] + 0.1 * rng.standard_normal((n, 1))).astype("float32")
    return x, y


def pair(real_keras, which, compile_kwargs):
    """The guide's model `which` on real Keras and on ember, same weights, compiled alike
    (`compile_kwargs` may be a function of the keras module)."""
    import torch
    real_cls = guide_models(real_keras, torch)[which]
    ours_cls = guide_models(ember_keras, ember)[which]
    real, ours = build(real_keras, real_cls), build(ember_keras, ours_cls)
    ours.set_weights(real.get_weights())
    real.compile(**(compile_kwargs(real_keras) if callable(compile_kwargs) else compile_kwargs))
    ours.compile(**(compile_kwargs(ember_keras) if callable(compile_kwargs) else compile_kwargs))
    return real, ours


def assert_same_history(h_real, h_ours, keys):
    for key in keys:
        np.testing.assert_allclose(h_ours.history[key], h_real.history[key], rtol=2e-4, atol=1e-6, err_msg=key)


def test_guide_train_and_test_step_with_compute_loss(real_keras):
    real, ours = pair(real_keras, 0, dict(optimizer="adam", loss="mse", metrics=["mae"]))
    x, y = data()
    kw = dict(epochs=3, batch_size=16, shuffle=False, verbose=0, validation_data=(x[:16], y[:16]))
    h_real, h_ours = real.fit(x, y, **kw), ours.fit(x, y, **kw)
    assert sorted(h_ours.history) == sorted(h_real.history) == ["loss", "mae", "val_loss", "val_mae"]
    assert_same_history(h_real, h_ours, h_real.history)
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0), real.evaluate(x, y, verbose=0), rtol=2e-4)
    for w_ours, w_real in zip(ours.get_weights(), real.get_weights()):
        np.testing.assert_allclose(w_ours, w_real, rtol=1e-4, atol=1e-6)


def test_guide_compile_without_loss_and_own_metrics(real_keras):
    real, ours = pair(real_keras, 1, lambda keras: dict(optimizer=keras.optimizers.SGD(0.05)))
    x, y = data()
    kw = dict(epochs=4, batch_size=12, shuffle=False, verbose=0)
    h_real, h_ours = real.fit(x, y, **kw), ours.fit(x, y, **kw)
    assert sorted(h_ours.history) == ["loss", "mae"]
    assert_same_history(h_real, h_ours, ["loss", "mae"])
    assert [m.name for m in ours.metrics] == [m.name for m in real.metrics]


def test_guide_sample_weight_step(real_keras):
    real, ours = pair(real_keras, 2, dict(optimizer="adam", loss="mse", metrics=["mae"]))
    x, y = data()
    sw = np.linspace(0.2, 2.0, len(x)).astype("float32")
    kw = dict(epochs=3, batch_size=16, shuffle=False, verbose=0, sample_weight=sw)
    h_real, h_ours = real.fit(x, y, **kw), ours.fit(x, y, **kw)
    assert_same_history(h_real, h_ours, ["loss", "mae"])


def test_predict_step_override(real_keras):
    real, ours = pair(real_keras, 3, dict(optimizer="adam", loss="mse"))
    x, _ = data(10)
    np.testing.assert_allclose(ours.predict(x, batch_size=4, verbose=0), real.predict(x, batch_size=4, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_default_fit_without_loss_says_what_to_do():
    model = build(ember_keras, ember_keras.Model)
    model.compile(optimizer="adam")
    x, y = data(8)
    with pytest.raises(ember.errors.ArgumentError, match="override train_step"):
        model.fit(x, y, verbose=0)


def test_optimizer_apply_moves_only_the_given_variables():
    a, b = ember.nn.Parameter(ember.ones(3)), ember.nn.Parameter(ember.ones(2))
    opt = ember_keras.optimizers.SGD(0.5)
    opt.build([a, b])
    b.grad = ember.ones(2)
    opt.apply([ember.ones(3)], [a])
    np.testing.assert_allclose(a.detach().numpy(), 0.5)
    np.testing.assert_allclose(b.detach().numpy(), 1.0)
    with pytest.raises(ember.errors.ArgumentError, match="not among"):
        opt.apply([ember.ones(4)], [ember.nn.Parameter(ember.ones(4))])
