"""ember's dtypes and PyTorch's type promotion, checked pair by pair against PyTorch."""
import itertools
import pickle

import numpy as np
import pytest

import ember
from ember.backend import dtypes

torch = pytest.importorskip("torch")

NAMES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64")
PAIRS = list(itertools.product(NAMES, NAMES))
SCALARS = (True, 3, 2.5)


def E(name):
    return getattr(ember, name)


def T(name):
    return getattr(torch, name)


def to_torch_dtype(d):
    return getattr(torch, d.name)


def ones(mod, name, shape):
    return mod.ones(shape, dtype=getattr(mod, name))


def torch_dtype_of(fn):
    """The dtype torch gives, or None where torch refuses the operation."""
    try:
        return fn().dtype
    except RuntimeError:
        return None


def ember_dtype_of(fn):
    try:
        return to_torch_dtype(fn().dtype)
    except ember.EmberError:
        return None


# --- the dtypes themselves ------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_dtype_exists_with_torch_properties(name):
    e, t = E(name), T(name)
    assert isinstance(e, ember.dtype)
    assert e.itemsize == t.itemsize
    assert e.is_floating_point == t.is_floating_point
    assert e.is_signed == t.is_signed
    assert repr(e) == f"ember.{name}"
    assert ember.zeros(2, dtype=e).dtype is e


def test_default_dtype_is_float32():
    assert ember.get_default_dtype() is ember.float32
    assert ember.zeros(2).dtype is ember.float32
    assert ember.tensor([1.5]).dtype is ember.float32
    assert ember.tensor([1]).dtype is ember.int64
    assert ember.tensor([True]).dtype is ember.bool


def test_aliases_match_torch():
    for alias, name in [("float", "float32"), ("double", "float64"), ("half", "float16"), ("long", "int64"),
                        ("int", "int32"), ("short", "int16")]:
        assert getattr(ember, alias) is E(name)
        assert getattr(torch, alias) is T(name)


@pytest.mark.parametrize("spec, expected", [
    ("float32", "float32"), ("float", "float32"), ("double", "float64"), ("long", "int64"), ("bool", "bool"),
    (np.float16, "float16"), (np.dtype("int8"), "int8"), (float, "float64"), (int, "int64"), (bool, "bool"),
    ("bfloat16", "bfloat16"), (np.uint8, "uint8")])
def test_as_dtype_accepts_names_numpy_and_python_types(spec, expected):
    assert dtypes.as_dtype(spec) is E(expected)


def test_python_float_as_dtype_is_float64_like_torch():
    assert ember.ones(2, dtype=float).dtype is E(str(torch.ones(2, dtype=float).dtype).split(".")[1])


@pytest.mark.parametrize("spec", ["float128", "complex64", "nonsense", np.complex64, object, 3])
def test_unknown_dtype_raises_dtype_error(spec):
    with pytest.raises(ember.DTypeError, match="dtype"):
        dtypes.as_dtype(spec)


def test_unknown_dtype_in_an_op_names_the_op():
    with pytest.raises(ember.DTypeError, match="zeros.*dtype.*'float31'"):
        ember.zeros(2, dtype="float31")


def test_unsupported_array_dtype_is_refused():
    with pytest.raises(ember.DTypeError, match="complex"):
        ember.tensor(np.ones(2, np.complex64))


def test_dtype_pickles_to_the_same_object():
    for name in NAMES:
        assert pickle.loads(pickle.dumps(E(name))) is E(name)


def test_set_default_dtype():
    try:
        ember.set_default_dtype(ember.float64)
        assert ember.tensor([1.5]).dtype is ember.float64
        assert (ember.tensor([1, 2]) + 0.5).dtype is ember.float64
        assert ember.zeros(2).dtype is ember.float64
    finally:
        ember.set_default_dtype(ember.float32)
    with pytest.raises(ember.DTypeError, match="set_default_dtype"):
        ember.set_default_dtype(ember.int32)
    assert ember.get_default_dtype() is ember.float32


# --- promotion, exhaustively ----------------------------------------------------

@pytest.mark.parametrize("a, b", PAIRS)
def test_promote_types_matches_torch(a, b):
    assert to_torch_dtype(ember.promote_types(E(a), E(b))) == torch.promote_types(T(a), T(b))


@pytest.mark.parametrize("a, b", PAIRS)
def test_tensor_plus_tensor_dtype_matches_torch(a, b):
    expected = torch_dtype_of(lambda: ones(torch, a, 3) + ones(torch, b, 3))
    assert expected == torch.result_type(ones(torch, a, 3), ones(torch, b, 3))
    assert ember_dtype_of(lambda: ones(ember, a, 3) + ones(ember, b, 3)) == expected


@pytest.mark.parametrize("a, b", PAIRS)
def test_tensor_plus_zero_dim_tensor_dtype_matches_torch(a, b):
    expected = torch_dtype_of(lambda: ones(torch, a, 3) + ones(torch, b, ()))
    assert expected == torch.result_type(ones(torch, a, 3), ones(torch, b, ()))
    assert ember_dtype_of(lambda: ones(ember, a, 3) + ones(ember, b, ())) == expected
    # and the zero-dim tensor on the left
    expected = torch_dtype_of(lambda: ones(torch, b, ()) + ones(torch, a, 3))
    assert ember_dtype_of(lambda: ones(ember, b, ()) + ones(ember, a, 3)) == expected


@pytest.mark.parametrize("a, b", PAIRS)
def test_zero_dim_plus_zero_dim_dtype_matches_torch(a, b):
    expected = torch_dtype_of(lambda: ones(torch, a, ()) + ones(torch, b, ()))
    assert ember_dtype_of(lambda: ones(ember, a, ()) + ones(ember, b, ())) == expected


@pytest.mark.parametrize("a", NAMES)
@pytest.mark.parametrize("s", SCALARS, ids=type)
def test_tensor_plus_python_scalar_dtype_matches_torch(a, s):
    expected = torch.result_type(ones(torch, a, 3), s)
    assert torch_dtype_of(lambda: ones(torch, a, 3) + s) == expected
    assert ember_dtype_of(lambda: ones(ember, a, 3) + s) == expected
    assert ember_dtype_of(lambda: s + ones(ember, a, 3)) == expected
    assert ember_dtype_of(lambda: ones(ember, a, ()) + s) == torch_dtype_of(lambda: ones(torch, a, ()) + s)


@pytest.mark.parametrize("a, b", PAIRS)
def test_result_type_on_arrays_matches_torch(a, b):
    x, y = ones(ember, a, 2), ones(ember, b, ())
    for ops in [(x, y), (y, x), (x, x), (y, y)]:
        tops = [torch.ones(o.shape, dtype=to_torch_dtype(o.dtype)) for o in ops]
        got = dtypes.result_type(*(o._data for o in ops))
        assert to_torch_dtype(got) == torch.result_type(*tops)
    for s in SCALARS:
        assert to_torch_dtype(dtypes.result_type(x._data, s)) == torch.result_type(torch.ones(2, dtype=T(a)), s)


@pytest.mark.parametrize("a, b", PAIRS)
@pytest.mark.parametrize("op", ["mul", "div", "sub", "eq"])
def test_other_binary_ops_follow_the_same_promotion(op, a, b):
    expected = torch_dtype_of(lambda: getattr(torch, op)(ones(torch, a, 3), ones(torch, b, 3)))
    assert ember_dtype_of(lambda: getattr(ember, op)(ones(ember, a, 3), ones(ember, b, 3))) == expected


def test_int_tensor_with_python_float_gives_float32():
    for name in ("uint8", "int8", "int16", "int32", "int64", "bool"):
        x = ember.tensor([1, 2], dtype=E(name))
        assert (x + 0.5).dtype is ember.float32
        assert (x * 0.5).dtype is ember.float32
        assert (0.5 * x).dtype is ember.float32
    np.testing.assert_array_equal((ember.tensor([1, 2]) + 0.5).numpy(), [1.5, 2.5])


def test_int_tensor_with_python_int_keeps_its_dtype():
    for name in ("uint8", "int8", "int16", "int32", "int64"):
        assert (ember.tensor([1, 2], dtype=E(name)) + 1).dtype is E(name)
    assert (ember.tensor([True, False]) + 1).dtype is ember.int64
    assert (ember.tensor([True, False]) + True).dtype is ember.bool


def test_float_tensor_with_python_float_keeps_its_dtype():
    for name in ("float16", "bfloat16", "float32", "float64"):
        assert (ember.ones(2, dtype=E(name)) * 2.5).dtype is E(name)


@pytest.mark.parametrize("a, b", [(a, b) for a, b in PAIRS if a in NAMES[:6] and b in NAMES[:6]])
def test_true_division_of_ints_gives_float32(a, b):
    x = ember.tensor([3, 4], dtype=E(a))
    y = ember.tensor([2, 1], dtype=E(b))
    r = x / y
    tr = torch.tensor([3, 4], dtype=T(a)) / torch.tensor([2, 1], dtype=T(b))
    assert r.dtype is ember.float32 and tr.dtype == torch.float32
    np.testing.assert_allclose(r.numpy(), tr.numpy())
    assert (x / 2).dtype is ember.float32


def test_comparison_results_are_bool():
    for a, b in PAIRS:
        x, y = ones(ember, a, 2), ones(ember, b, 2)
        for r in (x == y, x != y, x < y, x <= y, x > y, x >= y, x < 1.5, x == 1):
            assert r.dtype is ember.bool


@pytest.mark.parametrize("a", NAMES)
def test_scalar_promotion_values_match_torch(a):
    if a == "bool":
        tx, ex = torch.tensor([True, False]), ember.tensor([True, False])
    else:
        tx = torch.tensor([1, 2], dtype=T(a))
        ex = ember.tensor([1, 2], dtype=E(a))
    for s in (2, 2.5):
        np.testing.assert_allclose(ex.__add__(s).float().numpy(), tx.__add__(s).float().numpy())
        np.testing.assert_allclose(ex.__mul__(s).float().numpy(), tx.__mul__(s).float().numpy())
