"""Keras's activations by name: `Dense(10, activation="softmax")`.

    >>> from ember import keras
    >>> keras.activations.get("relu")(ember.tensor([-1.0, 2.0]))
    tensor([0., 2.])
"""
from ember.errors import ArgumentError
from ember.nn import functional as F
from ember.keras.activations_more import (celu, exponential, glu, hard_shrink, hard_sigmoid, hard_silu, hard_swish,
                                          hard_tanh, log_sigmoid, mish, relu6, soft_shrink, softsign, sparse_plus,
                                          sparse_sigmoid, squareplus, tanh_shrink, threshold)

__all__ = ["get", "serialize", "deserialize", "relu", "softmax", "sigmoid", "tanh", "gelu", "linear", "elu", "selu",
           "softplus", "swish", "silu", "leaky_relu", "log_softmax", "celu", "exponential", "glu", "hard_sigmoid",
           "hard_silu", "hard_swish", "hard_tanh", "log_sigmoid", "mish", "relu6", "soft_shrink", "hard_shrink",
           "softsign", "tanh_shrink", "threshold", "squareplus", "sparse_plus", "sparse_sigmoid"]


def relu(x):
    """max(x, 0)."""
    return F.relu(x)


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along `axis` (the last one by default, as in Keras)."""
    return F.softmax(x, dim=axis)


def log_softmax(x, axis=-1):
    """log(softmax(x)) along `axis`."""
    return F.log_softmax(x, dim=axis)


def sigmoid(x):
    """1 / (1 + exp(-x))."""
    return F.sigmoid(x)


def tanh(x):
    """Hyperbolic tangent."""
    return F.tanh(x)


def gelu(x, approximate=False):
    """Gaussian error linear unit (exact erf form unless `approximate`)."""
    return F.gelu(x, approximate="tanh" if approximate else "none")


def linear(x):
    """The identity: what `activation=None` means."""
    return x


def elu(x, alpha=1.0):
    """Exponential linear unit."""
    return F.elu(x, alpha)


def selu(x):
    """Scaled exponential linear unit."""
    return F.selu(x)


def softplus(x):
    """log(1 + exp(x))."""
    return F.softplus(x)


def silu(x):
    """x * sigmoid(x) (Keras's `swish`)."""
    return F.silu(x)


swish = silu


def leaky_relu(x, negative_slope=0.2):
    """Leaky ReLU with Keras's default slope 0.2."""
    return F.leaky_relu(x, negative_slope)


ACTIVATIONS = {"relu": relu, "softmax": softmax, "log_softmax": log_softmax, "sigmoid": sigmoid, "tanh": tanh,
               "gelu": gelu, "linear": linear, "elu": elu, "selu": selu, "softplus": softplus,
               "silu": silu, "swish": swish,
               "leaky_relu": leaky_relu, "celu": celu, "exponential": exponential, "glu": glu,
               "hard_sigmoid": hard_sigmoid, "hard_silu": hard_silu, "hard_swish": hard_swish, "hard_tanh": hard_tanh,
               "log_sigmoid": log_sigmoid, "mish": mish, "relu6": relu6, "soft_shrink": soft_shrink,
               "hard_shrink": hard_shrink, "softsign": softsign, "tanh_shrink": tanh_shrink,
               "squareplus": squareplus, "sparse_plus": sparse_plus, "sparse_sigmoid": sparse_sigmoid}


def get(identifier):
    """The activation function for a name, a callable (returned as is) or None (`linear`)."""
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    if isinstance(identifier, str) and identifier in ACTIVATIONS:
        return ACTIVATIONS[identifier]
    raise ArgumentError(f"keras.activations.get: unknown activation {identifier!r}; "
                        f"known names: {', '.join(sorted(ACTIVATIONS))} (or pass a callable)")


def deserialize(config, custom_objects=None):
    """The activation for a name written by `serialize` (or a Keras config dict naming one)."""
    name = config.get("config", config.get("class_name")) if isinstance(config, dict) else config
    return get(name)


def serialize(fn):
    """The registered name of an activation function, else its `__name__`."""
    for name, f in ACTIVATIONS.items():
        if f is fn:
            return name
    return getattr(fn, "__name__", repr(fn))
