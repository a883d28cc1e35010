"""California housing prices: float features (n, 8) and median house values (n,)."""
from ember.errors import ArgumentError
from ember.keras.datasets._sources import fetch, shuffled, split_at
from ember.keras.file_utils import load_npz


def load_data(version="large", path="california_housing.npz", test_split=0.2, seed=113):
    """((x_train, y_train), (x_test, y_test)); version "small" keeps the first 600 samples."""
    if version not in ("large", "small"):
        raise ArgumentError(f"california_housing.load_data: version must be 'large' or 'small', got {version!r}")
    f = load_npz(fetch("california_housing.npz", path))
    x, y = (f["x"][:600], f["y"][:600]) if version == "small" else (f["x"], f["y"])
    return split_at(test_split, *shuffled(seed, x, y))
