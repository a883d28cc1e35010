"""Time-series classification from scratch, in the style of Keras's fully convolutional example:
stand-in series are noisy sines (class 0) or noisy square waves (class 1)."""
import numpy as np
import keras

keras.utils.set_random_seed(2)
rng = np.random.default_rng(2)


def readucr(n):
    t = np.linspace(0, 4 * np.pi, 64)
    y = rng.integers(0, 2, n)
    phase = rng.random((n, 1)) * 2 * np.pi
    wave = np.sin(t + phase)
    x = np.where(y[:, None] == 1, np.sign(wave), wave) + 0.3 * rng.standard_normal((n, 64))
    return x.astype("float32"), y


x_train, y_train = readucr(256)
x_test, y_test = readucr(64)
x_train = x_train.reshape((x_train.shape[0], x_train.shape[1], 1))
x_test = x_test.reshape((x_test.shape[0], x_test.shape[1], 1))
num_classes = len(np.unique(y_train))
idx = np.random.permutation(len(x_train))
x_train, y_train = x_train[idx], y_train[idx]


def make_model(input_shape):
    input_layer = keras.layers.Input(input_shape)
    conv1 = keras.layers.Conv1D(filters=16, kernel_size=3, padding="same")(input_layer)
    conv1 = keras.layers.BatchNormalization()(conv1)
    conv1 = keras.layers.ReLU()(conv1)
    conv2 = keras.layers.Conv1D(filters=16, kernel_size=3, padding="same")(conv1)
    conv2 = keras.layers.BatchNormalization()(conv2)
    conv2 = keras.layers.ReLU()(conv2)
    gap = keras.layers.GlobalAveragePooling1D()(conv2)
    output_layer = keras.layers.Dense(num_classes, activation="softmax")(gap)
    return keras.models.Model(inputs=input_layer, outputs=output_layer)


model = make_model(input_shape=x_train.shape[1:])
callbacks = [
    keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=3, min_lr=0.0001),
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=6, verbose=0),
]
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
history = model.fit(x_train, y_train, batch_size=32, epochs=12, callbacks=callbacks, validation_split=0.2,
                    verbose=0)
test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
print("Test accuracy", test_acc)
assert test_acc > 0.85, test_acc
