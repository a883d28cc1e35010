"""The Keras `Optimizer` base class and `KerasUpdate`, the `ember.optim` optimizer that runs a Keras
update rule with Keras's gradient clipping and decoupled weight decay.

    >>> opt = keras.optimizers.SGD(learning_rate=0.1, clipnorm=1.0)
    >>> w = ember.ones(3, requires_grad=True)
    >>> step = opt.build([w])             # an ember.optim.Optimizer
    >>> (10 * w).sum().backward()
    >>> opt.before_step(); opt.apply_gradients()
    >>> opt.iterations
    1
"""
from ember import optim
from ember.autograd.grad_mode import enable_grad, no_grad
from ember.errors import ArgumentError
from ember.ops.binary import maximum
from ember.ops.unary import clamp
from ember.keras.optimizers import schedules

# Keras arguments that ember does not implement, with the values that mean "off".
_UNSUPPORTED = {"use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None, "loss_scale_factor": None,
                "gradient_accumulation_steps": None, "dtype": None}


class KerasUpdate(optim.Optimizer):
    """An `ember.optim` optimizer whose `step()` clips the gradients as Keras does (`clipnorm` per
    variable, `global_clipnorm` over all of them, or `clipvalue` per element), then updates each
    parameter: decoupled weight decay `p -= p * weight_decay * lr`, then the rule in `_rule`.
    The clipping is made of ember ops and the update is the base class's, so a step runs eagerly
    and inside `ember.compile` traces alike."""

    def __init__(self, params, clipnorm=None, clipvalue=None, global_clipnorm=None, **defaults):
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        super().__init__(params, defaults)

    def _check(self, hp, where):
        optim.optimizer.check_range(self._name, "lr", hp["lr"], where)

    def step(self, closure=None):
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self.clip_gradients()
        super().step()
        return loss

    def clip_gradients(self):
        """Replace each `.grad` by its clipped value (no Python branch on tensor values)."""
        params = [p for group in self.param_groups for p in group["params"] if p.grad is not None]
        if not params:
            return
        with no_grad():
            if self.clipnorm:
                c = float(self.clipnorm)
                for p in params:
                    norm = (p.grad * p.grad).sum().sqrt()
                    p.grad = p.grad * c / maximum(norm, c)
            elif self.global_clipnorm:
                c = float(self.global_clipnorm)
                total = sum((p.grad * p.grad).sum() for p in params).sqrt()
                scale = c / maximum(total, c)
                for p in params:
                    p.grad = p.grad * scale
            elif self.clipvalue:
                c = float(self.clipvalue)
                for p in params:
                    p.grad = clamp(p.grad, -c, c)

    def _update(self, p, g, state, group):
        wd, lr = group["weight_decay"], float(group["lr"])
        if wd:
            p -= p * (wd * lr)
        self._rule(p, g, state, group, lr)

    def _rule(self, p, g, state, group, lr):
        raise NotImplementedError(f"{self._name} must define _rule(p, g, state, group, lr)")


class Optimizer:
    """Base class of Keras's optimizers: Keras's arguments, `iterations`, the learning rate (a float,
    a `LearningRateSchedule`, or a function of no arguments) and the fit contract (see the package
    docstring): `build(params)`, `before_step()`, `apply_gradients()`."""
    update_class = None  # the KerasUpdate subclass that runs the rule

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 name=None, **kwargs):
        who = type(self).__name__
        for key, value in kwargs.items():
            if key not in _UNSUPPORTED:
                raise ArgumentError(f"{who}: unknown argument {key!r}")
            if value != _UNSUPPORTED[key]:
                raise ArgumentError(f"{who}: {key}={value!r} is not supported by ember")
        if sum(bool(c) for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ArgumentError(f"{who}: only one of clipnorm, clipvalue and global_clipnorm can be set; got "
                                f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}")
        for arg, value in (("clipnorm", clipnorm), ("clipvalue", clipvalue), ("global_clipnorm", global_clipnorm),
                           ("weight_decay", weight_decay)):
            if value is not None and not (isinstance(value, (int, float)) and value >= 0):
                raise ArgumentError(f"{who}: {arg} must be None or a non-negative number, got {value!r}")
        self._learning_rate = self._check_learning_rate(learning_rate)
        self.weight_decay, self.clipnorm, self.clipvalue = weight_decay, clipnorm, clipvalue
        self.global_clipnorm = global_clipnorm
        self.name = name or who.lower()
        self.iterations = 0
        self.optimizer = None  # the ember.optim optimizer, once built

    def _check_learning_rate(self, value):
        if isinstance(value, dict):
            value = schedules.deserialize(value)
        if isinstance(value, schedules.LearningRateSchedule) or callable(value):
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
            raise ArgumentError(f"{type(self).__name__}: learning_rate must be a non-negative number, a "
                                f"keras.optimizers.schedules.LearningRateSchedule or a function, got {value!r}")
        return float(value)

    # -- the contract with fit ----------------------------------------------------------------
    def build(self, params):
        """Make the `ember.optim` optimizer over `params` (a `KerasUpdate`), keep it and return it."""
        self.optimizer = self.update_class(list(params), clipnorm=self.clipnorm, clipvalue=self.clipvalue,
                                           global_clipnorm=self.global_clipnorm, lr=self._current_learning_rate(),
                                           weight_decay=self.weight_decay, **self.hyperparameters())
        return self.optimizer

    def hyperparameters(self):
        """The rule's own hyperparameters, as the `KerasUpdate` subclass takes them."""
        return {}

    def before_step(self):
        """Set the learning rate of the step about to run (the schedule at `iterations`), then count
        the step. Call it outside any graph trace, once before each step."""
        if self.optimizer is not None and not isinstance(self._learning_rate, float):
            lr = float(self._current_learning_rate())
            for group in self.optimizer.param_groups:
                group["lr"] = lr
        self.iterations += 1

    def apply_gradients(self, grads_and_vars=None):
        """Clip the gradients and update the weights.

        With no argument (what `fit` does) the gradients are the `.grad` of the built parameters and
        `before_step()` has been called; this works inside `ember.compile` traces. With Keras's
        `[(grad, variable), ...]` (eager custom loops) the gradients are set, the optimizer is built
        over the variables on first use, and `before_step()` is called here."""
        if grads_and_vars is None:
            return self._step_built()
        pairs = list(grads_and_vars)
        if self.optimizer is None:
            self.build([v for _, v in pairs])
        given = {id(v) for _, v in pairs}
        built = [p for group in self.optimizer.param_groups for p in group["params"]]
        unknown = [tuple(v.shape) for _, v in pairs if all(v is not p for p in built)]
        if unknown:
            raise ArgumentError(f"{self.name}.apply: {len(unknown)} variable(s) (shapes {unknown}) are not among "
                                f"the {len(built)} this optimizer was built for; use one optimizer per set "
                                "of variables")
        others = {id(p): p.grad for p in built if id(p) not in given}  # only the given variables move
        for p in built:
            if id(p) in others:
                p.grad = None
        for g, v in pairs:
            v.grad = g
        self.before_step()
        try:
            return self.optimizer.step()
        finally:
            for p in built:
                if id(p) in others:
                    p.grad = others[id(p)]

    def _step_built(self):
        """`apply_gradients()` without arguments, as `fit` calls it: the built optimizer steps."""
        if self.optimizer is None:
            raise ArgumentError(f"{self.name}.apply_gradients: the optimizer is not built; call "
                                "build(params) first or pass [(grad, variable), ...]")
        return self.optimizer.step()

    def apply(self, grads, trainable_variables=None):
        """Keras 3's `optimizer.apply(grads, trainable_variables)`: one step with these gradients
        (`trainable_variables` default: the variables the optimizer was built for)."""
        if trainable_variables is None:
            if self.optimizer is None:
                raise ArgumentError(f"{self.name}.apply: give trainable_variables (the optimizer is not built)")
            trainable_variables = [p for group in self.optimizer.param_groups for p in group["params"]]
        grads, variables = list(grads), list(trainable_variables)
        if len(grads) != len(variables):
            raise ArgumentError(f"{self.name}.apply: {len(grads)} gradients for {len(variables)} variables")
        return self.apply_gradients(zip(grads, variables))

    # -- the learning rate --------------------------------------------------------------------
    def _current_learning_rate(self):
        if isinstance(self._learning_rate, schedules.LearningRateSchedule):
            return self._learning_rate(self.iterations)
        if callable(self._learning_rate):
            return self._learning_rate()
        return self._learning_rate

    @property
    def learning_rate(self):
        """The current learning rate, a float (a schedule's value at `iterations`)."""
        if self.optimizer is not None and isinstance(self._learning_rate, float):
            return self.optimizer.param_groups[0]["lr"]
        return float(self._current_learning_rate())

    @learning_rate.setter
    def learning_rate(self, value):
        if isinstance(self._learning_rate, schedules.LearningRateSchedule) and \
                not isinstance(value, schedules.LearningRateSchedule):
            raise ArgumentError(f"{self.name}: this optimizer was created with a LearningRateSchedule as its "
                                "learning_rate, so its learning rate cannot be set to a number")
        self._learning_rate = self._check_learning_rate(value)
        if self.optimizer is not None:
            lr = float(self._current_learning_rate())
            for group in self.optimizer.param_groups:
                group["lr"] = lr

    # -- config -------------------------------------------------------------------------------
    def get_config(self):
        lr = self._learning_rate
        if isinstance(lr, schedules.LearningRateSchedule):
            lr = schedules.serialize(lr)
        elif isinstance(lr, float) and self.optimizer is not None:
            lr = self.learning_rate
        return {"name": self.name, "learning_rate": lr, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue,
                **self.hyperparameters()}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"{type(self).__name__}(learning_rate={self.learning_rate!r}, iterations={self.iterations})"
