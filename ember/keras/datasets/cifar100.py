"""CIFAR-100: uint8 images (50000, 32, 32, 3) and (10000, 32, 32, 3); fine (100) or coarse (20) labels (n, 1)."""
import os

import numpy as np

from ember.errors import ArgumentError
from ember.keras.datasets._sources import fetch
from ember.keras.datasets.cifar10 import load_batch


def load_data(label_mode="fine"):
    """((x_train, y_train), (x_test, y_test)); `label_mode` is "fine" or "coarse"."""
    if label_mode not in ("fine", "coarse"):
        raise ArgumentError(f"cifar100.load_data: label_mode must be 'fine' or 'coarse', got {label_mode!r}")
    folder = os.path.join(fetch("cifar-100-python-target", extract=True), "cifar-100-python")
    out = []
    for part in ("train", "test"):
        x, y = load_batch(os.path.join(folder, part), label_key=label_mode + "_labels")
        out.append((np.asarray(x, "uint8").transpose(0, 2, 3, 1), np.asarray(y, "int64").reshape(-1, 1)))
    return tuple(out)
