"""Helpers shared by the Keras layers: argument checks, shape errors that name the layer, and the
JSON-ready configs of initializers, regularizers, activations and wrapped layers."""
from ember.errors import ArgumentError, ShapeError
from ember.keras import activations, initializers, regularizers
from ember.keras.layers.base import Layer

__all__ = ["positive_int", "check_rank", "weight_config", "serialize_layer", "deserialize_layer"]


def positive_int(value, what, where):
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ArgumentError(f"{where}: {what} must be a positive int, got {value!r}")
    return value


def check_rank(layer, inputs, ndim, want):
    """A ShapeError naming the layer unless `inputs` has `ndim` dims (`want` describes them)."""
    shape = tuple(inputs.shape) if hasattr(inputs, "shape") else tuple(inputs)
    if len(shape) != ndim:
        raise ShapeError(f"{type(layer).__name__} {layer.name!r}: input of shape {shape}: expected {want}")


def weight_config(layer, *names):
    """{name: serialized value} for initializer/regularizer/activation attributes named like Keras's arguments."""
    out = {}
    for name in names:
        value = getattr(layer, name)
        if name.endswith("initializer"):
            out[name] = initializers.serialize(value)
        elif name.endswith("regularizer"):
            out[name] = regularizers.serialize(regularizers.get(value))
        else:
            out[name] = activations.serialize(value)
    return out


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def serialize_layer(layer):
    """{"class_name", "config"} of a Keras layer, read back by `deserialize_layer`."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize_layer(config, where):
    """A layer from `serialize_layer`'s dict (any `Layer` subclass defined so far, by class name), or a layer as is."""
    if isinstance(config, Layer):
        return config
    if not isinstance(config, dict) or "class_name" not in config:
        raise ArgumentError(f"{where}: expected a keras layer or a {{'class_name', 'config'}} dict, got {config!r}")
    for cls in _subclasses(Layer):
        if cls.__name__ == config["class_name"]:
            return cls.from_config(dict(config.get("config") or {}))
    raise ArgumentError(f"{where}: unknown layer class {config['class_name']!r}")
