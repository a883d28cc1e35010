"""Level 5: `ember.keras`, Keras's API on ember: lazy layers, `Sequential`, `compile`/`fit`,
callbacks, and losses, metrics and optimizers by Keras name. Keras code ports by changing
`from tensorflow import keras` to `from ember import keras`.

    >>> from ember import keras
    >>> model = keras.Sequential([keras.Input(shape=(8, 8, 1)),
    ...                           keras.layers.Conv2D(8, 3, activation="relu"),
    ...                           keras.layers.Flatten(),
    ...                           keras.layers.Dense(10, activation="softmax")])
    >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
"""
from ember.keras import (activations, callbacks, datasets, initializers, layers, losses, metrics, ops, optimizers,
                         preprocessing, random, regularizers, saving, utils, wrappers)
from ember.keras import mixed_precision
from ember.keras.layers import Input, InputLayer, Layer
from ember.keras.models import Model, Sequential
from ember.keras import models
from ember.keras.variables import Variable
from ember.keras import backend, config

__all__ = ["activations", "backend", "config", "callbacks", "datasets", "preprocessing", "random", "initializers",
           "layers", "losses", "metrics", "models", "ops", "optimizers", "regularizers", "saving", "utils", "wrappers", "Input",
           "InputLayer", "Layer", "Model", "Sequential", "Variable"]
from ember.keras import distribution  # noqa: E402  (keras.distribution.DataParallel; MPI is started only when used)
