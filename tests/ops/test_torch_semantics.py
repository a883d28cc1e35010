"""Regression tests for the mismatches with PyTorch the public campaign (tests/fuzz_public.py) found:
result dtypes of mixed-precision and 0-d operands, gradients at domain edges, low-precision
binning, and counts that looped before they were checked. Each is checked against PyTorch."""
import itertools
import warnings

import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F
import torch.nn.functional as TF

DTYPES = ["bool", "uint8", "int32", "int64", "float16", "bfloat16", "float32", "float64"]
FLOATS = ["float16", "bfloat16", "float32", "float64"]


def pair(lib, value, dt):
    t = (ember if lib is ember else torch).tensor(value, dtype=getattr(lib, "float64"))
    return t.to(getattr(lib, dt))


def same(e, t, tol=1e-5):
    """ember result `e` equals torch result `t`: shape, dtype and values (NaN equal)."""
    assert tuple(e.shape) == tuple(t.shape)
    assert e.dtype.name == str(t.dtype).split(".")[1]
    a = np.asarray(e.detach().float().__array__() if e.dtype is ember.bfloat16 else e.detach().__array__(), np.float64)
    np.testing.assert_allclose(a, t.detach().double().numpy(), rtol=tol, atol=tol, equal_nan=True)


def grads(lib, fn, *values, dtypes=None):
    """fn(*leaves) summed and differentiated; the leaves' gradients (None where there is none)."""
    leaves = [lib.tensor(v, dtype=getattr(lib, d), requires_grad=True)
              for v, d in zip(values, dtypes or ["float64"] * len(values))]
    fn(lib, *leaves).sum().backward()
    return [x.grad for x in leaves]


def same_grads(fn, *values, dtypes=None):
    for e, t in zip(grads(ember, fn, *values, dtypes=dtypes), grads(torch, fn, *values, dtypes=dtypes)):
        assert (e is None) == (t is None)
        if e is not None:
            same(e, t)


# --- one result dtype for both operands (a 0-d tensor promotes like a scalar while it is 0-d) ------

@pytest.mark.parametrize("op", ["xlogy", "hypot", "ldexp", "copysign", "true_divide", "atan2"])
def test_float_valued_binary_ops_promote_as_pytorch(op):
    a, b = [0.5, -1.5, 2.0], [1.25, 0.75, -2.5]
    for da, db in itertools.product(DTYPES, DTYPES):
        for sa, sb in [(3, 3), (0, 3), (3, 0), (0, 0)]:
            x = [(a if sa else a[0]), (b if sb else b[0])]
            try:
                t = getattr(torch, op)(pair(torch, x[0], da), pair(torch, x[1], db))
            except RuntimeError:  # PyTorch refuses some integer or bool pairs
                continue
            e = getattr(ember, op)(pair(ember, x[0], da), pair(ember, x[1], db))
            same(e, t, tol=2e-2 if {da, db} & {"float16", "bfloat16"} else 1e-5)


def test_xlogy_with_a_python_float_keeps_its_fraction():
    same(ember.xlogy(ember.tensor([1, 2]), 2.5), torch.xlogy(torch.tensor([1, 2]), 2.5))


def test_hypot_does_not_overflow_in_the_square():
    same(ember.hypot(ember.tensor([1e20, 3.0]), ember.tensor([0.0, 4.0])),
         torch.hypot(torch.tensor([1e20, 3.0]), torch.tensor([0.0, 4.0])))


def test_integer_division_casts_each_operand_straight_to_float():
    # an int32 -1 with a uint8 tensor: uint8 is the integer result type, but the quotient is float32
    x, y = [0, 3, 200], -1
    for op in ("true_divide", "atan2", "copysign"):
        same(getattr(ember, op)(ember.tensor(x, dtype=ember.uint8), ember.tensor(y, dtype=ember.int32)),
             getattr(torch, op)(torch.tensor(x, dtype=torch.uint8), torch.tensor(y, dtype=torch.int32)))


def test_heaviside_keeps_integer_and_bool_dtypes():
    for dt in ("bool", "uint8", "int64"):
        x, v = [0, 1, 0, 3], [1, 0, 0, 2]
        same(ember.heaviside(pair(ember, x, dt), pair(ember, v, dt)), torch.heaviside(pair(torch, x, dt), pair(torch, v, dt)))


@pytest.mark.parametrize("fn", ["any", "all"])
def test_any_and_all_over_no_dims_keep_uint8(fn):
    x = [[0, 3], [1, 0]]
    same(getattr(ember, fn)(ember.tensor(x, dtype=ember.uint8), dim=()),
         getattr(torch, fn)(torch.tensor(x, dtype=torch.uint8), dim=()))


@pytest.mark.parametrize("op", ["lt", "le", "eq", "gt"])
def test_comparing_an_integer_tensor_with_an_int_outside_its_dtype_is_refused(op):
    # PyTorch wraps -10**18 into int32 first (and says int32(2) < -10**18); ember refuses, as for arithmetic
    with pytest.raises(ember.ArgumentError, match="cannot hold the Python int"):
        getattr(ember, op)(ember.tensor([2], dtype=ember.int32), -10**18)
    same(getattr(ember, op)(ember.tensor([2], dtype=ember.int32), 2**31 - 1),
         getattr(torch, op)(torch.tensor([2], dtype=torch.int32), 2**31 - 1))


# --- losses: PyTorch's output dtypes, and gradients past the quadratic zone -------------------------

@pytest.mark.parametrize("name", ["huber_loss", "soft_margin_loss", "binary_cross_entropy_with_logits",
                                  "smooth_l1_loss", "kl_div"])
def test_loss_dtypes_with_mixed_precision(name):
    warnings.filterwarnings("ignore")
    for da, db in itertools.product(FLOATS, FLOATS):
        for sa, sb in [((3,), (3,)), ((), ()), ((), (3,)), ((3,), ())]:
            x, y = np.linspace(-1.5, 2, 3).reshape(sa or ()) if sa else 0.7, np.full(sb, 0.25)
            try:
                t = getattr(TF, name)(pair(torch, x, da), pair(torch, y, db), reduction="none")
            except (RuntimeError, ValueError):
                continue
            if name == "soft_margin_loss" and sa != sb:
                continue  # ember asks for one shape there
            e = getattr(F, name)(pair(ember, x, da), pair(ember, y, db), reduction="none")
            same(e, t, tol=2e-2)


@pytest.mark.parametrize("name", ["huber_loss", "smooth_l1_loss"])
def test_losses_with_a_threshold_have_finite_gradients_for_huge_differences(name):
    x = [1e20, -np.inf, np.nan, 0.3, -4.0]
    same_grads(lambda m, a, b: getattr(F if m is ember else TF, name)(a, b, reduction="none"),
               x, [0.0] * 5, dtypes=["float32", "float32"])


# --- gradients at domain edges --------------------------------------------------------------------

def test_xlogy_gradients_where_x_is_zero():
    same_grads(lambda m, x, y: m.xlogy(x, y), [-0.0, 0.0, 1.0, 2.0, 0.0, 1.0], [2.5, -1.0, 0.5, np.inf, np.nan, -np.inf])


def test_copysign_gradients():
    same_grads(lambda m, x, y: m.copysign(x, y), [0.0, -0.0, 1.5, -2.0, np.nan, np.inf], [-1.0, 1.0, -1.0, 2.0, -1.0, -3.0])
    same_grads(lambda m, x: m.copysign(x, 2), [0.0, -0.0, 1.5])


def test_ldexp_gradients():
    same_grads(lambda m, x, e: m.ldexp(x, e), [[0.5, -2.0, 3.0]], [1.5], dtypes=["float32", "float64"])


@pytest.mark.parametrize("eps", [0.0, 0.1])
def test_logit_with_eps_at_and_beyond_the_bounds(eps):
    x = [-0.0, 0.0, 1.0, 0.5, -0.5, 1.5, 0.1, np.nan]
    same(ember.logit(ember.tensor(x), eps), torch.logit(torch.tensor(x), eps))
    same_grads(lambda m, v: m.logit(v, eps), x, dtypes=["float32"])


def test_slogdet_sign_alone_gives_no_gradient():
    a = np.array([[2.0, 1.0], [0.5, 3.0]])
    same_grads(lambda m, x: m.slogdet(x)[0], a)
    same_grads(lambda m, x: m.slogdet(x)[1] * 2, a)


def test_lgamma_of_minus_infinity_is_infinity():
    x = [-np.inf, -0.0, -1.0, -2.5, np.inf, np.nan]
    same(ember.lgamma(ember.tensor(x)), torch.lgamma(torch.tensor(x)))


# --- shapes, counts, low-precision binning -----------------------------------------------------------

@pytest.mark.parametrize("dt", DTYPES)
def test_vander_dtype_and_powers_of_inf_and_nan(dt):
    x = [0, 1.5, -2, np.inf, np.nan] if dt in FLOATS else [0, 1, 2, 3]
    for n, increasing in [(None, False), (0, False), (1, True), (4, True)]:
        same(ember.vander(pair(ember, x, dt), n, increasing), torch.vander(pair(torch, x, dt), n, increasing), tol=2e-2)


def test_vander_gradient():
    x = ember.tensor([0.0, 2.0, 3.0], requires_grad=True)
    ember.vander(x, 3).sum().backward()
    assert x.grad.tolist() == [1.0, 5.0, 7.0]  # d/dx (x**2 + x + 1)


@pytest.mark.parametrize("call", [lambda n: ember.tensor_split(ember.zeros(4), n),
                                  lambda n: F.adaptive_max_pool1d(ember.zeros(1, 1, 4), n)])
def test_a_huge_count_is_refused_before_any_loop(call):
    with pytest.raises(ember.AllocationError):
        call(2**62)
    with pytest.raises((ember.ArgumentError, ember.AllocationError)):  # past 64 bits: refused by either check
        call(10**29)


@pytest.mark.parametrize("nd", [1, 2])
def test_adaptive_max_pool_against_torch_with_ties_and_nan(nd):
    rng = np.random.default_rng(nd)
    for trial in range(40):
        shape = (2, 3) + tuple(int(v) for v in rng.integers(1, 7, nd))
        out = tuple(int(v) for v in rng.integers(1, 9, nd))
        a = rng.integers(-2, 2, shape).astype(np.float32)  # many ties: the first max takes the gradient
        if trial % 3 == 0:
            a.flat[rng.integers(a.size)] = np.nan
        name = f"adaptive_max_pool{nd}d"
        e, t = ember.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        (ye, ie), (yt, it) = getattr(F, name)(e, out, True), getattr(TF, name)(t, out, True)
        same(ye, yt)
        assert ie.tolist() == it.tolist()
        ye.sum().backward()
        yt.sum().backward()
        same(e.grad, t.grad)


def test_adaptive_max_pool_to_many_bins_needs_no_loop_per_bin():
    x = np.arange(5.0).reshape(1, 1, 5)
    same(F.adaptive_max_pool1d(ember.tensor(x), 100_000), TF.adaptive_max_pool1d(torch.tensor(x), 100_000))


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7, 50, 10**12])
def test_local_response_norm_with_windows_wider_than_the_channels(size):
    x = np.random.default_rng(size % 97).normal(size=(2, 3, 4))
    if size > 100:  # PyTorch pads by the size itself; ember only as far as the channels reach
        e = F.local_response_norm(ember.tensor(x), size)
        same(e, TF.local_response_norm(torch.tensor(x), 1001))  # the same window sum, scaled by the size
        return
    same(F.local_response_norm(ember.tensor(x), size), TF.local_response_norm(torch.tensor(x), size))


@pytest.mark.parametrize("dt", FLOATS)
def test_histc_bins_elements_as_pytorch_in_each_dtype(dt):
    rng = np.random.default_rng(3)
    for trial in range(60):
        x = rng.uniform(-3, 3, 15)
        kw = [{}, {"bins": 7}, {"bins": 5, "min": -1, "max": 1.5}][trial % 3]
        same(ember.histc(pair(ember, x, dt), **kw), torch.histc(pair(torch, x, dt), **kw))
    if dt in ("float32", "float64"):  # (1e20 is inf in float16; PyTorch refuses the bfloat16 case)
        same(ember.histc(pair(ember, [1e20], dt), bins=4), torch.histc(pair(torch, [1e20], dt), bins=4))
    with pytest.raises(ember.ArgumentError, match="not finite"):
        ember.histc(pair(ember, [1.0, np.inf], dt))


def test_asarray_of_a_tensor_with_requires_grad_is_that_tensor():
    same_grads(lambda m, x: m.asarray(x, requires_grad=True) * 2, [1.0, 2.0])
    same_grads(lambda m, x: m.asarray(x, dtype=m.float64, requires_grad=True), [1.0, 2.0], dtypes=["float32"])
    x = ember.tensor([1.0])
    assert ember.asarray(x, requires_grad=True) is x and x.requires_grad


def test_kthvalue_index_among_ties_points_at_the_value():
    x = ember.tensor([[3, 3, 3, 1], [0, 1, 0, 1]])
    for k in range(1, 5):
        values, indices = ember.kthvalue(x, k)
        same(values, torch.kthvalue(torch.tensor([[3, 3, 3, 1], [0, 1, 0, 1]]), k).values)
        assert ember.gather(x, 1, indices.unsqueeze(1)).squeeze(1).tolist() == values.tolist()


def test_mode_with_nan_as_the_most_frequent_value():
    values, indices = ember.mode(ember.tensor([1.0, np.nan, np.nan]))
    assert np.isnan(values.item()) and indices.item() == 2
    same(ember.mode(ember.tensor([[1.0, 2.0, 2.0], [3.0, 3.0, 1.0]]), 1).values,
         torch.mode(torch.tensor([[1.0, 2.0, 2.0], [3.0, 3.0, 1.0]]), 1).values)


def test_pow_gradients_at_zero():
    same_grads(lambda m, x, y: m.pow(x, y), [0.0, 0.0, -0.0, 2.0, 0.0, 1.5], [-0.9, 2.5, 1.0, 0.0, 0.0, -1.0])
    same_grads(lambda m, x: m.pow(x, 0), [0.0, 2.0])
    same_grads(lambda m, y: m.pow(0.0, y), [-1.3, 0.0, 0.5])
    same_grads(lambda m, x, y: m.float_power(x, y), [0.0, 1.12, 0.0], [-1.3, -2.74, 0.5])


def test_remainder_gradient_with_an_infinite_dividend():
    same_grads(lambda m, x, y: m.remainder(x, y), [-np.inf, 5.0, 1.3, np.inf, 2.0], [-2.97, np.inf, -1.2, 2.0, 0.5])


@pytest.mark.parametrize("name", ["hardswish", "relu6", "hardtanh"])
def test_piecewise_linear_activation_gradients_at_kinks_and_nan(name):
    x = [-3.0, 3.0, 0.0, -2.9, 2.9, 6.0, -1.0, 1.0, np.inf, -np.inf, np.nan]
    same_grads(lambda m, v: getattr(F if m is ember else TF, name)(v), x, dtypes=["float32"])


def test_clamp_with_tensor_bounds_routes_gradients_as_pytorch():
    same_grads(lambda m, x, lo: m.clamp_min(x, lo), [0.5, 0.0, -1.0, np.nan, 2.0], [0.0, 0.0, 0.0, 0.0, np.nan])
    same_grads(lambda m, x, lo, hi: m.clamp(x, lo, hi), [0.5, 0.5, 3.0, -3.0, 0.5, 0.5],
               [0.0, 1.0, 0.0, 2.0, 0.5, 0.0], [np.nan, 0.0, 1.0, 1.0, 0.5, 0.5])


def test_angle_of_reals_has_zero_gradient_and_keeps_low_precision():
    same_grads(lambda m, x: m.angle(x), [-0.0, 0.0, np.inf, -np.inf, np.nan, 2.0, -3.0])
    for dt in ("float16", "bfloat16", "int32"):
        same(ember.angle(pair(ember, [-1.0, 0.0, 2.0], dt)), torch.angle(pair(torch, [-1.0, 0.0, 2.0], dt)))


def test_trapz_with_an_inf_at_an_end_and_over_an_empty_dim():
    for y, kw in [([[-1.5, 2.4, 1.4], [1.1, -2.2, np.inf]], {}), ([[1.0, 2.0]], {"dx": 0.5})]:
        same(ember.trapz(ember.tensor(y), **kw), torch.trapz(torch.tensor(y), **kw))
    same(ember.trapz(ember.zeros(4, 0, dtype=ember.int64), dx=2.0), torch.trapz(torch.zeros(4, 0, dtype=torch.int64), dx=2.0))


def test_select_with_a_one_element_index_tensor():
    same(ember.select(ember.tensor([[1, 2], [3, 4]]), -1, ember.tensor([0])),
         torch.select(torch.tensor([[1, 2], [3, 4]]), -1, torch.tensor([0])))


def test_huber_loss_of_a_zero_d_float64_input_and_a_bfloat16_target():
    x, t = 1.68, [[-2.39], [0.98]]
    same(F.huber_loss(pair(ember, x, "float64"), pair(ember, t, "bfloat16"), reduction="none"),
         TF.huber_loss(pair(torch, x, "float64"), pair(torch, t, "bfloat16"), reduction="none"))


@pytest.mark.parametrize("name", ["maximum", "minimum", "fmax", "fmin"])
def test_extreme_gradients_with_ties_and_nan(name):
    same_grads(lambda m, a, b: getattr(m, name)(a, b), [1.0, 2.0, np.nan, 1.0, np.nan, -np.inf], [1.0, np.nan, 3.0, 0.5, np.nan, -np.inf])


@pytest.mark.parametrize("dt", FLOATS)
def test_trigamma_and_digamma_gradient_for_negative_inputs(dt):
    x = [-4.0, -2.0, -1.0, -2.5, -0.3, 0.0, -0.0, 1.0, 2.5, -np.inf, np.nan]
    same(ember.polygamma(1, pair(ember, x, dt)), torch.polygamma(1, pair(torch, x, dt)), tol=2e-4)
    if dt in ("float32", "float64"):
        same_grads(lambda m, v: m.digamma(v), [-2.5, -0.3, 1.5, 2.0], dtypes=[dt])


@pytest.mark.parametrize("dt", FLOATS)
def test_logit_with_an_eps_past_one_half_and_in_each_dtype(dt):
    x = [0.3, -0.2, 1.5, 0.0, 1.0, 0.9, np.nan]
    for eps in (True, 0.7, 0.1):
        same(ember.logit(pair(ember, x, dt), eps), torch.logit(pair(torch, x, dt), eps), tol=5e-2 if dt in ("float16", "bfloat16") else 1e-6)


def test_one_step_of_linspace_and_logspace_is_the_start():
    same(ember.logspace(1.5, float("nan"), 1), torch.logspace(1.5, float("nan"), 1))
    same(ember.linspace(2, float("inf"), 1), torch.linspace(2, float("inf"), 1))


def test_isin_with_an_int_outside_the_tensors_dtype_is_refused():
    with pytest.raises(ember.ArgumentError, match="cannot hold the Python int"):
        ember.isin(-10**18, ember.tensor([0, 255], dtype=ember.uint8))  # PyTorch wraps it to 0: True
    same(ember.isin(ember.tensor([1, 2], dtype=ember.uint8), 2), torch.isin(torch.tensor([1, 2], dtype=torch.uint8), 2))


@pytest.mark.parametrize("da", FLOATS)
def test_bce_with_logits_rounds_log_sigmoid_to_the_inputs_dtype(da):
    rng = np.random.default_rng(7)
    x, y = rng.uniform(-3, 3, (4, 2)), rng.uniform(0, 1, (4, 2))
    for db in FLOATS:
        for pw in (None, [1.5, 0.5]):
            kw_e = {} if pw is None else {"pos_weight": ember.tensor(pw)}
            kw_t = {} if pw is None else {"pos_weight": torch.tensor(pw)}
            e = F.binary_cross_entropy_with_logits(pair(ember, x, da), pair(ember, y, db), reduction="none", **kw_e)
            t = TF.binary_cross_entropy_with_logits(pair(torch, x, da), pair(torch, y, db), reduction="none", **kw_t)
            same(e, t, tol={"float16": 2e-2, "bfloat16": 5e-2, "float32": 2e-4}.get(db, 1e-7))


@pytest.mark.parametrize("b", [True, False, 2, 2.0])
def test_pow_of_bool_by_a_python_scalar(b):
    same(ember.pow(ember.tensor([True, False]), b), torch.pow(torch.tensor([True, False]), b))


# --- found by the public campaign after the round's merges -----------------------------------------

@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_inverse_and_solve_read_one_triangle_as_pytorch(upper):
    a = np.random.default_rng(4).standard_normal((3, 3)) + 3 * np.eye(3)  # not triangular
    b = np.random.default_rng(5).standard_normal((3, 2))
    same(ember.cholesky_inverse(ember.tensor(a), upper), torch.cholesky_inverse(torch.tensor(a), upper))
    same(ember.cholesky_solve(ember.tensor(b), ember.tensor(a), upper),
         torch.cholesky_solve(torch.tensor(b), torch.tensor(a), upper))


def test_argument_checks_found_after_the_merges():
    x = ember.arange(6.0)
    for call, error, message in (
            (lambda: ember.slice_copy(x, 0, step=0), ember.ArgumentError, "step must be >= 1"),
            (lambda: ember.slice_copy(x, 0, start=1.5), ember.DTypeError, "start must be an int"),
            (lambda: ember.histogram(x, 3, weight=ember.ones(4)), ember.ShapeError, "weight must be a tensor of shape"),
            (lambda: ember.histogramdd(ember.ones(4, 2), [3]), ember.ArgumentError, "1 bins given for points of 2"),
            (lambda: ember.linalg.solve(ember.eye(2), ember.ones(2, 1).double()), ember.DTypeError, "one dtype"),
            (lambda: ember.linalg.solve(ember.zeros(2, 2), ember.ones(2, 1)), ember.ArgumentError, "Singular")):
        with pytest.raises(error, match=message):
            call()
    assert tuple(ember.multinomial(ember.ones(0, 3), 2, True).shape) == tuple(
        torch.multinomial(torch.ones(0, 3), 2, True).shape) == (0, 2)


def test_identity_results_ignore_nan_inputs_and_pass_zero_gradients():
    # matrix_power(x, 0) and fill(x, v) are the identity / v whatever x holds, with a zero gradient to x
    for fn in (lambda m, x: m.matrix_power(x, 0), lambda m, x: m.fill(x, 2.0)):
        e, t = ember.full((2, 2), np.nan, requires_grad=True), torch.full((2, 2), np.nan, requires_grad=True)
        ey, ty = fn(ember, e), fn(torch, t)
        same(ey, ty)
        ey.sum().backward()
        ty.sum().backward()
        same(e.grad, t.grad)


def test_repeat_interleave_of_counts_keeps_their_dtype():
    same(ember.repeat_interleave(ember.tensor([1, 2], dtype=ember.int32)),
         torch.repeat_interleave(torch.tensor([1, 2], dtype=torch.int32)))


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_gradients_of_a_full_matrix_as_pytorch(upper):
    a = np.random.default_rng(6).standard_normal((3, 3)) + 3 * np.eye(3)
    b = np.random.default_rng(7).standard_normal((3, 2))
    same_grads(lambda m, x: m.cholesky_inverse(x, upper), a)
    same_grads(lambda m, x, y: m.cholesky_solve(y, x, upper), a, b)
