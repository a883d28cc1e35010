"""SGD, RMSprop, Adagrad and Adadelta with Keras's defaults and update rules.

    >>> opt = keras.optimizers.RMSprop(learning_rate=0.01, momentum=0.9)
    >>> opt.get_config()["rho"]
    0.9
"""
from ember.optim.optimizer import array_module, state_zeros
from ember.keras.optimizers.base import KerasUpdate, Optimizer


class SGDUpdate(KerasUpdate):
    """Keras's SGD: `m = momentum * m - lr * g`; `p += m` (Nesterov: `p += momentum * m - lr * g`)."""

    def _init_state(self, p, group):
        return {"momentum": state_zeros(p)} if group["momentum"] else {}

    def _rule(self, p, g, state, group, lr):
        momentum = group["momentum"]
        if not momentum:
            p -= lr * g
            return
        m = state["momentum"]._data
        m *= momentum
        m -= lr * g
        if group["nesterov"]:
            p += momentum * m - lr * g
        else:
            p += m


class SGD(Optimizer):
    """Stochastic gradient descent with Keras's defaults (learning_rate=0.01, momentum=0)."""
    update_class = SGDUpdate

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, name="SGD", **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs)
        self.momentum, self.nesterov = momentum, nesterov

    def hyperparameters(self):
        return {"momentum": self.momentum, "nesterov": self.nesterov}


class RMSpropUpdate(KerasUpdate):
    """Keras's RMSprop: `v = rho * v + (1 - rho) * g**2`, `step = lr * g / sqrt(v [- mean_g**2] + epsilon)`."""

    def _init_state(self, p, group):
        state = {"velocity": state_zeros(p)}
        if group["momentum"]:
            state["momentum"] = state_zeros(p)
        if group["centered"]:
            state["average_gradient"] = state_zeros(p)
        return state

    def _rule(self, p, g, state, group, lr):
        xp, rho = array_module(p), group["rho"]
        v = state["velocity"]._data
        v *= rho
        v += (1 - rho) * g * g
        denominator = v + group["epsilon"]
        if group["centered"]:
            average = state["average_gradient"]._data
            average *= rho
            average += (1 - rho) * g
            denominator = denominator - average * average
        increment = lr * g / xp.sqrt(denominator)
        if group["momentum"]:
            m = state["momentum"]._data
            m *= group["momentum"]
            m += increment
            p -= m
        else:
            p -= increment


class RMSprop(Optimizer):
    """RMSprop with Keras's defaults (learning_rate=0.001, rho=0.9, epsilon=1e-7, inside the square root)."""
    update_class = RMSpropUpdate

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name="rmsprop", **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def hyperparameters(self):
        return {"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon, "centered": self.centered}


class AdagradUpdate(KerasUpdate):
    """Keras's Adagrad: `a += g**2`, `p -= lr * g / sqrt(a + epsilon)`."""

    def _init_state(self, p, group):
        return {"accumulator": state_zeros(p, group["initial_accumulator_value"])}

    def _rule(self, p, g, state, group, lr):
        a = state["accumulator"]._data
        a += g * g
        p -= lr * g / array_module(p).sqrt(a + group["epsilon"])


class Adagrad(Optimizer):
    """Adagrad with Keras's defaults (learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7)."""
    update_class = AdagradUpdate

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name="adagrad", **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def hyperparameters(self):
        return {"initial_accumulator_value": self.initial_accumulator_value, "epsilon": self.epsilon}


class AdadeltaUpdate(KerasUpdate):
    """Keras's Adadelta: `d = -sqrt(acc_delta + eps) / sqrt(acc_grad + eps) * g`, `p += lr * d`."""

    def _init_state(self, p, group):
        return {"accumulated_grad": state_zeros(p), "accumulated_delta": state_zeros(p)}

    def _rule(self, p, g, state, group, lr):
        xp, rho, eps = array_module(p), group["rho"], group["epsilon"]
        acc_g, acc_d = state["accumulated_grad"]._data, state["accumulated_delta"]._data
        acc_g *= rho
        acc_g += (1 - rho) * g * g
        delta = -xp.sqrt(acc_d + eps) / xp.sqrt(acc_g + eps) * g
        acc_d *= rho
        acc_d += (1 - rho) * delta * delta
        p += lr * delta


class Adadelta(Optimizer):
    """Adadelta with Keras's defaults (learning_rate=0.001, rho=0.95, epsilon=1e-7)."""
    update_class = AdadeltaUpdate

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, name="adadelta", **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs)
        self.rho, self.epsilon = rho, epsilon

    def hyperparameters(self):
        return {"rho": self.rho, "epsilon": self.epsilon}
