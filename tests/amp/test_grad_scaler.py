"""ember.amp.GradScaler against torch.amp.GradScaler("cpu"): the same scale trajectory, skipped
steps and parameters over a run with injected inf/NaN gradients; float16 training (autocast) that
underflows without scaling and diverges with a fixed large scale, but trains with the scaler, which
recovers from overflow as PyTorch's does; state_dict round trip; misuse raises."""
import math

import numpy as np
import pytest

import ember
from ember import nn

torch = pytest.importorskip("torch")


def _pair(seed=0, n_in=4, n_out=2):
    ember.manual_seed(seed)
    e = nn.Linear(n_in, n_out)
    t = torch.nn.Linear(n_in, n_out)
    with torch.no_grad():
        t.weight.copy_(torch.from_numpy(e.weight.detach().numpy().copy()))
        t.bias.copy_(torch.from_numpy(e.bias.detach().numpy().copy()))
    return e, t


def test_scale_trajectory_and_skipped_steps_match_torch():
    e, t = _pair()
    e_opt, t_opt = ember.optim.SGD(e.parameters(), lr=0.05), torch.optim.SGD(t.parameters(), lr=0.05)
    kw = dict(init_scale=2.0 ** 10, growth_factor=2.0, backoff_factor=0.5, growth_interval=3)
    e_s, t_s = ember.amp.GradScaler("cpu", **kw), torch.amp.GradScaler("cpu", **kw)
    rng = np.random.default_rng(0)
    bad = {2: math.inf, 3: math.nan, 9: -math.inf}
    for i in range(14):
        x = rng.standard_normal((8, 4)).astype(np.float32)
        if i in bad:
            x[0, 0] = bad[i]
        e_opt.zero_grad()
        t_opt.zero_grad()
        e_s.scale(e(ember.from_numpy(x)).pow(2).mean()).backward()
        t_s.scale(t(torch.from_numpy(x)).pow(2).mean()).backward()
        if i % 4 == 1:  # unscale_ first (as before gradient clipping) on some steps
            e_s.unscale_(e_opt)
            t_s.unscale_(t_opt)
        e_s.step(e_opt)
        t_s.step(t_opt)
        e_s.update()
        t_s.update()
        assert e_s.get_scale() == t_s.get_scale(), f"step {i}"
        assert e_s.state_dict() == t_s.state_dict(), f"step {i}"
        np.testing.assert_allclose(e.weight.detach().numpy(), t.weight.detach().numpy(), rtol=1e-5, atol=1e-6)
    assert e_s.get_scale() != 2.0 ** 10  # it backed off and grew


WEIGHT = 1e-8  # a small loss weight: the gradient reaching the float16 layer (~1e-9) underflows unscaled


def _regression(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((64, 8)).astype(np.float32)
    return x, x @ rng.standard_normal((8, 1)).astype(np.float32)


def _train(lib, scaler=None, static_scale=None, steps=30):
    x, y = _regression()
    ember.manual_seed(0)
    e = nn.Linear(8, 1)
    model = e if lib is ember else torch.nn.Linear(8, 1)
    if lib is torch:  # the same start as ember's model
        with torch.no_grad():
            model.weight.copy_(torch.from_numpy(e.weight.detach().numpy()))
            model.bias.copy_(torch.from_numpy(e.bias.detach().numpy()))
    opt = (ember.optim.SGD if lib is ember else torch.optim.SGD)(model.parameters(), lr=0.05 / WEIGHT)
    xt, yt = (ember.from_numpy(x), ember.from_numpy(y)) if lib is ember else (torch.from_numpy(x), torch.from_numpy(y))
    losses, scales = [], []
    for _ in range(steps):
        opt.zero_grad()
        with lib.autocast("cpu", dtype=lib.float16):
            loss = ((model(xt).float() - yt) ** 2).mean() * WEIGHT
        losses.append(float(loss.item()))
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            scales.append(scaler.get_scale())
        else:
            (loss * static_scale if static_scale else loss).backward()
            if static_scale:
                with lib.no_grad():
                    for p in model.parameters():
                        p.grad.div_(static_scale)
            opt.step()
    finite = all(bool(lib.isfinite(p).all()) for p in model.parameters())
    return losses, scales, finite


def test_float16_training_needs_the_scaler():
    plain, _, _ = _train(ember)
    assert plain[-1] > 0.99 * plain[0]                    # the gradient underflows: nothing learns
    static, _, finite = _train(ember, static_scale=2.0 ** 48)
    assert not finite                                      # a fixed huge scale overflows: weights become NaN
    scaled, scales, finite = _train(ember, ember.amp.GradScaler("cpu", init_scale=2.0 ** 48, growth_interval=5))
    assert finite and scaled[-1] < 0.05 * scaled[0]        # the scaler backs off the overflow and trains
    t_losses, t_scales, _ = _train(torch, torch.amp.GradScaler("cpu", init_scale=2.0 ** 48, growth_interval=5))
    assert scales == t_scales                              # the same overflows, at the same steps, as PyTorch
    np.testing.assert_allclose(scaled, t_losses, rtol=2e-2, atol=1e-12)


def test_state_dict_round_trip_and_disabled_scaler():
    s = ember.amp.GradScaler("cpu", init_scale=128.0, growth_interval=7)
    s._growth_tracker = 3
    other = ember.amp.GradScaler("cpu")
    other.load_state_dict(s.state_dict())
    assert other.state_dict() == s.state_dict() == {"scale": 128.0, "growth_factor": 2.0, "backoff_factor": 0.5,
                                                    "growth_interval": 7, "_growth_tracker": 3}
    t = torch.amp.GradScaler("cpu")
    t.load_state_dict(s.state_dict())  # PyTorch reads ember's state dict
    assert t.get_scale() == 128.0 and t.state_dict() == s.state_dict()
    off = ember.amp.GradScaler("cpu", enabled=False)
    x = ember.ones(2)
    assert off.scale(x) is x and off.state_dict() == {} and off.get_scale() == 1.0


def test_misuse_raises():
    e, _ = _pair()
    opt = ember.optim.SGD(e.parameters(), lr=0.1)
    s = ember.amp.GradScaler("cpu")
    s.scale(e(ember.ones(1, 4)).sum()).backward()
    s.unscale_(opt)
    with pytest.raises(ember.AutogradError, match="already"):
        s.unscale_(opt)
    s.step(opt)
    with pytest.raises(ember.AutogradError, match="already"):
        s.step(opt)
    s.update()
    with pytest.raises(ember.AutogradError, match="no inf checks"):
        s.update()
    with pytest.raises(ember.ArgumentError, match="closure"):
        s.step(opt, closure=lambda: 0.0)
    with pytest.raises(ember.ArgumentError, match="device"):
        ember.amp.GradScaler("tpu")
    with pytest.raises(ember.ArgumentError, match="growth_factor"):
        ember.amp.GradScaler("cpu", growth_factor=0.5)
    half = nn.Linear(2, 1).half()
    opt = ember.optim.SGD(half.parameters(), lr=0.1)
    s.scale(half(ember.ones(1, 2).half()).float().sum()).backward()
    with pytest.raises(ember.DTypeError, match="float16"):
        s.unscale_(opt)
