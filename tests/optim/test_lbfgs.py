"""LBFGS follows PyTorch's trajectory and evaluation counts, with and without the strong-Wolfe line search."""
import numpy as np
import pytest
import torch

import ember
import ember.optim


def run(lib, x0, X, Y, **kw):
    w = lib.tensor(x0.copy(), requires_grad=True)
    x, y = lib.tensor(X), lib.tensor(Y)
    opt = lib.optim.LBFGS([w], **kw)

    def closure():
        opt.zero_grad()
        loss = (lib.tanh(x @ w) - y).pow(2).mean() + (w ** 4).sum()
        loss.backward()
        return loss
    trajectory, losses = [], []
    for _ in range(4):
        losses.append(float(opt.step(closure)))
        trajectory.append(w.detach().numpy().copy())
    return np.array(trajectory), losses, opt.state[w]["func_evals"], opt.state[w]["n_iter"]


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("history_size", [100, 2])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_lbfgs_matches_torch(line_search_fn, history_size, dtype):
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((20, 3)).astype(dtype), rng.standard_normal((20, 1)).astype(dtype)
    x0 = (rng.standard_normal((3, 1)) * 0.5).astype(dtype)
    kw = dict(lr=0.5, max_iter=7, history_size=history_size, line_search_fn=line_search_fn)
    t_traj, t_losses, t_evals, t_iters = run(torch, x0, X, Y, **kw)
    e_traj, e_losses, e_evals, e_iters = run(ember, x0, X, Y, **kw)
    # PyTorch keeps LBFGS's scalars (dot products, step sizes) as float32 tensors, ember as Python floats:
    # in float32 the quasi-Newton directions drift apart by rounding, to ~1e-3 after 16 iterations.
    tol = dict(rtol=1e-10, atol=1e-12) if dtype == "float64" else dict(rtol=3e-3, atol=1e-4)
    np.testing.assert_allclose(e_traj, t_traj, **tol)
    np.testing.assert_allclose(e_losses, t_losses, **tol)
    if dtype == "float64":
        assert (e_evals, e_iters) == (t_evals, t_iters)


def test_lbfgs_fits_a_linear_model_to_the_optimum():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((50, 4))
    true = np.array([[1.0], [-2.0], [0.5], [3.0]])
    model = ember.nn.Linear(4, 1, bias=False).double()
    opt = ember.optim.LBFGS(model.parameters(), line_search_fn="strong_wolfe", max_iter=50)
    x, y = ember.tensor(X), ember.tensor(X @ true)

    def closure():
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        return loss
    opt.step(closure)
    np.testing.assert_allclose(model.weight.detach().numpy().T, true, atol=1e-4)


def test_lbfgs_refuses_what_it_cannot_do():
    w = ember.zeros(2, requires_grad=True)
    with pytest.raises(ember.ArgumentError, match="closure"):
        ember.optim.LBFGS([w]).step()
    with pytest.raises(ember.ArgumentError, match="line_search_fn"):
        ember.optim.LBFGS([w], line_search_fn="backtracking")
    with pytest.raises(ember.ArgumentError, match="parameter groups"):
        ember.optim.LBFGS([{"params": [w]}, {"params": [ember.zeros(1, requires_grad=True)]}])
