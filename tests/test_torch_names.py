"""torch.* functions and torch.Tensor methods, each called by name on ember and on PyTorch with the
same inputs: values, shapes and dtypes equal, and input gradients equal where the result is
differentiable. In-place forms (`name_`) are checked against PyTorch's in-place result too."""
import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng(0)
F32 = np.float32
X = RNG.uniform(-0.9, 0.9, (3, 4)).astype(F32)        # inside every inverse-trig domain
Y = RNG.uniform(-0.9, 0.9, (3, 4)).astype(F32)
P = RNG.uniform(0.1, 0.9, (3, 4)).astype(F32)         # positive, below 1 (log, logit, sqrt)
G = RNG.uniform(1.1, 3.0, (3, 4)).astype(F32)         # above 1 (acosh, lgamma, mvlgamma)
W = (RNG.standard_normal((3, 4)) * 3).astype(F32)     # wide (round, trunc, frac, fmod)
I = RNG.integers(1, 20, (3, 4))                       # int64
J = RNG.integers(1, 20, (3, 4))
BOOL = RNG.integers(0, 2, (3, 4)).astype(bool)
BOOL2 = RNG.integers(0, 2, (3, 4)).astype(bool)
SQ = (RNG.standard_normal((3, 3)) + 3 * np.eye(3)).astype(F32)
SPD = (SQ @ SQ.T).astype(F32)
V3, V4 = RNG.standard_normal(3).astype(F32), RNG.standard_normal(4).astype(F32)
BATCH_A, BATCH_B = RNG.standard_normal((2, 3, 5)).astype(F32), RNG.standard_normal((2, 5, 4)).astype(F32)
SIG = RNG.standard_normal((2, 3, 8)).astype(F32)       # (N, C, L) signals
IMG = RNG.standard_normal((2, 3, 6, 6)).astype(F32)
VOL = RNG.standard_normal((1, 2, 4, 4, 4)).astype(F32)
SORTED = np.array([0.1, 0.5, 1.0, 2.5], F32)
DUPS = np.array([3, 1, 3, 3, 2, 2, 1, 5])
INT_IDX = np.array([0, 2])

# Element-wise functions with a torch.<name>_ in-place form and a Tensor.<name>_ method: name -> input.
UNARY = {"abs": X, "absolute": X, "acos": X, "arccos": X, "acosh": G, "arccosh": G, "asin": X, "arcsin": X,
         "asinh": X, "arcsinh": X, "atan": X, "arctan": X, "atanh": X, "arctanh": X, "ceil": W, "cos": X, "cosh": X,
         "deg2rad": W, "rad2deg": W, "erf": X, "erfc": X, "erfinv": X, "exp": X, "exp2": X, "expm1": X, "fix": W,
         "floor": W, "frac": W, "i0": X, "lgamma": G, "digamma": G, "log": P, "log10": P, "log1p": X, "log2": P,
         "logit": P, "neg": X, "negative": X, "reciprocal": P, "relu": X, "round": W, "rsqrt": P, "sigmoid": X,
         "sign": W, "sgn": W, "sin": X, "sinc": X, "sinh": X, "sqrt": P, "square": X, "tan": X, "tanh": X,
         "trunc": W, "nan_to_num": np.array([np.nan, np.inf, -np.inf, 1.5], F32)}
# (name -> (input, other)); the same forms.
BINARY = {"atan2": (X, Y), "arctan2": (X, Y), "copysign": (X, Y), "divide": (X, P), "true_divide": (X, P),
          "float_power": (P, Y), "floor_divide": (W, G), "fmod": (W, G), "remainder": (W, G), "hypot": (X, Y),
          "ldexp": (X, I), "lerp": (X, Y), "logaddexp": (X, Y), "logaddexp2": (X, Y), "mul": (X, Y),
          "multiply": (X, Y), "sub": (X, Y), "subtract": (X, Y), "xlogy": (P, G), "nextafter": (X, Y),
          "heaviside": (W, Y), "fmax": (X, Y), "fmin": (X, Y), "pow": (P, Y), "gcd": (I, J), "lcm": (I, J),
          "bitwise_and": (I, J), "bitwise_or": (I, J), "bitwise_xor": (I, J), "bitwise_left_shift": (I, 2),
          "bitwise_right_shift": (I, 1), "logical_and": (BOOL, BOOL2), "logical_or": (BOOL, BOOL2),
          "logical_xor": (BOOL, BOOL2), "eq": (W.round(), Y.round()), "ne": (W.round(), Y.round()), "ge": (X, Y),
          "gt": (X, Y), "le": (X, Y), "lt": (X, Y), "greater": (X, Y), "greater_equal": (X, Y), "less": (X, Y),
          "less_equal": (X, Y), "not_equal": (W.round(), Y.round())}
EXTRA_ARGS = {"lerp": (0.3,), "logit": (1e-3,), "nan_to_num": (0.0, 9.0, -9.0)}
IN_PLACE_ONLY_TENSOR = {"bitwise_not": I, "logical_not": BOOL}
CLAMPS = {"clamp": {"min": -0.5, "max": 0.5}, "clip": {"min": -0.5, "max": 0.5}, "clamp_min": {"min": -0.2},
          "clamp_max": {"max": 0.2}}

# Other functions: name -> (args, kwargs). Arrays become tensors (floating ones require grad).
FUNCTIONS = {
    "addcdiv": ((X, Y, P), {"value": 0.5}), "addcmul": ((X, Y, P), {"value": 2.0}),
    "addmv": ((V3, SQ, V3), {"beta": 0.5, "alpha": 2.0}), "addr": ((SQ, V3, V3), {}),
    "addbmm": ((Y, BATCH_A, BATCH_B), {"beta": 0.5}),
    "baddbmm": ((RNG.standard_normal((2, 3, 4)).astype(F32), BATCH_A, BATCH_B), {"alpha": 0.5}),
    "ger": ((V3, V4), {}), "inner": ((X, Y), {}), "vdot": ((V3, V3[::-1].copy()), {}), "kron": ((SQ, SQ[:2, :2].copy()), {}),
    "cross": ((SQ, SQ.T.copy()), {"dim": 1}), "dist": ((X, Y), {"p": 3}), "renorm": ((W, 2, 0, 1.0), {}),
    "chain_matmul": ((SQ, SQ, SQ), {}), "pinverse": ((SQ,), {}), "inverse": ((SQ,), {}), "det": ((SQ,), {}),
    "logdet": ((SPD,), {}), "slogdet": ((SQ,), {}), "cholesky": ((SPD,), {}), "matrix_exp": ((SQ / 4,), {}),
    "matrix_power": ((SQ, 3), {}), "diag": ((V3,), {}), "diagflat": ((SQ[:2, :2].copy(),), {}),
    "diff": ((X,), {"n": 2, "dim": 1}), "cummax": ((X, 1), {}), "cummin": ((X, 0), {}),
    "logcumsumexp": ((X, 1), {}), "kthvalue": ((X, 2, 1), {}), "msort": ((X,), {}), "corrcoef": ((X,), {}),
    "fliplr": ((X,), {}), "flipud": ((X,), {}), "mvlgamma": ((G, 2), {}), "isneginf": ((W,), {}),
    "isposinf": ((W,), {}), "isreal": ((X,), {}), "signbit": ((W,), {}), "angle": ((W,), {}),
    "conj": ((X,), {}), "conj_physical": ((X,), {}), "resolve_conj": ((X,), {}), "resolve_neg": ((X,), {}),
    "is_conj": ((X,), {}), "is_neg": ((X,), {}), "sum_to_size": ((X, 1, 4), {}), "swapaxes": ((X, 0, 1), {}),
    "swapdims": ((X, 0, 1), {}), "ravel": ((X,), {}), "select": ((X, 1, 2), {}),
    "split_with_sizes": ((X, [1, 3], 1), {}), "tensor_split": ((X, 3, 1), {}), "hsplit": ((X, 2), {}),
    "vsplit": ((X, [1]), {}), "dsplit": ((IMG[0], 2), {}), "atleast_1d": ((V3,), {}), "atleast_2d": ((V3,), {}),
    "atleast_3d": ((X,), {}), "row_stack": (([X, Y],), {}), "block_diag": ((SQ, X), {}),
    "cartesian_prod": ((V3, V4), {}), "combinations": ((V4, 2), {}), "meshgrid": ((V3, V4), {"indexing": "ij"}),
    "repeat_interleave": ((X, 2, 1), {}), "bucketize": ((X, SORTED), {}), "searchsorted": ((SORTED, X), {}),
    "isin": ((I, J[0]), {}), "unique": ((DUPS,), {"return_inverse": True, "return_counts": True}),
    "unique_consecutive": ((DUPS,), {"return_counts": True}), "index_copy": ((X, 0, INT_IDX, Y[:2]), {}),
    "index_fill": ((X, 1, INT_IDX, -1.0), {}), "masked_scatter": ((X, BOOL, Y), {}),
    "trapz": ((X,), {"dim": 1}), "is_same_size": ((X, Y), {}), "is_tensor": ((X,), {}),
    "scalar_tensor": ((2.5,), {}), "tril_indices": ((4, 3, 1), {}), "triu_indices": ((3, 4, -1), {}),
    "adaptive_avg_pool1d": ((SIG, 3), {}), "avg_pool1d": ((SIG, 2), {}), "max_pool1d": ((SIG, 3), {"stride": 2}),
    "max_pool1d_with_indices": ((SIG, 2), {}), "max_pool2d": ((IMG, 2), {}), "max_pool3d": ((VOL, 2), {}),
    "conv1d": ((SIG, RNG.standard_normal((4, 3, 3)).astype(F32)), {"padding": 1}),
    "conv2d": ((IMG, RNG.standard_normal((2, 3, 3, 3)).astype(F32)), {"stride": 2}),
    "conv3d": ((VOL, RNG.standard_normal((3, 2, 2, 2, 2)).astype(F32)), {}),
    "conv_transpose1d": ((SIG, RNG.standard_normal((3, 2, 3)).astype(F32)), {"stride": 2}),
    "conv_transpose2d": ((IMG, RNG.standard_normal((3, 2, 3, 3)).astype(F32)), {}),
    "conv_transpose3d": ((VOL, RNG.standard_normal((2, 2, 2, 2, 2)).astype(F32)), {}),
    "bilinear": ((V3[None], V4[None], RNG.standard_normal((2, 3, 4)).astype(F32)), {}),
    "group_norm": ((IMG, 3), {}), "layer_norm": ((X, [4]), {}), "pixel_unshuffle": ((IMG[:, :, :4, :4], 2), {}),
    "native_channel_shuffle": ((RNG.standard_normal((1, 4, 2, 2)).astype(F32), 2), {}),
}
TENSOR_ONLY = {  # Tensor methods PyTorch has no torch.<name> for (or only as methods)
    "new_full": ((X, (2, 3), 1.5), {}), "new_ones": ((X, (2,)), {}), "byte": ((I,), {}), "char": ((I,), {}),
    "short": ((I,), {}), "int": ((I,), {}),
}
PROPERTIES = ["T", "mT", "H", "mH", "ndim", "nbytes", "itemsize", "is_cpu", "is_cuda", "is_meta", "is_quantized",
              "is_sparse", "is_leaf"]
IN_PLACE_METHODS = {  # Tensor.<name>_ (out-of-place form tested above): name -> (self, args)
    "addbmm_": FUNCTIONS["addbmm"][0], "baddbmm_": FUNCTIONS["baddbmm"][0], "addmv_": FUNCTIONS["addmv"][0],
    "addr_": FUNCTIONS["addr"][0], "addcdiv_": (X, Y, P), "addcmul_": (X, Y, P), "index_copy_": (X, 0, INT_IDX, Y[:2]),
    "index_fill_": (X, 1, INT_IDX, -1.0), "masked_scatter_": (X, BOOL, Y), "renorm_": (W, 2, 0, 1.0),
    "mvlgamma_": (G, 2), "squeeze_": (X[None],), "unsqueeze_": (X, 1), "t_": (X,), "transpose_": (X, 0, 1),
    "swapaxes_": (X, 0, 1), "swapdims_": (X, 0, 1), "threshold_": None, "conj_physical_": (X,),
}
# The names exercised above, for python -m tests.api_coverage (a literal list; a test keeps it in step).
TORCH_NAMES = ["abs", "abs_", "absolute", "acos", "acos_", "acosh", "acosh_", "adaptive_avg_pool1d", "addbmm", "addcdiv",
               "addcmul", "addmv", "addmv_", "addr", "angle", "arccos", "arccos_", "arccosh", "arccosh_",
               "arcsin", "arcsin_", "arcsinh", "arcsinh_", "arctan", "arctan2", "arctan_", "arctanh",
               "arctanh_", "asin", "asin_", "asinh", "asinh_", "atan", "atan2", "atan_", "atanh", "atanh_",
               "atleast_1d", "atleast_2d", "atleast_3d", "avg_pool1d", "baddbmm", "bilinear", "bitwise_and",
               "bitwise_left_shift", "bitwise_or", "bitwise_right_shift", "bitwise_xor", "block_diag",
               "bucketize", "cartesian_prod", "ceil", "ceil_", "celu_", "chain_matmul", "cholesky", "clamp",
               "clamp_", "clamp_max", "clamp_max_", "clamp_min", "clamp_min_", "clip", "clip_",
               "combinations", "conj", "conj_physical", "conj_physical_", "conv1d", "conv2d", "conv3d",
               "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "copysign", "corrcoef", "cos",
               "cos_", "cosh", "cosh_", "cross", "cummax", "cummin", "deg2rad", "deg2rad_", "det", "diag",
               "diagflat", "diff", "digamma", "dist", "divide", "dsplit", "eq", "erf", "erf_", "erfc",
               "erfc_", "erfinv", "exp", "exp2", "exp2_", "exp_", "expm1", "expm1_", "fix", "fix_", "fliplr",
               "flipud", "float_power", "floor", "floor_", "floor_divide", "fmax", "fmin", "fmod", "frac",
               "frac_", "gcd", "gcd_", "ge", "ger", "greater", "greater_equal", "group_norm", "gt",
               "heaviside", "hsplit", "hypot", "i0", "i0_", "index_copy", "index_fill", "index_put_", "inner",
               "inverse", "is_conj", "is_neg", "is_same_size", "is_tensor", "isin", "isneginf", "isposinf",
               "isreal", "kron", "kthvalue", "layer_norm", "lcm", "lcm_", "ldexp", "ldexp_", "le", "lerp",
               "less", "less_equal", "lgamma", "log", "log10", "log10_", "log1p", "log1p_", "log2", "log2_",
               "log_", "logaddexp", "logaddexp2", "logcumsumexp", "logdet", "logical_and", "logical_or",
               "logical_xor", "logit", "logit_", "lt", "masked_scatter", "matrix_exp", "matrix_power",
               "max_pool1d", "max_pool1d_with_indices", "max_pool2d", "max_pool3d", "meshgrid", "msort",
               "mul", "multiply", "mvlgamma", "nan_to_num", "nan_to_num_", "native_channel_shuffle", "ne",
               "neg", "neg_", "negative", "negative_", "nextafter", "not_equal", "pinverse",
               "pixel_unshuffle", "pow", "rad2deg", "rad2deg_", "ravel", "reciprocal", "reciprocal_", "relu",
               "relu_", "remainder", "renorm", "repeat_interleave", "resolve_conj", "resolve_neg", "round",
               "round_", "row_stack", "rsqrt", "rsqrt_", "scalar_tensor", "searchsorted", "select", "selu_",
               "sgn", "sigmoid", "sigmoid_", "sign", "signbit", "sin", "sin_", "sinc", "sinc_", "sinh",
               "sinh_", "slogdet", "split_with_sizes", "sqrt", "sqrt_", "square", "square_", "sub",
               "subtract", "swapaxes", "swapdims", "tan", "tan_", "tanh", "tanh_", "tensor_split",
               "threshold_", "trapz", "tril_indices", "triu_indices", "true_divide", "trunc", "trunc_",
               "unique", "unique_consecutive", "vdot", "vsplit", "xlogy", "xlogy_"]
TENSOR_NAMES = ["H", "T", "abs", "abs_", "absolute", "absolute_", "acos", "acos_", "acosh", "acosh_", "addbmm", "addbmm_",
                "addcdiv", "addcdiv_", "addcmul", "addcmul_", "addmv", "addmv_", "addr", "addr_", "angle",
                "arccos", "arccos_", "arccosh", "arccosh_", "arcsin", "arcsin_", "arcsinh", "arcsinh_",
                "arctan", "arctan2", "arctan2_", "arctan_", "arctanh", "arctanh_", "asin", "asin_", "asinh",
                "asinh_", "atan", "atan2", "atan2_", "atan_", "atanh", "atanh_", "baddbmm", "baddbmm_",
                "bitwise_and", "bitwise_and_", "bitwise_left_shift", "bitwise_left_shift_", "bitwise_not",
                "bitwise_not_", "bitwise_or", "bitwise_or_", "bitwise_right_shift", "bitwise_right_shift_",
                "bitwise_xor", "bitwise_xor_", "byte", "ceil", "ceil_", "char", "cholesky", "clamp", "clamp_",
                "clamp_max", "clamp_max_", "clamp_min", "clamp_min_", "clip", "clip_", "conj",
                "conj_physical", "conj_physical_", "copysign", "copysign_", "corrcoef", "cos", "cos_", "cosh",
                "cosh_", "cross", "cummax", "cummin", "data", "deg2rad", "deg2rad_", "det", "diag",
                "diagflat", "diff", "digamma", "digamma_", "dist", "divide", "divide_", "dsplit", "eq", "eq_",
                "erf", "erf_", "erfc", "erfc_", "erfinv", "erfinv_", "exp", "exp2", "exp2_", "exp_", "expm1",
                "expm1_", "fix", "fix_", "fliplr", "flipud", "float_power", "float_power_", "floor", "floor_",
                "floor_divide", "floor_divide_", "fmax", "fmin", "fmod", "fmod_", "frac", "frac_", "gcd",
                "gcd_", "ge", "ge_", "ger", "grad_fn", "greater", "greater_", "greater_equal",
                "greater_equal_", "gt", "gt_", "heaviside", "heaviside_", "hsplit", "hypot", "hypot_", "i0",
                "i0_", "index_copy", "index_copy_", "index_fill", "index_fill_", "inner", "int", "inverse",
                "is_conj", "is_cpu", "is_cuda", "is_leaf", "is_meta", "is_neg", "is_quantized",
                "is_same_size", "is_sparse", "isneginf", "isposinf", "isreal", "itemsize", "kron", "kthvalue",
                "lcm", "lcm_", "ldexp", "ldexp_", "le", "le_", "lerp", "lerp_", "less", "less_", "less_equal",
                "less_equal_", "lgamma", "lgamma_", "log", "log10", "log10_", "log1p", "log1p_", "log2",
                "log2_", "log_", "logaddexp", "logaddexp2", "logcumsumexp", "logdet", "logical_and",
                "logical_and_", "logical_not", "logical_not_", "logical_or", "logical_or_", "logical_xor",
                "logical_xor_", "logit", "logit_", "lt", "lt_", "mH", "mT", "masked_scatter",
                "masked_scatter_", "matrix_exp", "matrix_power", "msort", "mul", "mul_", "multiply",
                "multiply_", "mvlgamma", "mvlgamma_", "nan_to_num", "nan_to_num_", "nbytes", "ndim", "ne",
                "ne_", "neg", "neg_", "negative", "negative_", "new_full", "new_ones", "nextafter",
                "nextafter_", "not_equal", "not_equal_", "pinverse", "pow", "pow_", "rad2deg", "rad2deg_",
                "ravel", "reciprocal", "reciprocal_", "register_post_accumulate_grad_hook", "relu", "relu_",
                "remainder", "remainder_", "renorm", "renorm_", "repeat_interleave", "resolve_conj",
                "resolve_neg", "retains_grad", "round", "round_", "rsqrt", "rsqrt_", "select", "sgn", "sgn_",
                "short", "sigmoid", "sigmoid_", "sign", "sign_", "signbit", "sin", "sin_", "sinc", "sinc_",
                "sinh", "sinh_", "slogdet", "split_with_sizes", "sqrt", "sqrt_", "square", "square_",
                "squeeze_", "sub", "sub_", "subtract", "subtract_", "sum_to_size", "swapaxes", "swapaxes_",
                "swapdims", "swapdims_", "t_", "tan", "tan_", "tanh", "tanh_", "tensor_split", "transpose_",
                "true_divide", "true_divide_", "trunc", "trunc_", "unique", "unique_consecutive",
                "unsqueeze_", "vdot", "vsplit", "xlogy", "xlogy_"]
# test_grad_modes_and_generator_state calls these through a loop over both libraries
LOOPED_NAMES = ["default_generator", "enable_grad", "get_rng_state", "inference_mode", "initial_seed",
                "is_anomaly_enabled", "is_grad_enabled", "set_grad_enabled", "set_rng_state"]
COVERS = {"torch": TORCH_NAMES + LOOPED_NAMES, "torch.Tensor": TENSOR_NAMES}
NOT_DIFFERENTIABLE_IN_TORCH = {"floor_divide", "heaviside", "nextafter", "native_channel_shuffle"}
NO_TORCH_FUNCTION = {"sum_to_size", "new_full", "new_ones", "byte", "char", "short", "int"}



def convert(lib, x, grad):
    if isinstance(x, np.ndarray):
        t = lib.tensor(x)
        return t.requires_grad_() if grad and x.dtype.kind == "f" else t
    if isinstance(x, list) and x and isinstance(x[0], np.ndarray):
        return [convert(lib, v, grad) for v in x]
    return x


def flat(out):
    if isinstance(out, (tuple, list)):
        return [o for v in out for o in flat(v)]
    return [out]


def same(e, t, what, tol=2e-5):
    e_out, t_out = flat(e), flat(t)
    assert len(e_out) == len(t_out), what
    for a, b in zip(e_out, t_out):
        if isinstance(b, torch.Tensor):
            assert isinstance(a, ember.Tensor), what
            assert tuple(a.shape) == tuple(b.shape), f"{what}: shape {tuple(a.shape)} vs torch {tuple(b.shape)}"
            assert str(a.dtype).split(".")[1] == str(b.dtype).split(".")[1], f"{what}: {a.dtype} vs {b.dtype}"
            np.testing.assert_allclose(a.detach().numpy().astype(np.float64), b.detach().numpy().astype(np.float64),
                                       rtol=tol, atol=tol, equal_nan=True, err_msg=what)
        else:
            assert a == b, f"{what}: {a!r} vs torch {b!r}"


def check(name, args, kwargs, on_tensor, grad=True):
    """Call torch's and ember's `name` with the same inputs; compare outputs and input gradients."""
    t_args = [convert(torch, a, grad) for a in args]
    e_args = [convert(ember, a, grad) for a in args]
    if on_tensor:
        t_out = getattr(torch.Tensor, name)(*t_args, **kwargs)
        e_out = getattr(ember.Tensor, name)(*e_args, **kwargs)
    else:
        t_out = getattr(torch, name)(*t_args, **kwargs)
        e_out = getattr(ember, name)(*e_args, **kwargs)
    same(e_out, t_out, name)
    t_float = [o for o in flat(t_out) if isinstance(o, torch.Tensor) and o.requires_grad]
    if not t_float:
        return
    e_float = [o for o in flat(e_out) if isinstance(o, ember.Tensor) and o.requires_grad]
    weights = [RNG.standard_normal(tuple(o.shape)) for o in t_float]
    sum((o * torch.tensor(w, dtype=o.dtype)).sum() for o, w in zip(t_float, weights)).backward()
    sum((o * ember.tensor(w, dtype=o.dtype)).sum() for o, w in zip(e_float, weights)).backward()
    for tl, el in zip(flat(t_args), flat(e_args)):
        if isinstance(tl, torch.Tensor) and tl.grad is not None:
            if el.grad is None and not tl.grad.any():  # torch materializes a zero gradient, ember leaves None
                continue
            same(el.grad, tl.grad, f"{name}: gradient", tol=1e-4)


def check_in_place(name, args, kwargs, on_tensor):
    """`name` (ending in _) changes its first argument as PyTorch's does and returns it."""
    t_args = [convert(torch, a, False) for a in args]
    e_args = [convert(ember, a, False) for a in args]
    target = getattr(torch.Tensor, name) if on_tensor else getattr(torch, name)
    t_out = target(*t_args, **kwargs)
    e_out = (getattr(ember.Tensor, name) if on_tensor else getattr(ember, name))(*e_args, **kwargs)
    assert e_out is e_args[0] and t_out is t_args[0]
    same(e_args[0], t_args[0], name)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_functions_methods_and_in_place_forms(name):
    x, extra = UNARY[name], EXTRA_ARGS.get(name, ())
    grad = name not in ("ceil", "floor", "round", "trunc", "fix", "sign", "sgn", "frac")
    check(name, (x,) + extra, {}, on_tensor=False, grad=grad)
    check(name, (x,) + extra, {}, on_tensor=True, grad=grad)
    check_in_place(name + "_", (x,) + extra, {}, on_tensor=True)
    if hasattr(torch, name + "_"):
        check_in_place(name + "_", (x,) + extra, {}, on_tensor=False)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_functions_methods_and_in_place_forms(name):
    a, b = BINARY[name]
    extra = EXTRA_ARGS.get(name, ())
    for on_tensor in (False, True):
        check(name, (a, b) + extra, {}, on_tensor, grad=name not in NOT_DIFFERENTIABLE_IN_TORCH)
    if name == "float_power":  # in place it needs a float64 self, as in torch
        a = a.astype(np.float64)
    if hasattr(torch.Tensor, name + "_"):
        check_in_place(name + "_", (a, b) + extra, {}, on_tensor=True)
    if hasattr(torch, name + "_"):
        check_in_place(name + "_", (a, b) + extra, {}, on_tensor=False)


@pytest.mark.parametrize("name", sorted(CLAMPS))
def test_clamps(name):
    for on_tensor in (False, True):
        check(name, (X,), CLAMPS[name], on_tensor)
        check_in_place(name + "_", (X,), CLAMPS[name], on_tensor)


@pytest.mark.parametrize("name", sorted(IN_PLACE_ONLY_TENSOR))
def test_logical_and_bitwise_not(name):
    check(name, (IN_PLACE_ONLY_TENSOR[name],), {}, on_tensor=True)
    check_in_place(name + "_", (IN_PLACE_ONLY_TENSOR[name],), {}, on_tensor=True)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_functions_and_methods(name):
    args, kwargs = FUNCTIONS[name]
    grad = name not in NOT_DIFFERENTIABLE_IN_TORCH
    if name not in NO_TORCH_FUNCTION:
        check(name, args, kwargs, on_tensor=False, grad=grad)
    if hasattr(torch.Tensor, name):
        check(name, args, kwargs, on_tensor=True, grad=grad)


@pytest.mark.parametrize("name", sorted(TENSOR_ONLY))
def test_tensor_only_methods(name):
    args, kwargs = TENSOR_ONLY[name]
    check(name, args, kwargs, on_tensor=True)


@pytest.mark.parametrize("name", sorted(n for n, v in IN_PLACE_METHODS.items() if v is not None))
def test_in_place_methods(name):
    check_in_place(name, IN_PLACE_METHODS[name], {}, on_tensor=True)


@pytest.mark.parametrize("name", PROPERTIES)
def test_properties(name):
    for x in (X, SQ) + ((BATCH_A,) if name != "H" else ()):  # torch's H is for matrices only
        e, t = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        same(getattr(e, name), getattr(t, name), name)
        same(getattr(e * 2, name), getattr(t * 2, name), name)


def test_in_place_activations_and_top_level_in_place_forms():
    for name, args in (("relu_", (X,)), ("selu_", (X,)), ("celu_", (X,)), ("threshold_", (X, 0.1, 20.0)),
                       ("xlogy_", (P, G)), ("gcd_", (I, J)), ("lcm_", (I, J)), ("ldexp_", (X, I)),
                       ("addmv_", (V3, SQ, V3)), ("conj_physical_", (X,))):
        check_in_place(name, args, {}, on_tensor=False)
    check_in_place("threshold_", (X, 0.1, 20.0), {}, on_tensor=False)
    t, e = torch.tensor(X), ember.tensor(X)
    torch.index_put_(t, (torch.tensor(INT_IDX),), torch.tensor(Y[:2]), accumulate=True)
    ember.index_put_(e, (ember.tensor(INT_IDX),), ember.tensor(Y[:2]), accumulate=True)
    same(e, t, "index_put_")


def test_autograd_attributes_and_hooks():
    t, e = torch.tensor(X, requires_grad=True), ember.tensor(X, requires_grad=True)
    ty, ey = t * 2, e * 2
    assert (ty.grad_fn is None) == (ey.grad_fn is None) and (t.grad_fn is None) == (e.grad_fn is None)
    ty.retain_grad()
    ey.retain_grad()
    assert ty.retains_grad == ey.retains_grad and t.retains_grad == e.retains_grad
    seen = {"torch": [], "ember": []}
    t.register_post_accumulate_grad_hook(lambda p: seen["torch"].append(p.grad.sum().item()))
    e.register_post_accumulate_grad_hook(lambda p: seen["ember"].append(p.grad.sum().item()))
    (ty ** 2).sum().backward()
    (ey ** 2).sum().backward()
    np.testing.assert_allclose(seen["ember"], seen["torch"], rtol=1e-5)
    same(ey.grad, ty.grad, "retained grad")
    same(e.data, t.data, "data")
    assert not e.data.requires_grad and not t.data.requires_grad


def test_grad_modes_and_generator_state():
    for lib in (torch, ember):
        x = lib.ones(2, requires_grad=True)
        with lib.no_grad():
            with lib.enable_grad():
                assert lib.is_grad_enabled() and (x * 2).requires_grad
        with lib.set_grad_enabled(False):
            assert not lib.is_grad_enabled()
        with lib.inference_mode():
            assert not (x * 2).requires_grad
        assert lib.is_anomaly_enabled() is False
        lib.manual_seed(123)
        assert lib.initial_seed() == 123
        state = lib.get_rng_state()
        a = lib.rand(3)
        lib.set_rng_state(state)
        np.testing.assert_array_equal(lib.rand(3).numpy(), a.numpy())
        assert lib.default_generator.initial_seed() == 123
    assert str(ember.get_default_dtype()) == str(torch.get_default_dtype()).replace("torch", "ember")


def test_asarray_and_compile_run_like_torch():
    same(ember.asarray([[1, 2], [3, 4]]), torch.asarray([[1, 2], [3, 4]]), "asarray")
    same(ember.asarray(X), torch.asarray(X), "asarray")

    def f(a, b):
        return (a * b).sin().sum(0)
    same(ember.compile(f)(ember.tensor(X), ember.tensor(Y)), f(torch.tensor(X), torch.tensor(Y)), "compile")


def exercised():
    """The torch and torch.Tensor names the tests above call, derived from the tables."""
    torch_names = set(UNARY) | {n + "_" for n in UNARY if hasattr(torch, n + "_")} | set(BINARY) \
        | {n + "_" for n in BINARY if hasattr(torch, n + "_")} | (set(FUNCTIONS) - NO_TORCH_FUNCTION) | set(CLAMPS) \
        | {n + "_" for n in CLAMPS} | {"addmv_", "conj_physical_", "index_put_", "relu_", "selu_", "celu_",
                                      "threshold_", "xlogy_", "gcd_", "lcm_", "ldexp_"}
    tensor_names = set(UNARY) | {n + "_" for n in UNARY} | set(BINARY) \
        | {n + "_" for n in BINARY if hasattr(torch.Tensor, n + "_")} \
        | {n for n in FUNCTIONS if hasattr(torch.Tensor, n)} | set(TENSOR_ONLY) | set(PROPERTIES) \
        | {n for n, v in IN_PLACE_METHODS.items() if v is not None} | set(CLAMPS) | {n + "_" for n in CLAMPS} \
        | set(IN_PLACE_ONLY_TENSOR) | {n + "_" for n in IN_PLACE_ONLY_TENSOR} \
        | {"data", "grad_fn", "retains_grad", "register_post_accumulate_grad_hook"}
    return torch_names, tensor_names


def test_the_coverage_declaration_lists_exactly_what_is_exercised():
    torch_names, tensor_names = exercised()
    assert set(COVERS["torch"]) == torch_names | set(LOOPED_NAMES)
    assert set(COVERS["torch.Tensor"]) == tensor_names
