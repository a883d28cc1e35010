"""Keras's optimizers, by name or object, with Keras's arguments and defaults, run by `ember.optim`.

A Keras optimizer is created without parameters (`keras.optimizers.Adam(learning_rate=1e-3)`);
the model builds the `ember.optim` optimizer over its weights once they exist (at the first `fit`).
Adam and RMSprop keep Keras's `epsilon=1e-7`.

    >>> opt = keras.optimizers.get("adam")
    >>> opt.learning_rate, opt.epsilon
    (0.001, 1e-07)
"""
from ember import optim
from ember.errors import ArgumentError

__all__ = ["Optimizer", "Adam", "AdamW", "SGD", "RMSprop", "get"]


class Optimizer:
    """Base class: holds Keras's arguments; `build(params)` makes the `ember.optim` optimizer."""

    def __init__(self, learning_rate, clipnorm=None, name=None):
        if not isinstance(learning_rate, (int, float)) or learning_rate < 0:
            raise ArgumentError(f"{type(self).__name__}: learning_rate must be a non-negative number, "
                                f"got {learning_rate!r}")
        self._learning_rate = float(learning_rate)
        self.clipnorm = clipnorm
        self.name = name or type(self).__name__.lower()
        self.optimizer = None  # the ember.optim optimizer, once built

    def build(self, params):
        self.optimizer = self.make(list(params))
        return self.optimizer

    def make(self, params):
        raise NotImplementedError

    @property
    def learning_rate(self):
        if self.optimizer is not None:
            return self.optimizer.param_groups[0]["lr"]
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self._learning_rate = float(value)
        if self.optimizer is not None:
            for group in self.optimizer.param_groups:
                group["lr"] = float(value)

    @property
    def iterations(self):
        return getattr(self, "_iterations", 0)

    def get_config(self):
        return {"name": self.name, "learning_rate": self.learning_rate}


class Adam(Optimizer):
    """Adam with Keras's defaults (learning_rate=0.001, epsilon=1e-7)."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, weight_decay=None,
                 clipnorm=None, name="adam"):
        super().__init__(learning_rate, clipnorm, name)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad
        self.weight_decay = weight_decay

    def make(self, params):
        kwargs = dict(lr=self._learning_rate, betas=(self.beta_1, self.beta_2), eps=self.epsilon, amsgrad=self.amsgrad)
        if self.weight_decay:  # Keras decays decoupled from the gradient, as AdamW
            return optim.AdamW(params, weight_decay=self.weight_decay, **kwargs)
        return optim.Adam(params, **kwargs)


class AdamW(Adam):
    """Adam with decoupled weight decay (Keras's default weight_decay=0.004)."""

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, clipnorm=None, name="adamw"):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay, clipnorm, name)


class SGD(Optimizer):
    """Stochastic gradient descent with Keras's defaults (learning_rate=0.01, momentum=0)."""

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, clipnorm=None, name="sgd"):
        super().__init__(learning_rate, clipnorm, name)
        self.momentum, self.nesterov = momentum, nesterov

    def make(self, params):
        return optim.SGD(params, lr=self._learning_rate, momentum=self.momentum, nesterov=self.nesterov)


class RMSprop(Optimizer):
    """RMSprop with Keras's defaults (learning_rate=0.001, rho=0.9, epsilon=1e-7)."""

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, clipnorm=None,
                 name="rmsprop"):
        super().__init__(learning_rate, clipnorm, name)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def make(self, params):
        return optim.RMSprop(params, lr=self._learning_rate, alpha=self.rho, eps=self.epsilon,
                             momentum=self.momentum, centered=self.centered)


OPTIMIZERS = {"adam": Adam, "adamw": AdamW, "sgd": SGD, "rmsprop": RMSprop}


def get(identifier):
    """A Keras optimizer for a name (`"adam"`), a Keras optimizer, or an `ember.optim.Optimizer` (as is)."""
    if isinstance(identifier, (Optimizer, optim.Optimizer)):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in OPTIMIZERS:
        return OPTIMIZERS[identifier.lower()]()
    raise ArgumentError(f"compile: unknown optimizer {identifier!r}; known names: {', '.join(sorted(OPTIMIZERS))} "
                        "(or pass a keras.optimizers.Optimizer or an ember.optim.Optimizer)")
