"""torch.grid_sampler_3d: trilinear and nearest sampling of a volume with every padding mode and both
corner conventions, values and gradients (volume and grid) against torch, and the refusals."""
import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng(0)
VOLUME = RNG.standard_normal((2, 3, 4, 5, 6))
GRID = RNG.uniform(-1.2, 1.2, (2, 3, 2, 4, 3))  # some points outside [-1, 1]


@pytest.mark.parametrize("interpolation", [0, 1])
@pytest.mark.parametrize("padding", [0, 1, 2])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sampler_3d_matches_torch(interpolation, padding, align_corners):
    tv, tg = torch.tensor(VOLUME, requires_grad=True), torch.tensor(GRID, requires_grad=True)
    ev, eg = ember.tensor(VOLUME, requires_grad=True), ember.tensor(GRID, requires_grad=True)
    theirs = torch.grid_sampler_3d(tv, tg, interpolation, padding, align_corners)
    ours = ember.grid_sampler_3d(ev, eg, interpolation, padding, align_corners)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), atol=1e-12)
    w = RNG.standard_normal(tuple(theirs.shape))
    (theirs * torch.tensor(w)).sum().backward()
    (ours * ember.tensor(w)).sum().backward()
    np.testing.assert_allclose(ev.grad.numpy(), tv.grad.numpy(), atol=1e-12)
    if interpolation == 0:  # nearest's grid gradient is zero in torch and undefined in general
        np.testing.assert_allclose(eg.grad.numpy(), tg.grad.numpy(), atol=1e-10)


def test_grid_sampler_3d_refusals():
    v, g = ember.tensor(VOLUME), ember.tensor(GRID)
    with pytest.raises(RuntimeError):
        torch.grid_sampler_3d(torch.tensor(VOLUME), torch.tensor(GRID), 2, 0, False)
    with pytest.raises(ember.ArgumentError, match="bicubic"):
        ember.grid_sampler_3d(v, g, 2, 0, False)
    with pytest.raises(ember.ArgumentError, match="padding_mode"):
        ember.grid_sampler_3d(v, g, 0, 3, False)
    with pytest.raises(RuntimeError):
        torch.grid_sampler_3d(torch.tensor(VOLUME), torch.tensor(GRID[..., :2]), 0, 0, False)
    with pytest.raises(ember.ShapeError, match="grid_sampler_3d"):
        ember.grid_sampler_3d(v, g[..., :2], 0, 0, False)
    with pytest.raises(ember.DTypeError, match="grid_sampler_3d"):
        ember.grid_sampler_3d(v, g.float(), 0, 0, False)
