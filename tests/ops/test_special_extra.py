"""igamma/igammac (values, dtypes, the gradient torch has and the one it refuses), binomial sampling,
the sym_* helpers, and the native_* normalization kernels and SyncBatchNorm statistics against torch."""
import warnings

import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("name", ["igamma", "igammac"])
def test_incomplete_gamma_matches_torch(name):
    a = np.array([[0.5], [1.0], [3.0], [10.0]])
    x = np.array([0.0, 0.1, 1.0, 2.5, 12.0])
    e = getattr(ember, name)(ember.tensor(a), ember.tensor(x))
    t = getattr(torch, name)(torch.tensor(a), torch.tensor(x))
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-12, atol=1e-15)
    e32 = getattr(ember.tensor(a, dtype=ember.float32), name)(ember.tensor(x, dtype=ember.float32))
    assert e32.dtype is ember.float32
    np.testing.assert_allclose(e32.numpy(), t.numpy(), rtol=1e-5, atol=1e-7)
    mixed_e = getattr(ember, name)(ember.tensor([1, 2]), ember.tensor([1.0, 2.0]))
    mixed_t = getattr(torch, name)(torch.tensor([1, 2]), torch.tensor([1.0, 2.0]))
    assert mixed_e.dtype.name == str(mixed_t.dtype).split(".")[1]
    # gradient with respect to x, as torch's
    ex = ember.tensor(x[1:], requires_grad=True)
    tx = torch.tensor(x[1:], requires_grad=True)
    getattr(ember, name)(ember.tensor(a), ex).sum().backward()
    getattr(torch, name)(torch.tensor(a), tx).sum().backward()
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-10)
    ea, ta = ember.tensor([1.0, 2.0], requires_grad=True), torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="not implemented"):
        getattr(torch, name)(ta, torch.tensor([1.0, 2.0])).sum().backward()
    with pytest.raises(ember.AutogradError, match="not implemented"):
        getattr(ember, name)(ea, ember.tensor([1.0, 2.0])).sum().backward()
    with pytest.raises(ember.DTypeError, match=name):
        getattr(ember, name)(ember.tensor([1, 2]), ember.tensor([1, 2]))


def test_incomplete_gamma_in_place():
    e, t = ember.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0])
    e.igamma_(ember.tensor([0.5, 3.0]))
    t.igamma_(torch.tensor([0.5, 3.0]))
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-6)


def test_binomial_samples_as_torch():
    count, prob = np.array([0.0, 10.0, 10.0, 7.0, 1000.0]), np.array([0.3, 0.0, 1.0, 0.5, 0.25])
    g = ember.Generator().manual_seed(3)
    e = ember.binomial(ember.tensor(count), ember.tensor(prob), generator=g)
    t = torch.binomial(torch.tensor(count), torch.tensor(prob))
    assert e.dtype is ember.float64 and t.dtype is torch.float64 and e.shape == t.shape
    np.testing.assert_array_equal(e.numpy()[:3], t.numpy()[:3])  # the deterministic cases
    assert (e.numpy() == np.round(e.numpy())).all() and 0 <= e.numpy()[3] <= 7
    many = ember.binomial(ember.full((20000,), 10.0), ember.full((20000,), 0.3)).numpy()
    assert abs(many.mean() - 3.0) < 0.05 and abs(many.var() - 2.1) < 0.1
    with pytest.raises(ValueError, match="floating-point"):
        torch.binomial(torch.tensor([10]), torch.tensor([0.5]))
    with pytest.raises(ember.DTypeError, match="count"):
        ember.binomial(ember.tensor([10]), ember.tensor([0.5]))
    with pytest.raises(ember.ArgumentError, match="prob"):
        ember.binomial(ember.tensor([10.0]), ember.tensor([1.5]))


SYM_CASES = [("sym_int", (-3.7,)), ("sym_int", (3,)), ("sym_int", (True,)), ("sym_float", (3,)),
             ("sym_max", (2, 3.0)), ("sym_max", (3, 2.0)), ("sym_max", (True, 0)), ("sym_min", (1, 2.5)),
             ("sym_min", (3, 2)), ("sym_not", (0,)), ("sym_not", (True,)), ("sym_sqrt", (4,)), ("sym_sqrt", (2,)),
             ("sym_sum", ([1, 2, 3],)), ("sym_sum", ([],)), ("sym_sum", ((1.5, 2),)), ("sym_ite", (True, 1, 2)),
             ("sym_ite", (False, 1, 2))]


@pytest.mark.parametrize("name,args", SYM_CASES)
def test_sym_helpers_match_torch_on_numbers(name, args):
    ours, theirs = getattr(ember, name)(*args), getattr(torch, name)(*args)
    assert ours == theirs and type(ours) is type(theirs)


def test_sym_helpers_on_tensors_and_refusals():
    assert ember.sym_int(ember.tensor(3.5)) == torch.sym_int(torch.tensor(3.5)) == 3
    assert ember.sym_float(ember.tensor(3)) == torch.sym_float(torch.tensor(3)) == 3.0
    assert ember.sym_sqrt(ember.tensor(4.0)) == torch.sym_sqrt(torch.tensor(4.0)) == 2.0
    assert ember.sym_not(ember.tensor(True)) is torch.sym_not(torch.tensor(True)) is False
    assert int(ember.sym_sum([ember.tensor(1), 2])) == int(torch.sym_sum([torch.tensor(1), 2])) == 3
    for call, error in ((lambda m: m.sym_max(m.tensor([1, 5]), m.tensor([3, 2])), ember.DTypeError),
                        (lambda m: m.sym_ite(1, 2, 3), ember.DTypeError),
                        (lambda m: m.sym_ite(True, 1, 2.0), ember.DTypeError),
                        (lambda m: m.sym_sqrt(-1), ember.ArgumentError),
                        (lambda m: m.sym_not(m.tensor([True, False])), ember.ArgumentError)):
        with pytest.raises(Exception):
            call(torch)
        with pytest.raises(error):
            call(ember)


def _norm_inputs():
    x = RNG.standard_normal((4, 3, 5, 5))
    w, b = RNG.standard_normal(3), RNG.standard_normal(3)
    return x, w, b


def _close(ours, theirs, **kw):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **{"rtol": 1e-9, "atol": 1e-10, **kw})


@pytest.mark.parametrize("training", [True, False])
def test_native_batch_norm_matches_torch(training):
    x, w, b = _norm_inputs()
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    erm, erv = ember.zeros(3, dtype=ember.float64), ember.ones(3, dtype=ember.float64)
    trm, trv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    eo = ember.native_batch_norm(ex, ember.tensor(w), ember.tensor(b), erm, erv, training, 0.1, 1e-5)
    to = torch.native_batch_norm(tx, torch.tensor(w), torch.tensor(b), trm, trv, training, 0.1, 1e-5)
    for ours, theirs in zip(eo, to):
        assert tuple(ours.shape) == tuple(theirs.shape)
        _close(ours, theirs)
    _close(erm, trm)
    _close(erv, trv)
    eo[0].sum().backward()
    to[0].sum().backward()
    _close(ex.grad, tx.grad, atol=1e-9)


def test_native_layer_and_group_norm_match_torch():
    x, w, b = _norm_inputs()
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    for ours, theirs in zip(ember.native_layer_norm(ex, [5, 5], None, None, 1e-5),
                            torch.native_layer_norm(tx, [5, 5], None, None, 1e-5)):
        assert tuple(ours.shape) == tuple(theirs.shape)
        _close(ours, theirs)
    ew, tw = ember.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    eo = ember.native_group_norm(ex, ew, ember.tensor(b), 4, 3, 25, 3, 1e-5)
    to = torch.native_group_norm(tx, tw, torch.tensor(b), 4, 3, 25, 3, 1e-5)
    for ours, theirs in zip(eo, to):
        assert tuple(ours.shape) == tuple(theirs.shape)
        _close(ours, theirs)
    (eo[0] ** 2).sum().backward()
    (to[0] ** 2).sum().backward()
    _close(ex.grad, tx.grad, atol=1e-8)
    _close(ew.grad, tw.grad, atol=1e-8)
    with pytest.raises(ember.ShapeError, match="native_layer_norm"):
        ember.native_layer_norm(ex, [4], None, None, 1e-5)
    with pytest.raises(ember.ShapeError, match="native_group_norm"):
        ember.native_group_norm(ex, None, None, 4, 2, 25, 1, 1e-5)


def test_sync_batch_norm_statistics_match_torch():
    x, _, _ = _norm_inputs()
    with pytest.raises(NotImplementedError):  # torch has this SyncBatchNorm kernel for CUDA only
        torch.batch_norm_stats(torch.tensor(x), 1e-5)
    tvar, tmean = torch.var_mean(torch.tensor(x), (0, 2, 3), correction=0)  # its definition, on the CPU
    emean, einvstd = ember.batch_norm_stats(ember.tensor(x), 1e-5)
    _close(emean, tmean)
    _close(einvstd, torch.rsqrt(tvar + 1e-5))
    erm, erv = ember.zeros(3, dtype=ember.float64), ember.ones(3, dtype=ember.float64)
    trm, trv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    for ours, theirs in zip(ember.batch_norm_update_stats(ember.tensor(x), erm, erv, 0.1),
                            torch.batch_norm_update_stats(torch.tensor(x), trm, trv, 0.1)):
        _close(ours, theirs)
    _close(erm, trm)
    _close(erv, trv)
    with pytest.raises(ember.ShapeError, match="batch_norm_stats"):
        ember.batch_norm_stats(ember.ones(3), 1e-5)


def test_frobenius_norm_and_embedding_renorm_match_torch():
    x = RNG.standard_normal((4, 3, 5))
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch says frobenius_norm stays for TorchScript only
        to = torch.frobenius_norm(tx, [1, 2], True)
    eo = ember.frobenius_norm(ex, [1, 2], True)
    assert tuple(eo.shape) == tuple(to.shape)
    _close(eo, to)
    eo.sum().backward()
    to.sum().backward()
    _close(ex.grad, tx.grad)
    w = RNG.standard_normal((5, 3)) * 3
    ew, tw = ember.tensor(w), torch.tensor(w)
    assert ember.embedding_renorm_(ew, ember.tensor([0, 2, 2]), 1.0, 2.0) is ew
    torch.embedding_renorm_(tw, torch.tensor([0, 2, 2]), 1.0, 2.0)
    _close(ew, tw, rtol=1e-6)
    with pytest.raises(ember.ArgumentError, match="embedding_renorm_"):
        ember.embedding_renorm_(ew, ember.tensor([7]), 1.0, 2.0)
