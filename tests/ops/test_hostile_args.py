"""Bad arguments are refused by checks made on purpose, before the op runs: every case here raises an
ember error that names the op and the argument, without the guard's fallback translating an exception
from inside (the `validated` fixture fails the test if it does), and PyTorch refuses the same call.
Where PyTorch returns a result instead, ember returns the same one."""
import re

import numpy as np
import pytest
import torch

import ember
import ember.nn.functional as F
from ember.autograd import function
from ember.ops import registry


@pytest.fixture(autouse=True)
def validated(monkeypatch):
    """Any exception from inside ember or NumPy that a guard would translate fails the test; Python's
    own errors for a call that does not fit the signature pass (they are PyTorch's TypeErrors too)."""
    original = registry.translate_error

    def fail(op, args, attrs, e):
        if isinstance(e, TypeError) and re.search(r"positional argument|unexpected keyword", str(e)):
            return original(op, args, attrs, e)
        raise AssertionError(f"{op}: {type(e).__name__} from inside was translated, not validated: {e}")
    monkeypatch.setattr(registry, "translate_error", fail)
    monkeypatch.setattr(function, "translate_error", fail)


def refused(ember_call, torch_call, error, match):
    """ember raises `error` matching `match`; PyTorch refuses the same call too."""
    with pytest.raises(error, match=match):
        ember_call()
    with pytest.raises(Exception):
        torch_call()


def same(e, t):
    e, t = (e,) if isinstance(e, ember.Tensor) else e, (t,) if isinstance(t, torch.Tensor) else t
    for a, b in zip(e, t):
        assert tuple(a.shape) == tuple(b.shape) and a.dtype.name == str(b.dtype).split(".")[1]
        np.testing.assert_allclose(a.numpy().astype(np.float64), b.numpy().astype(np.float64), equal_nan=True)


def pair(values, dtype="float32"):
    a = np.array(values, dtype=dtype)
    return ember.tensor(a), torch.tensor(a)


E, T = pair([[1.0, -2.0, 3.0], [0.5, 0.0, -1.0]])
EI, TI = pair([[1, 2, 3], [4, 0, 6]], "int64")
EB, TB = pair([True, False, True], "bool")


# --- argument types from the signature (the guard, before the op runs) ---------------------------

@pytest.mark.parametrize("op", ["neg", "exp", "sin", "abs", "floor", "sign", "cumsum", "flip", "transpose",
                                "trace", "unbind", "tril"])
def test_a_non_tensor_input_names_the_op_and_the_argument(op):
    args = {"cumsum": (0,), "flip": ((0,),), "transpose": (0, 1), "unbind": (0,)}.get(op, ())
    for bad in (2.5, "a string", None, [1.0, [2.0]], {"a": 1}):
        refused(lambda: getattr(ember, op)(bad, *args), lambda: getattr(torch, op)(bad, *args),
                ember.DTypeError, rf"^{op}: argument 'input' must be a Tensor, got {type(bad).__name__}")


def test_numbers_where_pytorch_takes_them_and_only_there():
    same(ember.pow(2, E), torch.pow(2, T))
    same(ember.add(2, E), torch.add(2, T))
    same(E + 2, T + 2)
    for op in ("hypot", "logaddexp", "atan2", "nextafter", "fmax"):
        refused(lambda: getattr(ember, op)(E, 2.0), lambda: getattr(torch, op)(T, 2.0),
                ember.DTypeError, rf"{op}: argument 'other' must be a Tensor, got float")
    refused(lambda: ember.xlogy(2.0, 3.0), lambda: torch.xlogy(2.0, 3.0), ember.DTypeError, "only numbers")
    refused(lambda: ember.polygamma(1, 2.5), lambda: torch.polygamma(1, 2.5), ember.DTypeError, "'input'")
    refused(lambda: E.view_as(2.5), lambda: T.view_as(2.5), ember.DTypeError, "'other' must be a Tensor")
    refused(lambda: F.layer_norm(E, (3,), weight=2.0), lambda: torch.nn.functional.layer_norm(T, (3,), weight=2.0),
            ember.DTypeError, "'weight' must be a Tensor")
    refused(lambda: F.leaky_relu(E, "steep"), lambda: torch.nn.functional.leaky_relu(T, "steep"),
            ember.DTypeError, "'negative_slope' must be a number")


def test_ints_past_64_bits_and_deep_lists_are_refused_before_the_op():
    refused(lambda: E + 10**30, lambda: T + 10**30, ember.ArgumentError, r"__add__: .*\(of 100 bits\).*64 bits")
    refused(lambda: ember.clamp(E, min=10**30), lambda: torch.clamp(T, min=10**30), ember.ArgumentError, "64 bits")
    refused(lambda: ember.eye(10**400), lambda: torch.eye(10**400), ember.ArgumentError, "64 bits")
    deep = []
    for _ in range(3000):
        deep = [deep]
    refused(lambda: E * deep, lambda: T * deep, ember.EmberError, "mul")
    refused(lambda: ember.tensor(deep), lambda: torch.tensor(deep), ember.ArgumentError, "nested more than 64")


def test_a_python_int_outside_an_integer_dtype_is_refused_by_a_check():
    # PyTorch wraps around (README, deliberate differences); ember refuses, naming op, dtype and value
    u8 = ember.tensor([1, 2], dtype=ember.uint8)
    for call, op in ((lambda: ember.clamp(u8, -7), "clamp"), (lambda: ember.bitwise_and(u8, -7), "bitwise_and"),
                     (lambda: u8 * 300, "mul"), (lambda: u8.masked_fill(ember.tensor([True, False]), 300),
                                                 "masked_fill")):
        with pytest.raises(ember.ArgumentError, match=rf"{op}: a tensor of dtype ember.uint8 cannot hold"):
            call()


def test_memory_format_and_keyword_only_arguments_as_pytorch():
    refused(lambda: E.clone(memory_format="channels_last"), lambda: T.clone(memory_format="channels_last"),
            ember.ArgumentError, "memory_format must be an ember memory format")
    same(E.clone(memory_format=None), T.clone(memory_format=torch.preserve_format))
    refused(lambda: ember.zeros_like(E, ember.float64), lambda: torch.zeros_like(T, torch.float64),
            ember.DTypeError, "positional argument")
    refused(lambda: ember.round(E, 1), lambda: torch.round(T, 1), ember.DTypeError, "positional argument")
    same(ember.round(E, decimals=1), torch.round(T, decimals=1))
    refused(lambda: ember.tensor([1.0], ember.float64), lambda: torch.tensor([1.0], torch.float64),
            ember.DTypeError, "positional argument")


def test_dims_are_ints_not_bools_nor_bool_tensors():
    refused(lambda: E.sum(True), lambda: T.sum(True), ember.ArgumentError, "sum: dim must be an int, got bool")
    refused(lambda: E.transpose(ember.tensor(True), 1), lambda: T.transpose(torch.tensor(True), 1),
            ember.ArgumentError, "dim0 must be an int, got Tensor")
    same(E.sum(ember.tensor(0)), T.sum(torch.tensor(0)))
    refused(lambda: E.reshape(), lambda: T.reshape(), ember.DTypeError, "reshape: missing the required argument")
    refused(lambda: E.permute(), lambda: T.permute(), ember.DTypeError, "permute: missing")


# --- the ops' own checks -------------------------------------------------------------------------

def test_ops_own_refusals_are_ember_errors_naming_the_op():
    refused(lambda: -EB, lambda: -TB, ember.DTypeError, "^neg: negation of a bool tensor")
    refused(lambda: ember.sub(E[0], EB, alpha=1.5), lambda: torch.sub(T[0], TB, alpha=1.5), ember.DTypeError,
            "^sub: subtraction with a bool tensor")
    refused(lambda: ember.floor(EB), lambda: torch.floor(TB), ember.DTypeError, "^floor: not implemented for bool")
    refused(lambda: ember.where(E, E, E), lambda: torch.where(T, T, T), ember.DTypeError, "^where: condition")
    refused(lambda: EI ** -1, lambda: TI ** -1, ember.ArgumentError, "^pow: integers to negative integer powers")


def test_ops_without_a_kernel_for_a_dtype_refuse_it_as_pytorch():
    for op, e, t in (("frac", EI, TI), ("hypot", EI, TI), ("relu", EB, TB), ("trace", EB.reshape(3, 1), TB.reshape(3, 1)),
                     ("logaddexp", EI, TI), ("histc", EI, TI)):
        args = (e,) if op not in ("hypot", "logaddexp") else (e, e)
        targs = (t,) if op not in ("hypot", "logaddexp") else (t, t)
        refused(lambda: getattr(ember, op)(*args), lambda: getattr(torch, op)(*targs), ember.DTypeError,
                rf"^{op}: not implemented for (int64|bool) tensors")
    refused(lambda: EI.frac_(), lambda: TI.frac_(), ember.DTypeError, "^Tensor.frac_: not implemented")
    same(ember.logaddexp(E[0], EB), torch.logaddexp(T[0], TB))  # a bool operand promotes to float: fine


def test_ops_of_one_dtype_refuse_mixed_dtypes():
    d = E.double()
    for op, args in (("heaviside", (E, d)), ("lerp", (E, d, d)), ("cross", (E, d)), ("prelu", (E, d[0, :1]))):
        targs = tuple(torch.tensor(a.numpy()) for a in args)
        refused(lambda: getattr(ember, op)(*args), lambda: getattr(torch, op)(*targs), ember.DTypeError,
                rf"^{op}: expected tensors of one dtype")


def test_integer_division_by_zero_is_refused_as_pytorch():
    zero_e, zero_t = pair([1, 0, 2], "int64")
    for op in ("floor_divide", "remainder", "fmod"):
        refused(lambda: getattr(ember, op)(EI[0], zero_e), lambda: getattr(torch, op)(TI[0], zero_t),
                ember.ArgumentError, rf"^{op}: integer division by zero")
    same(E[0] // ember.tensor([1.0, 0.0, 2.0]), T[0] // torch.tensor([1.0, 0.0, 2.0]))  # floats: inf, as PyTorch


def test_linalg_checks_rank_and_dtype_first_and_names_failed_factorizations():
    refused(lambda: ember.svd(EI.to(ember.uint8)), lambda: torch.svd(TI.to(torch.uint8)), ember.DTypeError,
            "^svd: expected float32 or float64, got ember.uint8")
    refused(lambda: ember.pinverse(ember.tensor(1.0)), lambda: torch.pinverse(torch.tensor(1.0)), ember.ShapeError,
            "^pinverse: expected a tensor of 2 or more dims, got shape ()")
    refused(lambda: ember.det(ember.eye(2).half()), lambda: torch.det(torch.eye(2).half()), ember.DTypeError,
            "^slogdet: expected float32 or float64")
    refused(lambda: ember.inverse(ember.zeros(2, 2)), lambda: torch.inverse(torch.zeros(2, 2)), ember.ArgumentError,
            r"^inverse: Singular matrix \(input shape \(2, 2\)\)")
    refused(lambda: ember.cholesky(-ember.eye(2)), lambda: torch.linalg.cholesky(-torch.eye(2)), ember.ArgumentError,
            "^cholesky: Matrix is not positive definite")
    nan = ember.tensor([[1.0, float("nan")], [2.0, 3.0]])
    refused(lambda: ember.svd(nan), lambda: torch.svd(torch.tensor(nan.numpy())), ember.ArgumentError,
            "^svd: the input holds NaN or inf")


def test_split_sections_and_index_vectors_are_validated():
    refused(lambda: ember.tensor_split(E, 1.5), lambda: torch.tensor_split(T, 1.5), ember.DTypeError,
            "^tensor_split: sections must be an int, got float")
    refused(lambda: ember.hsplit(E, ember.tensor([1])), lambda: torch.hsplit(T, torch.tensor([1])), ember.DTypeError,
            "^hsplit: indices_or_sections must be an int or a tuple of ints, got a tensor")
    refused(lambda: ember.tensor_split(E, ember.tensor([1.0])), lambda: torch.tensor_split(T, torch.tensor([1.0])),
            ember.DTypeError, "int64 with 0 or 1 dims")
    same(ember.tensor_split(E, [-1, 7], 1), torch.tensor_split(T, [-1, 7], 1))  # Python slices, as PyTorch
    refused(lambda: E.index_fill(1, ember.tensor([3]), 0.0), lambda: T.index_fill(1, torch.tensor([3]), 0.0),
            ember.IndexOutOfRangeError, "^index_fill: index 3 is out of range for a dim of size 3")
    same(E.index_fill(1, ember.tensor([-1]), 0.0), T.index_fill(1, torch.tensor([-1]), 0.0))
    refused(lambda: E.index_copy(1, ember.tensor([-1]), E[:, :1]), lambda: T.index_copy(1, torch.tensor([-1]), T[:, :1]),
            ember.IndexOutOfRangeError, "^index_copy: index -1")
    refused(lambda: ember.repeat_interleave(E, 2.0), lambda: torch.repeat_interleave(T, 2.0), ember.DTypeError,
            "^repeat_interleave: repeats must be an int")
    refused(lambda: ember.repeat_interleave(E, ember.tensor([1, 2])), lambda: torch.repeat_interleave(T, torch.tensor([1, 2])),
            ember.ShapeError, "^repeat_interleave: 2 repeats for a dim of size 6")
    refused(lambda: E.index_put((1,), E), lambda: T.index_put((1,), T), ember.DTypeError,
            "^index_put: indices must be a tuple of tensors")


def test_methods_validate_their_arguments():
    refused(lambda: E.stride((1,)), lambda: T.stride((1,)), ember.DTypeError, "^stride: dim must be an int")
    refused(lambda: ember.tensor(1.0).stride(0), lambda: torch.tensor(1.0).stride(0), ember.DimError,
            "^stride: dim=0 given for a 0-d tensor")
    refused(lambda: E.unfold(0, (2,), 1), lambda: T.unfold(0, (2,), 1), ember.DTypeError, "^unfold: size must be an int")
    refused(lambda: E.clone().apply_(2.0), lambda: T.clone().apply_(2.0), ember.DTypeError,
            "^apply_: callable must be a function")
    refused(lambda: E.clone().geometric_(1.0), lambda: T.clone().geometric_(1.0), ember.ArgumentError,
            r"^geometric_: p must be in \(0, 1\)")
    refused(lambda: E.clone().log_normal_(0.0, -1.0), lambda: T.clone().log_normal_(0.0, -1.0), ember.ArgumentError,
            "^log_normal_: std must be positive")
    refused(lambda: ember.zeros(0).bernoulli_(2.0), lambda: torch.zeros(0).bernoulli_(2.0), ember.ArgumentError,
            r"^bernoulli: probabilities must be in \[0, 1\], got p=2.0")


# --- where PyTorch returns a result, ember returns the same ----------------------------------------

def test_results_where_pytorch_accepts():
    s_e, s_t = ember.tensor(2.5), torch.tensor(2.5)
    same(ember.block_diag(), torch.block_diag())
    same(ember.mode(s_e), torch.mode(s_t))
    same(ember.cummax(s_e, -1), torch.cummax(s_t, -1))
    same(ember.swapaxes(s_e, -1, 0), torch.swapaxes(s_t, -1, 0))
    same(ember.flip(s_e, (0,)), torch.flip(s_t, (0,)))
    same(ember.quantile(s_e, 0.3, dim=-1), torch.quantile(s_t, 0.3, dim=-1))
    same(ember.unique_consecutive(ember.tensor([1.5]), return_counts=True),
         torch.unique_consecutive(torch.tensor([1.5]), return_counts=True))
    base, exponent = pair([2, 3, -1, 1, 0, -2], "int64"), pair([-1, -2, -3, -5, 2, -1], "int64")
    same(base[0] ** exponent[0], base[1] ** exponent[1])   # C's integer pow, as PyTorch
    same(5 ** exponent[0], 5 ** exponent[1])
    same(ember.combinations(ember.tensor([1, 2]), r=0), torch.combinations(torch.tensor([1, 2]), r=0))
    same(ember.float_power(-(10**18), EB), torch.float_power(-(10**18), TB))
    same(ember.diff(E, n=2**62), torch.diff(T, n=2**62))  # empty after 3 steps, not 2**62 of them
    same(ember.diff(EB.reshape(1, 3)), torch.diff(TB.reshape(1, 3)))  # bools differ by xor


def test_huge_outputs_are_refused_before_anything_is_allocated():
    import tracemalloc
    calls = {"repeat_interleave": lambda: ember.repeat_interleave(ember.ones(3), 10**12),
             "combinations": lambda: ember.combinations(ember.arange(100), r=50),  # ~1e29 rows: never enumerated
             "tril_indices": lambda: ember.tril_indices(10**6, 10**6),
             "vander": lambda: ember.vander(ember.ones(3), 10**12),
             "tensor_split": lambda: ember.tensor_split(ember.ones(3), 2**62)}  # one view per section
    for op, call in calls.items():
        tracemalloc.start()
        try:
            with pytest.raises(ember.AllocationError, match=rf"^{op}: "):
                call()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 2**20, (op, peak)
