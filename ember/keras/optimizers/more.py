"""Ftrl, Lion, Lamb, Adafactor and ScheduleFreeAdamW with Keras's defaults and update rules.

    >>> keras.optimizers.Lion().learning_rate, keras.optimizers.Adafactor().epsilon_2
    (0.001, 0.001)
"""
import math

from ember.errors import ArgumentError
from ember.optim.optimizer import advance, array_module, state_zeros, step_tensor
from ember.keras.optimizers.base import KerasUpdate, Optimizer

__all__ = ["Ftrl", "Lion", "Lamb", "Adafactor", "ScheduleFreeAdamW"]


class FtrlUpdate(KerasUpdate):
    """Keras's FTRL-proximal: per-coordinate accumulators of squared gradients and a linear term."""

    def _init_state(self, p, group):
        return {"accumulator": state_zeros(p, group["initial_accumulator_value"]), "linear": state_zeros(p)}

    def _rule(self, p, g, state, group, lr):
        xp, power = array_module(p), group["learning_rate_power"]
        l1, l2 = group["l1_regularization_strength"], group["l2_regularization_strength"] + group["beta"] / (2 * lr)
        accum, linear = state["accumulator"]._data, state["linear"]._data
        new_accum = accum + g * g
        linear += g + 2 * group["l2_shrinkage_regularization_strength"] * p - \
            (new_accum ** -power - accum ** -power) / lr * p
        quadratic = new_accum ** -power / lr + 2 * l2
        p[...] = (xp.clip(linear, -l1, l1) - linear) / quadratic
        accum[...] = new_accum


class Ftrl(Optimizer):
    """FTRL with Keras's defaults (learning_rate=0.001, learning_rate_power=-0.5, initial accumulator 0.1)."""
    update_class = FtrlUpdate

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 l2_shrinkage_regularization_strength=0.0, beta=0.0, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, name="ftrl", **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs)
        for what, value in (("initial_accumulator_value", initial_accumulator_value),
                            ("l1_regularization_strength", l1_regularization_strength),
                            ("l2_regularization_strength", l2_regularization_strength),
                            ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength)):
            if value < 0:
                raise ArgumentError(f"Ftrl: {what} must be >= 0, got {value!r}")
        if learning_rate_power > 0:
            raise ArgumentError(f"Ftrl: learning_rate_power must be <= 0, got {learning_rate_power!r}")
        self.learning_rate_power, self.initial_accumulator_value = learning_rate_power, initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def hyperparameters(self):
        return {"learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
                "beta": self.beta}


class LionUpdate(KerasUpdate):
    """Keras's Lion: `p -= lr * sign(beta_1 * m + (1 - beta_1) * g)`, then `m = beta_2 * m + (1 - beta_2) * g`."""

    def _init_state(self, p, group):
        return {"m": state_zeros(p)}

    def _rule(self, p, g, state, group, lr):
        xp, b1, b2 = array_module(p), group["beta_1"], group["beta_2"]
        m = state["m"]._data
        p -= lr * xp.sign(m * b1 + g * (1 - b1))
        m[...] = m * b2 + g * (1 - b2)


class Lion(Optimizer):
    """Lion with Keras's defaults (learning_rate=0.001, beta_1=0.9, beta_2=0.99)."""
    update_class = LionUpdate

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, weight_decay=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, name="lion", **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs)
        if not 0 < beta_1 <= 1:
            raise ArgumentError(f"Lion: beta_1 must be in (0, 1], got {beta_1!r}")
        self.beta_1, self.beta_2 = beta_1, beta_2

    def hyperparameters(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2}


class LambUpdate(KerasUpdate):
    """Keras's LAMB: Adam's bias-corrected step, scaled per variable by ||p|| / ||step||."""

    def _init_state(self, p, group):
        return {"step": step_tensor(), "m": state_zeros(p), "v": state_zeros(p)}

    def _rule(self, p, g, state, group, lr):
        xp, b1, b2 = array_module(p), group["beta_1"], group["beta_2"]
        t = advance(state)
        m, v = state["m"]._data, state["v"]._data
        m += (g - m) * (1 - b1)
        v += (g * g - v) * (1 - b2)
        update = (m / (1 - b1 ** t)) / (xp.sqrt(v / (1 - b2 ** t)) + group["epsilon"])
        w_norm, u_norm = float(xp.sqrt((p * p).sum())), float(xp.sqrt((update * update).sum()))
        ratio = w_norm / u_norm if w_norm > 0 and u_norm > 0 else 1.0
        p -= ratio * lr * update


class Lamb(Optimizer):
    """LAMB with Keras's defaults (learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)."""
    update_class = LambUpdate

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name="lamb", **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def hyperparameters(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class AdafactorUpdate(KerasUpdate):
    """Keras's Adafactor: second moments factored over the last two dims (row and column means)."""

    def _init_state(self, p, group):
        xp = array_module(p)
        state = {"step": step_tensor(), "v": state_zeros(p)}
        if p.ndim >= 2:
            state["r"] = state_zeros(xp.zeros(p.shape[:-1], p.dtype))
            state["c"] = state_zeros(xp.zeros(p.shape[:-2] + p.shape[-1:], p.dtype))
        return state

    def _rule(self, p, g, state, group, lr):
        xp = array_module(p)
        t = advance(state)
        rho = min(lr, 1 / math.sqrt(t))
        alpha = max(group["epsilon_2"], float(xp.sqrt((p * p).mean()))) * rho
        square = g * g + group["epsilon_1"]
        beta_2 = 1 - t ** group["beta_2_decay"]
        v = state["v"]._data
        if p.ndim >= 2:
            r, c = state["r"]._data, state["c"]._data
            r[...] = beta_2 * r + (1 - beta_2) * square.mean(-1)
            c[...] = beta_2 * c + (1 - beta_2) * square.mean(-2)
            v[...] = (r / r.mean(-1, keepdims=True))[..., None] * c[..., None, :]
        else:
            v[...] = beta_2 * v + (1 - beta_2) * square
        u = g / xp.sqrt(v)
        u_hat = u / max(1.0, float(xp.sqrt((u * u).mean())) / group["clip_threshold"])
        p -= alpha * u_hat


class Adafactor(Optimizer):
    """Adafactor with Keras's defaults (learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30,
    epsilon_2=1e-3, clip_threshold=1.0, relative_step=True)."""
    update_class = AdafactorUpdate

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3, clip_threshold=1.0,
                 relative_step=True, weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 name="adafactor", **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs)
        self.beta_2_decay, self.epsilon_1, self.epsilon_2 = beta_2_decay, epsilon_1, epsilon_2
        self.clip_threshold, self.relative_step = clip_threshold, relative_step

    def hyperparameters(self):
        return {"beta_2_decay": self.beta_2_decay, "epsilon_1": self.epsilon_1, "epsilon_2": self.epsilon_2,
                "clip_threshold": self.clip_threshold, "relative_step": self.relative_step}


class ScheduleFreeAdamWUpdate(KerasUpdate):
    """Keras's schedule-free AdamW: Adam steps on a `momentum` sequence (started at the weights), the
    weights set to an interpolation between it and the running average `x` (weight 1/t)."""

    def _init_state(self, p, group):
        momentum = state_zeros(p)
        momentum._data[...] = p
        return {"step": step_tensor(), "momentum": momentum, "v": state_zeros(p)}

    def _rule(self, p, g, state, group, lr):
        xp, b1, b2 = array_module(p), group["beta_1"], group["beta_2"]
        t = advance(state)
        if group["warmup_steps"] > 0:
            lr = lr * min(t / group["warmup_steps"], 1.0)
        z, v = state["momentum"]._data, state["v"]._data
        z_old = z.copy()
        v += (g * g - v) * (1 - b2)
        z -= lr * g / (xp.sqrt(v / (1 - b2 ** t)) + group["epsilon"])
        x_old = (p - (1 - b1) * z_old) / b1  # the momentum before the step (Keras-on-torch aliases it)
        x_new = (1 - 1 / t) * x_old + (1 / t) * z
        p[...] = (1 - b1) * z + b1 * x_new


class ScheduleFreeAdamW(Optimizer):
    """Schedule-free AdamW with Keras's defaults (learning_rate=0.0025, beta_1=0.9, beta_2=0.999,
    epsilon=1e-8, warmup_steps=0): no learning-rate schedule needed."""
    update_class = ScheduleFreeAdamWUpdate

    def __init__(self, learning_rate=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8, warmup_steps=0,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, name="schedulefreeadamw",
                 **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.warmup_steps = beta_1, beta_2, epsilon, int(warmup_steps)

    def hyperparameters(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "warmup_steps": self.warmup_steps}
