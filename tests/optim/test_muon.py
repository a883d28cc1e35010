"""Muon against torch.optim.Muon: parameters and momentum after several steps (to bfloat16 precision of
the Newton-Schulz iteration, as both run it in bfloat16), options, and the 2-D-only rule."""
import numpy as np
import pytest
import torch

import ember


@pytest.mark.parametrize("kwargs", [{}, {"lr": 0.02, "nesterov": False, "weight_decay": 0.0},
                                    {"adjust_lr_fn": "match_rms_adamw", "momentum": 0.9, "ns_steps": 3}])
@pytest.mark.parametrize("shape", [(6, 4), (3, 8)])
def test_muon_steps_as_torch(kwargs, shape):
    w = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    target = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    tp, ep = torch.tensor(w, requires_grad=True), ember.tensor(w, requires_grad=True)
    topt, eopt = torch.optim.Muon([tp], **kwargs), ember.optim.Muon([ep], **kwargs)
    for _ in range(4):
        for p, opt, lib in ((tp, topt, torch), (ep, eopt, ember)):
            opt.zero_grad()
            ((p - lib.tensor(target)) ** 2).sum().backward()
            opt.step()
        lr = kwargs.get("lr", 1e-3) * (0.2 * max(shape) ** 0.5 if "adjust_lr_fn" in kwargs else 1.5)
        # at most a bfloat16 rounding apart
        np.testing.assert_allclose(ep.detach().numpy(), tp.detach().numpy(), atol=0.05 * lr, rtol=1e-4)
        np.testing.assert_allclose(eopt.state[ep]["momentum_buffer"].numpy(),
                                   topt.state[tp]["momentum_buffer"].numpy(), rtol=1e-3, atol=1e-3)
    assert not np.allclose(ep.detach().numpy(), w)


def test_muon_refuses_what_torch_refuses():
    with pytest.raises(ValueError):
        b = torch.ones(3, requires_grad=True)
        b.sum().backward()
        torch.optim.Muon([b]).step()
    b = ember.ones(3, requires_grad=True)
    b.sum().backward()
    with pytest.raises(ember.ShapeError, match="2-D"):
        ember.optim.Muon([b]).step()
    with pytest.raises(ember.ArgumentError, match="adjust_lr_fn"):
        ember.optim.Muon([ember.ones(2, 2, requires_grad=True)], adjust_lr_fn="other")
