"""Module classes that model files may name, and how their constructor arguments are recorded.

A model file names its classes by registered name (`"ember.nn.Linear"`, `"my_pkg.MyLayer"`) and
never by a Python path: `load_model` looks a name up here and nowhere else. ember.nn's layers
are registered as `ember.nn.<Class>`; register your own with the decorator:

    >>> @ember.register("my_pkg.Scale")                   # doctest: +SKIP
    ... class Scale(ember.nn.Module): ...

Constructor arguments are recorded by this rule:

1. If the module has `get_config()`, its returned dict is the keyword arguments.
2. Otherwise each parameter of `__init__` is read from the attribute of the same name (a few
   built-in layers, e.g. TransformerEncoderLayer, first give some arguments by recipe): a plain
   value (number, string, bool, None, tuple/list of them) is taken as is; a tensor (e.g. `bias`)
   means True; None for a parameter whose default is a bool means False. A parameter with no such
   attribute keeps its default. A parameter with neither, or an attribute holding a module or a
   function, makes `save_model` fail and ask for `get_config()`.
3. `Sequential`, `ModuleList` and `ModuleDict` are stored with their children, recursively.
"""
import inspect

from ember.autograd.tensor import Tensor
from ember.errors import EmberError
from ember import nn

__all__ = ["register"]

_REGISTRY = {}  # name -> class
_NAMES = {}  # class -> name
CONTAINERS = (nn.Sequential, nn.ModuleList, nn.ModuleDict)
_SKIP = {"self", "device", "dtype"}  # factory arguments: placement and dtype come from the weights


class RegistryError(EmberError, KeyError):
    """A class name that is not registered, or a module whose arguments cannot be recorded."""

    def __str__(self):  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


def register(name):
    """Class decorator: record `cls` under `name` so model files may name it. Returns `cls`."""
    if not isinstance(name, str) or not name:
        raise RegistryError(f"register: the name must be a non-empty string, got {name!r}")

    def deco(cls):
        if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
            raise RegistryError(f"register({name!r}): expected an ember.nn.Module subclass, got {cls!r}")
        old = _REGISTRY.get(name)
        if old is not None and old is not cls:
            raise RegistryError(f"register({name!r}): the name is already taken by {old.__qualname__}")
        _REGISTRY[name] = cls
        _NAMES[cls] = name
        return cls
    return deco


def registered():
    """The registered names, sorted."""
    return sorted(_REGISTRY)


def lookup(name):
    """The class registered as `name`; an unknown name is an error listing the registered ones."""
    if not isinstance(name, str) or name not in _REGISTRY:
        raise RegistryError(f"load_model: class {name!r} is not registered; register it with "
                            f"@ember.register(name). Registered: {', '.join(registered())}")
    return _REGISTRY[name]


def name_of(module):
    cls = type(module)
    if cls not in _NAMES:
        raise RegistryError(f"save_model: {cls.__qualname__} is not registered; decorate it with "
                            f"@ember.register(\"pkg.{cls.__name__}\") (or save a traced graph instead)")
    return _NAMES[cls]


def config_of(module):
    """The keyword arguments that rebuild `module` (see the module docstring's rule)."""
    if hasattr(module, "get_config"):
        config = module.get_config()
        if not isinstance(config, dict):
            raise RegistryError(f"save_model: {type(module).__name__}.get_config() returned a "
                                f"{type(config).__name__}; it must return a dict of constructor arguments")
        return dict(config)
    recipe = _RECIPES.get(_NAMES.get(type(module)))
    config = recipe(module) if recipe else {}
    for p in inspect.signature(type(module).__init__).parameters.values():
        if p.name in _SKIP or p.name in config or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if module._modules.get(p.name) is not None:
            raise _unrecorded(module, p.name, "holds a submodule under that name")
        has = p.name in module.__dict__ or p.name in module._parameters or p.name in module._buffers
        value = getattr(module, p.name) if has else None
        if not has:
            if p.default is p.empty:
                raise _unrecorded(module, p.name, "has no attribute of that name")
            continue
        if isinstance(value, Tensor):
            value = True
        elif value is None and isinstance(p.default, bool):
            value = False
        elif not _plain(value):
            raise _unrecorded(module, p.name, f"holds a {type(value).__name__}")
        config[p.name] = value
    return config


def _plain(v):
    if v is None or isinstance(v, (bool, int, float, str)):
        return True
    return isinstance(v, (tuple, list)) and all(_plain(x) for x in v)


def _unrecorded(module, arg, why):
    return RegistryError(f"save_model: cannot record argument {arg!r} of {type(module).__name__}: the "
                         f"module {why}; give the class a get_config() returning its constructor "
                         f"arguments, or save a traced graph (ember.graph.trace) instead")


def _attention(m):
    return {"bias": m.in_proj_bias is not None, "add_bias_kv": m.bias_k is not None}


def _transformer_layer(m):
    act = {nn.functional.relu: "relu", nn.functional.gelu: "gelu"}.get(m.activation)
    if act is None:
        raise _unrecorded(m, "activation", "holds a custom activation function")
    return {"nhead": m.self_attn.num_heads, "dim_feedforward": m.linear1.out_features, "dropout": m.dropout.p,
            "activation": act, "layer_norm_eps": m.norm1.eps, "bias": m.linear1.bias is not None}


# Built-in layers whose arguments are not all attributes of the same name.
_RECIPES = {"ember.nn.MultiheadAttention": _attention, "ember.nn.TransformerEncoderLayer": _transformer_layer,
            "ember.nn.TransformerDecoderLayer": _transformer_layer}


def _register_builtins():
    for attr in dir(nn):
        cls = getattr(nn, attr)
        if isinstance(cls, type) and issubclass(cls, nn.Module) and not attr.startswith("_"):
            _REGISTRY.setdefault(f"ember.nn.{attr}", cls)
            _NAMES.setdefault(cls, f"ember.nn.{attr}")


_register_builtins()
