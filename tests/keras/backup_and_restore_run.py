"""A training script for tests/keras/test_keras_callbacks.py: a seeded fit with BackupAndRestore.

    python backup_and_restore_run.py BACKUP_DIR OUT [KILL_MARKER]

With KILL_MARKER, the first run (while KILL_MARKER does not exist) creates it and kills itself with
SIGKILL in the middle of epoch 3 (after its 4th batch): no exception, no cleanup, no on_train_end.
The final weights and history are written to OUT (an ember file).
"""
import os
import signal
import sys

import numpy as np

import ember
from ember import keras


class KillOnce(keras.callbacks.Callback):
    def __init__(self, marker, epoch=2, batch=3):
        super().__init__()
        self.marker, self.epoch, self.batch, self.current = marker, epoch, batch, None

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.current == self.epoch and batch == self.batch and not os.path.exists(self.marker):
            open(self.marker, "w").close()
            os.kill(os.getpid(), signal.SIGKILL)


def main(backup_dir, out, marker=None):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 96)
    x = rng.standard_normal((96, 4)).astype(np.float32) + np.eye(3, 4, dtype=np.float32)[y]
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dropout(0.2), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    callbacks = [keras.callbacks.BackupAndRestore(backup_dir)]
    if marker:
        callbacks.append(KillOnce(marker))
    history = model.fit(x, y, epochs=5, batch_size=8, validation_split=0.25, callbacks=callbacks, verbose=0)
    ember.io.save({"weights": model.get_weights(), "history": history.history, "epoch": history.epoch}, out)


if __name__ == "__main__":
    main(*sys.argv[1:])
