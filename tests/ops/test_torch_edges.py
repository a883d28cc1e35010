"""Regression tests for the last mismatches with PyTorch the public campaign (tests/fuzz_public.py)
found: singular values cut by rcond, corrections past the sample size, float16 scalars PyTorch rounds,
interpolation from the nearer end, gradients through `where` and at domain edges, coefficients of 0,
ill-conditioned float32 factors, and argument checks made before anything runs. Each is checked
against PyTorch (or, for the float32 factors, against PyTorch in float64)."""
import math
import tracemalloc
import warnings

import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F
import torch.nn.functional as TF

INF, NAN = math.inf, math.nan


def lib_tensor(lib, value, dt, grad=False):
    t = lib.tensor(np.asarray(value, np.float64) if dt not in ("int64", "bool") else value,
                   dtype=lib.float64 if dt not in ("int64", "bool") else getattr(lib, dt))
    t = t.to(getattr(lib, dt))
    return t.requires_grad_(True) if grad else t


def same(e, t, tol=1e-5):
    """ember result `e` equals torch result `t`: shape, dtype and values (NaN equal)."""
    if t is None or e is None:
        assert e is None and t is None, (e, t)
        return
    assert tuple(e.shape) == tuple(t.shape)
    assert e.dtype.name == str(t.dtype).split(".")[1]
    a = e.detach().float() if e.dtype is ember.bfloat16 else e.detach()
    np.testing.assert_allclose(np.asarray(a.__array__(), np.float64), t.detach().double().numpy(), rtol=tol, atol=tol,
                               equal_nan=True)


def both(fn, *args, grad=True, tol=1e-5):
    """fn(lib, *tensors) for ember and torch from (value, dtype) pairs: the values, and the gradients of
    the float32/float64 leaves (of the first output's sum) agree."""
    out = {}
    for lib in (ember, torch):
        leaves = [lib_tensor(lib, v, d, grad and d in ("float32", "float64")) for v, d in args]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            y = fn(lib, *leaves)
            first = y[0] if isinstance(y, tuple) else y
            if grad and first.requires_grad:
                first.sum().backward()
        out[lib] = (y, [x.grad for x in leaves])
    (ey, eg), (ty, tg) = out[ember], out[torch]
    for e, t in zip(ey if isinstance(ey, tuple) else [ey], ty if isinstance(ty, tuple) else [ty]):
        same(e, t, tol)
    for e, t in zip(eg, tg):
        same(e, t, tol)


# --- pinverse: the singular values above rcond * the largest, and their gradient -------------------

@pytest.mark.parametrize("rcond", [NAN, 1.5, True, 1e-15, -1.0, 0.5])
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5)])
def test_pinverse_rcond_and_gradient(rcond, shape):
    a = np.random.default_rng(0).uniform(-3, 3, shape)
    both(lambda L, x: L.pinverse(x, rcond), (a, "float64"))


def test_pinverse_rank_deficient_gradient():
    rng = np.random.default_rng(1)
    a = rng.uniform(-1, 1, (4, 1)) @ rng.uniform(-1, 1, (1, 3))  # rank 1: one singular value kept
    both(lambda L, x: L.pinverse(x, 1e-6), (a, "float64"))


# --- var/std: a correction past the sample size, or NaN --------------------------------------------

@pytest.mark.parametrize("values, kw", [(NAN, {}), (2.0, {}), ([1.0, 2.0, 3.0], {"correction": 3}),
                                        ([[1.0, 2.0], [3.0, 5.0]], {"correction": 4}), ([1.0, NAN], {"correction": 2})])
@pytest.mark.parametrize("op", ["var", "std"])
def test_var_std_over_all_dims_without_degrees_of_freedom(op, values, kw):
    """PyTorch's gradient over all dims when n <= correction: inf, NaN where the element is the mean."""
    both(lambda L, x: getattr(L, op)(x, **kw), (values, "float64"))


@pytest.mark.parametrize("correction", [-10**18, -1, 0, 1])
def test_var_of_no_element_is_nan(correction):
    both(lambda L, x: L.var(x, correction=correction), (np.ones((4, 0, 2)), "float32"), grad=False)
    both(lambda L, x: L.var(x, dim=1, correction=correction), (np.ones((4, 0, 2)), "float32"), grad=False)


@pytest.mark.parametrize("correction", [NAN, 5, 3, 2.5, INF, -1.0])
@pytest.mark.parametrize("op", ["var", "std"])
def test_var_std_correction_edges(op, correction):
    both(lambda L, x: getattr(L, op)(x, dim=1, correction=correction), ([[1.0, 2, 3], [4, 5, 7]], "float64"))


# --- float16 scalars: rounded to the tensor's dtype first wherever PyTorch rounds them ----------------

@pytest.mark.parametrize("fn", [
    lambda L, x: L.sub(7e4, x), lambda L, x: L.add(7e4, x), lambda L, x: L.mul(7e4, x), lambda L, x: 7e4 * x,
    lambda L, x: x * 7e4, lambda L, x: L.floor_divide(-10**18, x), lambda L, x: 7e4 // x, lambda L, x: 7e4 % x,
    lambda L, x: 7e4 ** x, lambda L, x: 7e4 - x, lambda L, x: L.sub(x, 7e4), lambda L, x: 1e-8 / (x * 1e-4),
    lambda L, x: L.floor_divide(x, 1 / 7e4), lambda L, x: x * 1e-8, lambda L, x: L.div(x, 1e-5)])
@pytest.mark.parametrize("dt", ["float16", "bfloat16"])
def test_low_precision_scalars_as_pytorch(fn, dt):
    both(fn, ([0.5, 1.0, 3.0, -2.0], dt), grad=False, tol=1e-2)


# --- lerp and quantile: from the nearer end; the weight's and q's gradients ---------------------------

def test_lerp_from_the_nearer_end():
    both(lambda L, a, b, w: L.lerp(a, b, w), ([-INF, 1.0, 2.0, 1.0], "float64"), ([1.0, INF, 3.0, INF], "float64"),
         ([0.9, 0.2, -3.0, 0.3], "float64"))
    both(lambda L, a, b: L.lerp(a, b, 0.9), ([-INF, 1.0], "float32"), ([1.0, INF], "float32"))
    both(lambda L, a, b, w: L.lerp(a, b, w), (-0.998, "bfloat16"), (1.7247, "bfloat16"), (2.4904, "float32"),
         grad=False)  # 0-d operands: computed in the result dtype, float32
    both(lambda L, a, b, w: L.lerp(a, b, w), ([-2.03, 2.03], "float16"), ([INF, 1.58], "float16"),
         ([-1.75, -1.03], "float16"), grad=False, tol=1e-2)


@pytest.mark.parametrize("op", ["quantile", "nanquantile"])
def test_quantile_infinities_nans_and_q_gradient(op):
    x = [[[1.3, 0.89, 2.1]], [[-INF, -1.77, 1.83]], [[NAN, 1.0, 2.0]]]
    both(lambda L, a, q: getattr(L, op)(a, q, dim=-1), (x, "float32"), ([0.4374, 0.9], "float32"))
    both(lambda L, a: getattr(L, op)(a, 0.995), ([[-1.81], [-2.89], [INF]], "float32"))
    both(lambda L, a: getattr(L, op)(a, 0.9), (NAN, "float32"))  # all NaN: the gradient goes to the NaN


def test_where_gradient_is_a_true_zero():
    """The branch not taken gets 0 even where the gradient arriving is NaN or inf (not g * 0)."""
    both(lambda L, x, y: L.where(x > 0, x, 0.0) * y, ([1.0, -1.0, 2.0], "float64"), ([2.0, INF, NAN], "float64"))


# --- special values -------------------------------------------------------------------------------

def test_heaviside_nan_and_polygamma_at_inf():
    both(lambda L, a, b: L.heaviside(a, b), ([NAN, 0.0, -1.0], "float32"), ([-1.8, 2.0, 3.0], "float32"), grad=False)
    for n in range(6):
        both(lambda L, a: L.polygamma(n, a), ([INF, -INF, NAN, 1e30, -2.5, 0.5], "float64"), grad=False)


def test_cosine_similarity_clamped_norm_gradient():
    """PyTorch clamps the norms below by eps outside autograd: the gradient is the norm's."""
    both(lambda L, a, b: L.cosine_similarity(a, b, -1, eps=1.5), ([-0.4], "float64"),
         ([[-1.3, 2.39], [0.1, 0.2]], "float64"))
    both(lambda L, a, b: L.cosine_similarity(a, b), ([[INF, 1.0]], "float32"), ([[1.0, 1.0]], "float32"), grad=False)


def test_xlogy_and_kl_div_gradients():
    xs = [0.0, 0.0, 0.0, 0.0, 1.0, -1.0, 2.0, 0.0, NAN, 1.0]
    ys = [0.0, INF, -1.0, NAN, 0.0, 2.0, INF, 3.0, 1.0, -2.0]
    both(lambda L, x, y: L.xlogy(x, y), (xs, "float64"), (ys, "float64"))
    both(lambda L, x: L.xlogy(x, 3.0), (xs, "float32"))
    vals = [0.0768, 0.33, 1.7, 5.3, 0.011, 0.0, 2.0]
    for dt in ("bfloat16", "float16"):  # log(y) rounded to the dtype before the product, as PyTorch's kernel
        both(lambda L, x, y: L.xlogy(x, y), (vals, dt), (vals[::-1], dt), grad=False, tol=1e-6)
    both(lambda L, a, b: (TF if L is torch else F).kl_div(a, b, reduction="sum"), (-1.2074, "float64"),
         (0.0768, "bfloat16"), grad=False, tol=1e-7)
    for log_target, target in ((False, [0.0, -1.0, INF, NAN, -0.0, 1e-45, 1.0]), (True, [-INF, INF, NAN, 0.0, -1.0, 1, 2])):
        both(lambda L, a, b: (TF if L is torch else F).kl_div(a, b, reduction="sum", log_target=log_target),
             ([0.0, -INF, INF, 1.0, 2.0, 0.5, 1.0], "float32"), (target, "float32"))


@pytest.mark.parametrize("exponent", [0.5, -0.5, np.float32(0.5), 1.5, -1.5])
def test_pow_scalar_exponent_at_minus_inf(exponent):
    """PyTorch computes x ** 0.5 as sqrt and x ** -0.5 as rsqrt: NaN at -inf (C's pow gives inf, 0)."""
    both(lambda L, x: x ** exponent, ([-INF, 4.0, 0.0, 2.5], "float32"))


def test_hypot_slogdet_logcumsumexp_round_at_special_values():
    both(lambda L, a, b: L.hypot(a, b), ([3.0, 0.0, INF, -2.0, -INF], "float32"), ([4.0, 0.0, 1.0, NAN, NAN], "float32"))
    both(lambda L, a, b: L.hypot(a, b), ([1e20], "float32"), ([0.0], "float32"))
    bad = np.eye(4)
    bad[1, 2] = NAN
    both(lambda L, a: L.slogdet(a), ([bad, np.eye(4) * 2], "float32"), grad=False)
    for m in ([[INF, 0], [0, 1.0]], [[-INF, 0], [0, 1.0]], [[1, INF], [0, 1.0]], [[1, 2], [INF, 1.0]]):
        both(lambda L, a: L.slogdet(a), (m, "float64"), grad=False)
        both(lambda L, a: L.logdet(a), (m, "float64"), grad=False)
    both(lambda L, a: L.logcumsumexp(a, -1), (NAN, "float32"))
    for d in (-10**18, 10**18, 400, 30, -30, 2, -2):
        for dt in ("float16", "bfloat16", "float32", "float64"):
            both(lambda L, a: L.round(a, decimals=d), ([1.5, 2.25, -3.7, 1234.5678], dt), grad=False, tol=1e-6)


def test_linspace_logspace_as_pytorch():
    for lo, hi, n, dt in ((0.6, 4.7, 3, "int64"), (-0.29, 3.0, 4, "float16"), (0, 1, 5, "float32"), (2, 3, 1, "float64"),
                          (-1.5, 2.5, 7, "int32"), (0, 1, 0, "float32")):
        for op in ("linspace", "logspace"):
            both(lambda L, _: getattr(L, op)(lo, hi, n, dtype=getattr(L, dt)), (0.0, "float32"), grad=False,
                 tol=2e-2 if dt == "float16" else 1e-4)  # PyTorch computes float16 at its precision
    both(lambda L, e: L.linspace(-0.29, e, 2), (1e20, "float16"), grad=False)  # an inf end: NaN, as PyTorch
    both(lambda L, a, b: L.logspace(a, b, 2, dtype=L.int64), (0.6292, "float32"), (4, "int64"), grad=False)


def test_sizes_and_flags_as_pytorch():
    with pytest.raises(ember.EmberError):
        ember.full(ember.tensor([True, False, True]), 0.8)  # a tensor of sizes: PyTorch refuses it
    with pytest.raises(TypeError):
        torch.full(torch.tensor([True, False, True]), 0.8)
    with pytest.raises(ember.EmberError):
        ember.asarray(-0.5, copy=NAN)
    with pytest.raises(TypeError):
        torch.asarray(-0.5, copy=NAN)
    assert tuple(ember.zeros(ember.tensor(3)).shape) == tuple(torch.zeros(torch.tensor(3)).shape)


def test_matrix_exp_of_non_finite_matrices_is_nan():
    batch = [[[1.0, INF], [0.0, 1.0]], [[0.1, 0.2], [0.3, 0.4]]]
    both(lambda L, a: L.matrix_exp(a), (batch, "float64"), grad=False)
    both(lambda L, a: L.matrix_exp(a), ([[1.0, -INF], [0.0, 1.0]], "float16"), grad=False)


# --- dtypes and coefficients of 0 -------------------------------------------------------------------

@pytest.mark.parametrize("dts", [("int64", "bool", "float16"), ("bool", "bool", "bool"), ("int64", "bool", "bool"),
                                 ("float64", "int64", "int64"), ("int64", "int64", "float16")])
@pytest.mark.parametrize("coef", [{}, {"beta": 0}, {"beta": 2}, {"alpha": False}])
def test_addr_dtypes(dts, coef):
    vals = ([1, 0], [True, False], [1, 1]) if dts[0] == "bool" else ([-1, -2], [1, 0], [3, 1])
    if "alpha" in coef and dts != ("bool", "bool", "bool"):  # a bool alpha for a non-bool result: refused
        for lib in (ember, torch):
            with pytest.raises(TypeError if lib is ember else RuntimeError):
                lib.addr(*(lib_tensor(lib, v, d) for v, d in zip(vals, dts)), **coef)
        return
    both(lambda L, i, a, b: L.addr(i, a, b, **coef), *zip(vals, dts), grad=False, tol=1e-2)


@pytest.mark.parametrize("op, shapes", [("addmm", ((3, 4), (3, 2), (2, 4))), ("addmv", ((3,), (3, 2), (2,))),
                                        ("baddbmm", ((2, 3, 4), (2, 3, 2), (2, 2, 4))),
                                        ("addbmm", ((3, 4), (2, 3, 2), (2, 2, 4))), ("addr", ((3, 4), (3,), (4,)))])
def test_beta_zero_ignores_input_but_gives_it_a_zero_gradient(op, shapes):
    i, a, b = (np.full(s, NAN if k == 0 else 1.5) for k, s in enumerate(shapes))
    both(lambda L, x, y, z: getattr(L, op)(x, y, z, beta=0), (i, "float32"), (a, "float32"), (b, "float32"))


def test_index_fill_keeps_the_input_dtype():
    x = [[-3, 0, 0], [3, -2, 0]]
    for value in ([-1.3, "float16"], [-1.3, "float32"]):
        both(lambda L, a, i, v: L.index_fill(a, 1, i, v), (x, "int64"), (1, "int64"), tuple(value), grad=False)
    both(lambda L, a, i: L.index_fill(a, 1, i, -1.3), (x, "int64"), ([0, 2], "int64"), grad=False)
    both(lambda L, a, i, v: L.index_fill(a, 1, i, v) * 2, ([[1.0, 2], [3, 4]], "float64"), ([0], "int64"),
         (5.0, "float64"))


def test_empty_broadcasts_get_zero_gradients():
    both(lambda L, a, b: L.hypot(a, b), (np.zeros((1, 0)), "float64"), (NAN, "float64"))
    both(lambda L, a, b: L.cdist(a, b, p=0.0), (np.zeros((0, 3)), "float32"), ([[1.0, 2, 3]], "float32"))
    both(lambda L, a, b: L.cdist(a, b, p=0.0), (np.ones((2, 3)), "float32"), ([[1.0, 2, 3]], "float32"))
    both(lambda L, i, a, b: L.baddbmm(i, a, b), (np.zeros((2, 3, 4)), "float32"), (np.zeros((2, 3, 0)), "float32"),
         (np.zeros((2, 0, 4)), "float32"))


def test_cholesky_inverse_float32_is_computed_in_float64():
    """An ill-conditioned float32 factor: ember's answer is the float64 one rounded (PyTorch's float32
    LAPACK answer is off it by about cond(A) * 2**-24)."""
    low = np.array([[1.0, 0, 0], [2.34, -3.0, 0], [0.87, 1.55, 0.0235]], np.float32)
    for op in ("cholesky_inverse", "cholesky_solve"):
        args = (low,) if op == "cholesky_inverse" else (np.eye(3, dtype=np.float32), low)
        e = [ember.tensor(a, requires_grad=True) for a in args]
        t = [torch.tensor(a.astype(np.float64), requires_grad=True) for a in args]
        ye, yt = getattr(ember, op)(*e), getattr(torch, op)(*t)
        ye.sum().backward()
        yt.sum().backward()
        assert ye.dtype is ember.float32
        np.testing.assert_allclose(ye.detach().numpy(), yt.detach().numpy(), rtol=1e-5)
        np.testing.assert_allclose(e[-1].grad.numpy(), t[-1].grad.numpy(), rtol=1e-5)


# --- refusals made by a check before anything runs, as PyTorch refuses ---------------------------------

@pytest.mark.parametrize("call", [
    lambda L: L.gradient(L.ones(3, 2), spacing="a string"),
    lambda L: L.gradient(L.ones(3, 2), spacing={"a": 1}, dim=0),
    lambda L: L.logspace(-1.3, L.tensor(2.0), 1, [1.0, [2.0]]),
    lambda L: L.index_add(L.ones(1), 0, L.tensor([0]), -1.14),
    lambda L: L.tensor_split(L.tensor(0.0, dtype=L.bfloat16), ()),
    lambda L: L.frombuffer(bytearray(8), dtype=L.bool, offset=range(3)),
    lambda L: L.frombuffer(bytearray(8), dtype=L.int32, count=3),
    lambda L: L.frombuffer(bytearray(8), dtype=L.int32, offset=9),
    lambda L: (TF if L is torch else F).cross_entropy(L.zeros(4, 3), L.zeros(4, 3), ignore_index=0),
    lambda L: L.cdist(L.ones(2, 3, dtype=L.float64), L.ones(1, 3)),
    # accepted before, refused by PyTorch where its refusal protects the user
    lambda L: L.cholesky_inverse(L.ones(0, 4)),
    lambda L: L.histogram(L.ones(3, dtype=L.float16), L.tensor([0.0, 1.0, 2.0], dtype=L.float64)),
    lambda L: L.gradient(L.ones(4, 4, dtype=L.uint8)),
    lambda L: L.gradient(L.ones(4, 4, dtype=L.bool)),
    lambda L: L.gradient(L.ones(3), dim=(0, 0)),
    lambda L: L.chunk(L.ones(2), True),
    lambda L: L.unique_consecutive(L.ones(0, 4), dim=1),
    lambda L: L.full((3,), L.ones(1)),
    lambda L: L.full((3,), math.nan, dtype=L.uint8),
    lambda L: L.full((3,), 1e20, dtype=L.int64),
    lambda L: L.ones(3, 2, dtype=L.uint8).fill_(math.nan),
    lambda L: L.linspace(2, L.ones(1), 1),
    lambda L: L.logspace(L.ones(1, dtype=L.int32), 2.0, 2),
    lambda L: L.randperm(3, dtype=L.bool),
    lambda L: L.pow(L.tensor([True]), L.tensor([True])),
    lambda L: L.add(L.tensor(1.0, dtype=L.float64), L.ones(3, 4), alpha=True),
    lambda L: L.add(L.ones(2, dtype=L.uint8), L.ones(2, dtype=L.uint8), alpha=True),
    lambda L: (TF if L is torch else F).adaptive_avg_pool2d(L.ones(2, 4, 4), (2,)),
    lambda L: L.log_softmax(L.ones(2), 0, math.inf),  # torch.log_softmax: the dtype's place
    lambda L: L.take_along_dim(L.ones(4), (1, 2, 3)),
    lambda L: L.nonzero_static(L.ones(1, 3), size=True),
    lambda L: (TF if L is torch else F).huber_loss(L.ones(2), L.ones(2), delta={"a": 1}),
    lambda L: L.xlogy(L.ones(2, 4, dtype=L.uint8), L.ones(2)),
    lambda L: L.ones(3, dtype=L.uint8).where(L.tensor([True]), L.ones(4, 4, 4, dtype=L.int64)),
    lambda L: L.ones(2).lerp(L.ones(2), b"bytes"),
    lambda L: L.roll(L.ones(2), True),
    lambda L: L.ones(2).new_full(True, 0.2),
    lambda L: L.zeros(True),
    lambda L: L.trapz(L.ones(2, 4), x=L.ones(2, 4, dtype=L.bool)),
    lambda L: L.isin(True, L.ones(3)),
    lambda L: L.scalar_tensor(1.2, layout=[1]),
    lambda L: L.histogram(L.ones(3), 2, range={"a": 1}),
    lambda L: L.put(L.ones(2, 2), L.ones(2, 2, dtype=L.bool), L.ones(2, 2)),
    lambda L: L.split_with_sizes(L.tensor(1.0, dtype=L.bfloat16), ()),
    lambda L: L.ones(4, 3, 1, dtype=L.bool).masked_scatter(L.tensor([[1.0], [NAN], [0.0]]), L.tensor(True)),
])
def test_refused_before_running(call):
    with pytest.raises(Exception):
        call(torch)
    with pytest.raises(ember.EmberError):
        call(ember)


def test_accepted_as_pytorch():
    both(lambda L, a, b: L.isin(a, b, invert=True), (np.zeros((3, 2, 0)), "int64"), (np.zeros((3, 2, 0)), "bfloat16"),
         grad=False)
    both(lambda L, a, b: L.isin(a, b), ([1, 2], "int64"), ([1.0, 3.0], "bfloat16"), grad=False)
    both(lambda L, a, b: (TF if L is torch else F).cross_entropy(a, b, label_smoothing=0.5),
         (np.zeros((4, 0)), "float64"), (np.zeros((4, 0)), "float64"), grad=False)
    both(lambda L, a: L.pow(a, True), ([True, False], "bool"), grad=False)
    both(lambda L, a, b: L.add(a, b, alpha=True), ([True, False], "bool"), ([False, False], "bool"), grad=False)
    both(lambda L, a: L.full((2,), a), (1.5, "float32"), grad=False)  # a 0-d tensor as the value
    both(lambda L, a: L.unique(a, dim=0), (np.zeros((0, 4)), "float32"), grad=False)
    assert ember.frombuffer(bytearray(8), dtype=ember.int32, offset=4).tolist() == \
        torch.frombuffer(bytearray(8), dtype=torch.int32, offset=4).tolist()


@pytest.mark.parametrize("kw", [{"size": 10**29}, {"size": 10**12}, {"scale_factor": 1e12}, {"scale_factor": INF},
                                {"size": (2, 10**12)}])
@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_interpolate_huge_size_is_refused_before_allocating(kw, mode):
    x = ember.ones(1, 1, 3, 4)
    tracemalloc.start()
    try:
        with pytest.raises(ember.EmberError):
            F.interpolate(x, mode=mode, **kw)
        assert tracemalloc.get_traced_memory()[1] < 2**20
    finally:
        tracemalloc.stop()
