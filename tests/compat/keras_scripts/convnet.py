"""A simple convnet in the style of Keras's MNIST example, on small stand-in images: the class is the
quadrant where a bright blob sits."""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
num_classes, input_shape = 4, (12, 12, 1)
rng = np.random.default_rng(0)


def make_images(n):
    y = rng.integers(0, num_classes, n)
    x = rng.random((n, 12, 12)).astype("float32") * 0.3
    for i, c in enumerate(y):
        r, col = (c // 2) * 6 + 1, (c % 2) * 6 + 1
        x[i, r:r + 4, col:col + 4] += 0.7
    return x, y


(x_train, y_train), (x_test, y_test) = make_images(512), make_images(128)
x_train = np.expand_dims(x_train, -1)
x_test = np.expand_dims(x_test, -1)
print("x_train shape:", x_train.shape)
y_train = keras.utils.to_categorical(y_train, num_classes)
y_test = keras.utils.to_categorical(y_test, num_classes)

model = keras.Sequential(
    [
        keras.Input(shape=input_shape),
        layers.Conv2D(8, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(16, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(num_classes, activation="softmax"),
    ]
)
model.summary()
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
history = model.fit(x_train, y_train, batch_size=32, epochs=8, validation_split=0.1, verbose=0)
score = model.evaluate(x_test, y_test, verbose=0)
print(f"Test loss: {score[0]:.3f}, test accuracy: {score[1]:.3f}")
assert score[1] > 0.8, score
