"""pdist, gumbel_softmax, affine_grid, grid_sample, conv_tbc, native_channel_shuffle and DataParallel
against torch: values and gradients (of the image and of the grid), sampling statistics, refusals."""
import numpy as np
import pytest

import ember
import ember.nn
import ember.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional
rng = np.random.default_rng(0)


def grads(lib, fn, *arrays, seed=None):
    ts = [lib.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*ts)
    weight = np.random.default_rng(1).standard_normal(tuple(out.shape))
    (out * lib.tensor(weight)).sum().backward()
    # no gradient (None) and PyTorch's all-zero gradient (grid_sample's grid in nearest mode) are the same
    return out.detach().numpy(), [t.grad.numpy() if t.grad is not None else np.zeros(tuple(t.shape)) for t in ts]


def assert_same(lib_fns, *arrays, tol=1e-10):
    (e_out, e_grads), (t_out, t_grads) = (grads(lib, fn, *arrays) for lib, fn in lib_fns)
    np.testing.assert_allclose(e_out, t_out, rtol=tol, atol=tol)
    for e, t in zip(e_grads, t_grads):
        np.testing.assert_allclose(e, t, rtol=tol, atol=tol)


@pytest.mark.parametrize("p", [2, 1, 0.5, 3])
def test_pdist(p):
    assert_same([(ember, lambda x: F.pdist(x, p)), (torch, lambda x: TF.pdist(x, p))], rng.standard_normal((6, 4)))


@pytest.mark.parametrize("align_corners", [True, False])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_grid_sample_and_affine_grid(mode, padding_mode, align_corners):
    img, grid = rng.standard_normal((2, 3, 5, 6)), rng.uniform(-1.3, 1.3, (2, 4, 7, 2))
    kw = dict(mode=mode, padding_mode=padding_mode, align_corners=align_corners)
    assert_same([(ember, lambda a, g: F.grid_sample(a, g, **kw)), (torch, lambda a, g: TF.grid_sample(a, g, **kw))],
                img, grid, tol=1e-9)
    theta = rng.standard_normal((2, 2, 3))
    assert_same([(ember, lambda t: F.affine_grid(t, (2, 3, 5, 6), align_corners=align_corners)),
                 (torch, lambda t: TF.affine_grid(t, (2, 3, 5, 6), align_corners=align_corners))], theta)


def test_conv_tbc_and_native_channel_shuffle():
    x, w, b = rng.standard_normal((7, 2, 3)), rng.standard_normal((3, 3, 5)), rng.standard_normal(5)
    assert_same([(ember, lambda x, w, b: F.conv_tbc(x, w, b, 1)), (torch, lambda x, w, b: torch.conv_tbc(x, w, b, 1))],
                x, w, b)
    a = rng.standard_normal((2, 6, 3))
    np.testing.assert_array_equal(F.native_channel_shuffle(ember.tensor(a), 3).numpy(),
                                  TF.native_channel_shuffle(torch.tensor(a), 3).numpy())


def test_gumbel_softmax_samples_the_softmax_and_passes_soft_gradients():
    ember.manual_seed(0)
    probs = np.array([0.1, 0.2, 0.7])
    logits = ember.tensor(np.log(probs)).expand(20000, 3)
    hard = F.gumbel_softmax(logits, tau=0.7, hard=True).numpy()
    assert set(np.unique(hard)) == {0.0, 1.0} and (hard.sum(1) == 1).all()
    np.testing.assert_allclose(hard.mean(0), probs, atol=0.015)   # one-hot draws follow the softmax
    x = ember.tensor(rng.standard_normal((4, 5)), requires_grad=True)
    soft_sum = F.gumbel_softmax(x, tau=2.0).sum(-1)
    np.testing.assert_allclose(soft_sum.detach().numpy(), 1.0, rtol=1e-12)
    F.gumbel_softmax(x, hard=True)[:, 0].sum().backward()
    assert x.grad is not None and np.abs(x.grad.numpy()).sum() > 0      # straight-through
    with pytest.raises(ember.ArgumentError, match="tau"):
        F.gumbel_softmax(x, tau=0)


def test_data_parallel_wraps_like_torch():
    e, t = ember.nn.DataParallel(ember.nn.Linear(4, 2)), torch.nn.DataParallel(torch.nn.Linear(4, 2))
    assert list(e.state_dict()) == list(t.state_dict())
    e.load_state_dict({k: ember.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    x = rng.standard_normal((3, 4)).astype("float32")
    np.testing.assert_allclose(e(ember.tensor(x)).detach().numpy(), t(torch.tensor(x)).detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    with pytest.raises(ember.ArgumentError, match="DistributedDataParallel"):
        ember.nn.DataParallel(ember.nn.Linear(2, 2), device_ids=[0, 1])
