"""The functional API: a model with two inputs and two outputs, trained with one `fit`.

    python examples/functional_multi_input.py    # about 15 s on 2 cores; needs `pip install ember[datasets,files]`

Inputs: a digit image (8x8, channels last) and a noisy hint vector (the image's row and column
ink, 16 numbers). Outputs: the digit (10 classes) and whether it is even (one sigmoid). The image
branch is a small CNN, the hint branch a Dense layer; they meet in a shared trunk. Each output has
its own loss, metric and loss weight; `x` and `y` are dicts keyed by the inputs' and outputs' names.
The trained model is saved, loaded back and checked to predict the same.
Claims (asserted at the end): digit accuracy >= 95% and parity accuracy >= 95% on held-out digits.
"""
import os
import tempfile

import numpy as np

from ember import keras
from ember.data.datasets import load_digits

keras.utils.set_random_seed(0)
layers = keras.layers


def inputs_of(split):
    images = split.data.transpose(0, 2, 3, 1)                          # (n, 8, 8, 1)
    hints = np.concatenate([images.sum(axis=(2, 3)), images.sum(axis=(1, 3))], axis=1) / 8
    noise = np.random.default_rng(0).normal(0, 0.1, hints.shape)
    return {"image": images, "hints": (hints + noise).astype(np.float32)}


train, test = load_digits(train=True), load_digits(train=False)
x_train, x_test = inputs_of(train), inputs_of(test)
y_train = {"digit": train.targets, "even": (train.targets % 2 == 0).astype(np.float32)}
y_test = {"digit": test.targets, "even": (test.targets % 2 == 0).astype(np.float32)}

image = keras.Input(shape=(8, 8, 1), name="image")
hints = keras.Input(shape=(16,), name="hints")
a = layers.Conv2D(32, 3, padding="same", activation="relu")(image)
a = layers.MaxPooling2D()(a)
a = layers.Flatten()(a)
b = layers.Dense(32, activation="relu")(hints)
trunk = layers.Dense(64, activation="relu")(layers.Concatenate()([a, b]))
trunk = layers.Dropout(0.2)(trunk)
digit = layers.Dense(10, activation="softmax", name="digit")(trunk)
even = layers.Dense(1, activation="sigmoid", name="even")(trunk)
model = keras.Model(inputs=[image, hints], outputs=[digit, even], name="digits_two_heads")

model.compile(optimizer=keras.optimizers.Adam(learning_rate=2e-3),
              loss={"digit": "sparse_categorical_crossentropy", "even": "binary_crossentropy"},
              loss_weights={"digit": 1.0, "even": 0.5},
              metrics={"digit": ["accuracy"], "even": ["accuracy"]})
model.summary()
history = model.fit(x_train, y_train, batch_size=32, epochs=12, verbose=2)
for name in ("digit_loss", "even_loss"):
    first, last = history.history[name][0], history.history[name][-1]
    print(f"{name}: {first:.4f} -> {last:.4f}")
    assert last < first / 3, f"{name} should fall by 3x, went {first:.4f} -> {last:.4f}"

results = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
print("test:", {k: round(v, 4) for k, v in results.items()})

with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "two_heads.ember")
    model.save(path)
    loaded = keras.models.load_model(path)
    for mine, theirs in zip(model.predict(x_test, verbose=0), loaded.predict(x_test, verbose=0)):
        assert np.array_equal(mine, theirs), "the loaded model should predict exactly the same"
print("saved and loaded: predictions identical")

assert results["digit_accuracy"] >= 0.95, f"digit accuracy {results['digit_accuracy']:.4f} < 0.95"
assert results["even_accuracy"] >= 0.95, f"parity accuracy {results['even_accuracy']:.4f} < 0.95"
