"""A subclassed Keras model: layers made in `__init__`, the forward pass written in `call`.

    python examples/subclassed_model.py          # about 5 s on 2 cores; needs `pip install ember[datasets]`

`call` is plain Python run eagerly, so it can branch, loop and print; `training` tells it whether
`fit` (True) or `evaluate`/`predict` (False) is calling. Here a residual MLP classifies the digits.
Claims (asserted at the end): at least 95% accuracy on the held-out 20% of the digits.
"""
from ember import keras
from ember.data.datasets import load_digits


class ResidualMLP(keras.Model):
    def __init__(self, width=128, blocks=2, num_classes=10):
        super().__init__(name="residual_mlp")
        self.stem = keras.layers.Dense(width, activation="relu")
        self.blocks = [keras.layers.Dense(width, activation="relu") for _ in range(blocks)]
        for i, block in enumerate(self.blocks):          # a plain list: register each layer by name
            setattr(self, f"block{i}", block)
        self.dropout = keras.layers.Dropout(0.2)
        self.head = keras.layers.Dense(num_classes, activation="softmax")

    def call(self, inputs, training=False):
        x = self.stem(inputs)
        for block in self.blocks:
            x = x + block(x)                             # a residual connection
        return self.head(self.dropout(x, training=training))


keras.utils.set_random_seed(0)
train, test = load_digits(train=True), load_digits(train=False)
x_train, y_train = train.data.reshape(len(train), 64), train.targets     # 64 pixels per row
x_test, y_test = test.data.reshape(len(test), 64), test.targets

model = ResidualMLP()
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=32, epochs=20, verbose=0)
model.summary()

loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
print(f"final training loss {history.history['loss'][-1]:.4f}, accuracy {history.history['accuracy'][-1]:.4f}")
print(f"test accuracy: {accuracy:.4f} (test loss {loss:.4f})")
assert accuracy >= 0.95, f"expected at least 95% test accuracy, got {accuracy:.4f}"
