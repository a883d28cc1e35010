"""`LossScaleOptimizer`: Keras 3's dynamic loss scaling around another optimizer.

`fit` multiplies the loss by `dynamic_scale` before the backward pass (`scale_loss`). Then, if
every gradient is finite, they are divided by the scale and the inner optimizer steps; after
`dynamic_growth_steps` such steps in a row the scale doubles. A non-finite gradient skips the
step (the inner optimizer's `iterations` does not advance) and halves the scale.
`model.compile` wraps the optimizer in one by itself under the "mixed_float16" policy, as Keras
does (`auto_scale_loss=True`).

    >>> from ember import keras
    >>> opt = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1))
    >>> opt.dynamic_scale
    32768.0

The skip is a decision on the gradients' values, so a training step with this optimizer runs
eagerly (`jit_compile="auto"` notices and says so; `jit_compile=True` raises).
"""
import numpy as np

from ember.autograd import dispatch
from ember.autograd.grad_mode import no_grad
from ember.graph import TraceError
from ember.errors import ArgumentError
from ember.ops.binary import isfinite
from ember.keras.optimizers.base import Optimizer


class LossScaleOptimizer(Optimizer):
    """`LossScaleOptimizer(inner_optimizer, initial_scale=2.0**15, dynamic_growth_steps=2000)`.
    A Keras `Optimizer` by type (so `compile` takes it); its state is the inner optimizer's plus
    the scale, and it does not call the base class's constructor (it has no rule of its own)."""

    def __init__(self, inner_optimizer, initial_scale=2.0 ** 15, dynamic_growth_steps=2000, name=None, **kwargs):
        if kwargs:
            raise ArgumentError(f"LossScaleOptimizer: unknown argument(s) {sorted(kwargs)}")
        if not hasattr(inner_optimizer, "apply_gradients") or not hasattr(inner_optimizer, "build"):
            raise ArgumentError(f"LossScaleOptimizer: inner_optimizer must be a keras optimizer, got "
                                f"{type(inner_optimizer).__name__}")
        if not (isinstance(initial_scale, (int, float)) and np.isfinite(initial_scale) and initial_scale > 0):
            raise ArgumentError(f"LossScaleOptimizer: initial_scale must be a positive number, got {initial_scale!r}")
        if not isinstance(dynamic_growth_steps, int) or dynamic_growth_steps < 1:
            raise ArgumentError(f"LossScaleOptimizer: dynamic_growth_steps must be a positive int, "
                                f"got {dynamic_growth_steps!r}")
        self.inner_optimizer = inner_optimizer
        self.initial_scale, self.dynamic_growth_steps = float(initial_scale), dynamic_growth_steps
        self.name = name or "loss_scale_optimizer"
        self._scale = np.float32(initial_scale)
        self.step_counter = 0
        self.optimizer = None

    @property
    def dynamic_scale(self):
        return float(self._scale)

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self.inner_optimizer.learning_rate = value

    # -- the contract with fit ----------------------------------------------------------------
    def build(self, params):
        self.optimizer = self.inner_optimizer.build(params)
        self._params = list(params)
        return self.optimizer

    def before_step(self):
        """Nothing yet: the inner optimizer counts (and schedules) only the steps it takes."""

    def scale_loss(self, loss):
        return loss * float(self._scale)

    def apply_gradients(self, grads_and_vars=None):
        """Unscale and apply the gradients if all are finite; else skip the step. Returns whether
        the step was applied."""
        if grads_and_vars is not None:
            pairs = list(grads_and_vars)
            if self.optimizer is None:
                self.build([v for _, v in pairs])
            for g, v in pairs:
                v.grad = g
        elif self.optimizer is None:
            raise ArgumentError(f"{self.name}.apply_gradients: the optimizer is not built; call build(params) "
                                "first or pass [(grad, variable), ...]")
        if dispatch.tracer() is not None:
            raise TraceError(f"{self.name}: whether to skip the step depends on the gradients' values, "
                             "so a training step with loss scaling runs eagerly")
        grads = [p.grad for p in self._params if p.grad is not None]
        if not all(bool(isfinite(g).all()) for g in grads):
            self._scale = np.float32(self._scale * np.float32(0.5))
            self.step_counter = 0
            return False
        inv = 1.0 / float(self._scale)
        with no_grad():
            for g in grads:
                g.mul_(inv)
        self.inner_optimizer.before_step()
        self.inner_optimizer.apply_gradients()
        if self.step_counter == self.dynamic_growth_steps - 1:
            self._scale = np.float32(self._scale * np.float32(2.0))
            self.step_counter = 0
        else:
            self.step_counter += 1
        return True

    def get_config(self):
        return {"name": self.name, "inner_optimizer": {"class_name": type(self.inner_optimizer).__name__,
                                                       "config": self.inner_optimizer.get_config()},
                "initial_scale": self.initial_scale, "dynamic_growth_steps": self.dynamic_growth_steps}

    def __repr__(self):
        return f"LossScaleOptimizer({self.inner_optimizer!r}, dynamic_scale={self.dynamic_scale})"
