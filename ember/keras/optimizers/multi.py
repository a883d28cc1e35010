"""Keras's `MultiOptimizer` and `OptimizerMap`: different optimizers for different weights.

An `OptimizerMap` maps weight paths (`"encoder/dense/kernel"`, see `paths.py`) to optimizers: an
exact key first, else the one key that matches the whole path as a regular expression
(`re.fullmatch`), else its `default_optimizer`. `MultiOptimizer(optimizer_map)` takes such a map,
or any function from a weight to an optimizer, and when built sends each weight to its optimizer.
Each inner optimizer keeps its own learning rate, schedule, clipping (over its own weights) and
`iterations`; `MultiOptimizer.iterations` counts the steps taken together.

    >>> opt_map = keras.optimizers.OptimizerMap(keras.optimizers.SGD(0.1))
    >>> opt_map["encoder/.*"] = keras.optimizers.Adam()
    >>> opt_map["encoder/dense/kernel"].name, opt_map["decoder/dense/kernel"].name
    ('adam', 'SGD')
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, name="encoder")], name="net")
    >>> both = keras.optimizers.OptimizerMap(keras.optimizers.SGD(0.1), {"net/encoder/kernel": keras.optimizers.Adam()})
    >>> model.compile(optimizer=keras.optimizers.MultiOptimizer(both), loss="mse")
"""
import re
from collections.abc import MutableMapping

from ember.errors import ArgumentError
from ember.keras.optimizers.base import Optimizer
from ember.keras.optimizers.loss_scale_optimizer import LossScaleOptimizer
from ember.keras.optimizers.registry import deserialize, serialize

__all__ = ["OptimizerMap", "MultiOptimizer", "OptimizerGroup"]


def _check_inner(optimizer, where):
    if not isinstance(optimizer, Optimizer):
        raise ArgumentError(f"{where}: expected a keras.optimizers.Optimizer, got {type(optimizer).__name__}")
    if isinstance(optimizer, (LossScaleOptimizer, MultiOptimizer)):
        raise ArgumentError(f"{where}: a {type(optimizer).__name__} cannot be used inside a MultiOptimizer")


def _nested(optimizer):
    """An inner optimizer's config with the "module" Keras writes: Keras's reader finds the class by it."""
    return {"module": "keras.optimizers", **serialize(optimizer)}


class OptimizerMap(MutableMapping):
    """Weight paths (or regular expressions over them) to optimizers, with a default for the rest.

        >>> m = OptimizerMap(keras.optimizers.RMSprop(), {"decoder": keras.optimizers.Adam()})
        >>> m["decoder"].name, m["decoder/dense"].name
        ('adam', 'rmsprop')
    """

    def __init__(self, default_optimizer, optimizer_map=None):
        if not isinstance(default_optimizer, Optimizer):
            raise ArgumentError(f"OptimizerMap: default_optimizer must be a keras.optimizers.Optimizer, got "
                                f"{type(default_optimizer).__name__}")
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise ArgumentError(f"OptimizerMap: optimizer_map must be a dict, got {type(optimizer_map).__name__}")
        self._default_optimizer = default_optimizer
        self._optimizer_map = dict(optimizer_map or {})

    @property
    def default_optimizer(self):
        return self._default_optimizer

    def __getitem__(self, key):
        """The optimizer for path `key`: exact key, else the one pattern that fully matches, else the default."""
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matching = [pattern for pattern in self._optimizer_map if re.fullmatch(pattern, key)]
        if len(matching) > 1:
            raise ArgumentError(f"OptimizerMap: the variable {key!r} matches several patterns {matching}; "
                                "each variable must have one optimizer")
        return self._optimizer_map[matching[0]] if matching else self._default_optimizer

    def __setitem__(self, key, optimizer):
        if key in self._optimizer_map:
            raise ArgumentError(f"OptimizerMap: {key!r} is already mapped to {self._optimizer_map[key]!r}; "
                                "keys must not repeat")
        if not isinstance(key, str):
            raise ArgumentError(f"OptimizerMap: keys are variable paths or patterns (str), got {key!r}")
        _check_inner(optimizer, f"OptimizerMap[{key!r}]")
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key):
        del self._optimizer_map[key]

    def __len__(self):
        return len(self._optimizer_map)

    def __iter__(self):
        return iter(self._optimizer_map)

    def __call__(self, variable):
        path = getattr(variable, "path", None)
        if not isinstance(path, str):
            raise ArgumentError(f"OptimizerMap: a weight of shape {tuple(variable.shape)} has no Keras path; "
                                "weights get theirs from their model (model.compile + fit, or "
                                "keras.optimizers.paths.assign_paths(model))")
        return self[path]

    def get_config(self):
        return {"default_optimizer": _nested(self._default_optimizer),
                "optimizer_map": {k: _nested(v) for k, v in self._optimizer_map.items()}}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(deserialize(config["default_optimizer"]),
                   {k: deserialize(v) for k, v in (config.get("optimizer_map") or {}).items()})


class OptimizerGroup:
    """The `ember.optim` side of a built `MultiOptimizer`: its inner optimizers' updates as one
    (what `fit` zeroes and steps; state dicts hold each inner optimizer's, in order)."""

    def __init__(self, optimizers):
        self.optimizers = list(optimizers)

    @property
    def param_groups(self):
        return [group for opt in self.optimizers for group in opt.param_groups]

    def zero_grad(self, set_to_none=True):
        for opt in self.optimizers:
            opt.zero_grad(set_to_none)

    def step(self, closure=None):
        for opt in self.optimizers:
            opt.step()

    def state_dict(self):
        return {"optimizers": {str(i): opt.state_dict() for i, opt in enumerate(self.optimizers)}}

    def load_state_dict(self, state_dict):
        saved = state_dict.get("optimizers") if isinstance(state_dict, dict) else None
        if not isinstance(saved, dict) or len(saved) != len(self.optimizers):
            raise ArgumentError(f"MultiOptimizer.load_state_dict: expected the states of {len(self.optimizers)} "
                                f"optimizers, got {len(saved) if isinstance(saved, dict) else saved!r}")
        for i, opt in enumerate(self.optimizers):
            opt.load_state_dict(saved[str(i)])


class MultiOptimizer(Optimizer):
    """`MultiOptimizer(optimizer_map, loss_scale_factor=None, name=None)`: each weight stepped by the
    optimizer `optimizer_map(weight)` gives (an `OptimizerMap`, or a function of the weight). It has
    no learning rate of its own: read and set those of `.optimizers`."""

    def __init__(self, optimizer_map, loss_scale_factor=None, name=None):
        super().__init__(0.0, name=name or "multi_optimizer", loss_scale_factor=loss_scale_factor)
        if not callable(optimizer_map):
            raise ArgumentError(f"MultiOptimizer: optimizer_map must be an OptimizerMap or a function from a "
                                f"variable to an optimizer, got {type(optimizer_map).__name__}")
        self._optimizer_map = optimizer_map
        self._inner_optimizers = []
        for opt in list(getattr(optimizer_map, "values", list)()) + \
                [getattr(optimizer_map, "default_optimizer", None)]:
            if opt is not None and all(opt is not known for known in self._inner_optimizers):
                self._inner_optimizers.append(opt)
        self._built_inner = []

    @property
    def optimizers(self):
        return self._inner_optimizers

    @property
    def iterations(self):
        """The steps taken together; setting it (BackupAndRestore, load_model) sets the inner optimizers' too."""
        return self._iterations

    @iterations.setter
    def iterations(self, value):
        self._iterations = value
        for opt in getattr(self, "_built_inner", ()):  # each has stepped with every step taken together
            opt.iterations = value

    @property
    def learning_rate(self):
        raise AttributeError("MultiOptimizer has no learning rate of its own: read it on its optimizers "
                             "(multi.optimizers[i].learning_rate)")

    @learning_rate.setter
    def learning_rate(self, value):
        raise AttributeError("MultiOptimizer has no learning rate of its own: set it on its optimizers "
                             "(multi.optimizers[i].learning_rate = ...)")

    def _index(self, opt):
        for i, known in enumerate(self._inner_optimizers):
            if known is opt:
                return i
        self._inner_optimizers.append(opt)
        return len(self._inner_optimizers) - 1

    def build(self, params):
        """Send each weight to its optimizer, build those that got weights; returns their `OptimizerGroup`."""
        params = list(params)
        shares = {}
        for p in params:
            opt = self._optimizer_map(p)
            _check_inner(opt, f"{self.name}: the optimizer for the weight {getattr(p, 'path', tuple(p.shape))!r}")
            shares.setdefault(self._index(opt), []).append(p)
        self._built_inner = [self._inner_optimizers[i] for i in sorted(shares)]
        self._owner = {id(p): i for i, ps in shares.items() for p in ps}
        self.optimizer = OptimizerGroup(self._inner_optimizers[i].build(shares[i]) for i in sorted(shares))
        return self.optimizer

    def before_step(self):
        for opt in self._built_inner:
            opt.before_step()
        self._iterations += 1  # not through the setter: the inner optimizers count their own steps

    def apply_gradients(self, grads_and_vars=None):
        """Without arguments (`fit`): every inner optimizer steps its weights. With Keras's
        `[(grad, variable), ...]`: the pairs go to their optimizers' `apply_gradients`."""
        if grads_and_vars is None:
            return self._step_built()
        pairs = list(grads_and_vars)
        if self.optimizer is None:
            self.build([v for _, v in pairs])
        unknown = [tuple(v.shape) for _, v in pairs if id(v) not in self._owner]
        if unknown:
            raise ArgumentError(f"{self.name}.apply: {len(unknown)} variable(s) (shapes {unknown}) are not among "
                                f"the {len(self._owner)} this optimizer was built for")
        for i, opt in enumerate(self._inner_optimizers):
            mine = [(g, v) for g, v in pairs if self._owner.get(id(v)) == i]
            if mine:
                opt.apply_gradients(mine)
        self._iterations += 1  # not through the setter: the inner optimizers count their own steps

    def get_config(self):
        if not isinstance(self._optimizer_map, OptimizerMap):
            raise ArgumentError(f"{self.name}: a MultiOptimizer made from a function has no config (use an "
                                "OptimizerMap to save it)")
        return {"optimizer_map": {"module": "keras.optimizers", "class_name": "OptimizerMap",  # as _nested
                                  "config": self._optimizer_map.get_config()},
                "loss_scale_factor": None, "name": self.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        config["optimizer_map"] = OptimizerMap.from_config(config["optimizer_map"]["config"])
        return cls(**config)

    def __repr__(self):
        return f"MultiOptimizer({[type(o).__name__ for o in self._inner_optimizers]}, iterations={self.iterations})"
