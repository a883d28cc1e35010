"""More of keras.optimizers against Keras 3 (torch backend): Ftrl, Lion, Lamb and Adafactor step by step on
the same weights and gradients (2-d and 1-d variables), every optimizer's config read by the other library,
the learning-rate schedules' values, and a custom `Optimizer` subclass name lookup."""
import numpy as np
import pytest

import ember
from ember import keras as ek

RNG = np.random.default_rng(11)
SETTINGS = {"Ftrl": dict(learning_rate=0.1, l1_regularization_strength=0.01, l2_regularization_strength=0.02,
                         l2_shrinkage_regularization_strength=0.01, beta=0.1),
            "Lion": dict(learning_rate=0.01, beta_1=0.8, weight_decay=0.05),
            "Lamb": dict(learning_rate=0.02, epsilon=1e-6),
            "Adafactor": dict(learning_rate=0.05, clip_threshold=0.5)}
SCHEDULES = {
    "ExponentialDecay": lambda s: s.ExponentialDecay(0.1, 10, 0.5, staircase=True),
    "InverseTimeDecay": lambda s: s.InverseTimeDecay(0.1, 5, 0.3),
    "PiecewiseConstantDecay": lambda s: s.PiecewiseConstantDecay([5, 12], [0.1, 0.05, 0.01]),
    "PolynomialDecay": lambda s: s.PolynomialDecay(0.1, 20, 0.001, power=2.0, cycle=True),
    "CosineDecay": lambda s: s.CosineDecay(0.1, 20, alpha=0.1, warmup_target=0.2, warmup_steps=5),
    "CosineDecayRestarts": lambda s: s.CosineDecayRestarts(0.1, 6, t_mul=1.5, m_mul=0.8, alpha=0.05),
}
COVERS = {"keras.optimizers": list(SETTINGS) + ["Optimizer", "deserialize", "schedules"]}


def run_steps(k, name, shapes, grads, weights, steps=3):
    import torch
    if k is ek:
        layer = ek.layers.Dense(1)
        variables = [layer.add_weight(shape=s) for s in shapes]
        with ember.no_grad():
            for v, w in zip(variables, weights):
                v.copy_(ember.tensor(w))
        wrap = ember.tensor
    else:
        variables = [k.Variable(w) for w in weights]
        wrap = torch.tensor
    opt = getattr(k.optimizers, name)(**SETTINGS[name])
    out = []
    for step in range(steps):
        opt.apply([wrap(g[step]) for g in grads], variables)
        out.append([np.array(v.detach().numpy() if k is ek else v.value.detach().cpu().numpy()) for v in variables])
    return out


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_optimizer_steps_match_keras(real_keras, name):
    shapes = [(4, 3), (3,)]
    weights = [RNG.standard_normal(s).astype("float32") for s in shapes]
    grads = [[RNG.standard_normal(s).astype("float32") for _ in range(3)] for s in shapes]
    got, want = run_steps(ek, name, shapes, grads, weights), run_steps(real_keras, name, shapes, grads, weights)
    for g_step, w_step in zip(got, want):
        for g, w in zip(g_step, w_step):
            np.testing.assert_allclose(g, w, rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Ftrl",
                                  "Lion", "Lamb", "Adafactor"])
def test_configs_read_by_the_other_library(real_keras, name):
    ref = getattr(real_keras.optimizers, name)(learning_rate=0.03)
    ours = ek.optimizers.deserialize(real_keras.optimizers.serialize(ref))
    assert type(ours).__name__ == name and ours.learning_rate == pytest.approx(0.03)
    if name == "Lamb":  # Keras 3.15 does not register Lamb for deserialize (it returns the name)
        return
    back = real_keras.optimizers.deserialize(ek.optimizers.serialize(ours))
    want = ref.get_config()
    for key, value in back.get_config().items():
        if key in ("learning_rate", "name") or isinstance(value, (dict, type(None))):
            continue
        assert value == pytest.approx(want[key]), key
    assert type(ek.optimizers.get(name.lower())).__name__ == type(real_keras.optimizers.get(name.lower())).__name__


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_schedules_match_keras(real_keras, name):
    ref, ours = SCHEDULES[name](real_keras.optimizers.schedules), SCHEDULES[name](ek.optimizers.schedules)
    for step in range(1, 30, 3):  # not on a restart boundary, where Keras's float32 log may floor one period short
        np.testing.assert_allclose(float(ours(step)), float(np.asarray(ref(step))), rtol=1e-5, err_msg=str(step))
    back = ek.optimizers.schedules.deserialize(real_keras.optimizers.schedules.serialize(ref))
    np.testing.assert_allclose(float(back(7)), float(np.asarray(ref(7))), rtol=1e-5)


def test_custom_optimizer_subclass_trains_like_keras(real_keras):
    """Subclassing a Keras optimizer and changing a default, as users do, then fit for a few steps."""
    def build(k):
        class SlowAdam(k.optimizers.Adam):
            def __init__(self, **kwargs):
                super().__init__(learning_rate=0.005, **kwargs)
        assert issubclass(SlowAdam, k.optimizers.Optimizer)
        model = k.Sequential([k.Input((3,)), k.layers.Dense(2)])
        model.compile(optimizer=SlowAdam(), loss="mse")
        return model
    real, ours = build(real_keras), build(ek)
    ours.set_weights(real.get_weights())
    x, y = RNG.standard_normal((16, 3)).astype("float32"), RNG.standard_normal((16, 2)).astype("float32")
    want = real.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False).history["loss"]
    got = ours.fit(x, y, batch_size=4, epochs=2, verbose=0, shuffle=False).history["loss"]
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_schedule_free_adamw_against_its_algorithm():
    """Keras's update rule written out in NumPy float64 with the momentum *before* the step (Keras 3.15 on the
    torch backend reads it after the in-place update, an aliasing of `momentum.value`, so it is not the
    reference here): y = (1 - b1) z + b1 x, x averaged with weight 1/t, Adam steps on z, warmup."""
    w0 = RNG.standard_normal((4, 3))
    grads = [RNG.standard_normal((4, 3)) for _ in range(4)]
    lr, b1, b2, eps, warm, wd = 0.01, 0.9, 0.999, 1e-8, 2, 0.01
    y, z, v = w0.copy(), w0.copy(), np.zeros_like(w0)
    layer = ek.layers.Dense(1)
    var = layer.add_weight(shape=(4, 3))
    with ember.no_grad():
        var.copy_(ember.tensor(w0.astype("float32")))
    opt = ek.optimizers.ScheduleFreeAdamW(learning_rate=lr, warmup_steps=warm, weight_decay=wd)
    for t, g in enumerate(grads, 1):
        y = y - y * wd * lr
        step_lr = lr * min(t / warm, 1.0)
        z_old = z.copy()
        v = v + (g * g - v) * (1 - b2)
        z = z - step_lr * g / (np.sqrt(v / (1 - b2 ** t)) + eps)
        x_old = (y - (1 - b1) * z_old) / b1
        x_new = (1 - 1 / t) * x_old + z / t
        y = (1 - b1) * z + b1 * x_new
        opt.apply([ember.tensor(g.astype("float32"))], [var])
        np.testing.assert_allclose(var.detach().numpy(), y, rtol=1e-4, atol=1e-5)
    assert type(ek.optimizers.get("schedulefreeadamw")) is ek.optimizers.ScheduleFreeAdamW
