"""batch_norm, layer_norm and group_norm beyond the registry: running statistics updated in place
as PyTorch, evaluation mode, double backward through the fused primitive, and the errors."""
import warnings

import numpy as np
import pytest

import ember
import ember.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

TOL = {"float32": (1e-4, 1e-5), "float64": (1e-10, 1e-12)}
rng = np.random.default_rng(0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 4)])
def test_batch_norm_training_updates_running_stats_as_torch(dtype, shape):
    rtol, atol = TOL[dtype]
    rm0, rv0 = rng.standard_normal(3).astype(dtype), rng.uniform(0.5, 2, 3).astype(dtype)
    e_rm, e_rv = ember.tensor(rm0.copy()), ember.tensor(rv0.copy())
    t_rm, t_rv = torch.tensor(rm0.copy()), torch.tensor(rv0.copy())
    w, b = rng.standard_normal(3).astype(dtype), rng.standard_normal(3).astype(dtype)
    for step in range(3):
        x = (rng.standard_normal(shape) * 2 + 1).astype(dtype)
        e = F.batch_norm(ember.tensor(x), e_rm, e_rv, ember.tensor(w), ember.tensor(b), training=True, momentum=0.3)
        t = TF.batch_norm(torch.tensor(x), t_rm, t_rv, torch.tensor(w), torch.tensor(b), training=True, momentum=0.3)
        np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=rtol, atol=atol)
        np.testing.assert_allclose(e_rm.numpy(), t_rm.numpy(), rtol=rtol, atol=atol)
        np.testing.assert_allclose(e_rv.numpy(), t_rv.numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_batch_norm_eval_uses_running_stats_and_its_gradients_match(dtype):
    rtol, atol = TOL[dtype]
    x = rng.standard_normal((4, 3, 5)).astype(dtype)
    rm, rv = rng.standard_normal(3).astype(dtype), rng.uniform(0.5, 2, 3).astype(dtype)
    w, b = rng.standard_normal(3).astype(dtype), rng.standard_normal(3).astype(dtype)
    ex, ew, eb = (ember.tensor(a, requires_grad=True) for a in (x, w, b))
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    e = F.batch_norm(ex, ember.tensor(rm), ember.tensor(rv), ew, eb, training=False)
    t = TF.batch_norm(tx, torch.tensor(rm), torch.tensor(rv), tw, tb, training=False)
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)
    up = rng.standard_normal(x.shape).astype(dtype)
    e.backward(ember.tensor(up))
    t.backward(torch.tensor(up))
    for a, c in ((ex, tx), (ew, tw), (eb, tb)):
        np.testing.assert_allclose(a.grad.numpy(), c.grad.numpy(), rtol=rtol * 10, atol=atol * 10)


def test_normalize_double_backward_and_statistics_outputs():
    x = rng.standard_normal((4, 3, 2))
    w = ember.tensor(rng.standard_normal(3))
    leaves = [ember.tensor(x, requires_grad=True)]
    for fn in (lambda a: F.batch_norm(a, None, None, w, training=True),
               lambda a: F.layer_norm(a, (3, 2)), lambda a: F.group_norm(a.reshape(4, 3, 2), 3)):
        assert ember.autograd.gradcheck(fn, leaves)
        assert ember.autograd.gradgradcheck(fn, leaves)
    # the mean and variance outputs of the primitive are differentiable too
    from ember.ops.norm import Normalize

    def stats(a):
        y, mean, var = Normalize.apply(a, axes=(0, 2), eps=1e-5)
        return (y * 0.5).sum() + (mean * 2).sum() + (var ** 2).sum()
    assert ember.autograd.gradcheck(stats, leaves)


def test_layer_norm_and_group_norm_match_torch_with_affine():
    x = rng.standard_normal((3, 6, 4))
    w, b = rng.standard_normal((6, 4)), rng.standard_normal((6, 4))
    e = F.layer_norm(ember.tensor(x), (6, 4), ember.tensor(w), ember.tensor(b), eps=1e-3)
    t = TF.layer_norm(torch.tensor(x), (6, 4), torch.tensor(w), torch.tensor(b), eps=1e-3)
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-10, atol=1e-12)
    e = F.group_norm(ember.tensor(x), 3, ember.tensor(w[:, 0]), ember.tensor(b[:, 0]))
    t = TF.group_norm(torch.tensor(x), 3, torch.tensor(w[:, 0]), torch.tensor(b[:, 0]))
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(F.layer_norm(ember.tensor([[0.0, 2.0]]), 2).numpy(), [[-1.0, 1.0]], atol=1e-4)


def test_norm_errors():
    with pytest.raises(ember.ArgumentError, match="more than 1 value per channel"):
        F.batch_norm(ember.randn(1, 3), ember.zeros(3), ember.ones(3), training=True)
    with pytest.raises(ember.ArgumentError, match="evaluation mode"):
        F.batch_norm(ember.randn(2, 3), None, None, training=False)
    with pytest.raises(ember.ShapeError, match=r"running_mean of shape \(4,\) must have shape \(3,\)"):
        F.batch_norm(ember.randn(2, 3), ember.zeros(4), ember.ones(3))
    with pytest.raises(ember.ShapeError, match=r"normalized_shape \(5,\).*\(2, 4\)"):
        F.layer_norm(ember.randn(2, 4), (5,))
    with pytest.raises(ember.ArgumentError, match="divides the 6 channels"):
        F.group_norm(ember.randn(2, 6), 4)
    with pytest.raises(ember.DTypeError, match="floating point"):
        F.layer_norm(ember.tensor([[1, 2]]), (2,))


def test_normalizing_leaves_python_warnings_shown_once_per_place_as_torch():
    # A warning shows once per place by default; normalizing between two warnings must not reset that,
    # or a user's warning (here dropout2d's on a 2-d input) repeats every training step.
    torch = pytest.importorskip("torch")
    counts = {}
    for lib, fn in [(torch, torch.nn.functional), (ember, F)]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            for _ in range(3):
                x = lib.ones(4, 6)
                fn.layer_norm(fn.dropout2d(x, 0.5, training=True), (6,))
                fn.batch_norm(x, lib.zeros(6), lib.ones(6), training=True)
        counts[lib.__name__] = sum("dropout2d" in str(w.message) for w in caught)
    assert counts == {"torch": 1, "ember": 1}
    assert ember.isnan(F.layer_norm(ember.ones(3, 0), (0,))).numel() == 0  # empty input: still quiet
