"""Keras's `Muon`: momentum orthogonalized by Newton-Schulz iterations for 2-D weights, AdamW for the rest.

Which rule a weight gets is decided once, when the optimizer is built, from the weight's shape and
its Keras path (`"sequential/dense/kernel"`, see `paths.py`): AdamW for every weight that is not 2-D,
for embeddings (`exclude_embeddings`: "embedding" anywhere in the path) and for paths that match a
regular expression of `exclude_layers` (`re.search`); the Muon step for the other matrices. The two
sets are two parameter groups of one `ember.optim` optimizer, each with its own decoupled weight
decay (`weight_decay` for Muon's, `adam_weight_decay` for AdamW's), applied with the base learning
rate before the step as Keras does.

    >>> opt = keras.optimizers.Muon(exclude_layers=["output"])
    >>> opt.momentum, opt.ns_steps, opt.rms_rate
    (0.95, 5, 0.2)
"""
import math
import re

from ember.errors import ArgumentError
from ember.optim.optimizer import advance, array_module, state_zeros, step_tensor
from ember.keras.optimizers.base import KerasUpdate, Optimizer

__all__ = ["Muon"]


def newton_schulz(x, steps, a, b, c, xp):
    """Keras's quintic Newton-Schulz iteration towards the orthogonal factor of matrix array `x`
    (a wide matrix is iterated as it is, a tall one transposed), after scaling its Frobenius norm to 1."""
    tall = x.shape[-2] > x.shape[-1]
    if tall:
        x = xp.swapaxes(x, -1, -2)
    x = x / (xp.sqrt((x * x).sum(axis=(-2, -1), keepdims=True)) + 1e-7)
    for _ in range(steps):
        gram = x @ xp.swapaxes(x, -1, -2)
        x = a * x + (b * gram + (c * gram) @ gram) @ x
    return xp.swapaxes(x, -1, -2) if tall else x


class MuonUpdate(KerasUpdate):
    """Both rules of Keras's Muon; a parameter group's `use_adam` says which one its weights get."""

    def _init_state(self, p, group):
        state = {"step": step_tensor(), "momentum": state_zeros(p)}
        if group["use_adam"]:
            state["velocity"] = state_zeros(p)
        return state

    def _rule(self, p, g, state, group, lr):
        if group["use_adam"]:
            self._adamw(p, g, state, group, lr * group["adam_lr_ratio"])
        else:
            self._muon(p, g, state, group, lr)

    @staticmethod
    def _muon(p, g, state, group, lr):
        xp, mu = array_module(p), group["momentum"]
        advance(state)
        m = state["momentum"]._data
        m += g + m * (mu - 1)
        direction = g + mu * m if group["nesterov"] else m
        update = lr * newton_schulz(direction, group["ns_steps"], group["muon_a"], group["muon_b"],
                                    group["muon_c"], xp)
        if group["rms_rate"] is not None:  # Moonlight's scaling: the same lr and decay as Adam's suit it
            update = update * math.sqrt(max(p.shape[0], p.shape[1])) * group["rms_rate"]
        p -= update

    @staticmethod
    def _adamw(p, g, state, group, lr):
        xp, b1, b2 = array_module(p), group["adam_beta_1"], group["adam_beta_2"]
        t = advance(state)
        alpha = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        m, v = state["momentum"]._data, state["velocity"]._data
        m += (g - m) * (1 - b1)
        v += (g * g - v) * (1 - b2)
        p -= m * alpha / (xp.sqrt(v) + group["epsilon"])


class Muon(Optimizer):
    """Muon with Keras's defaults (learning_rate=0.001, momentum=0.95, nesterov=True, ns_steps=5,
    rms_rate=0.2, weight_decay=adam_weight_decay=0.004; AdamW with adam_beta_1=0.9,
    adam_beta_2=0.999, epsilon=1e-7, at `learning_rate * adam_lr_ratio`)."""
    update_class = MuonUpdate

    def __init__(self, learning_rate=0.001, adam_beta_1=0.9, adam_beta_2=0.999, adam_weight_decay=0.004,
                 epsilon=1e-7, weight_decay=0.004, clipnorm=None, clipvalue=None, global_clipnorm=None, name=None,
                 exclude_layers=None, exclude_embeddings=True, muon_a=3.4445, muon_b=-4.7750, muon_c=2.0315,
                 adam_lr_ratio=1, momentum=0.95, ns_steps=5, nesterov=True, rms_rate=0.2, **kwargs):
        super().__init__(learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name or "muon", **kwargs)
        if not isinstance(ns_steps, int) or isinstance(ns_steps, bool) or ns_steps < 0:
            raise ArgumentError(f"Muon: ns_steps must be a non-negative int, got {ns_steps!r}")
        if adam_weight_decay is not None and not (isinstance(adam_weight_decay, (int, float))
                                                  and adam_weight_decay >= 0):
            raise ArgumentError(f"Muon: adam_weight_decay must be None or a non-negative number, "
                                f"got {adam_weight_decay!r}")
        layers = list(exclude_layers or [])
        for pattern in layers:
            try:
                re.compile(pattern)
            except (TypeError, re.error) as e:
                raise ArgumentError(f"Muon: exclude_layers holds {pattern!r}, not a regular expression ({e})") \
                    from None
        self.adam_beta_1, self.adam_beta_2, self.epsilon = adam_beta_1, adam_beta_2, epsilon
        self.muon_a, self.muon_b, self.muon_c = muon_a, muon_b, muon_c
        self.adam_lr_ratio, self.momentum, self.ns_steps, self.nesterov = adam_lr_ratio, momentum, ns_steps, nesterov
        self.exclude_embeddings, self.exclude_layers = exclude_embeddings, layers
        self.adam_weight_decay, self.rms_rate = adam_weight_decay, rms_rate

    def _should_use_adamw(self, variable):
        """AdamW for weights that are not 2-D, embeddings and excluded layers (by the weight's `path`)."""
        if len(variable.shape) != 2:
            return True
        path = getattr(variable, "path", "") or ""
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(pattern, path) for pattern in self.exclude_layers)

    def build(self, params):
        """The `MuonUpdate` over `params`, in two groups: the Muon matrices, then the AdamW weights."""
        params = list(params)
        adam = [self._should_use_adamw(p) for p in params]
        groups = [{"params": [p for p, a in zip(params, adam) if a == use], "use_adam": use,
                   "weight_decay": self.adam_weight_decay if use else self.weight_decay} for use in (False, True)]
        groups = [group for group in groups if group["params"]] or [{"params": params}]
        self.optimizer = MuonUpdate(groups, clipnorm=self.clipnorm, clipvalue=self.clipvalue,
                                    global_clipnorm=self.global_clipnorm, lr=self._current_learning_rate(),
                                    weight_decay=self.weight_decay, use_adam=False, **self.hyperparameters())
        return self.optimizer

    def hyperparameters(self):
        return {"adam_beta_1": self.adam_beta_1, "adam_beta_2": self.adam_beta_2, "epsilon": self.epsilon,
                "exclude_layers": list(self.exclude_layers), "muon_a": self.muon_a, "muon_b": self.muon_b,
                "muon_c": self.muon_c, "adam_lr_ratio": self.adam_lr_ratio, "momentum": self.momentum,
                "ns_steps": self.ns_steps, "nesterov": self.nesterov, "exclude_embeddings": self.exclude_embeddings,
                "adam_weight_decay": self.adam_weight_decay, "rms_rate": self.rms_rate}
