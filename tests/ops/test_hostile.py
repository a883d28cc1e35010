"""Regression tests for hostile arguments: each example a fuzz campaign found, against PyTorch
(values, dtypes, or PyTorch refusing too) or, where ember refuses on purpose, an ember error."""
import math
import warnings

import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F
import torch.nn.functional as TF


def same(e, t, tol=1e-5):
    """ember result `e` equals torch result `t`: shape, dtype and values (NaN equal)."""
    assert tuple(e.shape) == tuple(t.shape)
    assert e.dtype.name == str(t.dtype).split(".")[1]
    a = np.asarray(e.detach().__array__(), np.float64) if e.dtype is not ember.bfloat16 else \
        np.asarray(e.detach().float().__array__(), np.float64)
    b = t.detach().double().numpy()
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol, equal_nan=True)


def both(fn_e, fn_t, tol=1e-5):
    same(fn_e(ember), fn_t(torch), tol)


def deep(n):
    out = []
    for _ in range(n):
        out = [out]
    return out


# --- dtypes of results ---------------------------------------------------------------

@pytest.mark.parametrize("dt", ["uint8", "int8", "int16"])
def test_cumsum_with_a_small_integer_dtype_keeps_it(dt):
    both(lambda m: m.cumsum(m.ones(3), 0, dtype=getattr(m, dt)), lambda m: m.cumsum(m.ones(3), 0, dtype=getattr(m, dt)))
    both(lambda m: m.cumprod(m.ones(3) * 2, 0, dtype=getattr(m, dt)),
         lambda m: m.cumprod(m.ones(3) * 2, 0, dtype=getattr(m, dt)))


def test_python_float_as_dtype_means_float64():
    both(lambda m: m.ones(2, dtype=float), lambda m: m.ones(2, dtype=float))
    both(lambda m: m.tensor([1.5]).to(float), lambda m: m.tensor([1.5]).to(float))


def test_clamp_of_integers_with_a_float_bound_is_the_default_float():
    both(lambda m: m.clamp(m.tensor([-2, 3], dtype=m.int8), min=0.0),
         lambda m: m.clamp(m.tensor([-2, 3], dtype=m.int8), min=0.0))
    both(lambda m: m.clamp(m.tensor([-2.0, 3.0], dtype=m.bfloat16), min=0.5, max=1.0),
         lambda m: m.clamp(m.tensor([-2.0, 3.0], dtype=m.bfloat16), min=0.5, max=1.0))


def test_square_of_bool_is_int64():
    both(lambda m: m.square(m.tensor([True, False])), lambda m: m.square(m.tensor([True, False])))


def test_integer_addmm_and_addcmul_truncate_a_float_coefficient():
    i = lambda m: m.ones(2, 2, dtype=m.int64)  # noqa: E731
    both(lambda m: m.addmm(i(m), i(m), i(m), alpha=1.5), lambda m: m.addmm(i(m), i(m), i(m), alpha=1.5))
    both(lambda m: m.addcmul(i(m)[0], i(m)[0], i(m)[0], value=1.5),
         lambda m: m.addcmul(i(m)[0], i(m)[0], i(m)[0], value=1.5))


def test_bfloat16_normalization_keeps_bfloat16():
    x = np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32)

    def run(m, f):
        t = m.from_numpy(x.copy()).to(m.bfloat16)
        return [f.layer_norm(t, (6,)), f.group_norm(t, 2), f.batch_norm(t, None, None, training=True),
                f.normalize(t), m.norm(t)]
    for e, t in zip(run(ember, F), run(torch, TF)):
        same(e, t, tol=3e-2)


def test_add_with_alpha_computes_in_the_result_dtype():
    both(lambda m: m.add(m.ones(3, dtype=m.float16), m.ones(3, dtype=m.int32), alpha=2.0),
         lambda m: m.add(m.ones(3, dtype=m.float16), m.ones(3, dtype=m.int32), alpha=2.0))


# --- Python scalars at their own precision ------------------------------------------

@pytest.mark.parametrize("dt", ["float16", "bfloat16"])
@pytest.mark.parametrize("op", ["mul", "add", "div", "sub"])
def test_python_scalar_keeps_its_precision_with_half_tensors(dt, op):
    f = {"mul": lambda x: x * 1e-8, "add": lambda x: x + 1e-3, "div": lambda x: x / 3.0000001,
         "sub": lambda x: 1e-4 - x}[op]
    both(lambda m: f(m.full((3,), 1000.0, dtype=getattr(m, dt))), lambda m: f(m.full((3,), 1000.0, dtype=getattr(m, dt))),
         tol=0)


# --- reductions and semantics ------------------------------------------------------------

def test_max_with_a_tensor_dim_reduces():
    x = [[1.0, 5.0], [3.0, 2.0]]
    e, t = ember.max(ember.tensor(x), dim=ember.tensor(0)), torch.max(torch.tensor(x), dim=torch.tensor(0))
    same(e.values, t.values)
    same(e.indices, t.indices)
    both(lambda m: m.max(m.tensor(x), m.tensor(2.5)), lambda m: m.max(m.tensor(x), m.tensor(2.5)))


def test_tensor_where_method_takes_self_as_the_values():
    both(lambda m: m.tensor([1.0, 2.0, 3.0]).where(m.tensor([True, False, True]), m.tensor(0.0)),
         lambda m: m.tensor([1.0, 2.0, 3.0]).where(m.tensor([True, False, True]), m.tensor(0.0)))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cosine_similarity_broadcasts_inputs_of_different_ranks(dim):
    a = np.random.default_rng(1).standard_normal((2, 3, 4))
    b = np.random.default_rng(2).standard_normal((3, 4))
    same(F.cosine_similarity(ember.from_numpy(a), ember.from_numpy(b), dim=dim),
         TF.cosine_similarity(torch.from_numpy(a), torch.from_numpy(b), dim=dim))
    same(F.cosine_similarity(ember.from_numpy(b), ember.from_numpy(a), dim=dim),
         TF.cosine_similarity(torch.from_numpy(b), torch.from_numpy(a), dim=dim))


def test_adaptive_avg_pool_keeps_finite_bins_finite_next_to_an_inf():
    x = [[[math.inf, 1.0, 2.0, 3.0, 4.0]]]
    same(F.adaptive_avg_pool1d(ember.tensor(x), 2), TF.adaptive_avg_pool1d(torch.tensor(x), 2))
    x2 = np.arange(25.0, dtype=np.float32).reshape(1, 1, 5, 5)
    x2[0, 0, 0, 0] = np.inf
    same(F.adaptive_avg_pool2d(ember.from_numpy(x2.copy()), 2), TF.adaptive_avg_pool2d(torch.from_numpy(x2.copy()), 2))


def test_std_and_var_do_not_overflow_in_float32():
    both(lambda m: m.std(m.tensor([1e20, 0.0, 1.0])), lambda m: m.std(m.tensor([1e20, 0.0, 1.0])), tol=1e-5)
    both(lambda m: m.var(m.tensor([1e18, 0.0, 1.0])), lambda m: m.var(m.tensor([1e18, 0.0, 1.0])), tol=1e-5)


@pytest.mark.parametrize("legacy", [dict(size_average=True), dict(size_average=False), dict(reduce=False),
                                    dict(size_average=False, reduce=True), dict(reduce=True)])
def test_kl_div_with_the_legacy_reduction_arguments(legacy):
    inp, tgt = [[-1.0, -2.0], [-0.5, -1.0]], [[0.3, 0.7], [0.5, 0.5]]
    with warnings.catch_warnings(action="ignore"):  # PyTorch warns that the arguments are deprecated
        t = TF.kl_div(torch.tensor(inp), torch.tensor(tgt), **legacy)
    same(F.kl_div(ember.tensor(inp), ember.tensor(tgt), **legacy), t)


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_bfloat16_softmax_accumulates_in_float32(fn):
    x = np.random.default_rng(3).uniform(-1, 1, 20000).astype(np.float32)
    e = getattr(ember, fn)(ember.from_numpy(x.copy()).to(ember.bfloat16), 0)
    t = getattr(torch, fn)(torch.from_numpy(x.copy()).to(torch.bfloat16), 0)
    same(e, t, tol=1e-2)
    if fn == "softmax":
        assert abs(float(e.float().sum()) - 1) < 0.05


def test_multinomial_without_replacement_draws_zero_probability_categories_last():
    out = ember.multinomial(ember.tensor([1.0, 0.0, 0.0]), 2)
    assert out.tolist()[0] == 0 and out.tolist()[1] in (1, 2)
    assert torch.multinomial(torch.tensor([1.0, 0.0, 0.0]), 2).tolist()[0] == 0
    with pytest.raises(ember.ArgumentError):
        ember.multinomial(ember.tensor([1.0, 0.0, 0.0]), 4)


def test_sort_argsort_topk_on_rank_above_32():
    x = np.random.default_rng(4).standard_normal((1,) * 33 + (3,))
    both(lambda m: m.sort(m.from_numpy(x.copy()))[0], lambda m: m.sort(m.from_numpy(x.copy()))[0])
    both(lambda m: m.argsort(m.from_numpy(x.copy())), lambda m: m.argsort(m.from_numpy(x.copy())))
    both(lambda m: m.topk(m.from_numpy(x.copy()), 2)[0], lambda m: m.topk(m.from_numpy(x.copy()), 2)[0])


def test_moveaxis_on_a_0d_tensor():
    both(lambda m: m.moveaxis(m.tensor(1.5), 0, 0), lambda m: m.moveaxis(m.tensor(1.5), 0, 0))
    both(lambda m: m.movedim(m.tensor(1.5), -1, 0), lambda m: m.movedim(m.tensor(1.5), -1, 0))


def test_indexing_with_a_range():
    both(lambda m: m.arange(6)[range(1, 5, 2)], lambda m: m.arange(6)[range(1, 5, 2)])

    def assign(m):
        x = m.zeros(5)
        x[range(3)] = 1.0
        return x
    both(assign, assign)


def test_format_of_a_0d_tensor():
    assert f"{ember.tensor(1.5):.2f}" == f"{torch.tensor(1.5):.2f}" == "1.50"
    assert format(ember.tensor(3), "d") == format(torch.tensor(3), "d")
    with pytest.raises(ember.DTypeError):
        format(ember.tensor([1.5]), ".2f")
    assert round(ember.tensor(1.55), 1).item() == pytest.approx(torch.round(torch.tensor(1.55), decimals=1).item())
    assert round(ember.tensor(2.5)).item() == torch.round(torch.tensor(2.5)).item()


def test_bitwise_ops_with_numpy_scalars():
    both(lambda m: m.tensor([3, 5]) & np.int64(1), lambda m: m.tensor([3, 5]) & np.int64(1))
    both(lambda m: m.tensor([3, 5]) ^ np.int64(6), lambda m: m.tensor([3, 5]) ^ np.int64(6))
    with pytest.raises(ember.DTypeError):
        ember.tensor([3, 5]) & np.float32(1.0)


# --- NaN conventions -----------------------------------------------------------------------

def test_sign_of_nan_is_zero():
    both(lambda m: m.sign(m.tensor([math.nan, -2.0, 0.0])), lambda m: m.sign(m.tensor([math.nan, -2.0, 0.0])))


@pytest.mark.parametrize("fn", ["relu", "max", "min", "elu", "abs", "clamp"])
def test_gradients_at_nan_like_torch(fn):
    def grad(m):
        x = m.tensor([math.nan, 1.0, -1.0, math.nan], requires_grad=True)
        y = {"relu": lambda: m.relu(x).sum(), "max": lambda: m.max(x), "min": lambda: m.min(x),
             "elu": lambda: (TF if m is torch else F).elu(x).sum(), "abs": lambda: x.abs().sum(),
             "clamp": lambda: x.clamp(0.0, 0.5).sum()}[fn]()
        y.backward()
        return x.grad
    both(grad, grad)


def test_prelu_gradients_at_nan():
    def grads(m, f):
        x = m.tensor([math.nan, 1.0, -1.0], requires_grad=True)
        w = m.tensor([0.25], requires_grad=True)
        f.prelu(x, w).sum().backward()
        return x.grad, w.grad
    for e, t in zip(grads(ember, F), grads(torch, TF)):
        same(e, t)


# --- leniency refused --------------------------------------------------------------------

def test_assigning_a_grad_of_the_wrong_shape_or_type_is_refused():
    x = ember.ones(3, requires_grad=True)
    with pytest.raises(ember.ShapeError, match="shape"):
        x.grad = ember.ones(4)
    with pytest.raises(ember.DTypeError):
        x.grad = ember.ones(3, dtype=ember.float64)
    with pytest.raises(ember.DTypeError):
        x.grad = [1.0, 2.0, 3.0]
    with pytest.raises(RuntimeError):
        torch.ones(3, requires_grad=True).grad = torch.ones(4)
    x.grad = ember.full((3,), 2.0)
    assert x.grad.tolist() == [2.0, 2.0, 2.0]


def test_integer_data_on_a_tensor_that_requires_grad_is_refused():
    with pytest.raises(ember.DTypeError):
        ember.ones(3, requires_grad=True).data = ember.ones(3, dtype=ember.int64)
    with pytest.raises(RuntimeError):
        torch.ones(3, requires_grad=True).data = torch.ones(3, dtype=torch.int64)


@pytest.mark.parametrize("fn", ["prod", "sum", "cumsum"])
def test_integer_result_of_a_tensor_that_requires_grad_is_refused(fn):
    args = (0,) if fn == "cumsum" else ()
    with pytest.raises(RuntimeError):
        getattr(torch, fn)(torch.ones(3, requires_grad=True), *args, dtype=torch.int64)
    with pytest.raises(ember.DTypeError, match="requires grad"):
        getattr(ember, fn)(ember.ones(3, requires_grad=True), *args, dtype=ember.int64)
    with ember.no_grad():
        assert getattr(ember, fn)(ember.ones(3, requires_grad=True), *args, dtype=ember.int64).dtype is ember.int64


@pytest.mark.parametrize("call", [
    lambda m: m.sum(m.ones(2, 2), 0, keepdim=1),
    lambda m: m.sum(m.ones(2, 2), 0, "yes"),
    lambda m: m.ones(2, requires_grad=1),
    lambda m: m.sort(m.ones(3), descending="no"),
    lambda m: m.exp(m.ones(2), foo=1),
    lambda m: m.ones(2).sum(bogus=True),
])
def test_non_bool_flags_and_unknown_keywords_raise_type_errors(call):
    with pytest.raises(TypeError):
        call(torch)
    with pytest.raises(ember.DTypeError):
        call(ember)


def test_requires_grad_attribute_must_be_a_bool():
    with pytest.raises(ember.DTypeError):
        ember.ones(2).requires_grad = "yes"


# --- validation before allocation, and no foreign exceptions -----------------------------------

@pytest.mark.parametrize("call, error", [
    (lambda: ember.add(ember.ones(2), [1.0, 2.0], alpha=10**18), ember.DTypeError),
    (lambda: ember.ones_like(1), ember.DTypeError),
    (lambda: ember.zeros_like("x"), ember.DTypeError),
    (lambda: ember.rand_like(None), ember.DTypeError),
    (lambda: ember.bernoulli(0), ember.DTypeError),
    (lambda: ember.randperm(3, generator=0.5), ember.DTypeError),
    (lambda: ember.rand(3, generator="x"), ember.DTypeError),
    (lambda: ember.ones(2).type_as(True), ember.DTypeError),
    (lambda: ember.eye(10**400), ember.ArgumentError),  # no int past 64 bits reaches an op
    (lambda: ember.eye(2.5), ember.DTypeError),
    (lambda: ember.logspace(0.0, 10**400, 5), ember.ArgumentError),
    (lambda: ember.linspace(-(10**400), 0.0, 5), ember.ArgumentError),
    (lambda: ember.ones(2, dtype=ember.ones(1)), ember.DTypeError),
    (lambda: ember.ones(2).to(5), ember.DTypeError),
    (lambda: ember.multinomial(ember.tensor([1.0, 0.0]), 1.5), ember.DTypeError),
    (lambda: ember.zeros(10**6, 10**6), ember.AllocationError),
    (lambda: ember.full((10**400,), 1.0), ember.EmberError),
])
def test_bad_arguments_of_functions_outside_the_registry_raise_ember_errors(call, error):
    with pytest.raises(error):
        call()


def test_error_messages_do_not_recurse_into_a_deeply_nested_list():
    nested = deep(3000)
    for call in (lambda: ember.tensor(nested), lambda: ember.ones(2) + nested, lambda: ember.sum(nested),
                 lambda: ember.sum(ember.ones(2), dim=nested), lambda: ember.ones(2, dtype=nested),
                 lambda: ember.zeros(nested)):
        with pytest.raises(ember.EmberError) as info:
            call()
        assert len(str(info.value)) < 600


def test_in_place_writes_into_read_only_or_broadcast_numpy_memory_are_refused():
    b = ember.from_numpy(np.broadcast_to(np.ones(3, np.float32), (2, 3)))
    with pytest.raises(ember.ArgumentError, match="read-only"):
        b.add_(1)
    with pytest.raises(ember.ArgumentError, match="read-only"):
        b[0] = 5.0
    a = np.ones(3, np.float32)
    a.setflags(write=False)
    with pytest.raises(ember.ArgumentError, match="read-only"):
        ember.from_numpy(a).mul_(2)
    assert (a == 1).all()
    with pytest.raises(RuntimeError):  # PyTorch refuses the broadcast case too
        torch.from_numpy(np.broadcast_to(np.ones(3, np.float32), (2, 3))).add_(1)


def test_setitem_with_a_value_of_the_wrong_shape_names_both_shapes():
    x = ember.ones(4, 5)
    with pytest.raises(ember.ShapeError, match=r"\(3,\)"):
        x[...] = ember.zeros(3)
    with pytest.raises(RuntimeError):
        torch.ones(4, 5)[...] = torch.zeros(3)
