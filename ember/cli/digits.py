"""`ember train --model cnn|mlp`: a Keras-style `Sequential` on scikit-learn's 8x8 digits."""
import time

from ember import keras
from ember.cli import monitor
from ember.data.datasets import load_digits


def build_model(kind):
    """The digits models: a small CNN on (8, 8, 1) images, or an MLP on 64 pixels."""
    layers = keras.layers
    if kind == "cnn":
        body = [keras.Input(shape=(8, 8, 1)), layers.Conv2D(32, 3, padding="same", activation="relu"),
                layers.Conv2D(32, 3, padding="same", activation="relu"), layers.MaxPooling2D(), layers.Flatten(),
                layers.Dense(64, activation="relu"), layers.Dropout(0.25)]
    else:
        body = [keras.Input(shape=(64,)), layers.Dense(128, activation="relu"), layers.Dropout(0.3)]
    head = [layers.Dense(10, activation="softmax")]
    return keras.Sequential(body + head, name=f"digits_{kind}")


def load_data(kind):
    """Digits as channels-last images (cnn) or flat rows (mlp): ((x_train, y_train), (x_test, y_test))."""
    parts = []
    for train in (True, False):
        ds = load_digits(train=train)
        x = ds.data.transpose(0, 2, 3, 1) if kind == "cnn" else ds.data.reshape(len(ds), -1)
        parts.append((x, ds.targets))
    return parts


def run(options):
    """Train, evaluate on the held-out split, save; returns the exit status."""
    keras.utils.set_random_seed(options.seed)
    start = time.perf_counter()
    (x_train, y_train), (x_test, y_test) = load_data(options.model)
    model = build_model(options.model)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=2e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    print(f"ember train: {options.model} on digits ({len(x_train)} training, {len(x_test)} test samples), "
          f"{options.epochs} epochs, batch size {options.batch_size}, seed {options.seed}")
    validation = (x_test, y_test) if monitor.wanted(options) else None  # curves to watch; training is the same
    history = model.fit(x_train, y_train, batch_size=options.batch_size, epochs=options.epochs,
                        verbose=options.verbose, validation_data=validation, callbacks=monitor.callbacks(options))
    monitor.finish(options, history)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    model.save(options.output)
    print(f"test accuracy: {accuracy:.4f} (test loss {loss:.4f})")
    print(f"model written to {options.output}; keras.models.load_model reads it ({time.perf_counter() - start:.1f}s)")
    return 0
