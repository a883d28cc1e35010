"""A Keras-style CNN on the 8x8 handwritten digits: Sequential, compile, fit, evaluate, predict.

    python examples/keras_digits_cnn.py          # about 10 s on 2 cores; needs `pip install ember[datasets]`

Keras code ports by changing `from tensorflow import keras` to `from ember import keras`.
Claims (asserted at the end): at least 97% accuracy on the held-out 20% of the digits.
"""
from ember import keras
from ember.data.datasets import load_digits

keras.utils.set_random_seed(0)

# load_digits gives (1, 8, 8) float32 images in [0, 1]; Keras layers want channels last.
train, test = load_digits(train=True), load_digits(train=False)
x_train, y_train = train.data.transpose(0, 2, 3, 1), train.targets
x_test, y_test = test.data.transpose(0, 2, 3, 1), test.targets

model = keras.Sequential([
    keras.Input(shape=(8, 8, 1)),
    keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
    keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
    keras.layers.MaxPooling2D(),
    keras.layers.Flatten(),
    keras.layers.Dense(64, activation="relu"),
    keras.layers.Dropout(0.25),
    keras.layers.Dense(10, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=2e-3), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
model.summary()
model.fit(x_train, y_train, batch_size=32, epochs=20, verbose=2)

loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
predictions = model.predict(x_test[:8]).argmax(axis=1)
print(f"first test digits: predicted {predictions.tolist()}, true {y_test[:8].tolist()}")
print(f"test accuracy: {accuracy:.4f} (test loss {loss:.4f})")
assert accuracy >= 0.97, f"expected at least 97% test accuracy, got {accuracy:.4f}"
