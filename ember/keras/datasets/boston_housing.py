"""Boston housing prices: float64 features (n, 13) and prices (n,)."""
from ember.keras.datasets._sources import fetch, shuffled, split_at
from ember.keras.file_utils import load_npz


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """((x_train, y_train), (x_test, y_test)), shuffled with `seed` and split as Keras does."""
    f = load_npz(fetch("boston_housing.npz", path))
    return split_at(test_split, *shuffled(seed, f["x"], f["y"]))
