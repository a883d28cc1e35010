"""Keras's optimizers, by name or object, with Keras's arguments, defaults and update rules.

A Keras optimizer is created without weights (`keras.optimizers.Adam(learning_rate=1e-3)`); `fit`
builds the `ember.optim` optimizer that runs its rule over the model's weights once they exist.
`learning_rate` is a float, a `keras.optimizers.schedules.LearningRateSchedule` (called with the step
number) or a function of no arguments. Every optimizer takes Keras's `weight_decay` (decoupled:
`p -= p * weight_decay * lr` before the update) and one of `clipnorm` (each gradient's norm clipped
on its own, as Keras does), `global_clipnorm` (all gradients together) or `clipvalue` (per element).

The contract with `fit` (`models.py`):

1. `opt.build(params)` once, when the weights exist: returns the `ember.optim` optimizer
   (`opt.optimizer`, a `KerasUpdate`); `fit` calls its `zero_grad()`.
2. `opt.before_step()` before each training step, outside any graph trace: sets the learning rate
   of the step (the schedule at `opt.iterations`) in the `param_groups`, then adds one to
   `opt.iterations` (a Python int; `BackupAndRestore` saves and restores it).
3. after `loss.backward()`, `opt.apply_gradients()` (no argument): clips the `.grad` of the built
   parameters and updates them. It is `opt.optimizer.step()`, made of ember ops and optimizer
   `Update` primitives, so it works eagerly and inside `ember.compile` traces (the learning rate
   is read from the `param_groups` when the compiled step replays).

An `ember.optim` optimizer given to `compile` is used as is (no schedule, no Keras clipping).

    >>> opt = keras.optimizers.get("adam")
    >>> opt.learning_rate, opt.epsilon
    (0.001, 1e-07)
    >>> sched = keras.optimizers.schedules.CosineDecay(0.1, decay_steps=100)
    >>> keras.optimizers.SGD(learning_rate=sched, momentum=0.9, global_clipnorm=1.0).learning_rate
    0.1
"""
from ember import optim
from ember.errors import ArgumentError
from ember.keras.optimizers import schedules
from ember.keras.optimizers.base import KerasUpdate, Optimizer
from ember.keras.optimizers.classic import SGD, Adadelta, Adagrad, RMSprop
from ember.keras.optimizers.adaptive import Adam, Adamax, AdamW, Nadam
from ember.keras.optimizers.loss_scale_optimizer import LossScaleOptimizer
from ember.keras.optimizers.more import Adafactor, Ftrl, Lamb, Lion, ScheduleFreeAdamW
from ember.keras.optimizers.muon import Muon
from ember.keras.optimizers.multi import MultiOptimizer, OptimizerMap
from ember.keras.optimizers import registry
from ember.keras.optimizers.registry import OPTIMIZERS, serialize

__all__ = ["Optimizer", "KerasUpdate", "SGD", "RMSprop", "Adagrad", "Adadelta", "Adam", "AdamW", "Adamax", "Nadam",
           "Ftrl", "Lion", "Lamb", "Adafactor", "ScheduleFreeAdamW", "Muon", "LossScaleOptimizer", "MultiOptimizer",
           "OptimizerMap", "schedules", "get", "serialize", "deserialize"]


def deserialize(config, custom_objects=None):
    """The optimizer for a dict from `serialize` (class names are matched case-insensitively)."""
    return registry.deserialize(config, custom_objects, {**OPTIMIZERS, "multioptimizer": MultiOptimizer})


def get(identifier):
    """A Keras optimizer for a name (`"adam"`, any case), a config dict from `serialize`, a Keras
    optimizer or an `ember.optim.Optimizer` (both returned as they are)."""
    if isinstance(identifier, (Optimizer, optim.Optimizer)):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    if isinstance(identifier, str) and identifier.lower() in OPTIMIZERS:
        return OPTIMIZERS[identifier.lower()]()
    raise ArgumentError(f"compile: unknown optimizer {identifier!r}; known names: {', '.join(sorted(OPTIMIZERS))} "
                        "(or pass a keras.optimizers.Optimizer, a config dict or an ember.optim.Optimizer)")
