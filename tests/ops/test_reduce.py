"""Reductions and scans: what the registry test does not cover. Named-tuple results,
error messages, integer dtypes, ties, zeros in prod/cumprod (second derivatives
too), stability, PyTorch's older keywords and the Tensor methods."""
import math

import numpy as np
import pytest

import ember

torch = pytest.importorskip("torch")


def pair(a, grad=True):
    a = np.asarray(a)
    e, t = ember.from_numpy(a.copy()), torch.from_numpy(a.copy())
    if grad and a.dtype.kind == "f":
        e.requires_grad_()
        t.requires_grad_()
    return e, t


def close(e, t, rtol=1e-6, atol=1e-9):
    t = t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t)
    e = e.detach().numpy() if isinstance(e, ember.Tensor) else np.asarray(e)
    assert e.shape == t.shape, f"shape {e.shape} vs torch {t.shape}"
    np.testing.assert_allclose(e, t, rtol=rtol, atol=atol, equal_nan=True)


# --- named tuples ------------------------------------------------------------------

@pytest.mark.parametrize("op", ["max", "min"])
def test_dim_reduction_returns_named_values_and_indices(op):
    x = ember.tensor([[1.0, 7.0, 3.0], [9.0, 2.0, 5.0]])
    r = getattr(ember, op)(x, 1)
    assert isinstance(r, tuple) and len(r) == 2
    assert r._fields == ("values", "indices")
    values, indices = r
    assert values is r.values and indices is r.indices and r[0] is r.values
    want = getattr(torch, op)(torch.tensor(x.numpy()), 1)
    close(r.values, want.values)
    assert r.indices.dtype == ember.int64
    np.testing.assert_array_equal(r.indices.numpy(), want.indices.numpy())
    kept = getattr(x, op)(dim=0, keepdim=True)
    assert kept.values.shape == (1, 3) and kept.indices.shape == (1, 3)
    assert op in repr(r) and "values=" in repr(r)


def test_aminmax_fields():
    r = ember.aminmax(ember.tensor([[3.0, -1.0], [2.0, 8.0]]), dim=0)
    assert r._fields == ("min", "max")
    assert r.min.tolist() == [2.0, -1.0] and r.max.tolist() == [3.0, 8.0]


def test_max_with_a_tensor_is_elementwise_maximum():
    (a, ta), (b, tb) = pair(np.array([[1.0, 5.0], [3.0, -2.0]])), pair(np.array([2.0, 0.0]))
    for e, t in [(ember.max(a, b), torch.max(ta, tb)), (a.min(b), ta.min(tb)),
                 (ember.max(a, other=b), torch.max(ta, other=tb))]:
        close(e, t)


# --- errors -----------------------------------------------------------------------

@pytest.mark.parametrize("call", [
    lambda x: ember.sum(x, 2), lambda x: x.mean(-3), lambda x: x.var((0, 5)), lambda x: x.std(2),
    lambda x: x.prod(2), lambda x: x.max(2), lambda x: x.min(dim=-3), lambda x: x.amax(4),
    lambda x: x.argmax(2), lambda x: x.logsumexp(3), lambda x: x.norm(2, 7), lambda x: x.all(2),
    lambda x: x.any(-4), lambda x: x.cumsum(2), lambda x: x.cumprod(-3), lambda x: x.count_nonzero(9),
], ids=["sum", "mean", "var", "std", "prod", "max", "min", "amax", "argmax", "logsumexp", "norm", "all",
        "any", "cumsum", "cumprod", "count_nonzero"])
def test_dim_out_of_range_names_the_dim_and_the_rank(call):
    with pytest.raises(ember.DimError, match=r"dim=-?\d+ is out of range for a tensor of rank 2") as info:
        call(ember.ones(2, 3))
    assert isinstance(info.value, IndexError)


def test_error_names_the_op():
    with pytest.raises(ember.DimError, match=r"^cumprod: "):
        ember.ones(2, 3).cumprod(5)
    with pytest.raises(ember.DimError, match=r"^max: "):
        ember.ones(2, 3).max(5)


@pytest.mark.parametrize("call,torch_call", [
    (lambda m, x: m.max(x), None), (lambda m, x: m.min(x), None), (lambda m, x: m.amax(x), None),
    (lambda m, x: m.argmax(x), None), (lambda m, x: m.max(x, 0), None), (lambda m, x: m.amin(x, (0, 1)), None),
    (lambda m, x: m.argmin(x, 0), None), (lambda m, x: m.norm(x, math.inf), None),
], ids=["max", "min", "amax", "argmax", "max-dim", "amin-dims", "argmin-dim", "norm-inf"])
def test_empty_reductions_without_identity_fail_like_torch(call, torch_call):
    x = np.zeros((0, 3), np.float32)
    with pytest.raises((RuntimeError, IndexError, ValueError)):
        call(torch, torch.from_numpy(x))
    with pytest.raises(ember.ShapeError, match=r"(no elements|size 0).*\(0, 3\)|\(0, 3\).*(no elements|size 0)"):
        call(ember, ember.from_numpy(x))


def test_empty_reductions_over_nonempty_dims_are_fine():
    x, t = pair(np.zeros((0, 3), np.float32))
    close(x.max(1).values, t.max(1).values)
    close(x.amax(1), t.amax(1))
    close(x.logsumexp(0), t.logsumexp(0))
    close(x.prod(0), t.prod(0))
    close(x.sum(), t.sum())
    close(x.norm(), t.norm())
    assert x.argmax(1).shape == (0,)


def test_mean_of_ints_is_an_error_unless_dtype_given():
    x = ember.tensor([1, 2, 4])
    with pytest.raises(ember.DTypeError, match="mean.*int64.*dtype="):
        x.mean()
    y = x.mean(dtype=ember.float64)
    assert y.dtype == ember.float64 and y.item() == pytest.approx(7 / 3)


@pytest.mark.parametrize("op", ["var", "std", "norm"])
def test_float_only_reductions_refuse_ints(op):
    with pytest.raises(ember.DTypeError, match=f"{op}.*int64"):
        getattr(ember, op)(ember.tensor([1, 2, 3]))


def test_prod_and_max_take_one_dim():
    with pytest.raises(ember.ArgumentError, match="prod: dim must be a single int"):
        ember.ones(2, 3).prod((0, 1))
    with pytest.raises(ember.ArgumentError, match="amax"):
        ember.ones(2, 3).max((0, 1))


# --- integer dtypes ---------------------------------------------------------------

INT_CASES = {
    "sum": lambda m, x: m.sum(x), "sum-dim": lambda m, x: m.sum(x, 1), "prod": lambda m, x: m.prod(x),
    "prod-dim": lambda m, x: m.prod(x, 0), "cumsum": lambda m, x: m.cumsum(x, 1),
    "cumprod": lambda m, x: m.cumprod(x, 0), "max": lambda m, x: m.max(x), "max-dim": lambda m, x: m.max(x, 1),
    "amin": lambda m, x: m.amin(x, 0), "argmax": lambda m, x: m.argmax(x), "all": lambda m, x: m.all(x, 1),
    "any": lambda m, x: m.any(x), "count_nonzero": lambda m, x: m.count_nonzero(x, 0),
    "logsumexp": lambda m, x: m.logsumexp(x, 1), "mean-dtype": lambda m, x: m.mean(x, 1, dtype=m.float64),
    "cumsum-dtype": lambda m, x: m.cumsum(x, 0, dtype=m.float32),
}


@pytest.mark.parametrize("dtype", ["int32", "int64", "uint8", "bool"])
@pytest.mark.parametrize("case", INT_CASES)
def test_integer_inputs_give_torch_dtypes(case, dtype):
    a = np.array([[1, 0, 3], [2, 2, 1]]).astype(dtype)
    try:
        t = INT_CASES[case](torch, torch.from_numpy(a))
    except RuntimeError:  # argmax of bools: refused by both
        with pytest.raises(ember.EmberError, match=case):
            INT_CASES[case](ember, ember.from_numpy(a))
        return
    e = INT_CASES[case](ember, ember.from_numpy(a))
    e, t = (e, t) if isinstance(t, torch.Tensor) else (tuple(e), tuple(t))
    for eo, to in zip(e if isinstance(e, tuple) else [e], t if isinstance(t, tuple) else [t]):
        assert eo.dtype.name == str(to.dtype).replace("torch.", ""), f"{case}: {eo.dtype} vs {to.dtype}"
        close(eo, to)


# --- ties, zeros and second derivatives ---------------------------------------------------

TIES = np.array([[1.0, 3.0, 3.0, -2.0], [0.5, 0.5, 0.5, 0.5], [-1.0, 4.0, 2.0, 4.0]])


@pytest.mark.parametrize("call", [
    lambda m, x: m.max(x), lambda m, x: m.min(x), lambda m, x: m.amax(x, 1), lambda m, x: m.amin(x, (0, 1)),
    lambda m, x: m.max(x, 1).values, lambda m, x: m.min(x, 0, True).values, lambda m, x: m.norm(x, math.inf, 1),
], ids=["max", "min", "amax-dim", "amin-all", "max-dim", "min-dim", "norm-inf"])
def test_ties_share_the_gradient_like_torch(call):
    (e, t) = pair(TIES)
    ey, ty = call(ember, e), call(torch, t)
    close(ey, ty)
    w = np.random.default_rng(0).standard_normal(tuple(ty.shape))
    (ey * ember.from_numpy(w)).sum().backward()
    (ty * torch.from_numpy(w)).sum().backward()
    close(e.grad, t.grad)


ZEROS = [
    np.array([[2.0, 0.0, 3.0, -1.5], [1.5, -2.0, 0.5, 3.0], [0.0, 1.5, 0.0, 2.0]]),  # one, none, two zeros
    np.array([[0.0, 0.0, 0.0], [0.0, 2.0, -3.0]]),
]
ZERO_CALLS = {
    "prod": lambda m, x: m.prod(x), "prod-dim": lambda m, x: m.prod(x, 1),
    "prod-dim0-keepdim": lambda m, x: m.prod(x, 0, True), "cumprod": lambda m, x: m.cumprod(x, 1),
    "cumprod-dim0": lambda m, x: m.cumprod(x, 0), "prod-row": lambda m, x: m.prod(x[0]),
}


@pytest.mark.parametrize("k", range(len(ZEROS)))
@pytest.mark.parametrize("case", ZERO_CALLS)
def test_zeros_first_and_second_derivatives_match_torch(case, k):
    e, t = pair(ZEROS[k])
    ey, ty = ZERO_CALLS[case](ember, e), ZERO_CALLS[case](torch, t)
    close(ey, ty)
    w = np.random.default_rng(1).standard_normal(tuple(ty.shape))
    eg, = ember.autograd.grad((ey * ember.from_numpy(w)).sum(), e, create_graph=True)
    tg, = torch.autograd.grad((ty * torch.from_numpy(w)).sum(), t, create_graph=True)
    close(eg, tg)
    assert np.isfinite(eg.detach().numpy()).all()
    v = np.random.default_rng(2).standard_normal(ZEROS[k].shape)
    egg, = ember.autograd.grad((eg * ember.from_numpy(v)).sum(), e, allow_unused=True)
    tgg, = torch.autograd.grad((tg * torch.from_numpy(v)).sum(), t, allow_unused=True)
    close(egg if egg is not None else np.zeros(v.shape), tgg if tgg is not None else np.zeros(v.shape))


def test_long_cumprod_with_zeros_first_order():
    a = np.random.default_rng(3).uniform(0.9, 1.1, (3, 2000))
    a[0, 10] = a[1, 1500] = a[1, 1700] = 0.0
    e, t = pair(a)
    w = np.random.default_rng(4).standard_normal(a.shape)
    (e.cumprod(1) * ember.from_numpy(w)).sum().backward()
    (t.cumprod(1) * torch.from_numpy(w)).sum().backward()
    close(e.grad, t.grad, rtol=1e-9, atol=1e-12)
    (e.prod(1) * 1.0).sum().backward()
    assert np.isfinite(e.grad.numpy()).all()


@pytest.mark.parametrize("p", [2, "fro", 1, 3, 0.5, 1.5, math.inf, -math.inf, 0])
def test_norm_gradient_at_zero_is_torchs(p):
    a = np.zeros((2, 3))
    a[1] = [1.0, -2.0, 0.5]
    e, t = pair(a)
    ey, ty = e.norm(p, 1), t.norm(p, 1)
    close(ey, ty)
    ey.sum().backward()
    ty.sum().backward()
    tg = t.grad if t.grad is not None else torch.zeros(2, 3)
    eg = e.grad if e.grad is not None else np.zeros((2, 3))
    close(eg, tg)
    assert not np.isnan(np.asarray(eg)).any()


def test_std_gradient_of_a_constant_is_zero_like_torch():
    e, t = pair(np.full((2, 4), 0.5))
    e.std(1).sum().backward()
    t.std(1).sum().backward()
    close(e.grad, t.grad)


# --- stability --------------------------------------------------------------------------

@pytest.mark.parametrize("rows", [
    [[1e4, 1e4, 1e4 - 1.0]], [[-1e4, -1e4, 5.0]], [[1e4, -1e4, 0.0]],
    [[-np.inf, 3.0, -1e4]], [[-np.inf, -np.inf, -1e4]], [[1e4, -np.inf, 1e4]],
])
def test_logsumexp_is_finite_at_1e4_and_with_minus_inf(rows):
    e, t = pair(np.array(rows, np.float32))
    ey, ty = e.logsumexp(1), t.logsumexp(1)
    assert np.isfinite(ey.detach().numpy()).all()
    close(ey, ty, rtol=1e-6, atol=1e-3)
    ey.sum().backward()
    assert np.isfinite(e.grad.numpy()).all()
    t64 = torch.tensor(rows, dtype=torch.float64, requires_grad=True)  # float32 torch rounds the softmax
    t64.logsumexp(1).sum().backward()
    close(e.grad, t64.grad, rtol=1e-5, atol=1e-6)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's log(0)
def test_logsumexp_of_all_minus_inf_is_minus_inf():
    e, t = pair(np.full((2, 3), -np.inf, np.float32))
    close(e.logsumexp(1), t.logsumexp(1))


def test_var_of_large_offsets_is_accurate():
    a = (np.float32(1e4) + np.random.default_rng(5).standard_normal(1000).astype(np.float32))
    e, t = pair(a)
    close(e.var(), t.var(), rtol=1e-3)
    close(e.std(), t.std(), rtol=1e-3)


# --- PyTorch's older keywords and positional forms -----------------------------------------------

@pytest.mark.parametrize("op", ["var", "std", "var_mean", "std_mean"])
@pytest.mark.parametrize("args,kwargs", [
    ((), {"unbiased": False}), ((), {"unbiased": True}), ((1,), {"unbiased": False, "keepdim": True}),
    ((1, False), {}), ((0, True, True), {}), ((True,), {}), ((False,), {}), ((1,), {"correction": 0}),
    (((0, 1),), {"correction": 2, "keepdim": True}), ((), {"correction": 1.5}),
])
def test_unbiased_and_correction_keywords(op, args, kwargs):
    e, t = pair(np.random.default_rng(6).standard_normal((4, 5)))
    ey, ty = getattr(ember, op)(e, *args, **kwargs), getattr(torch, op)(t, *args, **kwargs)
    for a, b in zip(ey if isinstance(ey, tuple) else [ey], ty if isinstance(ty, tuple) else [ty]):
        close(a, b)


def test_unbiased_false_is_correction_zero():
    x = ember.tensor([1.0, 2.0, 4.0])
    assert x.var(unbiased=False).item() == pytest.approx(x.var(correction=0).item())
    assert x.var().item() == pytest.approx(x.var(unbiased=True).item())
    with pytest.raises(ember.ArgumentError, match="unbiased= or correction="):
        x.var(unbiased=False, correction=0)


@pytest.mark.filterwarnings("ignore::UserWarning")  # torch's "degrees of freedom <= 0"
def test_var_with_too_few_elements_is_nan_or_inf_like_torch():
    for a in [np.array([1.5]), np.array([1.0, 2.0])]:
        e, t = pair(a)
        close(e.var(correction=len(a)), t.var(correction=len(a)))
        close(e.std(), t.std())


def test_dim_empty_tuple_means_all_dims():
    e, t = pair(np.arange(6.0).reshape(2, 3))
    close(e.sum(dim=()), t.sum(dim=()))
    close(e.amax(()), t.amax(()))
    close(ember.amax(e), torch.amax(t))


# --- Tensor methods ------------------------------------------------------------------------------

def test_tensor_methods():
    a = np.array([[1.0, 7.0, 3.0], [9.0, -2.0, 5.0]])
    e, t = pair(a, grad=False)
    assert e.sum().item() == t.sum().item() == 23.0
    assert isinstance(e.sum().item(), float)
    close(e.max(dim=1).values, t.max(dim=1).values)
    close(e.max(1, True).indices, t.max(1, True).indices)
    close(e.std(0, keepdim=True), t.std(0, keepdim=True))
    close(e.var(1), t.var(1))
    close(e.argmax(1, True), t.argmax(1, True))
    close(e.argmin(dim=0), t.argmin(dim=0))
    close(e.argmax(), t.argmax())
    close(e.prod(1), t.prod(1))
    close(e.amax((0, 1)), t.amax((0, 1)))
    close(e.amin(0, True), t.amin(0, True))
    close(e.logsumexp(1), t.logsumexp(1))
    close(e.norm(), t.norm())
    close(e.norm(p=1, dim=0), t.norm(p=1, dim=0))
    close(e.all(1), t.all(1))
    close(e.any(), t.any())
    close(e.cumsum(1), t.cumsum(1))
    close(e.cumprod(dim=0), t.cumprod(dim=0))
    close(e.count_nonzero(), t.count_nonzero())
    close(e.mean((0, 1), True), t.mean((0, 1), True))
    close(e.min(), t.min())


def test_inplace_scans():
    e, t = pair(np.array([[1.0, 2.0], [3.0, 4.0]]), grad=False)
    e.cumsum_(0)
    t.cumsum_(0)
    close(e, t)
    e.cumprod_(1)
    t.cumprod_(1)
    close(e, t)


def test_uint8_all_any_stay_uint8():
    a = np.array([[1, 0, 3], [2, 2, 1]], np.uint8)
    for op in ["all", "any"]:
        e, t = getattr(ember, op)(ember.from_numpy(a), 1), getattr(torch, op)(torch.from_numpy(a), 1)
        assert e.dtype == ember.uint8 and str(t.dtype) == "torch.uint8"
        close(e, t)
