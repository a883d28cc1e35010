"""Fashion-MNIST: uint8 images (60000, 28, 28) and (10000, 28, 28), uint8 labels, from the IDX files."""
import gzip
import os

import numpy as np

from ember.keras.datasets._sources import fetch

FILES = ["train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz"]


def load_data():
    """((x_train, y_train), (x_test, y_test))."""
    paths = [fetch(f, cache_subdir=os.path.join("datasets", "fashion-mnist")) for f in FILES]
    parts = []
    for labels_path, images_path in (paths[:2], paths[2:]):
        with gzip.open(labels_path, "rb") as f:
            y = np.frombuffer(f.read(), np.uint8, offset=8)
        with gzip.open(images_path, "rb") as f:
            x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(len(y), 28, 28)
        parts.append((x, y))
    return tuple(parts)
