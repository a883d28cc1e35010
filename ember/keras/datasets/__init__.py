"""`keras.datasets`: Keras's small datasets, downloaded once (with Keras's checksums) into
`~/.keras/datasets` (or `$KERAS_HOME/datasets`), returned with Keras's shapes and dtypes.

    >>> (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()   # doctest: +SKIP
    >>> x_train.shape, x_train.dtype                                              # doctest: +SKIP
    ((60000, 28, 28), dtype('uint8'))
"""
from ember.keras.datasets import (boston_housing, california_housing, cifar10, cifar100, fashion_mnist, imdb, mnist,
                                  reuters)

__all__ = ["boston_housing", "california_housing", "cifar10", "cifar100", "fashion_mnist", "imdb", "mnist", "reuters"]
