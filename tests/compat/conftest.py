"""Keras 3 is the reference for `ember.keras`, on its PyTorch backend: the backend is chosen before
anything imports keras, and the (slow) import happens once per session, in the `real_keras` fixture."""
import os

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")


@pytest.fixture(scope="session")
def real_keras():
    if os.environ["KERAS_BACKEND"] != "torch":
        raise RuntimeError("the Keras reference runs on the torch backend; "
                           f"KERAS_BACKEND={os.environ['KERAS_BACKEND']}")
    import keras
    keras.utils.set_random_seed(0)
    return keras


def pytest_configure(config):
    # Keras's torch backend converts tensors with np.array(x, copy=False), which NumPy 2 reports each time.
    config.addinivalue_line("filterwarnings", "ignore:__array__ implementation doesn't accept:DeprecationWarning")
