"""Pooling against PyTorch beyond the registry samples: indices (exact tiling and general
windows), ties, NaN, ceil_mode and padding combinations, adaptive bins, and errors."""
import itertools

import numpy as np
import pytest

import ember
import ember.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

rng = np.random.default_rng(0)


def both(a):
    return ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def grads(ye, yt, xe, xt):
    up = rng.standard_normal(tuple(yt.shape)).astype(str(yt.dtype).replace("torch.", ""))
    (ge,), (gt,) = ember.autograd.grad(ye, [xe], ember.tensor(up)), torch.autograd.grad(yt, [xt], torch.tensor(up))
    return ge.numpy(), gt.numpy()


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=(3, 2), stride=(2, 1), dilation=(1, 2)),
                                dict(kernel_size=3, stride=2, ceil_mode=True), dict(kernel_size=4, stride=3, padding=2,
                                                                                      ceil_mode=True)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_max_pool2d_values_indices_and_gradient(kw, dtype):
    xe, xt = both(rng.standard_normal((2, 3, 9, 8)).astype(dtype))
    (ye, ie), (yt, it) = F.max_pool2d(xe, return_indices=True, **kw), TF.max_pool2d(xt, return_indices=True, **kw)
    np.testing.assert_array_equal(ye.detach().numpy(), yt.detach().numpy())
    np.testing.assert_array_equal(ie.numpy(), it.numpy())
    assert ie.dtype == ember.int64
    np.testing.assert_allclose(*grads(ye, yt, xe, xt), rtol=1e-6)


def test_max_pool_ties_take_the_first_index_and_nan_wins():
    a = np.zeros((1, 1, 4, 4), np.float32)
    a[0, 0, 0, 1] = a[0, 0, 1, 0] = 1.0  # a tie inside the first window
    a[0, 0, 3, 3] = np.nan
    xe, xt = both(a)
    (ye, ie), (yt, it) = F.max_pool2d(xe, 2, return_indices=True), TF.max_pool2d(xt, 2, return_indices=True)
    np.testing.assert_array_equal(ie.numpy(), it.numpy())
    np.testing.assert_array_equal(ye.detach().numpy(), yt.detach().numpy())
    np.testing.assert_array_equal(*grads(ye, yt, xe, xt))


def test_max_pool1d_indices_index_the_length():
    xe, xt = both(rng.standard_normal((2, 3, 11)))
    (ye, ie), (yt, it) = (F.max_pool1d(xe, 3, 2, 1, return_indices=True),
                          TF.max_pool1d(xt, 3, 2, 1, return_indices=True))
    np.testing.assert_array_equal(ie.numpy(), it.numpy())
    np.testing.assert_allclose(*grads(ye, yt, xe, xt))


AVG = list(itertools.product([2, 3, (3, 2)], [None, 2, (1, 2)], [0, 1], [False, True], [False, True]))


@pytest.mark.parametrize("k,s,p,ceil,incl", AVG)
def test_avg_pool2d_every_counting_rule(k, s, p, ceil, incl):
    xe, xt = both(rng.standard_normal((2, 2, 7, 6)))
    kw = dict(kernel_size=k, stride=s, padding=p, ceil_mode=ceil, count_include_pad=incl)
    ye, yt = F.avg_pool2d(xe, **kw), TF.avg_pool2d(xt, **kw)
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(*grads(ye, yt, xe, xt), rtol=1e-10)


def test_avg_pool1d_and_divisor_override():
    xe, xt = both(rng.standard_normal((2, 3, 10)))
    kw = dict(kernel_size=4, stride=3, padding=2, ceil_mode=True, count_include_pad=False)
    np.testing.assert_allclose(F.avg_pool1d(xe, **kw).detach().numpy(), TF.avg_pool1d(xt, **kw).detach().numpy())
    xe, xt = both(rng.standard_normal((2, 3, 6, 6)))
    np.testing.assert_allclose(F.avg_pool2d(xe, 3, 1, 1, divisor_override=7).detach().numpy(),
                               TF.avg_pool2d(xt, 3, 1, 1, divisor_override=7).detach().numpy())


@pytest.mark.parametrize("size,out", [((10, 7), (3, 4)), ((5, 5), (5, 5)), ((4, 9), (8, 2)), ((7, 7), 1)])
def test_adaptive_avg_pool_bins(size, out):
    xe, xt = both(rng.standard_normal((2, 3) + size))
    ye, yt = F.adaptive_avg_pool2d(xe, out), TF.adaptive_avg_pool2d(xt, out)
    np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(*grads(ye, yt, xe, xt), rtol=1e-10)
    xe, xt = both(rng.standard_normal((2, 3, size[0])))
    np.testing.assert_allclose(F.adaptive_avg_pool1d(xe, size[1]).detach().numpy(),
                               TF.adaptive_avg_pool1d(xt, size[1]).detach().numpy(), rtol=1e-10)


def test_max_pool_double_backward_matches_torch():
    results = []
    a = rng.standard_normal((1, 2, 6, 6))
    for lib, pool in ((ember, F.max_pool2d), (torch, TF.max_pool2d)):
        x = lib.tensor(a, requires_grad=True)
        (g,) = lib.autograd.grad((pool(x, 3, 2, 1) ** 2).sum(), [x], create_graph=True)
        (gg,) = lib.autograd.grad((g * g).sum(), [x])
        results.append(gg.detach().numpy())
    np.testing.assert_allclose(*results)


@pytest.mark.parametrize("call,match", [
    (lambda: F.max_pool2d(ember.randn(1, 1, 4, 4), 2, padding=2), r"max_pool2d.*padding.*half"),
    (lambda: F.max_pool2d(ember.randn(1, 1, 2, 2), 3), r"max_pool2d.*\(1, 1, 2, 2\).*too small"),
    (lambda: F.max_pool2d(ember.randn(2, 1, 1, 4, 4), 2), r"max_pool2d.*4-d.*\(2, 1, 1, 4, 4\)"),
    (lambda: F.avg_pool2d(ember.randn(1, 1, 4, 4), 0), r"avg_pool2d.*kernel_size"),
    (lambda: F.avg_pool1d(ember.randn(1, 1, 4, 4), 2), r"avg_pool1d.*3-d"),
    (lambda: F.adaptive_avg_pool2d(ember.randn(1, 1, 4, 4), (2, 2, 2)), r"adaptive_avg_pool2d.*output_size"),
])
def test_errors_name_the_op_and_shapes(call, match):
    with pytest.raises((ember.ShapeError, ember.ArgumentError), match=match):
        call()


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("nd,shape,kernel,stride,padding,dilation", [
    (1, (1, 2, 5), 2, 2, 1, 1), (2, (1, 1, 3, 3), 2, 2, 1, 1), (2, (2, 3, 5, 6), 3, 2, 1, 1),
    (2, (1, 2, 7, 7), 3, 1, 1, 2), (3, (1, 1, 3, 3, 3), 2, 2, 1, 1), (3, (1, 2, 4, 5, 5), 3, 2, 1, 1)])
def test_max_pool_never_picks_the_padding(fast, nd, shape, kernel, stride, padding, dilation):
    """A window whose real values are all -inf (a masked feature) ties with the -inf padding: its
    index is its first real cell and its gradient goes there, as PyTorch, which never reads the
    padding (ember picked the padding: negative indices, gradients lost)."""
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    x[0, 0] = -np.inf
    name = f"max_pool{nd}d"
    tx = torch.tensor(x, requires_grad=True)
    ty, ti = getattr(torch.nn.functional, name)(tx, kernel, stride, padding, dilation, return_indices=True)
    ty.backward(torch.ones_like(ty))
    before = ember.backend.jit.set_enabled(fast)
    try:
        ex = ember.tensor(x, requires_grad=True)
        ey, ei = getattr(ember.nn.functional, name)(ex, kernel, stride, padding, dilation, return_indices=True)
        ey.backward(ember.ones_like(ey))
    finally:
        ember.backend.jit.set_enabled(before)
    np.testing.assert_array_equal(ey.detach().numpy(), ty.detach().numpy())
    np.testing.assert_array_equal(ei.numpy(), ti.numpy())
    np.testing.assert_array_equal(ex.grad.numpy(), tx.grad.numpy())


def test_max_pool3d_gives_a_tie_across_depth_planes_to_the_first():
    """Equal maxima in two depth planes of a window: the whole gradient goes to the first, as PyTorch
    (not half to each)."""
    x = np.zeros((1, 1, 4, 2, 2), np.float32)
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    torch.nn.functional.max_pool3d(tx, 2, 2).sum().backward()
    ember.nn.functional.max_pool3d(ex, 2, 2).sum().backward()
    np.testing.assert_array_equal(ex.grad.numpy(), tx.grad.numpy())
