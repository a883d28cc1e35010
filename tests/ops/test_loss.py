"""Losses beyond the registry's samples: weights under every reduction and label smoothing,
gradcheck and double backward with weights, the legacy reduction arguments, and the errors."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

TOL = {"float32": (1e-4, 1e-5), "float64": (1e-10, 1e-12)}


def _pair(a, dtype, grad=True):
    a = np.asarray(a)
    if a.dtype.kind == "f":
        a = a.astype(dtype)
        return ember.tensor(a, requires_grad=grad), torch.tensor(a, requires_grad=grad)
    return ember.tensor(a), torch.tensor(a)


def _check(e_fn, t_fn, inputs, consts, dtype, rtol=None):
    """Forward and input gradients of e_fn(*inputs, *consts) against t_fn; consts never require grad."""
    rtol, atol = rtol or TOL[dtype][0], TOL[dtype][1]
    e_in, t_in = zip(*[_pair(a, dtype) for a in inputs])
    e_c, t_c = zip(*[_pair(a, dtype, grad=False) if a is not None else (None, None) for a in consts]) \
        if consts else ((), ())
    e_out, t_out = e_fn(*e_in, *e_c), t_fn(*t_in, *t_c)
    np.testing.assert_allclose(e_out.detach().numpy(), t_out.detach().numpy(), rtol=rtol, atol=atol)
    up = np.random.default_rng(3).standard_normal(tuple(t_out.shape)).astype(dtype)
    e_out.backward(ember.tensor(up))
    t_out.backward(torch.tensor(up))
    for e, t in zip(e_in, t_in):
        if t.requires_grad:
            np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=rtol * 10, atol=atol * 10)


rng = np.random.default_rng(0)
W5 = rng.uniform(0.2, 2.0, 5)
W4 = rng.uniform(0.2, 2.0, 4)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
def test_cross_entropy_with_weights_matches_torch(dtype, reduction, smoothing):
    x, t = rng.standard_normal((6, 5)), np.array([0, 4, -100, 2, 2, 1])
    kw = dict(reduction=reduction, label_smoothing=smoothing)
    _check(lambda a, tt, w: F.cross_entropy(a, tt, w, **kw), lambda a, tt, w: TF.cross_entropy(a, tt, w, **kw),
           [x], [t, W5], dtype)
    x4, t4 = rng.standard_normal((2, 5, 3, 2)), rng.integers(0, 5, (2, 3, 2))
    _check(lambda a, tt, w: F.cross_entropy(a, tt, w, **kw), lambda a, tt, w: TF.cross_entropy(a, tt, w, **kw),
           [x4], [t4, W5], dtype)
    p = rng.dirichlet(np.ones(5), 6)
    _check(lambda a, q: F.cross_entropy(a, q, ember.tensor(W5.astype(dtype)), **kw),
           lambda a, q: TF.cross_entropy(a, q, torch.tensor(W5.astype(dtype)), **kw), [x, p], [], dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_with_weights_matches_torch(dtype, reduction):
    x, t = rng.standard_normal((5, 4, 3)), rng.integers(0, 4, (5, 3))
    t[0, 1] = 9
    kw = dict(reduction=reduction, ignore_index=9)
    _check(lambda a, tt, w: F.nll_loss(a, tt, w, **kw), lambda a, tt, w: TF.nll_loss(a, tt, w, **kw),
           [x], [t, W4], dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bce_weights_and_pos_weight_match_torch(dtype):
    x, t = rng.uniform(0.02, 0.98, (3, 4)), rng.uniform(0, 1, (3, 4))
    for reduction in ("mean", "sum", "none"):
        _check(lambda a, b, w: F.binary_cross_entropy(a, b, w, reduction=reduction),
               lambda a, b, w: TF.binary_cross_entropy(a, b, w, reduction=reduction), [x, t], [W4], dtype)
        z = rng.standard_normal((3, 4)) * 5
        _check(lambda a, b, w, pw: F.binary_cross_entropy_with_logits(a, b, w, reduction=reduction, pos_weight=pw),
               lambda a, b, w, pw: TF.binary_cross_entropy_with_logits(a, b, w, reduction=reduction, pos_weight=pw),
               [z, t], [W4[None, :1].repeat(3, 0), W4], dtype)


def test_bce_at_zero_and_one_is_finite_as_torch():
    x, t = np.array([0.0, 1.0, 0.0, 1.0]), np.array([0.0, 1.0, 1.0, 0.0])
    _check(lambda a, b: F.binary_cross_entropy(a, b, reduction="none"),
           lambda a, b: TF.binary_cross_entropy(a, b, reduction="none"), [x], [t], "float64", rtol=1e-8)
    out = F.binary_cross_entropy(ember.tensor(x), ember.tensor(t), reduction="none")
    assert out.tolist() == [0.0, 0.0, 100.0, 100.0]


def test_bce_with_logits_is_stable_for_huge_logits():
    x = ember.tensor([1e4, -1e4, 3e4, -3e4], dtype=ember.float32, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, ember.tensor([1.0, 0.0, 0.0, 1.0]), reduction="none")
    np.testing.assert_allclose(loss.detach().numpy(), [0.0, 0.0, 3e4, 3e4])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.0, 1.0, -1.0])


def _gradcheck(fn, *arrays):
    leaves = [ember.tensor(a, requires_grad=True) for a in arrays]
    assert ember.autograd.gradcheck(fn, leaves)
    assert ember.autograd.gradgradcheck(fn, leaves)


def test_weighted_index_losses_gradcheck_and_double_backward():
    x, t, w = rng.standard_normal((4, 5)), ember.tensor([1, -100, 4, 0]), ember.tensor(W5)
    _gradcheck(lambda a: F.cross_entropy(a, t, w, label_smoothing=0.3), x)
    _gradcheck(lambda a: F.cross_entropy(a, t, w, reduction="none"), x)
    _gradcheck(lambda a: F.nll_loss(a, t, w, reduction="sum"), x)
    z, y = rng.standard_normal((3, 4)), rng.uniform(0, 1, (3, 4))
    _gradcheck(lambda a, b, pw: F.binary_cross_entropy_with_logits(a, b, pos_weight=pw), z, y, W4)


def test_cross_entropy_all_ignored_is_nan_as_torch():
    x = rng.standard_normal((2, 3))
    e = F.cross_entropy(ember.tensor(x), ember.tensor([-100, -100]))
    t = TF.cross_entropy(torch.tensor(x), torch.tensor([-100, -100]))
    assert np.isnan(e.item()) and np.isnan(t.item())


def test_legacy_size_average_and_reduce():
    x, y = ember.tensor([1.0, 3.0]), ember.tensor([0.0, 0.0])
    assert F.mse_loss(x, y, size_average=False).item() == 10.0
    assert F.mse_loss(x, y, reduce=False).tolist() == [1.0, 9.0]
    assert F.l1_loss(x, y, size_average=True).item() == 2.0


def test_kl_div_batchmean_and_zero_target():
    x = np.log(rng.dirichlet(np.ones(4), 3))
    t = rng.dirichlet(np.ones(4), 3)
    t[0, 2] = 0.0
    _check(lambda a, b: F.kl_div(a, b, reduction="batchmean"), lambda a, b: TF.kl_div(a, b, reduction="batchmean"),
           [x], [t], "float64")


def test_index_loss_errors_name_the_problem():
    x = ember.randn(3, 4)
    with pytest.raises(ember.IndexOutOfRangeError, match="target 7 is out of range for 4 classes"):
        F.cross_entropy(x, ember.tensor([0, 7, 1]))
    with pytest.raises(ember.IndexOutOfRangeError, match="target -3"):
        F.nll_loss(x, ember.tensor([0, -3, 1]))
    with pytest.raises(ember.ShapeError, match=r"\(3, 4\) needs a target of shape \(3,\), got \(2,\)"):
        F.cross_entropy(x, ember.tensor([0, 1]))
    with pytest.raises(ember.DTypeError, match="int64"):
        F.cross_entropy(x, ember.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(ember.DTypeError, match="class indices"):
        F.nll_loss(x, ember.randn(3, 4))
    with pytest.raises(ember.ShapeError, match=r"weight of shape \(3,\)"):
        F.cross_entropy(x, ember.tensor([0, 1, 2]), weight=ember.ones(3))
    with pytest.raises(ember.ArgumentError, match="reduction='avg'"):
        F.cross_entropy(x, ember.tensor([0, 1, 2]), reduction="avg")


def test_pair_loss_errors():
    with pytest.raises(ember.ShapeError, match=r"\(3,\).*\(3, 1\)"):
        F.binary_cross_entropy(ember.rand(3, 1), ember.rand(3))
    with pytest.raises(ember.ArgumentError, match="between 0 and 1"):
        F.binary_cross_entropy(ember.tensor([1.5]), ember.tensor([1.0]))
    with pytest.raises(ember.ShapeError, match="cannot be broadcast"):
        F.mse_loss(ember.rand(3, 2), ember.rand(4))
    with pytest.warns(UserWarning, match="different to the input size"):
        F.mse_loss(ember.rand(3, 2), ember.rand(2))
    with pytest.raises(ember.ShapeError, match="target of shape"):
        F.cosine_embedding_loss(ember.rand(3, 2), ember.rand(3, 2), ember.tensor([1, -1]))


def test_fused_cross_entropy_equals_log_softmax_nll():
    x = ember.randn(8, 6, requires_grad=True)
    t = ember.tensor([0, 1, 2, 3, 4, 5, 0, 1])
    a = F.cross_entropy(x, t)
    (ga,) = ember.autograd.grad(a, [x])
    b = F.nll_loss(F.log_softmax(x, 1), t)
    (gb,) = ember.autograd.grad(b, [x])
    np.testing.assert_allclose(a.item(), b.item(), rtol=1e-6)
    np.testing.assert_allclose(ga.numpy(), gb.numpy(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_elementwise_weight_matches_torch(name, reduction):
    x, y, w = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.uniform(0.1, 2, (3, 4))
    _check(lambda a, b, c: getattr(F, name)(a, b, reduction=reduction, weight=c),
           lambda a, b, c: getattr(TF, name)(a, b, reduction=reduction, weight=c), [x, y], [w], "float64")
    with pytest.raises(ember.ShapeError, match=r"weight of shape \(4,\)"):
        getattr(F, name)(ember.tensor(x), ember.tensor(y), weight=ember.ones(4))
