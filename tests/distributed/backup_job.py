"""Data-parallel Keras fit with BackupAndRestore, for tests/distributed/test_distributed.py:

    ember run -n 2 backup_job.py OUT BACKUP_DIR KILL_AT

With KILL_AT >= 0, rank 1 SIGKILLs itself at the start of that epoch (after rank 0 has written the
backup of the epochs before). Rank 0 writes the final weights to OUT/weights.npz.
"""
import os
import signal
import sys

import numpy as np

import ember.distributed as dist
from ember import keras

out, backup_dir, kill_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
keras.distribution.set_distribution(keras.distribution.DataParallel())
rank = dist.get_rank()


class KillRankOne(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == kill_at:
            dist.barrier()  # rank 0 has finished the backup of the epochs so far
            if rank == 1:
                os.kill(os.getpid(), signal.SIGKILL)


keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)
x = rng.standard_normal((96, 10)).astype(np.float32)
y = (x[:, :4].sum(1) > 0).astype(np.int64)
model = keras.Sequential([keras.Input(shape=(10,)), keras.layers.Dense(16, activation="relu"),
                          keras.layers.Dense(2, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
backup = keras.callbacks.BackupAndRestore(backup_dir)
history = model.fit(x, y, batch_size=16, epochs=5, verbose=0, callbacks=[backup, KillRankOne()])
if rank == 0:
    np.savez(os.path.join(out, "weights.npz"), *model.get_weights())
    with open(os.path.join(out, "restored_from"), "w") as f:
        f.write(str(backup.restored_from))
