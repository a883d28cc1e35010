"""Adam, AdamW, Adamax and Nadam with Keras's defaults and update rules (Keras's epsilon is added to
the bias-uncorrected root, `p -= lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) * m / (sqrt(v) + epsilon)`).

    >>> opt = keras.optimizers.get("adam")
    >>> opt.learning_rate, opt.epsilon
    (0.001, 1e-07)
"""
import math

from ember.optim import _fused
from ember.optim.optimizer import advance, array_module, state_zeros, step_tensor
from ember.keras.optimizers.base import KerasUpdate, Optimizer


class AdamUpdate(KerasUpdate):
    """Keras's Adam (and AMSGrad)."""

    def _init_state(self, p, group):
        state = {"step": step_tensor(), "m": state_zeros(p), "v": state_zeros(p)}
        if group["amsgrad"]:
            state["v_hat"] = state_zeros(p)
        return state

    def _update_group(self, params, grads, states, group):
        # one lean loop of fused kernels where they apply to every parameter (no weight decay); a
        # subclass's own rule runs as it is
        if type(self)._rule is not AdamUpdate._rule or type(self)._update is not KerasUpdate._update or \
                group["amsgrad"] or group["weight_decay"] or not _fused.adam_keras_group(
                params, grads, [s["m"]._data for s in states], [s["v"]._data for s in states],
                states, lr=float(group["lr"]), beta1=group["beta_1"],
                beta2=group["beta_2"], eps=group["epsilon"]):
            super()._update_group(params, grads, states, group)

    def _rule(self, p, g, state, group, lr):
        xp, b1, b2 = array_module(p), group["beta_1"], group["beta_2"]
        t = advance(state)
        alpha = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        m, v = state["m"]._data, state["v"]._data
        if not group["amsgrad"] and _fused.adam_keras(p, g, m, v, beta1=b1, beta2=b2, alpha=alpha,
                                                      eps=group["epsilon"]):
            return
        m += (g - m) * (1 - b1)
        v += (g * g - v) * (1 - b2)
        if group["amsgrad"]:
            v_hat = state["v_hat"]._data
            xp.maximum(v_hat, v, out=v_hat)
            v = v_hat
        p -= alpha * m / (xp.sqrt(v) + group["epsilon"])


class Adam(Optimizer):
    """Adam with Keras's defaults (learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)."""
    update_class = AdamUpdate

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False,
                 weight_decay=None, clipnorm=None, clipvalue=None, global_clipnorm=None, name="adam", **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad

    def hyperparameters(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon, "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with decoupled weight decay, Keras's default weight_decay=0.004."""

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, clipnorm=None, clipvalue=None, global_clipnorm=None, name="adamw", **kwargs):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay, clipnorm, clipvalue,
                         global_clipnorm, name, **kwargs)


class AdamaxUpdate(KerasUpdate):
    """Keras's Adamax: `u = max(beta_2 * u, |g|)`, `p -= lr * m / ((1 - beta_1**t) * (u + epsilon))`."""

    def _init_state(self, p, group):
        return {"step": step_tensor(), "m": state_zeros(p), "u": state_zeros(p)}

    def _rule(self, p, g, state, group, lr):
        xp, b1 = array_module(p), group["beta_1"]
        t = advance(state)
        m, u = state["m"]._data, state["u"]._data
        m += (g - m) * (1 - b1)
        xp.maximum(group["beta_2"] * u, xp.abs(g), out=u)
        p -= lr * m / ((1 - b1 ** t) * (u + group["epsilon"]))


class Adamax(Optimizer):
    """Adamax with Keras's defaults (learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)."""
    update_class = AdamaxUpdate

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name="adamax", **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def hyperparameters(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


class NadamUpdate(KerasUpdate):
    """Keras's Nadam: momentum schedule `u_t = beta_1 * (1 - 0.5 * 0.96**t)` and its running product."""

    def _init_state(self, p, group):
        return {"step": step_tensor(), "mu_product": step_tensor(1.0), "m": state_zeros(p), "v": state_zeros(p)}

    def _rule(self, p, g, state, group, lr):
        xp, b1, b2 = array_module(p), group["beta_1"], group["beta_2"]
        t = advance(state)
        u_t = b1 * (1.0 - 0.5 * 0.96 ** t)
        u_next = b1 * (1.0 - 0.5 * 0.96 ** (t + 1))
        product = state["mu_product"]._data
        product *= u_t
        product = float(product)
        m, v = state["m"]._data, state["v"]._data
        m += (g - m) * (1 - b1)
        v += (g * g - v) * (1 - b2)
        m_hat = u_next * m / (1 - product * u_next) + (1 - u_t) * g / (1 - product)
        v_hat = v / (1 - b2 ** t)
        p -= lr * m_hat / (xp.sqrt(v_hat) + group["epsilon"])


class Nadam(Optimizer):
    """Nadam (Adam with Nesterov momentum) with Keras's defaults (learning_rate=0.001, epsilon=1e-7)."""
    update_class = NadamUpdate

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, name="nadam", **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name, **kwargs)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def hyperparameters(self):
        return {"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}
