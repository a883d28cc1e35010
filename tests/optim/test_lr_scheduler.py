"""Every learning-rate scheduler gives PyTorch's sequence of learning rates (and momentums)."""
import math
import warnings

import pytest
import torch

import ember
import ember.optim
from ember.errors import ArgumentError, DTypeError

STEPS = 60


def optimizers(kind="SGD", lrs=(0.1, 0.01)):
    """The same two-group optimizer in ember and in torch."""
    kw = {"SGD": dict(momentum=0.9), "Adam": dict(betas=(0.9, 0.999))}[kind]
    e = getattr(ember.optim, kind)([{"params": [ember.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs], **kw)
    t = getattr(torch.optim, kind)([{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in lrs], **kw)
    return e, t


def history(opt, sched, steps, metrics=None):
    rows = [_row(opt, sched)]
    for k in range(steps):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[k])
        rows.append(_row(opt, sched))
    return rows


def _row(opt, sched):
    momentum = [g["betas"][0] if "betas" in g else g.get("momentum") for g in opt.param_groups]
    return [float(v) for v in sched.get_last_lr()], [g["lr"] for g in opt.param_groups], momentum


def assert_same(e_rows, t_rows):
    assert len(e_rows) == len(t_rows)
    for k, (e, t) in enumerate(zip(e_rows, t_rows)):
        for what, ev, tv in zip(("get_last_lr", "group lr", "momentum"), e, t):
            assert ev == pytest.approx(tv, rel=1e-12, abs=1e-15), f"{what} after {k} steps"


def compare(make, kind="SGD", steps=STEPS, lrs=(0.1, 0.01), metrics=None):
    e_opt, t_opt = optimizers(kind, lrs)
    e_sched = make(ember.optim.lr_scheduler, e_opt)
    t_sched = make(torch.optim.lr_scheduler, t_opt)
    assert_same(history(e_opt, e_sched, steps, metrics), history(t_opt, t_sched, steps, metrics))
    return e_sched


SCHEDULES = {
    "StepLR": lambda m, o: m.StepLR(o, step_size=7, gamma=0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[5, 15, 15, 30], gamma=0.3),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.95),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=10, eta_min=0.001),
    "CosineAnnealingLR-eta0": lambda m, o: m.CosineAnnealingLR(o, T_max=17),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=1e-3),
    "CosineAnnealingWarmRestarts-mult1": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=7),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=12),
    "LambdaLR": lambda m, o: m.LambdaLR(o, lambda e: 1 / (1 + e)),
    "LambdaLR-per-group": lambda m, o: m.LambdaLR(o, [lambda e: 0.9 ** e, lambda e: 1 + 0.1 * e]),
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.97),
    "ConstantLR": lambda m, o: m.ConstantLR(o, factor=0.25, total_iters=8),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, total_iters=40, power=2.0),
    "SequentialLR": lambda m, o: m.SequentialLR(o, [m.LinearLR(o, start_factor=0.1, total_iters=5),
                                                    m.CosineAnnealingLR(o, T_max=20, eta_min=1e-4)],
                                                milestones=[5]),
    "SequentialLR-3": lambda m, o: m.SequentialLR(o, [m.ConstantLR(o, factor=0.5, total_iters=4),
                                                      m.ExponentialLR(o, gamma=0.9),
                                                      m.StepLR(o, step_size=5, gamma=0.5)],
                                                  milestones=[10, 30]),
    "ChainedScheduler": lambda m, o: m.ChainedScheduler([m.ConstantLR(o, factor=0.5, total_iters=4),
                                                         m.ExponentialLR(o, gamma=0.9)]),
    "OneCycleLR-cos": lambda m, o: m.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=STEPS),
    "OneCycleLR-linear": lambda m, o: m.OneCycleLR(o, max_lr=1.0, epochs=6, steps_per_epoch=10,
                                                   anneal_strategy="linear", pct_start=0.25),
    "OneCycleLR-three-phase": lambda m, o: m.OneCycleLR(o, max_lr=0.8, total_steps=STEPS, three_phase=True,
                                                        base_momentum=0.8, max_momentum=0.9,
                                                        div_factor=10.0, final_div_factor=100.0),
    "OneCycleLR-no-momentum": lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=STEPS, cycle_momentum=False),
    "CyclicLR-triangular2": lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=5,
                                                    step_size_down=8, mode="triangular2"),
    "CyclicLR-exp_range": lambda m, o: m.CyclicLR(o, base_lr=[0.01, 0.001], max_lr=0.1, step_size_up=6,
                                                  mode="exp_range", gamma=0.97),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedule_matches_torch(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns for ChainedScheduler/SequentialLR internals
        compare(SCHEDULES[name])


@pytest.mark.parametrize("name", ["OneCycleLR-cos", "OneCycleLR-three-phase", "CyclicLR-triangular2"])
def test_momentum_cycles_adams_beta1_like_torch(name):
    compare(SCHEDULES[name], kind="Adam")


def test_cosine_warm_restarts_with_fractional_epochs():
    def run(module, opt):
        sched = module.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=0.01)
        out = []
        for epoch in range(12):
            for i in range(4):
                opt.step()
                sched.step(epoch + i / 4)
                out.append(([float(v) for v in sched.get_last_lr()], sched.T_i, sched.T_cur, sched.last_epoch))
        return out
    e_opt, t_opt = optimizers()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e, t = run(ember.optim.lr_scheduler, e_opt), run(torch.optim.lr_scheduler, t_opt)
    for k, ((e_lr, *e_rest), (t_lr, *t_rest)) in enumerate(zip(e, t)):
        assert e_lr == pytest.approx(t_lr, rel=1e-12), k
        assert e_rest == pytest.approx(t_rest, rel=1e-12), k


@pytest.mark.parametrize("name", ["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "LinearLR",
                                  "ConstantLR", "PolynomialLR"])
def test_step_with_an_epoch_uses_the_closed_form_like_torch(name):
    e_opt, t_opt = optimizers()
    e_sched, t_sched = SCHEDULES[name](ember.optim.lr_scheduler, e_opt), SCHEDULES[name](torch.optim.lr_scheduler, t_opt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in (3, 9, 4, 21, 35):
            e_opt.step()
            t_opt.step()
            e_sched.step(epoch)
            t_sched.step(epoch)
            assert e_sched.get_last_lr() == pytest.approx(t_sched.get_last_lr(), rel=1e-12)


PLATEAU_METRICS = [1.0, 0.9, 0.95, 0.95, 0.95, 0.89, 0.9, 0.9, 0.9, 0.9, 0.9, 0.8, 0.8001, 0.79995, 0.8, 0.8,
                   0.8, 0.8, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7]


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(patience=2),
    dict(mode="min", factor=0.5, patience=1, threshold=0.01, cooldown=2, min_lr=1e-3),
    dict(mode="min", factor=0.5, patience=0, threshold=0.05, threshold_mode="abs", min_lr=[0.02, 0.0]),
    dict(mode="max", factor=0.3, patience=1, threshold=1e-3, eps=1e-3),
    dict(mode="max", factor=0.3, patience=2, threshold_mode="abs", threshold=0.01, cooldown=1),
], ids=str)
def test_reduce_lr_on_plateau_with_a_scripted_metric(kwargs):
    sched = compare(lambda m, o: m.ReduceLROnPlateau(o, **kwargs), steps=len(PLATEAU_METRICS),
                    metrics=PLATEAU_METRICS)
    assert sched.num_bad_epochs >= 0


def test_scheduler_state_dict_round_trip_continues_identically():
    def make(o):
        m = ember.optim.lr_scheduler
        return m.SequentialLR(o, [m.LinearLR(o, start_factor=0.1, total_iters=5),
                                  m.CosineAnnealingLR(o, T_max=20, eta_min=1e-4)], milestones=[5])
    opt, _ = optimizers()
    sched = make(opt)
    for _ in range(12):
        opt.step()
        sched.step()
    saved_sched, saved_opt = sched.state_dict(), opt.state_dict()
    expected = history(opt, sched, 30)[1:]
    opt2, _ = optimizers()
    sched2 = make(opt2)
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved_sched)
    assert_same(history(opt2, sched2, 30)[1:], expected)


def test_lambda_scheduler_state_dict_stores_callable_objects_but_not_functions():
    class Decay:
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, epoch):
            return self.rate ** epoch
    opt, _ = optimizers()
    sched = ember.optim.lr_scheduler.LambdaLR(opt, [Decay(0.5), lambda e: 1.0])
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [{"rate": 0.5}, None] and "optimizer" not in sd
    other = ember.optim.lr_scheduler.LambdaLR(opt, [Decay(0.9), lambda e: 1.0])
    other.load_state_dict(sd)
    assert other.lr_lambdas[0].rate == 0.5


def test_initial_lr_and_last_epoch():
    opt, _ = optimizers()
    sched = ember.optim.lr_scheduler.StepLR(opt, step_size=3)
    assert [g["initial_lr"] for g in opt.param_groups] == [0.1, 0.01]
    assert sched.last_epoch == 0 and sched.base_lrs == [0.1, 0.01]
    fresh, _ = optimizers()
    with pytest.raises(ArgumentError, match=r"param_groups\[0\] has no 'initial_lr'"):
        ember.optim.lr_scheduler.StepLR(fresh, step_size=3, last_epoch=5)


def test_stepping_the_scheduler_before_the_optimizer_warns():
    opt, _ = optimizers()
    sched = ember.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    opt, _ = optimizers()
    sched = ember.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)
    opt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sched.step()


def test_scheduler_errors():
    opt, _ = optimizers()
    m = ember.optim.lr_scheduler
    with pytest.raises(DTypeError, match="StepLR: expected an ember.optim.Optimizer"):
        m.StepLR("sgd", step_size=2)
    with pytest.raises(ArgumentError, match="LambdaLR: expected 2 lr_lambdas"):
        m.LambdaLR(opt, [lambda e: 1.0])
    with pytest.raises(ArgumentError, match="OneCycleLR: give total_steps"):
        m.OneCycleLR(opt, max_lr=1.0)
    with pytest.raises(ArgumentError, match="OneCycleLR: tried to step 11 times"):
        s = m.OneCycleLR(opt, max_lr=1.0, total_steps=10)
        for _ in range(11):
            opt.step()
            s.step()
    adagrad = ember.optim.Adagrad([ember.zeros(1, requires_grad=True)])
    with pytest.raises(ArgumentError, match="cycle_momentum=True needs an optimizer with 'momentum' or 'betas'"):
        m.OneCycleLR(adagrad, max_lr=1.0, total_steps=10)
    with pytest.raises(ArgumentError, match="SequentialLR: expected 1 milestones"):
        m.SequentialLR(opt, [m.StepLR(opt, 2), m.StepLR(opt, 3)], milestones=[1, 2])
    with pytest.raises(ArgumentError, match="ReduceLROnPlateau: mode must be 'min' or 'max'"):
        m.ReduceLROnPlateau(opt, mode="up")
    with pytest.raises(ArgumentError, match="factor=1.5 must be < 1.0"):
        m.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(ArgumentError, match="T_0 must be a positive integer"):
        m.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ArgumentError, match="max_lr must have one value per parameter group"):
        m.OneCycleLR(opt, max_lr=[1.0, 2.0, 3.0], total_steps=10)


def test_cosine_annealing_reaches_eta_min_at_t_max():
    opt, _ = optimizers(lrs=(1.0,))
    sched = ember.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=8, eta_min=0.1)
    for _ in range(8):
        opt.step()
        sched.step()
    assert math.isclose(sched.get_last_lr()[0], 0.1, rel_tol=1e-12)
