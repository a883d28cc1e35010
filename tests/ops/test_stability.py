"""Stability: exp-based ops give finite values and gradients for float32 inputs up to 1e4
in magnitude wherever PyTorch does."""
import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")

X = np.array([-1e4, -1e3, -88.7, -20.0, -1.0, 0.0, 1.0, 20.0, 88.7, 1e3, 1e4], dtype=np.float32)

CASES = {
    "sigmoid": (lambda m, x: m.sigmoid(x)),
    "tanh": (lambda m, x: m.tanh(x)),
    "exp": (lambda m, x: m.exp(x)),
    "expm1": (lambda m, x: m.expm1(x)),
    "erf": (lambda m, x: m.erf(x)),
    "logsumexp": (lambda m, x: m.logsumexp(x.reshape(1, -1) * m.ones(3, 1), 1)),
    "logsumexp-rows": (lambda m, x: m.logsumexp(m.stack([x, -x, x * 0]), 0)),
}


@pytest.mark.parametrize("name", CASES)
def test_finite_wherever_torch_is(name):
    fn = CASES[name]
    e = ember.tensor(X, requires_grad=True)
    t = torch.tensor(X, requires_grad=True)
    ey, ty = fn(ember, e), fn(torch, t)
    t_fin = np.isfinite(ty.detach().numpy())
    e_val = ey.detach().numpy()
    assert np.isfinite(e_val[t_fin]).all(), f"{name}: non-finite values where torch is finite"
    np.testing.assert_allclose(e_val[t_fin], ty.detach().numpy()[t_fin], rtol=1e-5, atol=1e-6)
    ey.sum().backward()
    ty.sum().backward()
    tg, eg = t.grad.numpy(), e.grad.numpy()
    fin = np.isfinite(tg)
    assert np.isfinite(eg[fin]).all(), f"{name}: non-finite gradients where torch's are finite: {eg} vs {tg}"
    np.testing.assert_allclose(eg[fin], tg[fin], rtol=1e-5, atol=1e-6)
