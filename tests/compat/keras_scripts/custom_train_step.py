"""Customizing what happens in fit() on the torch backend, in the style of Keras's guide: a model's own
train_step (zero_grad, compute_loss, backward, optimizer.apply, metrics) and test_step."""
import numpy as np
import keras
from keras import layers
import torch

keras.utils.set_random_seed(6)


class CustomModel(keras.Model):
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


inputs = keras.Input(shape=(32,))
outputs = keras.layers.Dense(1)(inputs)
model = CustomModel(inputs, outputs)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.02), loss="mse", metrics=["mae"])
x = np.random.random((1000, 32)).astype("float32")
y = (x @ np.linspace(-1, 1, 32)[:, None]).astype("float32")
history = model.fit(x, y, epochs=5, verbose=0)
loss, mae = model.evaluate(x, y, verbose=0)
print(f"loss {loss:.4f} mae {mae:.4f}")
assert history.history["loss"][-1] < 0.5 * history.history["loss"][0], history.history["loss"]
