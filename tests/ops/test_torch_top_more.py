"""segment_reduce, hash_tensor, from_file, Future/fork/wait, the size-constraint sym_* helpers,
is_inference_mode_enabled and SyncBatchNorm's kernels against torch."""
import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember

# called as `lib.<name>` on ember and torch alike (tests/api_coverage.py, rule 2)
COVERS = {"torch": ["Future", "fork", "wait", "sym_constrain_range", "sym_constrain_range_for_size", "sym_fresh_size",
                    "is_inference_mode_enabled"]}

RNG = np.random.default_rng(0)
REDUCES = ["sum", "mean", "max", "min", "prod"]


@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("initial", [None, 7.0])
def test_segment_reduce_matches_torch(reduce, initial):
    d = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    kw = {} if initial is None else {"initial": initial}
    e, t = ember.tensor(d, requires_grad=True), torch.tensor(d, requires_grad=True)
    eo = ember.segment_reduce(e, reduce, lengths=ember.tensor([2, 0, 3]), **kw)
    to = torch.segment_reduce(t, reduce, lengths=torch.tensor([2, 0, 3]), **kw)
    np.testing.assert_allclose(eo.detach().numpy(), to.detach().numpy())
    np.testing.assert_allclose(ember.segment_reduce(e.detach(), reduce, offsets=ember.tensor([0, 2, 2, 5]), **kw).numpy(),
                               to.detach().numpy())
    finite = np.isfinite(to.detach().numpy())
    w = np.arange(1.0, 4.0) * finite
    (eo * ember.tensor(w)).nan_to_num(0.0).sum().backward()
    (to * torch.tensor(w)).nan_to_num(0.0).sum().backward()
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy())


def test_segment_reduce_2d_and_refusals_match_torch():
    a = np.arange(10.0).reshape(5, 2)
    np.testing.assert_allclose(ember.segment_reduce(ember.tensor(a), "sum", lengths=ember.tensor([2, 3])).numpy(),
                               torch.segment_reduce(torch.tensor(a), "sum", lengths=torch.tensor([2, 3])).numpy())
    b = np.arange(10.0).reshape(2, 5)
    np.testing.assert_allclose(
        ember.segment_reduce(ember.tensor(b), "mean", lengths=ember.tensor([[2, 3], [1, 4]]), axis=1).numpy(),
        torch.segment_reduce(torch.tensor(b), "mean", lengths=torch.tensor([[2, 3], [1, 4]]), axis=1).numpy())
    d = ember.tensor([1.0, 2.0, 3.0])
    td = torch.tensor([1.0, 2.0, 3.0])
    for kw, error in (({"lengths": [2, 2]}, ember.ShapeError), ({"reduce": "foo"}, ember.ArgumentError),
                      ({"lengths": None}, ember.ArgumentError), ({"indices": [0]}, ember.ArgumentError)):
        call = {"reduce": "sum", "lengths": [1, 2], **kw}
        lengths = call.pop("lengths")
        extra = {"indices": call.pop("indices")} if "indices" in call else {}
        reduce = call.pop("reduce")
        with pytest.raises(RuntimeError):
            torch.segment_reduce(td, reduce, lengths=None if lengths is None else torch.tensor(lengths),
                                 **{k: torch.tensor(v) for k, v in extra.items()})
        with pytest.raises(error, match="segment_reduce"):
            ember.segment_reduce(d, reduce, lengths=None if lengths is None else ember.tensor(lengths),
                                 **{k: ember.tensor(v) for k, v in extra.items()})
    with pytest.raises(NotImplementedError):
        torch.segment_reduce(torch.tensor([1, 2]), "sum", lengths=torch.tensor([2]))
    with pytest.raises(ember.DTypeError, match="floating"):
        ember.segment_reduce(ember.tensor([1, 2]), "sum", lengths=ember.tensor([2]))


@pytest.mark.parametrize("values,kw", [([1.0, 2.0, 3.0], {}), ([True, False], {}), ([-1.5, 2.0], {"keepdim": True}),
                                       ([-0.0, float("nan")], {}), ([[0, 1, 2], [3, 4, 5]], {"dim": 1}),
                                       ([[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]], {"dim": (0, 1), "keepdim": True})])
def test_hash_tensor_matches_torch(values, kw):
    ours, theirs = ember.hash_tensor(ember.tensor(values), **kw), torch.hash_tensor(torch.tensor(values), **kw)
    assert ours.dtype is ember.uint64 and theirs.dtype is torch.uint64
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    np.testing.assert_array_equal(ember.tensor(values).hash_tensor(**kw).numpy(),
                                  torch.tensor(values).hash_tensor(**kw).numpy())
    for dt in ("int8", "float16", "int32"):
        v = np.array([1, 2, 7], dtype=dt)
        np.testing.assert_array_equal(ember.hash_tensor(ember.tensor(v)).numpy(), torch.hash_tensor(torch.tensor(v)).numpy())


def test_hash_tensor_refusals_match_torch():
    for call in (lambda m: m.hash_tensor(m.tensor([])), lambda m: m.hash_tensor(m.ones(2), mode=1)):
        with pytest.raises(RuntimeError):
            call(torch)
        with pytest.raises(ember.ArgumentError, match="hash_tensor"):
            call(ember)


def test_from_file_matches_torch(tmp_path):
    path = str(tmp_path / "x.bin")
    np.arange(6, dtype=np.float32).tofile(path)
    for kw in ({"size": 6}, {"size": 4, "shared": False}, {"size": 3, "dtype": "float64"}, {}):
        tkw = {k: getattr(torch, v) if k == "dtype" else v for k, v in kw.items()}
        ekw = {k: getattr(ember, v) if k == "dtype" else v for k, v in kw.items()}
        ours, theirs = ember.from_file(path, **ekw), torch.from_file(path, **tkw)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        assert ours.dtype.name == str(theirs.dtype).split(".")[1]
    private = ember.from_file(path, size=6)
    private[0] = 5.0  # copy on write: the file keeps its bytes
    assert np.fromfile(path, dtype=np.float32)[0] == 0.0
    shared = ember.from_file(path, shared=True, size=6)
    shared[0] = 9.0
    assert np.fromfile(path, dtype=np.float32)[0] == 9.0 == torch.from_file(path, size=6)[0].item()
    with pytest.raises(RuntimeError, match="smaller"):
        torch.from_file(path, size=100)
    with pytest.raises(ember.ArgumentError, match="smaller"):
        ember.from_file(path, size=100)
    with pytest.raises(ember.ArgumentError, match="no such file"):
        ember.from_file(str(tmp_path / "missing.bin"), size=1)


def test_fork_wait_and_future_behave_as_torch():
    for lib in (ember, torch):
        fut = lib.fork(lambda x, y=1: x * 2 + y, 3, y=2)
        assert isinstance(fut, lib.Future) and fut.done() and lib.wait(fut) == 8 == fut.value() == fut.wait()
        f = lib.Future() if lib is ember else torch.futures.Future()  # torch.Future itself wants devices
        assert not f.done()
        chained = f.then(lambda done: done.value() + 1)
        f.set_result(3)
        assert f.wait() == 3 and chained.wait() == 4
    with pytest.raises(ZeroDivisionError):
        torch.wait(torch.fork(lambda: 1 / 0))
    failed = ember.fork(lambda: 1 / 0)
    assert failed.done()
    with pytest.raises(ZeroDivisionError):
        ember.wait(failed)
    with pytest.raises(ember.ArgumentError, match="once"):
        ember.fork(lambda: 1).set_result(2)
    with pytest.raises(ember.ArgumentError, match="callable"):
        ember.fork(3)


def test_size_constraints_match_torch():
    for lib in (ember, torch):
        assert lib.sym_constrain_range(5, min=0, max=10) is None
        assert lib.sym_constrain_range_for_size(5) is None
        assert lib.sym_fresh_size(3) == 3
    for call in (lambda m: m.sym_constrain_range(5, min=6, max=10), lambda m: m.sym_constrain_range_for_size(-1),
                 lambda m: m.sym_constrain_range_for_size(1, min=2)):
        with pytest.raises(RuntimeError, match="Invalid value range"):
            call(torch)
        with pytest.raises(ember.ArgumentError, match="invalid value range"):
            call(ember)


def test_is_inference_mode_enabled_matches_torch():
    seen = {}
    for lib in (ember, torch):
        states = [lib.is_inference_mode_enabled()]
        with lib.inference_mode():
            states.append(lib.is_inference_mode_enabled())
            with lib.inference_mode(False):
                states.append(lib.is_inference_mode_enabled())
            states.append(lib.is_grad_enabled())

        @lib.inference_mode()
        def inside():
            return lib.is_inference_mode_enabled()
        states += [inside(), lib.is_inference_mode_enabled()]
        seen[lib] = states
    assert seen[ember] == seen[torch] == [False, True, False, False, True, False]


def _bn_data():
    x = RNG.standard_normal((6, 3, 4))
    return x, RNG.standard_normal(3), RNG.standard_normal(3), RNG.standard_normal((6, 3, 4))


def test_sync_batch_norm_kernels_reproduce_torch_batch_norm():
    """torch has these kernels for CUDA only; one process's SyncBatchNorm must equal torch's batch_norm,
    forward (output, running statistics) and backward (input, weight and bias gradients)."""
    x, w, b, g = _bn_data()
    with pytest.raises(NotImplementedError):
        torch.batch_norm_elemt(torch.tensor(x), None, None, torch.zeros(3), torch.ones(3), 1e-5)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    trm, trv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    out = TF.batch_norm(tx, trm, trv, tw, tb, True, 0.1, 1e-5)
    out.backward(torch.tensor(g))
    ex = ember.tensor(x)
    halves = [ember.batch_norm_stats(part, 1e-5) for part in (ex[:2], ex[2:])]  # two "processes"
    mean, invstd = ember.stack([h[0] for h in halves]), ember.stack([h[1] for h in halves])
    erm, erv = ember.zeros(3, dtype=ember.float64), ember.ones(3, dtype=ember.float64)
    gm, gi = ember.batch_norm_gather_stats_with_counts(ex, mean, invstd, erm, erv, 0.1, 1e-5,
                                                       ember.tensor([8.0, 16.0]))
    y = ember.batch_norm_elemt(ex, ember.tensor(w), ember.tensor(b), gm, gi, 1e-5)
    np.testing.assert_allclose(y.numpy(), out.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(erm.numpy(), trm.numpy(), atol=1e-12)
    np.testing.assert_allclose(erv.numpy(), trv.numpy(), atol=1e-12)
    sum_dy, sum_dy_xmu, gw, gb = ember.batch_norm_backward_reduce(ember.tensor(g), ex, gm, gi, ember.tensor(w),
                                                                  True, True, True)
    np.testing.assert_allclose(gw.numpy(), tw.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(gb.numpy(), tb.grad.numpy(), atol=1e-10)
    gx = ember.batch_norm_backward_elemt(ember.tensor(g), ex, gm, gi, ember.tensor(w), sum_dy, sum_dy_xmu,
                                         ember.tensor([8, 16], dtype=ember.int32))
    np.testing.assert_allclose(gx.numpy(), tx.grad.numpy(), atol=1e-10)
    assert ember.batch_norm_backward_reduce(ember.tensor(g), ex, gm, gi, None, False, False, False) == \
        (None, None, None, None)


def test_gather_stats_with_equal_counts_and_refusals():
    x, _, _, _ = _bn_data()
    ex = ember.tensor(x)
    parts = [ember.batch_norm_stats(part, 1e-5) for part in (ex[:3], ex[3:])]
    mean, invstd = ember.stack([p[0] for p in parts]), ember.stack([p[1] for p in parts])
    gm, gi = ember.batch_norm_gather_stats(ex, mean, invstd, None, None, 0.1, 1e-5, 12)
    tvar, tmean = torch.var_mean(torch.tensor(x), (0, 2), correction=0)
    np.testing.assert_allclose(gm.numpy(), tmean.numpy(), atol=1e-12)
    np.testing.assert_allclose(gi.numpy(), torch.rsqrt(tvar + 1e-5).numpy(), atol=1e-10)
    with pytest.raises(NotImplementedError):
        torch.batch_norm_gather_stats(torch.tensor(x), torch.zeros(2, 3), torch.ones(2, 3), None, None, 0.1, 1e-5, 12)
    with pytest.raises(ember.ShapeError, match="counts"):
        ember.batch_norm_gather_stats_with_counts(ex, mean, invstd, None, None, 0.1, 1e-5, ember.tensor([1.0]))
    for name in ("batch_norm_backward_reduce", "batch_norm_backward_elemt", "batch_norm_gather_stats_with_counts"):
        assert callable(getattr(torch, name)) and callable(getattr(ember, name))
