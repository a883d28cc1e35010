"""ember.optim.swa_utils against torch.optim.swa_utils: the same model trained the same way, averaged
the same way, gives the same averaged weights, BatchNorm statistics and learning rates."""
import numpy as np
import pytest
import torch

import ember
from ember.optim import swa_utils


def _models():
    ember.manual_seed(0)
    e = ember.nn.Sequential(ember.nn.Linear(4, 8), ember.nn.BatchNorm1d(8), ember.nn.ReLU(), ember.nn.Linear(8, 2))
    t = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    with torch.no_grad():
        for pe, pt in zip(e.state_dict().values(), t.state_dict().values()):
            pt.copy_(torch.from_numpy(pe.detach().numpy().copy()))
    return e, t


def _train(lib, model, make_avg, xs, sched=None):
    opt = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    avg = make_avg(model)
    swa_sched = sched(lib, opt) if sched else None
    lrs = []
    for x in xs:
        opt.zero_grad()
        (model(x) ** 2).mean().backward()
        opt.step()
        avg.update_parameters(model)
        if swa_sched is not None:
            swa_sched.step()
            lrs.append(opt.param_groups[0]["lr"])
    return avg, lrs


def _close(e_tensors, t_tensors):
    for a, b in zip(e_tensors, t_tensors):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kind", ["swa", "ema_multi", "ema_fn", "swa_fn", "swa_buffers"])
def test_averaged_weights_equal_torch(kind):
    rng = np.random.default_rng(1)
    xs = [rng.standard_normal((16, 4)).astype(np.float32) for _ in range(6)]
    e, t = _models()

    def make(lib_utils, kind):
        return {"swa": lambda m: lib_utils.AveragedModel(m),
                "ema_multi": lambda m: lib_utils.AveragedModel(m, multi_avg_fn=lib_utils.get_ema_multi_avg_fn(0.9)),
                "ema_fn": lambda m: lib_utils.AveragedModel(m, avg_fn=lib_utils.get_ema_avg_fn(0.8)),
                "swa_fn": lambda m: lib_utils.AveragedModel(m, avg_fn=lib_utils.get_swa_avg_fn()),
                "swa_buffers": lambda m: lib_utils.AveragedModel(m, use_buffers=True)}[kind]
    ea, _ = _train(ember, e, make(swa_utils, kind), [ember.from_numpy(x) for x in xs])
    ta, _ = _train(torch, t, make(torch.optim.swa_utils, kind), [torch.from_numpy(x) for x in xs])
    _close(ea.state_dict().values(), ta.state_dict().values())
    assert int(ea.n_averaged.item()) == int(ta.n_averaged) == 6
    x = np.ones((3, 4), np.float32)
    ea.eval(), ta.eval()
    _close([ea(ember.from_numpy(x))], [ta(torch.from_numpy(x))])


def test_update_bn_equals_torch():
    rng = np.random.default_rng(2)
    data = [rng.standard_normal((10, 4)).astype(np.float32) * 3 + 1 for _ in range(4)]
    e, t = _models()
    swa_utils.update_bn([(ember.from_numpy(x), 0) for x in data], e)
    torch.optim.swa_utils.update_bn([(torch.from_numpy(x), 0) for x in data], t)
    _close([e[1].running_mean, e[1].running_var], [t[1].running_mean, t[1].running_var])
    assert e[1].momentum == 0.1 and e.training


@pytest.mark.parametrize("strategy, epochs", [("cos", 3), ("linear", 4), ("cos", 0)])
def test_swalr_schedule_equals_torch(strategy, epochs):
    rng = np.random.default_rng(3)
    xs = [rng.standard_normal((8, 4)).astype(np.float32) for _ in range(7)]
    e, t = _models()

    def sched(lib, opt):
        utils = swa_utils if lib is ember else torch.optim.swa_utils
        return utils.SWALR(opt, swa_lr=0.02, anneal_epochs=epochs, anneal_strategy=strategy)
    _, e_lrs = _train(ember, e, swa_utils.AveragedModel, [ember.from_numpy(x) for x in xs], sched)
    _, t_lrs = _train(torch, t, torch.optim.swa_utils.AveragedModel, [torch.from_numpy(x) for x in xs], sched)
    np.testing.assert_allclose(e_lrs, t_lrs, rtol=1e-12)


def test_bad_arguments_raise():
    model = ember.nn.Linear(2, 2)
    with pytest.raises(ember.ArgumentError, match="avg_fn or multi_avg_fn"):
        swa_utils.AveragedModel(model, avg_fn=swa_utils.get_swa_avg_fn(), multi_avg_fn=swa_utils.get_swa_multi_avg_fn())
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ember.ArgumentError, match="anneal_strategy"):
        swa_utils.SWALR(opt, 0.01, anneal_strategy="step")
    with pytest.raises(ember.ArgumentError, match="same architecture"):
        swa_utils.AveragedModel(model).update_parameters(ember.nn.Linear(2, 2, bias=False))
