"""`keras.config`: the global settings Keras code reads and sets, as far as ember has them.

    >>> keras.config.floatx(), keras.config.epsilon(), keras.config.image_data_format()
    ('float32', 1e-07, 'channels_last')
    >>> keras.config.set_floatx("float64")      # before the first layer: layers compute in float64
    >>> keras.config.set_floatx("float32")

Settings ember does not have a second value for (a fuzz factor other than 1e-7, channels-first as the
default data format, half precision as floatx) raise instead of being accepted and ignored.
"""
from ember.errors import ArgumentError
from ember.keras.mixed_precision import policy as policies

__all__ = ["backend", "dtype_policy", "epsilon", "floatx", "image_data_format", "set_dtype_policy", "set_epsilon",
           "set_floatx", "set_image_data_format"]

EPSILON = 1e-7  # the fuzz factor ember's losses, metrics and ops clip with
_FLOATS = ("float32", "float64")
dtype_policy, set_dtype_policy = policies.global_policy, policies.set_global_policy


def backend():
    """The name of the library running Keras code: "ember"."""
    return "ember"


def floatx():
    """The default float dtype, as a string."""
    return policies._floatx[0]


def set_floatx(value):
    """Make `value` ("float32" or "float64") the default float dtype. As in Keras, new layers take it while
    no dtype policy has been fixed: the first layer (or `dtype_policy()`) fixes the policy from floatx,
    and `keras.backend.clear_session()` or `set_dtype_policy(None)` unfixes it."""
    if value not in _FLOATS:
        raise ArgumentError(f"keras.config.set_floatx: {value!r} is not supported by ember; use one of {_FLOATS} "
                            "(for half precision, a 'mixed_float16'/'mixed_bfloat16' dtype policy)")
    policies._floatx[0] = value


def epsilon():
    """The fuzz factor (1e-7)."""
    return EPSILON


def set_epsilon(value):
    """ember's losses and metrics clip with 1e-7; another value raises rather than being ignored."""
    if float(value) != EPSILON:
        raise ArgumentError(f"keras.config.set_epsilon: ember's losses and metrics use {EPSILON}; got {value!r}")


def image_data_format():
    """The default `data_format` of image layers: "channels_last"."""
    return "channels_last"


def set_image_data_format(value):
    """Only "channels_last" (each layer takes `data_format="channels_first"` itself); another value raises."""
    if value != "channels_last":
        raise ArgumentError(f"keras.config.set_image_data_format: only 'channels_last' is the default in ember "
                            f"(pass data_format='channels_first' to each layer); got {value!r}")
