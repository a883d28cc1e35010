"""Every optimizer, with its options, follows PyTorch's trajectory step by step.

The problem is a small two-layer tanh network fitted by least squares; both
frameworks get the gradient of their own parameters from one NumPy function,
so only the optimizers are compared (end-to-end autograd is in test_training.py).
"""
import numpy as np
import pytest
import torch

import ember
import ember.optim

TOL = {"float64": dict(rtol=1e-10, atol=1e-12), "float32": dict(rtol=1e-4, atol=1e-5)}
STEPS = 50

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.5, weight_decay=0.1)),
    ("SGD", dict(lr=0.01, momentum=0.5, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True, maximize=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.9)),
    ("RMSprop", dict(lr=0.005, alpha=0.9, centered=True, momentum=0.5, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.05, maximize=True)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.5, eps=1e-5, weight_decay=0.1)),
    ("Adadelta", dict(lr=0.5, maximize=True)),
    ("Adamax", dict(lr=0.01)),
    ("Adamax", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1)),
    ("Adamax", dict(lr=0.01, maximize=True)),
    ("NAdam", dict(lr=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    ("NAdam", dict(lr=0.01, momentum_decay=0.01, betas=(0.85, 0.99))),
    ("NAdam", dict(lr=0.01, maximize=True)),
    ("RAdam", dict(lr=0.01)),
    ("RAdam", dict(lr=0.01, betas=(0.8, 0.9), weight_decay=0.1)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("Rprop", dict(lr=0.01)),
    ("Rprop", dict(lr=0.02, etas=(0.3, 1.5), step_sizes=(1e-4, 0.05))),
    ("Rprop", dict(lr=0.01, maximize=True)),
    ("ASGD", dict(lr=0.05)),
    ("ASGD", dict(lr=0.05, lambd=1e-2, alpha=0.5, t0=10, weight_decay=0.1)),
    ("ASGD", dict(lr=0.01, t0=5, maximize=True)),
    ("Adafactor", dict(lr=0.01)),
    ("Adafactor", dict(lr=0.02, beta2_decay=-0.5, eps=(1e-20, 1e-2), d=3.0, weight_decay=0.1)),
    ("Adafactor", dict(lr=0.01, maximize=True)),
]


def ids(case):
    name, kw = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in kw.items())


def problem(dtype, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((8, 3)).astype(dtype)
    y = rng.standard_normal((8, 2)).astype(dtype)
    params = [rng.standard_normal(s).astype(dtype) * 0.5 for s in [(4, 3), (4,), (2, 4), (2,)]]
    return x, y, params


def gradients(x, y, w1, b1, w2, b2):
    """d/dparams of mean((tanh(x w1^T + b1) w2^T + b2 - y)^2), in the arrays' dtype."""
    h = np.tanh(x @ w1.T + b1)
    d_out = 2 * (h @ w2.T + b2 - y) / y.size
    dpre = (d_out @ w2) * (1 - h * h)
    return [dpre.T @ x, dpre.sum(0), d_out.T @ h, d_out.sum(0)]


class Pair:
    """The same parameters in ember and torch, with gradients set from `gradients`."""

    def __init__(self, dtype, seed=0):
        self.x, self.y, arrays = problem(dtype, seed)
        self.ember = [ember.tensor(a.copy(), requires_grad=True) for a in arrays]
        self.torch = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]

    def set_grads(self):
        for ps, to_tensor in ((self.ember, ember.tensor), (self.torch, torch.tensor)):
            values = [p.detach().numpy() for p in ps]
            for p, g in zip(ps, gradients(self.x, self.y, *values)):
                p.grad = to_tensor(g)

    def check(self, dtype, where):
        for i, (e, t) in enumerate(zip(self.ember, self.torch)):
            np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), **TOL[dtype],
                                       err_msg=f"parameter {i} {where}")


def step_both(pair, e_opt, t_opt, steps, dtype):
    for k in range(steps):
        e_opt.zero_grad()
        t_opt.zero_grad()
        pair.set_grads()
        e_opt.step()
        t_opt.step()
        pair.check(dtype, f"after step {k + 1}")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=ids)
def test_trajectory_matches_torch(case, dtype):
    name, kw = case
    pair = Pair(dtype)
    e_opt = getattr(ember.optim, name)(pair.ember, **kw)
    t_opt = getattr(torch.optim, name)(pair.torch, **kw)
    step_both(pair, e_opt, t_opt, STEPS, dtype)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam"])
def test_param_groups_with_their_own_options(name):
    pair = Pair("float64", seed=1)
    extra = {"SGD": {"momentum": 0.9}, "RMSprop": {"momentum": 0.5}}.get(name, {})

    def groups(ps):
        return [{"params": ps[:2], "lr": 0.05, "weight_decay": 0.1}, {"params": ps[2:], "lr": 0.002}]
    e_opt = getattr(ember.optim, name)(groups(pair.ember), lr=0.01, **extra)
    t_opt = getattr(torch.optim, name)(groups(pair.torch), lr=0.01, **extra)
    assert [g["lr"] for g in e_opt.param_groups] == [0.05, 0.002]
    assert [g["weight_decay"] for g in e_opt.param_groups] == [0.1, e_opt.defaults["weight_decay"]]
    step_both(pair, e_opt, t_opt, 20, "float64")


def _state_to_torch(sd):
    return {"state": {k: {n: torch.tensor(v.numpy()) for n, v in s.items()} for k, s in sd["state"].items()},
            "param_groups": sd["param_groups"]}


def _state_from_torch(sd):
    return {"state": {k: {n: ember.tensor(v.numpy()) for n, v in s.items()} for k, s in sd["state"].items()},
            "param_groups": sd["param_groups"]}


@pytest.mark.parametrize("case", [CASES[i] for i in (1, 6, 9, 15, 18, 21, 24, 28)], ids=ids)
def test_state_dict_matches_torch_layout(case):
    name, kw = case
    pair = Pair("float64")
    e_opt = getattr(ember.optim, name)(pair.ember, **kw)
    t_opt = getattr(torch.optim, name)(pair.torch, **kw)
    step_both(pair, e_opt, t_opt, 5, "float64")
    e_sd, t_sd = e_opt.state_dict(), t_opt.state_dict()
    assert e_sd["param_groups"] == t_sd["param_groups"]
    assert sorted(e_sd["state"]) == sorted(t_sd["state"])
    for k, t_state in t_sd["state"].items():
        e_state = e_sd["state"][k]
        assert list(e_state) == list(t_state)
        for key, value in t_state.items():
            assert isinstance(e_state[key], ember.Tensor)
            assert e_state[key].numpy().dtype == value.numpy().dtype
            np.testing.assert_allclose(e_state[key].numpy(), value.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", [CASES[i] for i in (2, 7, 10, 16, 19, 22, 25, 29)], ids=ids)
def test_state_dict_round_trip_continues_identically(case):
    name, kw = case
    pair = Pair("float64")
    opt = getattr(ember.optim, name)(pair.ember, **kw)
    for _ in range(20):
        opt.zero_grad()
        pair.set_grads()
        opt.step()
    sd = opt.state_dict()
    twin = Pair("float64")
    for p, q in zip(twin.ember, pair.ember):
        p.data = q.detach().clone()
    twin_opt = getattr(ember.optim, name)(twin.ember, **kw)
    twin_opt.load_state_dict(sd)
    for p, q in zip(pair.ember, twin.ember):  # the loaded state is a copy, not shared
        for key, value in twin_opt.state[q].items():
            assert not np.shares_memory(value.numpy(), opt.state[p][key].numpy()), key
    for _ in range(30):
        for o, pr in ((opt, pair), (twin_opt, twin)):
            o.zero_grad()
            pr.set_grads()
            o.step()
        for p, q in zip(pair.ember, twin.ember):
            assert np.array_equal(p.detach().numpy(), q.detach().numpy())


@pytest.mark.parametrize("case", [CASES[i] for i in (1, 8, 15, 19, 22, 25, 30)], ids=ids)
def test_load_torch_state_dict_and_continue_like_torch(case):
    name, kw = case
    pair = Pair("float64")
    t_opt = getattr(torch.optim, name)(pair.torch, **kw)
    for _ in range(10):
        t_opt.zero_grad()
        pair.set_grads()
        t_opt.step()
    for e, t in zip(pair.ember, pair.torch):
        e.data = ember.tensor(t.detach().numpy().copy())
    e_opt = getattr(ember.optim, name)(pair.ember, **kw)
    e_opt.load_state_dict(_state_from_torch(t_opt.state_dict()))
    step_both(pair, e_opt, t_opt, 20, "float64")
    # and back: ember's state dict loads into torch
    t_twin = getattr(torch.optim, name)(pair.torch, **kw)
    t_twin.load_state_dict(_state_to_torch(e_opt.state_dict()))


def test_step_counter_is_a_float_tensor_and_nadam_mu_product_is_kept():
    w = ember.ones(2, requires_grad=True)
    opt = ember.optim.NAdam([w], lr=0.01)
    for _ in range(3):
        w.grad = ember.ones(2)
        opt.step()
    state = opt.state[w]
    assert state["step"].dtype == ember.float32 and state["step"].shape == ()
    assert float(state["step"]) == 3.0
    mu = [0.9 * (1 - 0.5 * 0.96 ** (t * 0.004)) for t in (1, 2, 3)]
    assert float(state["mu_product"]) == pytest.approx(mu[0] * mu[1] * mu[2], rel=1e-6)


def test_parameters_without_grad_are_skipped_and_get_no_state():
    a, b = ember.ones(2, requires_grad=True), ember.ones(2, requires_grad=True)
    opt = ember.optim.Adam([a, b], lr=0.1)
    a.grad = ember.ones(2)
    opt.step()
    assert b.tolist() == [1.0, 1.0] and list(opt.state_dict()["state"]) == [0]


def test_step_moves_the_version_counter_and_closure_runs_with_grad():
    w = ember.tensor([1.0, 2.0], requires_grad=True)
    opt = ember.optim.SGD([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        return loss
    with ember.no_grad():
        v0 = w._version
        loss = opt.step(closure)
    assert float(loss) == 5.0
    assert w._version == v0 + 1
    np.testing.assert_allclose(w.detach().numpy(), [0.8, 1.6], rtol=1e-6)
