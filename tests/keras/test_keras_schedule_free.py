"""ScheduleFreeAdamW against Keras 3's own update rule, written out in NumPy float64 from Keras's source
(`keras/src/optimizers/schedule_free_adamw.py`, `update_step`).

Keras on its torch backend does not run that rule as written: `momentum_old = momentum.value` is the
same tensor that `assign_sub(momentum, ...)` then changes in place, so the "old" momentum it recovers
`x_old` from is already the new one (on TensorFlow and JAX the value is a snapshot). The reference
below takes that as a switch. With the switch on it must agree with real Keras-on-torch step for
step, which checks that the transcription is faithful; ember is then compared with the switch off:
the rule as Keras writes it, with the old momentum."""
import numpy as np
import pytest

import ember
from ember import keras as ek

RNG = np.random.default_rng(17)
SETTINGS = {"defaults": dict(), "tuned": dict(learning_rate=0.01, beta_1=0.8, beta_2=0.99, epsilon=1e-6),
            "warmup_decay": dict(learning_rate=0.02, warmup_steps=3, weight_decay=0.05)}
DEFAULTS = dict(learning_rate=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8, warmup_steps=0, weight_decay=None)


def reference(weight, grads, aliased, learning_rate, beta_1, beta_2, epsilon, warmup_steps, weight_decay):
    """The weights after each step of Keras's ScheduleFreeAdamW.update_step, in float64."""
    y = weight.astype(np.float64)
    z, v, out = y.copy(), np.zeros_like(y), []
    for t, g in enumerate(grads, 1):
        g = g.astype(np.float64)
        if weight_decay:  # Keras's decoupled decay, before the step, with the unwarmed learning rate
            y = y - y * weight_decay * learning_rate
        lr = learning_rate * min(t / warmup_steps, 1.0) if warmup_steps > 0 else learning_rate
        z_old = z.copy()
        v = v + (g * g - v) * (1 - beta_2)
        z = z - lr * g / (np.sqrt(v / (1 - beta_2 ** t)) + epsilon)
        momentum_old = z if aliased else z_old
        x_old = (y - (1 - beta_1) * momentum_old) / beta_1
        x_new = (1 - 1 / t) * x_old + (1 / t) * z
        y = (1 - beta_1) * z + beta_1 * x_new
        out.append(y)
    return out


def keras_steps(real_keras, weight, grads, setting):
    import torch
    variable = real_keras.Variable(weight)
    opt = real_keras.optimizers.ScheduleFreeAdamW(**setting)
    out = []
    for g in grads:
        opt.apply([torch.tensor(g)], [variable])
        out.append(variable.value.detach().cpu().numpy().copy())
    return out


def ember_steps(weight, grads, setting):
    layer = ek.layers.Dense(1)
    variable = layer.add_weight(shape=weight.shape)
    with ember.no_grad():
        variable.copy_(ember.tensor(weight))
    opt = ek.optimizers.ScheduleFreeAdamW(**setting)
    out = []
    for g in grads:
        opt.apply([ember.tensor(g)], [variable])
        out.append(variable.detach().numpy().copy())
    return out


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_schedule_free_adamw_matches_keras_rule(real_keras, name):
    setting = SETTINGS[name]
    weight = RNG.standard_normal((4, 3)).astype("float32")
    grads = [RNG.standard_normal((4, 3)).astype("float32") for _ in range(5)]
    args = {**DEFAULTS, **setting}
    as_run = reference(weight, grads, True, **args)
    for got, want in zip(keras_steps(real_keras, weight, grads, setting), as_run):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)  # the transcription is Keras's
    as_written = reference(weight, grads, False, **args)
    assert not np.allclose(as_written[-1], as_run[-1], rtol=1e-4, atol=1e-6)  # the switch matters
    for got, want in zip(ember_steps(weight, grads, setting), as_written):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)


def test_schedule_free_adamw_config_read_by_keras(real_keras):
    ref = real_keras.optimizers.ScheduleFreeAdamW(learning_rate=0.01, beta_1=0.8, warmup_steps=4)
    ours = ek.optimizers.deserialize(real_keras.optimizers.serialize(ref))
    assert (ours.learning_rate, ours.beta_1, ours.warmup_steps) == (pytest.approx(0.01), 0.8, 4)
    back = real_keras.optimizers.deserialize(ek.optimizers.serialize(ours)).get_config()
    for key in ("beta_1", "beta_2", "epsilon", "warmup_steps"):
        assert back[key] == pytest.approx(ref.get_config()[key]), key
