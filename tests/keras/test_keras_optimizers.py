"""keras.optimizers: Keras's update rules against NumPy references and torch.optim, clipping, weight
decay, schedules against their closed forms, the fit contract eagerly and inside ember.compile."""
import math

import numpy as np
import pytest
import torch

import ember
from ember import keras
from ember.errors import ArgumentError

O = keras.optimizers
S = keras.optimizers.schedules


def _np_rule(name, hp):
    """A float64 NumPy reference of Keras's update rule: returns step(p, g, lr, state, t) -> p."""
    def sgd(p, g, lr, s, t):
        mom = hp.get("momentum", 0.0)
        if not mom:
            return p - lr * g
        s["m"] = mom * s.get("m", 0 * p) - lr * g
        return p + (mom * s["m"] - lr * g if hp.get("nesterov") else s["m"])

    def adam(p, g, lr, s, t):
        b1, b2, eps = hp.get("beta_1", 0.9), hp.get("beta_2", 0.999), hp.get("epsilon", 1e-7)
        s["m"] = b1 * s.get("m", 0 * p) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0 * p) + (1 - b2) * g * g
        v = s["v"]
        if hp.get("amsgrad"):
            s["vh"] = np.maximum(s.get("vh", 0 * p), s["v"])
            v = s["vh"]
        return p - lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t) * s["m"] / (np.sqrt(v) + eps)

    def rmsprop(p, g, lr, s, t):
        rho, eps, mom = hp.get("rho", 0.9), hp.get("epsilon", 1e-7), hp.get("momentum", 0.0)
        s["v"] = rho * s.get("v", 0 * p) + (1 - rho) * g * g
        den = s["v"] + eps
        if hp.get("centered"):
            s["a"] = rho * s.get("a", 0 * p) + (1 - rho) * g
            den = den - s["a"] ** 2
        inc = lr * g / np.sqrt(den)
        if mom:
            s["m"] = mom * s.get("m", 0 * p) + inc
            inc = s["m"]
        return p - inc

    def adagrad(p, g, lr, s, t):
        s["a"] = s.get("a", 0 * p + hp.get("initial_accumulator_value", 0.1)) + g * g
        return p - lr * g / np.sqrt(s["a"] + hp.get("epsilon", 1e-7))

    def adadelta(p, g, lr, s, t):
        rho, eps = hp.get("rho", 0.95), hp.get("epsilon", 1e-7)
        s["ag"] = rho * s.get("ag", 0 * p) + (1 - rho) * g * g
        d = -np.sqrt(s.get("ad", 0 * p) + eps) / np.sqrt(s["ag"] + eps) * g
        s["ad"] = rho * s.get("ad", 0 * p) + (1 - rho) * d * d
        return p + lr * d

    def adamax(p, g, lr, s, t):
        b1, b2, eps = hp.get("beta_1", 0.9), hp.get("beta_2", 0.999), hp.get("epsilon", 1e-7)
        s["m"] = b1 * s.get("m", 0 * p) + (1 - b1) * g
        s["u"] = np.maximum(b2 * s.get("u", 0 * p), np.abs(g))
        return p - lr * s["m"] / ((1 - b1 ** t) * (s["u"] + eps))

    def nadam(p, g, lr, s, t):
        b1, b2, eps = hp.get("beta_1", 0.9), hp.get("beta_2", 0.999), hp.get("epsilon", 1e-7)
        u_t, u_next = b1 * (1 - 0.5 * 0.96 ** t), b1 * (1 - 0.5 * 0.96 ** (t + 1))
        s["prod"] = s.get("prod", 1.0) * u_t
        s["m"] = b1 * s.get("m", 0 * p) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0 * p) + (1 - b2) * g * g
        m_hat = u_next * s["m"] / (1 - s["prod"] * u_next) + (1 - u_t) * g / (1 - s["prod"])
        return p - lr * m_hat / (np.sqrt(s["v"] / (1 - b2 ** t)) + eps)

    return {"sgd": sgd, "adam": adam, "adamw": adam, "rmsprop": rmsprop, "adagrad": adagrad, "adadelta": adadelta,
            "adamax": adamax, "nadam": nadam}[name]


def _grad(p, target):
    return 2 * (p - target) * np.arange(1, p.size + 1).reshape(p.shape)  # of sum(k * (p - target)**2)


def _run_ember(opt, p0, target, steps):
    w = ember.tensor(p0.copy(), requires_grad=True)
    opt.build([w])
    out = []
    for _ in range(steps):
        opt.optimizer.zero_grad()
        (ember.arange(1, w.numel() + 1).reshape(w.shape).double() * (w - ember.tensor(target)) ** 2).sum().backward()
        opt.before_step()
        opt.apply_gradients()
        out.append(w.detach().numpy().copy())
    return out


def _run_numpy(name, hp, p0, target, steps, lr_of, wd=None, clip=None):
    rule, state, p, out = _np_rule(name, hp), {}, p0.copy(), []
    for t in range(1, steps + 1):
        g = _grad(p, target)
        if clip and clip[0] == "clipnorm":
            g = g * clip[1] / max(np.linalg.norm(g), clip[1])
        elif clip and clip[0] == "clipvalue":
            g = np.clip(g, -clip[1], clip[1])
        lr = lr_of(t - 1)
        if wd:
            p = p - p * wd * lr
        p = rule(p, g, lr, state, t)
        out.append(p.copy())
    return out


CONFIGS = [
    ("sgd", {}), ("sgd", {"momentum": 0.9}), ("sgd", {"momentum": 0.9, "nesterov": True}),
    ("adam", {}), ("adam", {"amsgrad": True, "beta_1": 0.8}), ("adamw", {}),
    ("rmsprop", {}), ("rmsprop", {"momentum": 0.5, "centered": True}),
    ("adagrad", {}), ("adadelta", {"rho": 0.9}), ("adamax", {}), ("nadam", {}),
]


@pytest.mark.parametrize("name,hp", CONFIGS, ids=[f"{n}-{'-'.join(h)}" for n, h in CONFIGS])
def test_first_steps_match_keras_rule(name, hp):
    rng = np.random.default_rng(0)
    p0, target = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    lr = 0.05 if name != "adadelta" else 1.0
    opt = O.get(name)
    opt = type(opt)(learning_rate=lr, **hp)
    wd = opt.weight_decay
    got = _run_ember(opt, p0, target, 5)
    want = _run_numpy(name, hp, p0, target, 5, lambda step: lr, wd=wd)
    for step, (a, b) in enumerate(zip(got, want)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9, err_msg=f"{name} step {step + 1}")
    assert opt.iterations == 5


@pytest.mark.parametrize("name", ["sgd", "adam", "rmsprop", "adamax"])
@pytest.mark.parametrize("clip", [("clipnorm", 0.5), ("clipvalue", 0.3)])
def test_clipping_and_weight_decay_and_schedule(name, clip):
    rng = np.random.default_rng(1)
    p0, target = rng.standard_normal(4), rng.standard_normal(4)
    sched = S.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    opt = type(O.get(name))(learning_rate=sched, weight_decay=0.01, **{clip[0]: clip[1]})
    got = _run_ember(opt, p0, target, 4)
    want = _run_numpy(name, {}, p0, target, 4, sched, wd=0.01, clip=clip)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)
    assert opt.learning_rate == pytest.approx(sched(4))


def test_clipnorm_is_per_variable_and_global_clipnorm_over_all():
    def grads(**kw):
        a, b = ember.zeros(2, requires_grad=True), ember.zeros(3, requires_grad=True)
        opt = O.SGD(learning_rate=1.0, **kw)
        opt.build([a, b])
        a.grad, b.grad = ember.tensor([3.0, 4.0]), ember.tensor([0.0, 0.0, 0.5])
        opt.before_step()
        opt.apply_gradients()
        return -a.detach().numpy(), -b.detach().numpy()
    ga, gb = grads(clipnorm=1.0)
    np.testing.assert_allclose(ga, [0.6, 0.8], rtol=1e-6)
    np.testing.assert_allclose(gb, [0, 0, 0.5], rtol=1e-6)  # below the norm: untouched
    ga, gb = grads(global_clipnorm=1.0)
    total = math.sqrt(25 + 0.25)
    np.testing.assert_allclose(np.concatenate([ga, gb]), np.array([3, 4, 0, 0, 0.5]) / total, rtol=1e-6)
    ga, _ = grads(clipvalue=3.5)
    np.testing.assert_allclose(ga, [3.0, 3.5])
    with pytest.raises(ArgumentError, match="only one of clipnorm, clipvalue and global_clipnorm"):
        O.Adam(clipnorm=1.0, clipvalue=1.0)


def _torch_steps(make, p0, target, steps):
    w = torch.tensor(p0.copy(), requires_grad=True)
    opt, out = make([w]), []
    k = torch.arange(1, w.numel() + 1, dtype=torch.float64).reshape(w.shape)
    for _ in range(steps):
        opt.zero_grad()
        (k * (w - torch.tensor(target)) ** 2).sum().backward()
        opt.step()
        out.append(w.detach().numpy().copy())
    return out


@pytest.mark.parametrize("keras_opt,torch_make", [
    (lambda: O.SGD(0.05, momentum=0.9), lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
    (lambda: O.SGD(0.05, momentum=0.9, nesterov=True),
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True)),
    (lambda: O.Adadelta(1.0, rho=0.9, epsilon=1e-6), lambda p: torch.optim.Adadelta(p, lr=1.0, rho=0.9, eps=1e-6)),
    # Keras adds epsilon inside the root (Adagrad, RMSprop) or before bias correction (Adam); with
    # epsilon=0 the rules are the same as torch's
    (lambda: O.Adagrad(0.1, initial_accumulator_value=0.1, epsilon=0.0),
     lambda p: torch.optim.Adagrad(p, lr=0.1, initial_accumulator_value=0.1, eps=0.0)),
    (lambda: O.RMSprop(0.01, rho=0.8, epsilon=0.0), lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.8, eps=0.0)),
    (lambda: O.Adam(0.05, epsilon=0.0), lambda p: torch.optim.Adam(p, lr=0.05, eps=0.0)),
    (lambda: O.AdamW(0.05, weight_decay=0.1, epsilon=0.0),
     lambda p: torch.optim.AdamW(p, lr=0.05, weight_decay=0.1, eps=0.0)),
    # Keras's Nadam momentum schedule is torch's with momentum_decay=1
    (lambda: O.Nadam(0.05), lambda p: torch.optim.NAdam(p, lr=0.05, eps=1e-7, momentum_decay=1.0)),
], ids=["sgd", "nesterov", "adadelta", "adagrad", "rmsprop", "adam", "adamw", "nadam"])
def test_matches_torch_where_the_rules_agree(keras_opt, torch_make):
    rng = np.random.default_rng(2)
    p0, target = rng.standard_normal(5), rng.standard_normal(5)
    for a, b in zip(_run_ember(keras_opt(), p0, target, 6), _torch_steps(torch_make, p0, target, 6)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize("name,clip", [("adam", {"clipnorm": 0.1}), ("sgd", {"global_clipnorm": 0.2}),
                                       ("rmsprop", {"clipvalue": 0.05}), ("nadam", {}), ("adagrad", {}),
                                       ("adadelta", {}), ("adamax", {"clipnorm": 0.3}), ("adamw", {})])
def test_compiled_step_matches_eager(name, clip):
    def make():
        ember.manual_seed(0)
        model = ember.nn.Sequential(ember.nn.Linear(4, 8), ember.nn.Tanh(), ember.nn.Linear(8, 2))
        sched = S.PiecewiseConstantDecay([1, 3], [0.1, 0.05, 0.02])
        opt = type(O.get(name))(learning_rate=sched, **clip)
        opt.build(list(model.parameters()))
        return model, opt

    def step_of(model, opt):
        def step(x, y):
            opt.optimizer.zero_grad()
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            opt.apply_gradients()
            return loss
        return step

    (m1, o1), (m2, o2) = make(), make()
    eager, compiled = step_of(m1, o1), ember.compile(step_of(m2, o2))
    rng = np.random.default_rng(3)
    for i in range(5):
        x, y = ember.tensor(rng.standard_normal((6, 4)).astype(np.float32)), \
            ember.tensor(rng.standard_normal((6, 2)).astype(np.float32))
        o1.before_step()
        o2.before_step()
        assert compiled(x, y).item() == pytest.approx(eager(x, y).item(), rel=1e-5, abs=1e-6)
        for a, b in zip(m1.parameters(), m2.parameters()):
            np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-5, atol=1e-6,
                                       err_msg=f"{name} after step {i}")
    assert compiled.retraces == 0 and o2.optimizer.param_groups[0]["lr"] == pytest.approx(0.02)


def test_learning_rate_get_set_and_iterations():
    opt = O.Adam(learning_rate=0.01)
    w = ember.zeros(2, requires_grad=True)
    opt.build([w])
    opt.learning_rate = 0.5
    assert opt.learning_rate == 0.5 and opt.optimizer.param_groups[0]["lr"] == 0.5
    sched_opt = O.SGD(learning_rate=S.InverseTimeDecay(1.0, 1, 1.0))
    sched_opt.iterations = 3
    assert sched_opt.learning_rate == pytest.approx(0.25)
    with pytest.raises(ArgumentError, match="LearningRateSchedule"):
        sched_opt.learning_rate = 0.1
    with pytest.raises(ArgumentError, match="learning_rate"):
        O.SGD(learning_rate=-1)
    # Keras-style custom loop: apply_gradients([(grad, var)]) builds, counts the step and updates
    v = ember.ones(2, requires_grad=True)
    sgd = O.SGD(learning_rate=0.5)
    sgd.apply_gradients([(ember.tensor([1.0, 2.0]), v)])
    np.testing.assert_allclose(v.detach().numpy(), [0.5, 0.0])
    assert sgd.iterations == 1


def test_get_and_configs():
    for name in ("adam", "Adam", "adamw", "sgd", "rmsprop", "adagrad", "adadelta", "adamax", "nadam", "Nadam"):
        assert isinstance(O.get(name), O.Optimizer)
    assert O.get("adagrad").get_config()["initial_accumulator_value"] == 0.1
    assert O.get("adadelta").get_config()["rho"] == 0.95 and O.get("sgd").learning_rate == 0.01
    assert O.get("adamw").weight_decay == 0.004
    torch_like = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=0.1)
    assert O.get(torch_like) is torch_like
    opt = O.Adam(learning_rate=S.CosineDecay(0.1, 50, alpha=0.1), beta_1=0.8, clipnorm=2.0, weight_decay=0.01)
    again = O.get(O.serialize(opt))
    assert isinstance(again, O.Adam) and again.get_config() == opt.get_config()
    assert isinstance(again._learning_rate, S.CosineDecay) and again.beta_1 == 0.8
    for cls in O.OPTIMIZERS.values():
        assert cls.from_config(cls().get_config()).get_config() == cls().get_config()
    with pytest.raises(ArgumentError, match="known names: .*adagrad.*nadam"):
        O.get("adamm")


def test_schedules_match_closed_forms():
    steps = np.arange(0, 40)
    e = S.ExponentialDecay(0.5, 7, 0.3)
    np.testing.assert_allclose([e(s) for s in steps], 0.5 * 0.3 ** (steps / 7))
    e = S.ExponentialDecay(0.5, 7, 0.3, staircase=True)
    np.testing.assert_allclose([e(s) for s in steps], 0.5 * 0.3 ** (steps // 7))
    i = S.InverseTimeDecay(0.5, 4, 2.0, staircase=True)
    np.testing.assert_allclose([i(s) for s in steps], 0.5 / (1 + 2.0 * (steps // 4)))
    pc = S.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert [pc(s) for s in (0, 10, 11, 20, 21)] == [1.0, 1.0, 0.5, 0.5, 0.1]
    poly = S.PolynomialDecay(1.0, 10, end_learning_rate=0.1, power=2.0)
    np.testing.assert_allclose([poly(s) for s in steps], 0.9 * (1 - np.minimum(steps, 10) / 10) ** 2 + 0.1)
    cyc = S.PolynomialDecay(1.0, 10, end_learning_rate=0.0, cycle=True)
    assert cyc(15) == pytest.approx(1 - 15 / 20) and cyc(0) == 1.0
    cos = S.CosineDecay(1.0, 20, alpha=0.1)
    np.testing.assert_allclose([cos(s) for s in steps],
                               0.9 * 0.5 * (1 + np.cos(np.pi * np.minimum(steps, 20) / 20)) + 0.1)
    warm = S.CosineDecay(0.0, 20, warmup_target=1.0, warmup_steps=5)
    assert warm(0) == 0.0 and warm(2) == pytest.approx(0.4) and warm(5) == pytest.approx(1.0)
    assert warm(15) == pytest.approx(0.5) and warm(100) == pytest.approx(0.0, abs=1e-12)


def test_cosine_decay_restarts_walks_its_periods():
    sched = S.CosineDecayRestarts(1.0, first_decay_steps=4, t_mul=2.0, m_mul=0.5, alpha=0.0)
    start, length, peak = 0, 4, 1.0
    for _ in range(3):  # periods of 4, 8 and 16 steps, starting at 1, 0.5, 0.25
        for k in range(length):
            assert sched(start + k) == pytest.approx(peak * 0.5 * (1 + math.cos(math.pi * k / length)), abs=1e-9)
        start, length, peak = start + length, length * 2, peak * 0.5
    flat = S.CosineDecayRestarts(2.0, 5, t_mul=1.0, alpha=0.2)
    assert flat(7) == pytest.approx(2.0 * (0.8 * 0.5 * (1 + math.cos(math.pi * 2 / 5)) + 0.2))
    for s in (sched, flat, S.PolynomialDecay(1.0, 10), S.PiecewiseConstantDecay([1], [1.0, 0.5])):
        again = S.deserialize(S.serialize(s))
        assert again.get_config() == s.get_config() and again(6) == s(6)
