"""More of `keras.utils`: the serialization registry and custom-object scopes (shared with
`keras.saving`), `Config`, `is_keras_tensor`, `get_source_inputs`, `standardize_dtype`,
`clear_session`, and `PyDataset`/`Sequence` (batches by index, for `fit`).

    >>> with keras.utils.custom_object_scope({"twice": lambda x: 2 * x}):
    ...     keras.utils.get_registered_object("twice")(3)
    6
"""
import gc
import json

import numpy as np

from ember.backend.dtypes import DType, as_dtype
from ember.data.dataset import Subset, TensorDataset
from ember.errors import ArgumentError
from ember.ops.creation import from_numpy
from ember.keras.layers import base
from ember.keras.mixed_precision import policy as policies
from ember.keras.layers.base import KerasTensor
from ember.keras.saving import (GLOBAL_CUSTOM_OBJECTS, SCOPED_CUSTOM_OBJECTS, deserialize_keras_object,
                                get_registered_name,
                                get_registered_object, register_keras_serializable, serialize_keras_object)

__all__ = ["register_keras_serializable", "get_registered_name", "get_registered_object", "serialize_keras_object",
           "deserialize_keras_object", "get_custom_objects", "custom_object_scope", "CustomObjectScope", "Config",
           "is_keras_tensor", "get_source_inputs", "standardize_dtype", "clear_session", "PyDataset", "Sequence",
           "split_dataset"]


def get_custom_objects():
    """The global dict of names every deserialization may use (add to it, or use `custom_object_scope`)."""
    return GLOBAL_CUSTOM_OBJECTS


class CustomObjectScope:
    """`with CustomObjectScope({"name": obj, ...}):` makes the names known to deserialization inside
    (kept apart from `get_custom_objects()`, as Keras keeps them)."""

    def __init__(self, *custom_objects):
        self.custom_objects = custom_objects
        self._saved = None

    def __enter__(self):
        self._saved = dict(SCOPED_CUSTOM_OBJECTS)
        for objects in self.custom_objects:
            SCOPED_CUSTOM_OBJECTS.update(objects or {})
        return self

    def __exit__(self, *exc):
        SCOPED_CUSTOM_OBJECTS.clear()
        SCOPED_CUSTOM_OBJECTS.update(self._saved)


custom_object_scope = CustomObjectScope


class Config:
    """Attributes that are also items (`config.lr`, `config["lr"]`), frozen on request, JSON-ready."""

    def __init__(self, **kwargs):
        object.__setattr__(self, "_config", dict(kwargs))
        object.__setattr__(self, "_frozen", False)

    def __getattr__(self, name):
        try:
            return self._config[name]
        except KeyError:
            raise AttributeError(f"Config has no attribute {name!r}") from None

    def __setattr__(self, name, value):
        if self._frozen:
            raise ArgumentError(f"Config is frozen: cannot set {name!r} (call unfreeze() first)")
        self._config[name] = value

    def __getitem__(self, key):
        return self._config[key]

    def __setitem__(self, key, value):
        self.__setattr__(key, value)

    def __contains__(self, key):
        return key in self._config

    def __len__(self):
        return len(self._config)

    def __iter__(self):
        return iter(self._config)

    def keys(self):
        return self._config.keys()

    def values(self):
        return self._config.values()

    def items(self):
        return self._config.items()

    def pop(self, *args):
        if self._frozen:
            raise ArgumentError("Config is frozen: cannot pop (call unfreeze() first)")
        return self._config.pop(*args)

    def update(self, *args, **kwargs):
        if self._frozen:
            raise ArgumentError("Config is frozen: cannot update (call unfreeze() first)")
        self._config.update(*args, **kwargs)

    def freeze(self):
        object.__setattr__(self, "_frozen", True)

    def unfreeze(self):
        object.__setattr__(self, "_frozen", False)

    @property
    def frozen(self):
        return self._frozen

    def as_dict(self):
        return dict(self._config)

    def to_json(self):
        return json.dumps(self._config)

    def __repr__(self):
        return f"<Config {self._config}>"


def is_keras_tensor(x):
    """Whether `x` is a symbolic tensor of the functional API (a `keras.Input` or a layer output)."""
    return isinstance(x, KerasTensor)


def get_source_inputs(tensor):
    """The `keras.Input` tensors a symbolic tensor is computed from."""
    if not isinstance(tensor, KerasTensor):
        raise ArgumentError(f"get_source_inputs: expected a symbolic KerasTensor, got {type(tensor).__name__}")
    found, seen, todo = [], set(), [tensor]
    while todo:
        t = todo.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        history = t._history
        if history is None or isinstance(history[0], base.InputLayer):
            found.append(t)
            continue
        layer, node_index, _ = history
        todo.extend(reversed(layer._inbound_nodes[node_index].inputs()))
    return found


_PYTHON_DTYPES = {bool: "bool", int: "int32", float: "float32", str: "string"}


def standardize_dtype(dtype):
    """Keras's dtype name for a name, a Python type, a NumPy or an ember dtype ("float32" for None)."""
    if dtype is None:
        return "float32"
    if dtype in _PYTHON_DTYPES:
        return _PYTHON_DTYPES[dtype]
    if isinstance(dtype, DType):
        return dtype.name
    name = getattr(dtype, "name", None) if not isinstance(dtype, str) else dtype
    if name == "string":
        return name
    try:
        return as_dtype(np.dtype(name if name is not None else dtype).name).name
    except (TypeError, ArgumentError):
        raise ArgumentError(f"standardize_dtype: invalid dtype {dtype!r}") from None


def clear_session(free_memory=True):
    """Forget the automatic layer names (the next `Dense` is "dense" again) and the global dtype policy,
    as Keras does; with
    `free_memory`, also collect the garbage the dropped models left (Keras's `gc.collect()`)."""
    base._COUNTERS.clear()
    policies.set_global_policy(None)  # Keras's global state goes: the next layer's policy follows floatx
    if free_memory:
        gc.collect()


class PyDataset:
    """A dataset of batches by index, as Keras's: define `__len__` (the number of batches) and
    `__getitem__(i)` (batch i: x, (x, y) or (x, y, sample_weight)); `fit` reads every batch each epoch
    (in a random order unless `shuffle=False`), calling `on_epoch_end()` after each. Workers and
    multiprocessing are not used by ember."""

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self.workers, self.use_multiprocessing, self.max_queue_size = workers, use_multiprocessing, max_queue_size

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__ (the number of batches)")

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index) (one batch)")

    @property
    def num_batches(self):
        return len(self)

    def on_epoch_begin(self):
        """Called before each epoch; override to prepare one."""

    def on_epoch_end(self):
        """Called after each epoch; override to reshuffle."""


Sequence = PyDataset  # Keras 2's name, kept by Keras 3


def _split_sizes(left_size, right_size, total):
    """Keras's rules: sizes are ints (counts) or floats (fractions, rounded); the missing one is the rest."""
    for name, size in (("left_size", left_size), ("right_size", right_size)):
        if size is None:
            continue
        if isinstance(size, bool) or not isinstance(size, (int, float)) or size <= 0 or \
                (isinstance(size, float) and size >= 1) or (isinstance(size, int) and size >= total):
            raise ArgumentError(f"split_dataset: {name} must be an int in (0, {total}) or a float in (0, 1), "
                                f"got {size!r}")
    if left_size is None and right_size is None:
        left_size = 0.5
    left = None if left_size is None else (round(left_size * total) if isinstance(left_size, float) else left_size)
    right = None if right_size is None else (round(right_size * total) if isinstance(right_size, float)
                                             else right_size)
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total or left == 0 or right == 0:
        raise ArgumentError(f"split_dataset: sizes {left} + {right} do not fit a dataset of {total} samples")
    return left, right


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None, preferred_backend=None):
    """Two `ember.data.Subset`s of a dataset (an ember `Dataset`, or arrays: one array or a tuple of
    them, whose samples become tuples of tensors, as Keras's torch backend returns them)."""
    if isinstance(dataset, (np.ndarray, list, tuple)) or hasattr(dataset, "detach"):
        arrays = list(dataset) if isinstance(dataset, tuple) else [dataset]
        dataset = TensorDataset(*[t if hasattr(t, "detach") else from_numpy(np.asarray(t)) for t in arrays])
    total = len(dataset)
    left, right = _split_sizes(left_size, right_size, total)
    order = np.random.default_rng(seed).permutation(total).tolist() if shuffle else list(range(total))
    return Subset(dataset, order[:left]), Subset(dataset, order[left:left + right])
