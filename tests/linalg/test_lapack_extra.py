"""geqrf/orgqr/ormqr, the lu/lu_solve/lu_unpack triple and the randomized low-rank SVD and PCA against
torch: values, dtypes, shapes, gradients where torch has them, and the refusals."""
import warnings

import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng(0)


def _both(a, requires_grad=False):
    return ember.tensor(a, requires_grad=requires_grad), torch.tensor(a, requires_grad=requires_grad)


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 5, 3)])
def test_geqrf_matches_torch(shape):
    a = RNG.standard_normal(shape)
    e, t = _both(a)
    (ea, etau), (ta, ttau) = ember.geqrf(e), torch.geqrf(t)
    np.testing.assert_allclose(ea.numpy(), ta.numpy(), atol=1e-12)
    np.testing.assert_allclose(etau.numpy(), ttau.numpy(), atol=1e-12)
    assert ea.dtype is ember.float64 and tuple(etau.shape) == tuple(ttau.shape)
    np.testing.assert_allclose(e.geqrf()[1].numpy(), ttau.numpy(), atol=1e-12)


def test_geqrf_refuses_gradients_and_bad_input():
    with pytest.raises(RuntimeError):
        torch.geqrf(torch.ones(3, 3, requires_grad=True))[0].sum().backward()
    with pytest.raises(ember.AutogradError, match="geqrf"):
        ember.geqrf(ember.ones(3, 3, requires_grad=True))
    with pytest.raises(ember.ShapeError, match="geqrf"):
        ember.geqrf(ember.ones(3))
    with pytest.raises(ember.DTypeError, match="geqrf"):
        ember.geqrf(ember.ones(3, 3, dtype=ember.int64))


@pytest.mark.parametrize("shape", [(4, 3), (3, 3), (2, 5, 2)])
def test_orgqr_matches_torch_with_gradients(shape):
    a = RNG.standard_normal(shape)
    ta, ttau = torch.geqrf(torch.tensor(a))
    ea, etau = ember.tensor(ta.numpy(), requires_grad=True), ember.tensor(ttau.numpy(), requires_grad=True)
    ta, ttau = ta.clone().requires_grad_(), ttau.clone().requires_grad_()
    eq, tq = ember.orgqr(ea, etau), torch.orgqr(ta, ttau)
    np.testing.assert_allclose(eq.detach().numpy(), tq.detach().numpy(), atol=1e-12)
    w = RNG.standard_normal(tuple(tq.shape))
    (eq * ember.tensor(w)).sum().backward()
    (tq * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(ea.grad.numpy(), ta.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(etau.grad.numpy(), ttau.grad.numpy(), atol=1e-10)


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("transpose", [True, False])
def test_ormqr_matches_torch_with_gradients(left, transpose):
    a = RNG.standard_normal((4, 3))
    c = RNG.standard_normal((4, 2) if left else (2, 4))
    ta, ttau = torch.geqrf(torch.tensor(a))
    ea, etau = ember.tensor(ta.numpy()), ember.tensor(ttau.numpy())
    ec, tc = _both(c, requires_grad=True)
    eo, to = ember.ormqr(ea, etau, ec, left, transpose), torch.ormqr(ta, ttau, tc, left, transpose)
    np.testing.assert_allclose(eo.detach().numpy(), to.detach().numpy(), atol=1e-12)
    eo.sum().backward()
    to.sum().backward()
    np.testing.assert_allclose(ec.grad.numpy(), tc.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(ea.ormqr(etau, ec, left, transpose).detach().numpy(), to.detach().numpy(), atol=1e-12)
    with pytest.raises(ember.ShapeError, match="ormqr"):
        ember.ormqr(ea, etau, ember.ones(3, 3, dtype=ember.float64))


def test_lu_triple_matches_torch():
    a = RNG.standard_normal((2, 4, 4))
    b = RNG.standard_normal((2, 4, 3))
    e, t = _both(a)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.lu warns that it is deprecated
        tlu, tpiv = torch.lu(t)
        tlu3 = torch.lu(t, get_infos=True)
        tx = torch.lu_solve(torch.tensor(b), tlu, tpiv)
    elu, epiv = ember.lu(e)
    np.testing.assert_allclose(elu.numpy(), tlu.numpy(), atol=1e-12)
    np.testing.assert_array_equal(epiv.numpy(), tpiv.numpy())
    assert epiv.dtype is ember.int32 and len(ember.lu(e, get_infos=True)) == len(tlu3) == 3
    np.testing.assert_array_equal(ember.lu(e, get_infos=True)[2].numpy(), tlu3[2].numpy())
    np.testing.assert_allclose(ember.lu_solve(ember.tensor(b), elu, epiv).numpy(),
                               tx.numpy(), atol=1e-10)
    for ours, theirs in zip(ember.lu_unpack(elu, epiv), torch.lu_unpack(tlu, tpiv)):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=1e-12)
    for flags in ((False, True), (True, False)):
        for ours, theirs in zip(ember.lu_unpack(elu, epiv, *flags), torch.lu_unpack(tlu, tpiv, *flags)):
            assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(e.lu()[0].numpy(), tlu.numpy(), atol=1e-12)
    with pytest.raises(ember.ShapeError, match="lu_unpack"):
        ember.lu_unpack(ember.ones(3), epiv)


def _low_rank(m, n, r):
    return RNG.standard_normal((m, r)) @ RNG.standard_normal((r, n))


@pytest.mark.parametrize("m,n", [(20, 8), (8, 20)])
def test_svd_lowrank_matches_torch_on_low_rank_input(m, n):
    a = _low_rank(m, n, 3)
    ember.manual_seed(0)
    eu, es, ev = ember.svd_lowrank(ember.tensor(a), q=4)
    tu, ts, tv = torch.svd_lowrank(torch.tensor(a), q=4)
    assert tuple(eu.shape) == tuple(tu.shape) and tuple(ev.shape) == tuple(tv.shape)
    np.testing.assert_allclose(es.numpy()[:3], ts.numpy()[:3], rtol=1e-9)
    np.testing.assert_allclose(es.numpy()[3], 0.0, atol=1e-9)
    # the leading singular vectors span torch's subspaces (signs are free)
    for ours, theirs in ((eu.numpy()[:, :3], tu.numpy()[:, :3]), (ev.numpy()[:, :3], tv.numpy()[:, :3])):
        np.testing.assert_allclose(np.abs(ours.T @ theirs), np.eye(3), atol=1e-8)
    np.testing.assert_allclose((eu * es) @ ev.mT, a, atol=1e-9)
    mean = np.ones((m, n))
    _, es_m, _ = ember.svd_lowrank(ember.tensor(a + mean), q=4, M=ember.tensor(mean))
    np.testing.assert_allclose(es_m.numpy()[:3], ts.numpy()[:3], rtol=1e-9)
    with pytest.raises(ember.ArgumentError, match="q"):
        ember.svd_lowrank(ember.tensor(a), q=50)
    with pytest.raises(ember.ArgumentError, match="niter"):
        ember.svd_lowrank(ember.tensor(a), niter=-1)


def test_pca_lowrank_matches_torch():
    a = _low_rank(30, 6, 2) + 5.0
    ember.manual_seed(1)
    eu, es, ev = ember.pca_lowrank(ember.tensor(a), q=3)
    tu, ts, tv = torch.pca_lowrank(torch.tensor(a), q=3)
    np.testing.assert_allclose(es.numpy()[:2], ts.numpy()[:2], rtol=1e-9)
    np.testing.assert_allclose(np.abs(ev.numpy()[:, :2].T @ tv.numpy()[:, :2]), np.eye(2), atol=1e-8)
    _, es_raw, _ = ember.pca_lowrank(ember.tensor(a), q=3, center=False)
    _, ts_raw, _ = torch.pca_lowrank(torch.tensor(a), q=3, center=False)
    np.testing.assert_allclose(es_raw.numpy()[:2], ts_raw.numpy()[:2], rtol=1e-8)
    assert len(ember.pca_lowrank(ember.tensor(a))[1]) == len(torch.pca_lowrank(torch.tensor(a))[1]) == 6


def _spd(m):
    a = RNG.standard_normal((m, m))
    return a @ a.T + np.eye(m)


@pytest.mark.parametrize("kw", [{"k": 3}, {"k": 2, "largest": False}, {"k": 2, "method": "basic"}, {"n": 3, "k": 1}])
def test_lobpcg_matches_torch(kw):
    a = _spd(30)
    ember.manual_seed(0)
    ev, evec = ember.lobpcg(ember.tensor(a), **kw)
    tv, tvec = torch.lobpcg(torch.tensor(a), **kw)
    np.testing.assert_allclose(ev.numpy(), tv.numpy(), rtol=1e-7)
    assert tuple(evec.shape) == tuple(tvec.shape)
    np.testing.assert_allclose(np.abs(np.sum(evec.numpy() * tvec.numpy(), 0)), 1.0, atol=1e-6)  # signs are free


def test_lobpcg_generalized_start_block_and_refusals():
    a, b = _spd(30), np.diag(np.linspace(1.0, 3.0, 30))
    x0 = RNG.standard_normal((30, 4))
    np.testing.assert_allclose(ember.lobpcg(ember.tensor(a), k=2, B=ember.tensor(b))[0].numpy(),
                               torch.lobpcg(torch.tensor(a), k=2, B=torch.tensor(b))[0].numpy(), rtol=1e-7)
    np.testing.assert_allclose(ember.lobpcg(ember.tensor(a), X=ember.tensor(x0))[0].numpy(),
                               torch.lobpcg(torch.tensor(a), X=torch.tensor(x0))[0].numpy(), rtol=1e-7)
    with pytest.raises(ValueError, match="3 x"):
        torch.lobpcg(torch.tensor(a[:5, :5]), k=2)
    with pytest.raises(ember.ArgumentError, match="3 x n"):
        ember.lobpcg(ember.tensor(a[:5, :5]), k=2)
    with pytest.raises(ember.ArgumentError, match="method"):
        ember.lobpcg(ember.tensor(a), k=1, method="foo")
    with pytest.raises(ember.AutogradError, match="values only"):
        ember.lobpcg(ember.tensor(a, requires_grad=True), k=1)
