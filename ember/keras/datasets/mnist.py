"""MNIST digits: uint8 images (60000, 28, 28) and (10000, 28, 28), uint8 labels."""
from ember.keras.datasets._sources import fetch
from ember.keras.file_utils import load_npz


def load_data(path="mnist.npz"):
    """((x_train, y_train), (x_test, y_test)) from Keras's mnist.npz."""
    f = load_npz(fetch("mnist.npz", path))
    return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
