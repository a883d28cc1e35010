"""CIFAR-10: uint8 images (50000, 32, 32, 3) and (10000, 32, 32, 3), uint8 labels of shape (n, 1)."""
import os

import numpy as np

from ember.keras.datasets._sources import fetch
from ember.keras.file_utils import RestrictedUnpickler


def load_batch(fpath, label_key="labels"):
    """(images (n, 3, 32, 32), labels) of one CIFAR pickle batch, read with `RestrictedUnpickler`."""
    with open(fpath, "rb") as f:
        d = {k.decode("utf8"): v for k, v in RestrictedUnpickler(f, encoding="bytes").load().items()}
    data = d["data"]
    return data.reshape(data.shape[0], 3, 32, 32), d[label_key]


def load_data():
    """((x_train, y_train), (x_test, y_test)), channels last as Keras's default image_data_format."""
    folder = os.path.join(fetch("cifar-10-batches-py-target", extract=True), "cifar-10-batches-py")
    batches = [load_batch(os.path.join(folder, f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([b[0] for b in batches]).astype("uint8")
    y_train = np.concatenate([np.asarray(b[1]) for b in batches]).astype("uint8")
    x_test, y_test = load_batch(os.path.join(folder, "test_batch"))
    # as Keras: the training labels are uint8, the test labels keep the file's ints (int64)
    return ((x_train.transpose(0, 2, 3, 1), y_train.reshape(-1, 1)),
            (x_test.transpose(0, 2, 3, 1), np.reshape(y_test, (-1, 1))))
