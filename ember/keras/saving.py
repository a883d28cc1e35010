"""Keras's saving on ember's files: `model.save`, `keras.models.load_model`, `save_weights` /
`load_weights`, layer configs, and `register_keras_serializable` for custom classes.

A model file is an ember safetensors file (atomic write, nothing pickled): the weights and the
optimizer state as tensors; the architecture (each layer's class name and `get_config()`, and for a
functional model the layer calls), the shapes it was built for and the compile settings as JSON in
the header. Classes are found by name only — Keras's built-in layers and models, classes
registered with `register_keras_serializable`, or `custom_objects` — so loading never runs code
from the file.

    >>> @keras.saving.register_keras_serializable(package="demo")
    ... class Scale(keras.layers.Layer):
    ...     def __init__(self, factor=2.0, **kwargs):
    ...         super().__init__(**kwargs)
    ...         self.factor = factor
    ...     def call(self, x):
    ...         return x * self.factor
    >>> model.save("model.ember")                                          # doctest: +SKIP
    >>> same = keras.models.load_model("model.ember")                      # doctest: +SKIP
"""
import inspect
import json
import logging
import os

from ember.autograd import no_grad
from ember.errors import ArgumentError
from ember.io import model as io_model
from ember.io import serialize
from ember.io.serialize import FileError
from ember.nn import Module
from ember.keras import layers as layers_module, losses, metrics, optimizers
from ember.keras.layers.base import REGISTERED, InputLayer, KerasTensor, Layer, OpLayer, flatten, spec_inputs
from ember.keras.optimizers.paths import assign_paths

__all__ = ["register_keras_serializable", "get_registered_name", "get_registered_object", "serialize_keras_object",
           "deserialize_keras_object", "save_model", "load_model", "save_weights", "load_weights"]

log = logging.getLogger("ember.keras")
KIND = "keras_model"
_BUILTIN = {}    # class name -> built-in Keras class
GLOBAL_CUSTOM_OBJECTS = {}  # keras.utils.get_custom_objects(): names every load may use, set by the user
SCOPED_CUSTOM_OBJECTS = {}  # the names of the `custom_object_scope`s entered
_NN_MODULE = "ember.nn.Module"  # the class name recorded for a plain ember.nn module inside a Keras model


def register_keras_serializable(package="Custom", name=None):
    """Decorator: make a custom layer, model, loss, metric (a class) or a function loadable by the name
    `package>Name`."""
    if not isinstance(package, str) or ">" in package:
        raise ArgumentError(f"register_keras_serializable: package must be a string without '>', got {package!r}")

    def decorator(cls):
        key = f"{package}>{name or cls.__name__}"
        REGISTERED[key] = cls
        cls._registered_name = key
        return cls
    return decorator


def register_builtin(*classes):
    for cls in classes:
        _BUILTIN[cls.__name__] = cls


def _builtins():
    if not _BUILTIN.get("Dense"):
        for name in layers_module.__all__:
            obj = getattr(layers_module, name)
            if inspect.isclass(obj) and issubclass(obj, Layer):
                _BUILTIN.setdefault(name, obj)
        _BUILTIN.setdefault("OpLayer", OpLayer)
    return _BUILTIN


def get_registered_name(cls):
    """The name a class is saved under: `package>Name` if registered, else its class name."""
    return cls.__dict__.get("_registered_name") or cls.__name__


def get_registered_object(name, custom_objects=None):
    """The class saved under `name`: from `custom_objects`, the registered classes, or Keras's built-ins."""
    for table in (SCOPED_CUSTOM_OBJECTS, GLOBAL_CUSTOM_OBJECTS, custom_objects or {}, REGISTERED, _builtins()):
        if name in table:
            return table[name]
    short = name.split(">")[-1]
    if custom_objects and short in custom_objects:
        return custom_objects[short]
    return None


def _unknown(name, where):
    return FileError(f"{where}: unknown class {name!r}: register it with "
                     f"@keras.saving.register_keras_serializable() (where the class is defined, imported before "
                     f"loading) or pass custom_objects={{{name.split('>')[-1]!r}: TheClass}}")


# --- layers and models ------------------------------------------------------------------------
def serialize_keras_object(layer):
    """{"class_name", "config", "build_spec"} of a Keras layer or model; a plain `ember.nn.Module`
    inside a Keras model is stored by its registered ember spec."""
    if not isinstance(layer, Layer):
        if isinstance(layer, Module):
            return {"class_name": _NN_MODULE, "spec": io_model.spec_of(layer)}
        raise ArgumentError(f"save: cannot serialize {type(layer).__name__}; expected a keras layer or model")
    config = layer.get_config()
    try:
        json.dumps(config, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise ArgumentError(f"save: layer {layer.name!r} ({type(layer).__name__}): get_config() must return "
                            f"plain JSON values (numbers, strings, lists, dicts): {e}; override get_config to "
                            "return the constructor's arguments") from None
    cls = type(layer)
    if cls.__name__ not in _builtins() and cls.__dict__.get("_registered_name") is None:
        log.warning("ember.keras: %s is not registered; the saved model will need custom_objects to load. "
                    "Decorate it with @keras.saving.register_keras_serializable()", cls.__name__)
    return {"class_name": get_registered_name(cls), "config": config, "build_spec": layer._build_spec}


def deserialize_keras_object(doc, custom_objects=None, where="load_model"):
    """The layer or model `serialize_keras_object` described, unbuilt unless its config builds it."""
    if not isinstance(doc, dict) or not isinstance(doc.get("class_name"), str):
        raise FileError(f"{where}: a layer record must be an object with a class_name, got {str(doc)[:80]!r}")
    name = doc["class_name"]
    if name == _NN_MODULE:
        return io_model.build(doc.get("spec"))
    cls = get_registered_object(name, custom_objects)
    if cls is None:
        raise _unknown(name, where)
    config = doc.get("config") or {}
    if not isinstance(config, dict):
        raise FileError(f"{where}: the config of {name!r} must be an object")
    try:
        if "custom_objects" in inspect.signature(cls.from_config).parameters:
            return cls.from_config(config, custom_objects=custom_objects)
        return cls.from_config(config)
    except FileError:
        raise
    except (TypeError, ValueError) as e:
        raise FileError(f"{where}: cannot rebuild {name!r} from its config: {e}") from None


def build_from_spec(layer, spec):
    """Build a model or layer whose weights are created at its first call, from a stored input spec."""
    if spec is None or (layer.built and not _has_lazy(layer)):
        return
    was_training = layer.training
    layer.eval()
    with no_grad():
        layer(spec_inputs(spec))
    layer.train(was_training)


def _has_lazy(layer):
    return any(isinstance(m, Layer) and not m.built for m in layer.modules())


# --- compile settings ---------------------------------------------------------------------------
def _encode_setting(value, kind):
    """A JSON form of a loss, metric or optimizer given to compile (names stay names)."""
    if value is None or isinstance(value, (str, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return [_encode_setting(v, kind) for v in value]
    if isinstance(value, dict):
        return {k: _encode_setting(v, kind) for k, v in value.items()}
    if hasattr(value, "get_config") and not isinstance(value, Module):
        return {"class_name": get_registered_name(type(value)), "config": value.get_config()}
    raise TypeError(f"{kind} {value!r}")


def _decode_setting(doc, kind, custom_objects):
    if isinstance(doc, list):
        return [_decode_setting(d, kind, custom_objects) for d in doc]
    if isinstance(doc, dict) and "class_name" not in doc:
        return {k: _decode_setting(v, kind, custom_objects) for k, v in doc.items()}
    if isinstance(doc, dict):
        cls = get_registered_object(doc["class_name"], custom_objects)
        if cls is None:
            module = {"loss": losses, "metric": metrics, "optimizer": optimizers}[kind]
            cls = getattr(module, doc["class_name"], None)
        if cls is None:
            raise _unknown(doc["class_name"], "load_model")
        config = doc.get("config") or {}
        return cls.from_config(config) if hasattr(cls, "from_config") else cls(**config)
    return doc


def compile_record(model):
    """The model's compile settings as JSON, or None (with a warning) when they cannot be stored."""
    config = model._compile_config
    if not config:
        return None
    try:
        record = {"optimizer": _encode_setting(config["optimizer"], "optimizer"),
                  "loss": _encode_setting(config["loss"], "loss"),
                  "loss_weights": config["loss_weights"],
                  "metrics": _encode_setting(config["metrics"], "metric"),
                  "jit_compile": config["jit_compile"]}
        json.dumps(record, allow_nan=False)
        return record
    except (TypeError, ValueError) as e:
        log.warning("ember.keras: %s's compile settings are not stored (%s cannot be saved); "
                    "the loaded model must be compiled again", model.name, e)
        return None


# --- files ---------------------------------------------------------------------------------------
def _check_overwrite(path, overwrite, op):
    if not overwrite and os.path.exists(path):
        raise ArgumentError(f"{op}: {os.fspath(path)!r} exists and overwrite=False")


def save_model(model, path, overwrite=True):
    """Write `model` (architecture, weights, compile settings and optimizer state) to `path`."""
    _check_overwrite(path, overwrite, "save")
    if not model.built:
        raise ArgumentError(f"{model.name}.save: the model has no weights yet; build it (call it on data, "
                            "fit it, or give it a keras.Input) before saving")
    record = {"model": serialize_keras_object(model), "compile": compile_record(model)}
    obj = {"weights": dict(model.state_dict())}
    opt = model._step_optimizer
    if opt is not None and record["compile"] is not None:
        obj["optimizer"] = opt.state_dict()
        record["optimizer_iterations"] = getattr(model.optimizer, "iterations", 0)
    serialize.write(path, obj, KIND, keras=record)


def _read(path, op):
    header, obj = serialize.read(path, op)
    if header.get("kind") != KIND or not isinstance(header.get("keras"), dict):
        hint = "; it is an ember.nn model: read it with ember.io.load_model" if header.get("kind") == "model" else \
            "; it holds weights: build the model and call model.load_weights" if header.get("kind") == "object" else ""
        raise FileError(f"{op}: {os.fspath(path)!r} is an ember file of kind {header.get('kind')!r}, not a Keras "
                        f"model{hint}")
    return header["keras"], obj


def load_model(path, custom_objects=None, compile=True, safe_mode=True):
    """The model `model.save(path)` wrote, with its weights and (with `compile=True`) compiled as it
    was, optimizer state included. Custom classes must be registered or given in `custom_objects`."""
    record, obj = _read(path, "load_model")
    model = deserialize_keras_object(record.get("model"), custom_objects)
    build_from_spec(model, (record.get("model") or {}).get("build_spec"))
    weights = obj.get("weights")
    if not isinstance(weights, dict):
        raise FileError(f"load_model: {os.fspath(path)!r} has no weights")
    model.load_state_dict(weights)
    settings = record.get("compile")
    if compile and settings:
        model.compile(optimizer=_decode_setting(settings["optimizer"], "optimizer", custom_objects),
                      loss=_decode_setting(settings["loss"], "loss", custom_objects),
                      loss_weights=settings.get("loss_weights"),
                      metrics=_decode_setting(settings.get("metrics"), "metric", custom_objects),
                      jit_compile=settings.get("jit_compile", "auto"))
        if "optimizer" in obj:
            params = [p for p in model.parameters() if p.requires_grad]
            assign_paths(model)
            model._step_optimizer = model.optimizer.build(params) if not isinstance(
                model.optimizer, type(model._step_optimizer)) or model._step_optimizer is None else \
                model._step_optimizer
            model._step_optimizer.load_state_dict(obj["optimizer"])
            if hasattr(model.optimizer, "iterations") and "optimizer_iterations" in record:
                try:
                    model.optimizer.iterations = record["optimizer_iterations"]
                except AttributeError:
                    model.optimizer._iterations = record["optimizer_iterations"]
    return model


def save_weights(model, path, overwrite=True):
    """Write the model's weights (its state dict) to `path`."""
    _check_overwrite(path, overwrite, "save_weights")
    serialize.save(dict(model.state_dict()), path)


def load_weights(model, path):
    """Read weights written by `save_weights` or `save` into the (built) model."""
    header, obj = serialize.read(path, "load_weights")
    weights = obj.get("weights") if header.get("kind") == KIND else obj
    if not isinstance(weights, dict):
        raise FileError(f"load_weights: {os.fspath(path)!r} holds no weights dict")
    if _has_lazy(model) or not model.built:
        spec = header.get("keras", {}).get("model", {}).get("build_spec") if header.get("kind") == KIND else None
        if spec is None:
            raise ArgumentError(f"{model.name}.load_weights: the model is not built yet; call it on a batch of "
                                "data (or build(input_shape)) first, so its weights exist")
        build_from_spec(model, spec)
    model.load_state_dict(_match(model, weights, path))


def _match(model, weights, path):
    """`weights` keyed as the model's state dict. Layer names are numbered per process (`dense_3`), so a
    file whose keys differ is matched in order when every shape agrees, as Keras matches by position."""
    own = model.state_dict()
    if set(own) == set(weights):
        return weights
    if len(own) == len(weights) and all(tuple(a.shape) == tuple(b.shape)
                                        for a, b in zip(own.values(), weights.values())):
        return dict(zip(own, weights.values()))
    missing, unexpected = sorted(set(own) - set(weights)), sorted(set(weights) - set(own))
    raise FileError(f"load_weights: {os.fspath(path)!r} does not fit {model.name!r}: it has {len(weights)} weights, "
                    f"the model {len(own)}; the model's keys missing from the file: {missing[:5]}, keys in the file "
                    f"the model lacks: {unexpected[:5]}")


# --- configs of the built-in models ------------------------------------------------------------
def _ref(t, local):
    layer, index, position = t._history
    return {"__keras_tensor__": [layer.name, local[(id(layer), index)], position]}


def functional_config(model):
    """The layers and the calls between them; tensors are named [layer, call number, output number]."""
    local, counts = {}, {}
    for layer in model.layers:
        if isinstance(layer, InputLayer):
            local[(id(layer), 0)] = 0
    for node in model._nodes:
        layer = node.layer
        index = layer._inbound_nodes.index(node)
        local[(id(layer), index)] = counts.get(id(layer), 0)
        counts[id(layer)] = counts.get(id(layer), 0) + 1

    def encode(value):
        if isinstance(value, KerasTensor):
            return _ref(value, local)
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        if isinstance(value, (list, tuple)):
            return [encode(v) for v in value]
        if isinstance(value, dict):
            return {k: encode(v) for k, v in value.items()}
        raise ArgumentError(f"{model.name}.get_config: a layer was called with an argument of type "
                            f"{type(value).__name__}, which cannot be stored; pass tensors or plain values")
    nodes = [{"layer": n.layer.name, "args": encode(list(n.args)), "kwargs": encode(n.kwargs)} for n in model._nodes]
    return {"name": model.name, "trainable": model.trainable,
            "layers": [serialize_keras_object(layer) for layer in model.layers],
            "nodes": nodes, "inputs": encode(model._input_structure), "outputs": encode(model._output_structure)}


def functional_from_config(cls, config, custom_objects=None):
    layers = {}
    for doc in config.get("layers") or []:
        layer = deserialize_keras_object(doc, custom_objects)
        layers[getattr(layer, "name", None) or doc.get("config", {}).get("name")] = layer
    tensors, calls = {}, {}
    for name, layer in layers.items():
        if isinstance(layer, InputLayer):
            tensors[(name, 0, 0)] = layer.output

    def decode(value):
        if isinstance(value, dict) and "__keras_tensor__" in value:
            key = tuple(value["__keras_tensor__"])
            if key not in tensors:
                raise FileError(f"load_model: the model config refers to tensor {list(key)}, which no earlier "
                                "layer call produced")
            return tensors[key]
        if isinstance(value, list):
            return [decode(v) for v in value]
        if isinstance(value, dict):
            return {k: decode(v) for k, v in value.items()}
        return value
    for node in config.get("nodes") or []:
        layer = layers.get(node.get("layer"))
        if layer is None:
            raise FileError(f"load_model: the model config calls layer {node.get('layer')!r}, which it does not "
                            "define")
        out = layer(*decode(node.get("args") or []), **decode(node.get("kwargs") or {}))
        index = calls.get(node["layer"], 0)
        calls[node["layer"]] = index + 1
        for position, t in enumerate(flatten(out)):
            tensors[(node["layer"], index, position)] = t
    return cls(decode(config.get("inputs")), decode(config.get("outputs")), name=config.get("name"),
               trainable=config.get("trainable", True))


def sequential_config(model):
    return {"name": model.name, "trainable": model.trainable,
            "input": None if model.input_shape_ is None else
            {"shape": list(model.input_shape_[1:]), "dtype": model._input_dtype},
            "layers": [serialize_keras_object(layer) for layer in model.layers]}


def sequential_from_config(cls, config, custom_objects=None):
    model = cls(name=config.get("name"), trainable=config.get("trainable", True))
    spec = config.get("input")
    if spec:
        model.add(InputLayer(shape=tuple(spec["shape"]), dtype=spec.get("dtype")))
    for doc in config.get("layers") or []:
        model.add(deserialize_keras_object(doc, custom_objects))
    return model
