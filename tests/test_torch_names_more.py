"""More torch.* names against PyTorch: the *_copy ops, functional fills, strided allocation, scatter
forms (select/slice_scatter, scatter_reduce, put), nonzero_static, histogram, gradient, Cholesky
solves, finfo/iinfo and constants, vmap/cond/while_loop, DLPack, anomaly and autocast switches."""
import math

import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4, 5))
M = RNG.standard_normal((4, 4))
# names reached through getattr on tensors or a loop over both libraries (see the tests below)
COVERS = {"torch": ["set_anomaly_enabled", "is_anomaly_check_nan_enabled", "is_anomaly_enabled", "is_autocast_enabled",
                    "get_autocast_dtype", "autocast"],
          "torch.Tensor": ["select_scatter", "slice_scatter"]}


def pair(a, grad=True):
    return torch.tensor(a, requires_grad=grad), ember.tensor(a, requires_grad=grad)


def same(e, t, what, tol=1e-10):
    if isinstance(t, (tuple, list)):
        assert len(e) == len(t), what
        for a, b in zip(e, t):
            same(a, b, what, tol)
        return
    assert tuple(e.shape) == tuple(t.shape), f"{what}: {tuple(e.shape)} vs {tuple(t.shape)}"
    assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1], f"{what}: {e.dtype} vs {t.dtype}"
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol, err_msg=what)


def grads_match(t_out, e_out, t_in, e_in, what):
    t_list = t_out if isinstance(t_out, (tuple, list)) else [t_out]
    e_list = e_out if isinstance(e_out, (tuple, list)) else [e_out]
    w = [RNG.standard_normal(tuple(o.shape)) for o in t_list]
    sum((o * torch.tensor(wi)).sum() for o, wi in zip(t_list, w)).backward()
    sum((o * ember.tensor(wi)).sum() for o, wi in zip(e_list, w)).backward()
    for a, b in zip(e_in, t_in):
        same(a.grad, b.grad, f"{what}: gradient")


COPIES = {"alias_copy": (), "detach_copy": (), "diagonal_copy": (0, 1, 2), "expand_copy": ((2, 3, 4, 5),),
          "narrow_copy": (2, 1, 3), "permute_copy": ((2, 0, 1),), "select_copy": (1, 2), "slice_copy": (2, 1, 4, 2),
          "split_copy": (2, 1), "split_with_sizes_copy": ([1, 3], 1), "squeeze_copy": (), "t_copy": (),
          "transpose_copy": (0, 2), "unbind_copy": (1,), "unfold_copy": (2, 2, 1), "unsqueeze_copy": (1,),
          "view_copy": ((12, 5),)}


@pytest.mark.parametrize("name", sorted(COPIES))
def test_copy_ops_as_torch(name):
    x = X[:, :, :1] if name == "squeeze_copy" else (X[0] if name == "t_copy" else X)
    (t, e) = pair(x, grad=name != "detach_copy")
    to, eo = getattr(torch, name)(t, *COPIES[name]), getattr(ember, name)(e, *COPIES[name])
    same(eo, to, name)
    for o in (eo if isinstance(eo, (tuple, list)) else [eo]):
        assert not np.shares_memory(o.detach().numpy(), e.detach().numpy())
    if name != "detach_copy":
        grads_match(to, eo, [t], [e], name)
    if name == "narrow_copy":
        same(e.narrow_copy(2, 1, 3), t.narrow_copy(2, 1, 3), "Tensor.narrow_copy")


def test_functional_fills_detach_and_adjoint_as_torch():
    t, e = pair(M)
    same(ember.adjoint(e), torch.adjoint(t), "adjoint")
    same(ember.fill(e, 2.5), torch.fill(t, 2.5), "fill")
    assert ember.detach(e).requires_grad is torch.detach(t).requires_grad is False
    t2, e2 = pair(M, grad=False)
    assert torch.fill_(t2, 1.5) is t2 and ember.fill_(e2, 1.5) is e2
    same(e2, t2, "fill_")
    torch.zero_(t2)
    ember.zero_(e2)
    same(e2, t2, "zero_")
    y_t, y_e = t * 2, e * 2
    torch.detach_(y_t)
    ember.detach_(y_e)
    assert y_t.requires_grad is y_e.requires_grad is False
    assert (ember.e, ember.pi, ember.inf, ember.newaxis) == (torch.e, torch.pi, torch.inf, torch.newaxis)
    assert math.isnan(ember.nan) and math.isnan(torch.nan)


@pytest.mark.parametrize("size,stride", [((2, 3), (3, 1)), ((2, 3), (1, 2)), ((3, 2, 2), (1, 6, 3)), ((0, 2), (2, 1))])
def test_empty_strided_lays_out_memory_as_torch(size, stride):
    t, e = torch.empty_strided(size, stride), ember.empty_strided(size, stride)
    assert tuple(e.shape) == tuple(t.shape) and e.stride() == t.stride() and e.dtype == ember.float32
    t, e = torch.empty_permuted(size, (1, 0) if len(size) == 2 else (2, 0, 1)), \
        ember.empty_permuted(size, (1, 0) if len(size) == 2 else (2, 0, 1))
    assert tuple(e.shape) == tuple(t.shape) and e.stride() == t.stride()


def test_frombuffer_shares_the_buffer_as_torch():
    buf = bytearray(np.arange(6, dtype=np.int32).tobytes())
    t = torch.frombuffer(buf, dtype=torch.int32, count=4, offset=4)
    e = ember.frombuffer(buf, dtype=ember.int32, count=4, offset=4)
    same(e, t, "frombuffer")
    buf[4:8] = np.int32(42).tobytes()
    assert int(e[0]) == int(t[0]) == 42


def test_select_and_slice_scatter_with_gradients():
    for name, src_shape, args in (("select_scatter", (3, 5), (1, 2)), ("slice_scatter", (3, 2, 5), (1, 1, 4, 2))):
        (t, e), (ts, es) = pair(X), pair(RNG.standard_normal(src_shape))
        to, eo = getattr(torch, name)(t, ts, *args), getattr(ember, name)(e, es, *args)
        same(eo, to, name)
        grads_match(to, eo, [t, ts], [e, es], name)
        same(getattr(e.detach(), name)(es.detach(), *args), getattr(t.detach(), name)(ts.detach(), *args), name)


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_values_and_gradients(reduce, include_self):
    base = RNG.standard_normal((3, 5))
    src = RNG.standard_normal((2, 5))
    src[1, 2] = src[0, 2]  # a tie in one column
    idx = np.array([[0, 1, 0, 2, 1], [2, 2, 0, 1, 0]])
    (t, e), (ts, es) = pair(base), pair(src)
    to = torch.scatter_reduce(t, 0, torch.tensor(idx), ts, reduce, include_self=include_self)
    eo = ember.scatter_reduce(e, 0, ember.tensor(idx), es, reduce, include_self=include_self)
    same(eo, to, reduce)
    grads_match(to, eo, [t, ts], [e, es], reduce)
    t2, e2 = torch.tensor(base), ember.tensor(base)
    t2.scatter_reduce_(1, torch.tensor(idx[:, :3]), torch.tensor(src[:, :3]), reduce, include_self=include_self)
    e2.scatter_reduce_(1, ember.tensor(idx[:, :3]), ember.tensor(src[:, :3]), reduce, include_self=include_self)
    same(e2, t2, f"scatter_reduce_ {reduce}")


def test_put_nonzero_static_and_histogram_as_torch():
    (t, e), (ts, es) = pair(M), pair(np.array([1.0, 2.0, 3.0]))
    idx = np.array([0, 5, 15])
    for acc in (False, True):
        to, eo = torch.put(t, torch.tensor(idx), ts, accumulate=acc), ember.put(e, ember.tensor(idx), es, accumulate=acc)
        same(eo, to, "put")
    grads_match(to, eo, [t, ts], [e, es], "put")
    t2, e2 = torch.tensor(M), ember.tensor(M)
    t2.put_(torch.tensor(idx), torch.tensor([9.0, 8.0, 7.0], dtype=torch.float64))
    e2.put_(ember.tensor(idx), ember.tensor([9.0, 8.0, 7.0], dtype=ember.float64))
    same(e2, t2, "put_")
    mask = np.array([[0, 1, 0], [1, 1, 0]])
    for size in (0, 2, 5):
        same(ember.nonzero_static(ember.tensor(mask), size=size), torch.nonzero_static(torch.tensor(mask), size=size),
             "nonzero_static")
        same(ember.tensor(mask).nonzero_static(size=size, fill_value=7),
             torch.tensor(mask).nonzero_static(size=size, fill_value=7), "Tensor.nonzero_static")
    data = np.array([0.05, 0.3, 0.31, 0.55, 0.9, 0.95, 0.6], np.float32)
    for kw in ({"bins": 4}, {"bins": 3, "range": (0.0, 1.5)}, {"bins": 5, "density": True},
               {"bins": 4, "weight": np.arange(7, dtype=np.float32)}):
        tk = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        ek = {k: ember.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        same(ember.histogram(ember.tensor(data), **ek), torch.histogram(torch.tensor(data), **tk), "histogram", 1e-6)
    edges = np.array([0.0, 0.5, 1.0], np.float32)
    same(ember.tensor(data).histogram(ember.tensor(edges)), torch.tensor(data).histogram(torch.tensor(edges)),
         "histogram edges", 1e-6)


@pytest.mark.parametrize("kwargs", [{}, {"spacing": 0.5}, {"dim": 1, "edge_order": 2}, {"spacing": [2.0, 3.0],
                                                                                        "dim": (0, 2)}])
def test_gradient_values_and_gradients_as_torch(kwargs):
    t, e = pair(X)
    to, eo = torch.gradient(t, **kwargs), ember.gradient(e, **kwargs)
    same(list(eo), list(to), "gradient")
    grads_match(list(to), list(eo), [t], [e], "gradient")


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_inverse_and_solve_as_torch(upper):
    A = M @ M.T + 4 * np.eye(4)
    L = np.linalg.cholesky(A)
    L = L.T.copy() if upper else L
    (t, e), (tb, eb) = pair(L), pair(RNG.standard_normal((4, 2)))
    to, eo = torch.cholesky_inverse(t, upper=upper), ember.cholesky_inverse(e, upper=upper)
    same(eo, to, "cholesky_inverse", 1e-9)
    grads_match(to, eo, [t], [e], "cholesky_inverse")
    (t, e) = pair(L)
    to, eo = torch.cholesky_solve(tb, t, upper=upper), ember.cholesky_solve(eb, e, upper=upper)
    same(eo, to, "cholesky_solve", 1e-9)
    grads_match(to, eo, [t, tb], [e, eb], "cholesky_solve")
    same(eb.detach().cholesky_solve(e.detach(), upper), tb.detach().cholesky_solve(t.detach(), upper), "method")


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32", "float64"])
def test_finfo_as_torch(dtype):
    t, e = torch.finfo(getattr(torch, dtype)), ember.finfo(getattr(ember, dtype))
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(e, field) == getattr(t, field), field
    assert repr(e) == repr(t)


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "int64"])
def test_iinfo_as_torch(dtype):
    t, e = torch.iinfo(getattr(torch, dtype)), ember.iinfo(getattr(ember, dtype))
    assert (e.bits, e.max, e.min, e.dtype) == (t.bits, t.max, t.min, t.dtype)
    assert ember.finfo().eps == torch.finfo().eps
    with pytest.raises(ember.DTypeError):
        ember.iinfo(ember.float32)


def test_vmap_cond_and_while_loop_as_torch():
    def fn(lib):
        return lambda a, b: (a * b).sum() + lib.sin(a).sum()
    (ta, ea), (tb, eb) = pair(X), pair(X[0, 0])
    to = torch.vmap(fn(torch), in_dims=(1, None))(ta, tb)
    eo = ember.vmap(fn(ember), in_dims=(1, None))(ea, eb)
    same(eo, to, "vmap")
    grads_match(to, eo, [ta, tb], [ea, eb], "vmap")
    pairs = torch.vmap(lambda a: (a.sum(0), a * 2), out_dims=(0, 1))(torch.tensor(X)), \
        ember.vmap(lambda a: (a.sum(0), a * 2), out_dims=(0, 1))(ember.tensor(X))
    same(list(pairs[1]), list(pairs[0]), "vmap tuple outputs")
    for pred in (True, False):
        same(ember.cond(ember.tensor(pred), lambda x: x.cos(), lambda x: x.sin(), (ember.tensor(M),)),
             torch.cond(torch.tensor(pred), lambda x: x.cos(), lambda x: x.sin(), (torch.tensor(M),)), "cond")
    t_out = torch.while_loop(lambda i, x: i < 5, lambda i, x: (i + 1, x * 2), (torch.tensor(0), torch.tensor(M)))
    e_out = ember.while_loop(lambda i, x: i < 5, lambda i, x: (i + 1, x * 2), (ember.tensor(0), ember.tensor(M)))
    same(list(e_out), list(t_out), "while_loop")
    with pytest.raises(ember.ShapeError, match="one size"):
        ember.vmap(lambda a, b: a + b)(ember.ones(2, 3), ember.ones(3, 3))


def test_dlpack_both_ways_shares_memory():
    e = ember.arange(4.0)
    t = torch.from_dlpack(e)
    t[0] = 9.0
    assert float(e[0]) == 9.0
    t2 = torch.arange(3)
    e2 = ember.from_dlpack(t2)
    same(e2, t2, "from_dlpack")
    t2[1] = 7
    assert int(e2[1]) == 7
    e3 = ember.from_dlpack(torch.utils.dlpack.to_dlpack(torch.ones(2)))
    same(e3, torch.ones(2), "capsule")
    same(torch.utils.dlpack.from_dlpack(ember.to_dlpack(ember.ones(2))), torch.ones(2), "to_dlpack")


def test_anomaly_default_device_and_autocast_switches_as_torch():
    for lib in (torch, ember):
        lib.set_anomaly_enabled(True, check_nan=False)
        assert lib.is_anomaly_enabled() and not lib.is_anomaly_check_nan_enabled()
        lib.set_anomaly_enabled(False)
        assert not lib.is_anomaly_enabled() and lib.is_anomaly_check_nan_enabled()
        assert lib.is_autocast_enabled("cpu") is False
        with lib.autocast("cpu", dtype=lib.bfloat16):
            assert lib.is_autocast_enabled("cpu") and lib.get_autocast_dtype("cpu") == lib.bfloat16
    assert str(ember.get_default_device()) == str(torch.get_default_device()) == "cpu"
    ts, es = torch.GradScaler("cpu", init_scale=4.0), ember.GradScaler("cpu", init_scale=4.0)
    assert ts.get_scale() == es.get_scale() == 4.0


@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce_values_and_gradients(reduce, include_self):
    (t, e), (ts, es) = pair(RNG.standard_normal((5, 3))), pair(RNG.standard_normal((4, 3)))
    idx = np.array([0, 4, 2, 0])
    to = torch.index_reduce(t, 0, torch.tensor(idx), ts, reduce, include_self=include_self)
    eo = ember.index_reduce(e, 0, ember.tensor(idx), es, reduce, include_self=include_self)
    same(eo, to, reduce)
    grads_match(to, eo, [t, ts], [e, es], reduce)
    t2, e2 = torch.tensor(M), ember.tensor(M)
    t2.index_reduce_(1, torch.tensor([3, 1]), torch.tensor(M[:, :2]), reduce, include_self=include_self)
    e2.index_reduce_(1, ember.tensor([3, 1]), ember.tensor(M[:, :2]), reduce, include_self=include_self)
    same(e2, t2, "index_reduce_")


def test_histogramdd_typename_and_get_device_as_torch():
    pts = RNG.uniform(0, 1, (50, 2)).astype(np.float32)
    for kw in ({"bins": [3, 4]}, {"bins": 2, "range": [0.0, 1.0, 0.0, 2.0], "density": True},
               {"bins": [2, 2], "weight": RNG.uniform(0, 1, 50).astype(np.float32)}):
        tk = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        ek = {k: ember.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
        th, eh = torch.histogramdd(torch.tensor(pts), **tk), ember.histogramdd(ember.tensor(pts), **ek)
        same(eh.hist, th.hist, "histogramdd", 1e-5)
        same(list(eh.bin_edges), list(th.bin_edges), "histogramdd edges", 1e-6)
    for tv, ev in ((torch.ones(2), ember.ones(2)), (torch.ones(2, dtype=torch.int64), ember.ones(2, dtype=ember.int64))):
        assert ember.typename(ev) == torch.typename(tv).replace("torch", "ember")
        assert ember.get_device(ev) == torch.get_device(tv) == -1
    assert ember.typename(3) == torch.typename(3) == "int" and ember.typename("x") == torch.typename("x")
    assert ember.typename(ember.nn.Linear(2, 2)).endswith("Linear")
