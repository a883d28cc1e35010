"""Regression tests for what the public campaign (tests/fuzz_public.py) found in the newer names
(`from_file`, `geqrf`/`orgqr`/`ormqr`, `segment_reduce`, `histogramdd`, `igamma`, `slice_inverse`) and a
few older ops (`prelu`, `layer_norm`, `unique`, `norm` of one element): argument checks made before any
work, and values, dtypes and gradients as PyTorch gives them."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import ember
import ember.nn.functional as F

INF, NAN = math.inf, math.nan


def values(t):
    t = t.detach()
    return np.asarray((t.float() if str(t.dtype).endswith("bfloat16") else t).numpy(), np.float64)


def test_from_file_refuses_a_number_as_filename():
    with pytest.raises(ember.DTypeError, match="from_file: filename must be a str"):
        ember.from_file(0.5)
    with pytest.raises(TypeError):
        torch.from_file(0.5)


@pytest.mark.parametrize("shape", [(2, 0), (2, 0, 2), (1, 3, 0)])
def test_geqrf_of_an_empty_matrix(shape):
    a, tau = ember.geqrf(ember.zeros(shape))
    ta, ttau = torch.geqrf(torch.zeros(shape))
    assert tuple(a.shape) == tuple(ta.shape) and tuple(tau.shape) == tuple(ttau.shape)


@pytest.mark.parametrize("call,match", [
    (lambda L: L.orgqr(L.ones(2, 2), 0.5), "tau must be a Tensor"),
    (lambda L: L.orgqr(L.ones(3, 3), L.ones(3, dtype=L.float64)), "tau of dtype"),
    (lambda L: L.ormqr(L.ones(2, 3), L.ones(2), L.ones(2, 3, dtype=L.float64)), "other of dtype"),
    (lambda L: L.ormqr(L.ones(2, 3, dtype=L.float64), L.ones(2), L.ones(2, 3)), "tau of dtype"),
])
def test_orgqr_ormqr_check_tau_and_other(call, match):
    with pytest.raises(ember.EmberError, match=match):
        call(ember)
    with pytest.raises((TypeError, RuntimeError)):
        call(torch)


def test_memory_format_error_with_a_deeply_nested_list():
    deep = []
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(ember.ArgumentError, match="memory_format must be"):
        ember.ones_like(ember.ones(2), memory_format=deep)


def test_segment_reduce_refuses_a_non_string_reduce():
    with pytest.raises(ember.ArgumentError, match="segment_reduce: reduce must be one of"):
        ember.segment_reduce(ember.ones(2), {"a": 1}, lengths=ember.tensor([2]))


def test_histogramdd_non_finite_points_and_tensor_bins():
    for v in (-INF, NAN):
        x = [[v], [1.0]]
        with pytest.raises(ember.ArgumentError, match="histogramdd: dimension 0's range"):
            ember.histogramdd(ember.tensor(x), 2)
        with pytest.raises(RuntimeError, match="not finite"):
            torch.histogramdd(torch.tensor(x), 2)
    with pytest.raises(ember.DTypeError, match="bins"):
        ember.histogramdd(ember.ones(1, 1), ember.tensor([2]))
    with pytest.raises(TypeError):
        torch.histogramdd(torch.ones(1, 1), torch.tensor([2]))


@pytest.mark.parametrize("fn", ["igamma", "igammac"])
@pytest.mark.parametrize("a,b", [(((), "float32"), ((1, 2), "bfloat16")), (((), "bfloat16"), ((2,), "float16")),
                                 (((2,), "bfloat16"), ((), "float16")), (((), "bfloat16"), ((), "float16")),
                                 (((2,), "float16"), ((2,), "bfloat16")), (((), "float64"), ((2,), "float16"))])
def test_igamma_result_dtype_with_zero_dim_operands(fn, a, b):
    e = getattr(ember, fn)(ember.full(a[0], 1.5, dtype=getattr(ember, a[1])), ember.full(b[0], 0.5, dtype=getattr(ember, b[1])))
    t = getattr(torch, fn)(torch.full(a[0], 1.5, dtype=getattr(torch, a[1])), torch.full(b[0], 0.5, dtype=getattr(torch, b[1])))
    assert e.dtype.name == str(t.dtype).split(".")[1]
    np.testing.assert_allclose(values(e), values(t), rtol=1e-2)


def test_unique_of_bfloat16_with_a_nan():
    a = np.array([[-2.6, 0.35, -1.78, 0.54], [-2.9, -1.29, -0.26, 1.08], [0.1, -1.87, 2.62, 0.09],
                  [1.0, NAN, -1.48, 0.76]], np.float32)
    e = ember.unique(ember.tensor(a).to(ember.bfloat16), True, return_inverse=True, return_counts=True)
    t = torch.unique(torch.tensor(a).bfloat16(), True, return_inverse=True, return_counts=True)
    assert e[0].dtype is ember.bfloat16
    np.testing.assert_array_equal(values(e[0]), values(t[0]))
    np.testing.assert_array_equal(values(e[1]), values(t[1]))
    np.testing.assert_array_equal(values(e[2]), values(t[2]))


def test_prelu_weight_gradient_at_infinity():
    x = [INF, -INF, NAN, -2.0, 0.5, 0.0]
    xe, we = ember.tensor(x, dtype=ember.float64, requires_grad=True), ember.tensor([0.93], dtype=ember.float64,
                                                                                  requires_grad=True)
    xt, wt = torch.tensor(x, dtype=torch.float64, requires_grad=True), torch.tensor([0.93], dtype=torch.float64,
                                                                                    requires_grad=True)
    F.prelu(xe, we).sum().backward()
    TF.prelu(xt, wt).sum().backward()
    np.testing.assert_array_equal(values(we.grad), values(wt.grad))
    np.testing.assert_array_equal(values(xe.grad), values(xt.grad))


@pytest.mark.parametrize("xd,pd", [("float16", "float32"), ("bfloat16", "float32")])
def test_layer_norm_low_precision_input_with_float32_parameters(xd, pd):
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 3)), rng.standard_normal(3), rng.standard_normal(3)
    e = F.layer_norm(ember.tensor(x).to(getattr(ember, xd)), (3,), ember.tensor(w).to(getattr(ember, pd)),
                     ember.tensor(b).to(getattr(ember, pd)))
    t = TF.layer_norm(torch.tensor(x).to(getattr(torch, xd)), (3,), torch.tensor(w).to(getattr(torch, pd)),
                      torch.tensor(b).to(getattr(torch, pd)))
    assert e.dtype.name == xd
    np.testing.assert_allclose(values(e), values(t), rtol=2e-2, atol=2e-2)


@pytest.mark.parametrize("xd,pd", [("float32", "float64"), ("float64", "float32"), ("float16", "bfloat16"),
                                   ("float32", "float16")])
def test_layer_norm_refuses_other_parameter_dtypes(xd, pd):
    with pytest.raises(ember.DTypeError, match="layer_norm: weight and bias"):
        F.layer_norm(ember.ones(2, 3, dtype=getattr(ember, xd)), (3,), ember.ones(3, dtype=getattr(ember, pd)))
    with pytest.raises(RuntimeError, match="mixed dtype"):
        TF.layer_norm(torch.ones(2, 3, dtype=getattr(torch, xd)), (3,), torch.ones(3, dtype=getattr(torch, pd)))


def test_slice_inverse_connects_src_with_a_zero_gradient():
    rng = np.random.default_rng(1)
    x, s = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    s[0, 0] = INF
    xe, se = ember.tensor(x, requires_grad=True), ember.tensor(s, requires_grad=True)
    xt, st = torch.tensor(x, requires_grad=True), torch.tensor(s, requires_grad=True)
    oe, ot = ember.slice_inverse(xe, se), torch.slice_inverse(xt, st)
    np.testing.assert_array_equal(values(oe), values(ot))
    oe.sum().backward()
    ot.sum().backward()
    np.testing.assert_array_equal(values(se.grad), values(st.grad))
    np.testing.assert_array_equal(values(xe.grad), values(xt.grad))


@pytest.mark.parametrize("dt", ["float32", "bfloat16", "float64"])
@pytest.mark.parametrize("p", [2.0, 1.0, 3.0, 0.5, INF, 0.0])
def test_norm_of_one_element_is_its_absolute_value(dt, p):
    x = [[1e20, 2.0], [-3.0, 0.0]]
    e = ember.tensor(x).to(getattr(ember, dt))
    t = torch.tensor(x).to(getattr(torch, dt))
    for dim in (None, 0, 1):
        one_e, one_t = (e[:1, :1], t[:1, :1]) if dim is None else (e[:1], t[:1])
        np.testing.assert_allclose(values(one_e.norm(p, 0 if dim is not None else None)),
                                   values(one_t.norm(p, 0 if dim is not None else None)), rtol=1e-2)


def test_cosine_similarity_of_bfloat16_along_a_dim_of_one():
    a = [[1e20, -0.556, 2.82, -1.99]]
    b = [[-2.33, 0.467, 2.99, 0.223]]
    e = ember.cosine_similarity(ember.tensor(a).to(ember.bfloat16), ember.tensor(b).to(ember.bfloat16), dim=-2)
    t = torch.cosine_similarity(torch.tensor(a).bfloat16(), torch.tensor(b).bfloat16(), dim=-2)
    np.testing.assert_array_equal(values(e), values(t))


@pytest.mark.parametrize("kw", [{"dim": True}, {"start": 1.5}, {"end": True}, {"dim": (0, 1)}, {"step": 2.0}])
def test_slice_inverse_checks_the_slice_arguments_types(kw):
    with pytest.raises(ember.DTypeError, match="slice_inverse"):
        ember.slice_inverse(ember.ones(2, 2), ember.ones(2, 2), **kw)
    with pytest.raises(TypeError):
        torch.slice_inverse(torch.ones(2, 2), torch.ones(2, 2), **kw)


@pytest.mark.parametrize("vd,bd", [("int32", "float32"), ("float32", "float16"), ("float16", "bfloat16"),
                                   ("int64", "float32")])
def test_bucketize_compares_in_the_common_dtype(vd, bd):
    v, b = [16777217, 1, 3], [1.0001, 16777216.0, 16777218.0]
    for right in (False, True):
        e = ember.bucketize(ember.tensor(v).to(getattr(ember, vd)), ember.tensor(b).to(getattr(ember, bd)), right=right)
        t = torch.bucketize(torch.tensor(v).to(getattr(torch, vd)), torch.tensor(b).to(getattr(torch, bd)), right=right)
        np.testing.assert_array_equal(values(e), values(t))


@pytest.mark.parametrize("shape", [(3, 0, 1), (0, 1), (2, 1, 0), (2, 0, 0)])
def test_lu_of_empty_matrices(shape):
    e = ember.lu(ember.zeros(shape), True, True)
    t = torch.linalg.lu_factor_ex(torch.zeros(shape))
    for a, b in zip(e, t):
        assert tuple(a.shape) == tuple(b.shape) and a.dtype.name == str(b.dtype).split(".")[1]


@pytest.mark.parametrize("kw", [{"max_norm": (1, 2)}, {"max_norm": 1.0, "norm_type": "a"}])
def test_embedding_checks_max_norm_and_norm_type(kw):
    with pytest.raises(ember.DTypeError, match="embedding: (max_norm|norm_type) must be a number"):
        F.embedding(ember.tensor([0]), ember.ones(2, 2), **kw)
    with pytest.raises(TypeError):
        TF.embedding(torch.tensor([0]), torch.ones(2, 2), **kw)



def test_det_gradient_with_one_large_entry():
    a = np.array([[2.3113422, 2.3076458, 0.17648573, 0.05267125], [2.0958242, 1.7454718, 0.49999651, -1.9416039],
                  [2.3829172, 0.19742791, 1.8821839, 1.1782796], [2.9456058, -0.47649112, 1e20, -0.68519485]],
                 np.float32)
    e, t = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    ember.det(e).backward()
    torch.det(t).backward()
    np.testing.assert_allclose(values(e.grad), values(t.grad), rtol=1e-3)


def test_binomial_broadcasts_and_refuses_mixed_dtypes_as_torch():
    count, prob = np.full((3, 2), 4.0), np.ones(2)
    got = ember.binomial(ember.tensor(count), ember.tensor(prob))
    want = torch.binomial(torch.tensor(count), torch.tensor(prob))
    assert tuple(got.shape) == tuple(want.shape) and str(got.dtype).split(".")[1] == str(want.dtype).split(".")[1]
    np.testing.assert_array_equal(got.numpy(), want.numpy())  # prob 1: every trial succeeds
    with pytest.raises(RuntimeError):
        torch.binomial(torch.ones(2), torch.ones(0, 3))
    with pytest.raises(ember.ShapeError):
        ember.binomial(ember.ones(2), ember.ones(0, 3))
    with pytest.raises(RuntimeError):
        torch.binomial(torch.ones(3, dtype=torch.float64), torch.ones(3, dtype=torch.float16))
    with pytest.raises(ember.DTypeError):
        ember.binomial(ember.ones(3, dtype=ember.float64), ember.ones(3, dtype=ember.float16))


def test_index_add_of_integers_with_a_float_alpha_truncates_as_torch():
    idx, src = [0, 2, 0], [1, 3, 2]
    got = ember.index_add(ember.zeros(3, dtype=ember.uint8), 0, ember.tensor(idx), ember.tensor(src, dtype=ember.uint8),
                          alpha=2.5)
    want = torch.index_add(torch.zeros(3, dtype=torch.uint8), 0, torch.tensor(idx), torch.tensor(src, dtype=torch.uint8),
                           alpha=2.5)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
