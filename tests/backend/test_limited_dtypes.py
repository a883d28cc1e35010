"""uint16/uint32/uint64 and the float8 dtypes against torch: metadata, casts both ways (PyTorch's
rounding, saturation and wrap-around), promotion (refused as torch refuses it), scalar arithmetic,
reductions' dtypes, finfo/iinfo, and gradients through a float8 round trip."""
import ml_dtypes
import numpy as np
import pytest
import torch

import ember

WIDE = ["uint16", "uint32", "uint64"]
FLOAT8 = ["float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2", "float8_e5m2fnuz", "float8_e8m0fnu"]
VALUES = np.array([0, 1.3, -2.7, 500.0, 1e6, -1e6, np.inf, -np.inf, np.nan, 1e-9, 0.0039, 448, 464, 470, 57344,
                   61440, 1e-5, -0.0, 0.3, 3.75], dtype=np.float32)


def _same(ours, theirs):
    a, b = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_array_equal(a[~np.isnan(a)], b[~np.isnan(b)])


@pytest.mark.parametrize("name", WIDE + FLOAT8)
def test_metadata_matches_torch(name):
    e, t = getattr(ember, name), getattr(torch, name)
    assert (e.itemsize, e.is_floating_point, e.is_signed) == (t.itemsize, t.is_floating_point, t.is_signed)
    assert repr(e) == repr(t).replace("torch.", "ember.")


@pytest.mark.parametrize("name", FLOAT8)
@pytest.mark.parametrize("source", ["float32", "float64", "float16"])
def test_float8_casts_round_as_torch(name, source):
    v = VALUES.astype(getattr(np, source))
    t = torch.tensor(v).to(getattr(torch, name))
    e = ember.tensor(v).to(getattr(ember, name))
    assert e.dtype is getattr(ember, name)
    _same(e.float().numpy(), t.float().numpy())
    _same(ember.tensor(v, dtype=getattr(ember, name)).float().numpy(), t.float().numpy())


@pytest.mark.parametrize("name", FLOAT8)
def test_float8_from_ints_and_to_other_dtypes(name):
    ints = np.array([1000, -5, 0, 3, 17], dtype=np.int64)
    _same(ember.tensor(ints).to(getattr(ember, name)).float().numpy(),
          torch.tensor(ints).to(getattr(torch, name)).float().numpy())
    v = np.array([1.5, 2.0, 0.25, 96.0], dtype=np.float32)
    e, t = ember.tensor(v).to(getattr(ember, name)), torch.tensor(v).to(getattr(torch, name))
    for target in ("float16", "bfloat16", "float64", "int32", "float8_e5m2"):
        _same(e.to(getattr(ember, target)).float().numpy(), t.to(getattr(torch, target)).float().numpy())


@pytest.mark.parametrize("name", WIDE)
def test_wide_unsigned_casts_wrap_as_torch(name):
    for v in (np.array([3.7, -1.0, 70000.0, 0.0]), np.array([-3, 70000, 5], dtype=np.int64)):
        e, t = ember.tensor(v).to(getattr(ember, name)), torch.tensor(v).to(getattr(torch, name))
        np.testing.assert_array_equal(e.numpy(), t.numpy())
    big = np.array([1, 2, 3], dtype=getattr(np, name))
    assert ember.tensor(big).dtype is getattr(ember, name) and torch.tensor(big).dtype is getattr(torch, name)
    ints = ember.tensor([1, 2, 3], dtype=getattr(ember, name))
    tints = torch.tensor([1, 2, 3], dtype=getattr(torch, name))
    for op in (lambda x: x * 3, lambda x: x * 2.5, lambda x: x == x, lambda x: x.sum(), lambda x: x.cumsum(0),
               lambda x: x + x.to(x.dtype).float() if False else x.float() + x):
        ours, theirs = op(ints), op(tints)
        assert ours.dtype.name == str(theirs.dtype).split(".")[1]
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("a,b", [("uint16", "int32"), ("uint16", "bool"), ("uint32", "uint16"),
                                 ("uint16", "uint8"), ("float8_e4m3fn", "float32"), ("float8_e4m3fn", "bool"),
                                 ("float8_e4m3fn", "float8_e5m2"), ("uint64", "float8_e5m2")])
def test_promotion_refused_as_torch(a, b):
    with pytest.raises(RuntimeError, match="Promotion"):
        torch.promote_types(getattr(torch, a), getattr(torch, b))
    with pytest.raises(ember.DTypeError, match="promotion"):
        ember.promote_types(getattr(ember, a), getattr(ember, b))
    with pytest.raises(ember.DTypeError, match="promotion"):
        ember.ones(2, dtype=getattr(ember, a)) + ember.ones(2, dtype=getattr(ember, b))


@pytest.mark.parametrize("a,b", [("uint16", "float32"), ("uint64", "float16"), ("uint32", "float64"),
                                 ("uint16", "uint16"), ("float8_e5m2", "float8_e5m2")])
def test_promotion_allowed_as_torch(a, b):
    ours = ember.promote_types(getattr(ember, a), getattr(ember, b))
    assert repr(ours) == repr(torch.promote_types(getattr(torch, a), getattr(torch, b))).replace("torch.", "ember.")


@pytest.mark.parametrize("name", WIDE + FLOAT8)
def test_finfo_and_iinfo_match_torch(name):
    e, t = getattr(ember, name), getattr(torch, name)
    if t.is_floating_point:
        for field in ("bits", "max", "min", "eps", "tiny", "resolution"):
            if (name, field) == ("float8_e5m2fnuz", "eps"):
                continue  # below: torch's finfo says 0.125, its own casts show the spacing is 0.25
            assert getattr(ember.finfo(e), field) == getattr(torch.finfo(t), field), field
    else:
        for field in ("bits", "max", "min"):
            assert getattr(ember.iinfo(e), field) == getattr(torch.iinfo(t), field), field


def test_float8_e5m2fnuz_eps_is_the_spacing_torch_rounds_to():
    above_one = np.array([1.125, 1.25, 1.375], dtype=np.float32)
    rounded = torch.tensor(above_one).to(torch.float8_e5m2fnuz).float().numpy()
    np.testing.assert_array_equal(rounded, [1.0, 1.25, 1.5])  # two mantissa bits: 1 + 0.25 is next after 1
    np.testing.assert_array_equal(ember.tensor(above_one).to(ember.float8_e5m2fnuz).float().numpy(), rounded)
    assert ember.finfo(ember.float8_e5m2fnuz).eps == 0.25 and torch.finfo(torch.float8_e5m2fnuz).eps == 0.125


def test_gradient_through_a_float8_round_trip_matches_torch():
    v = np.array([1.3, -2.7, 500.0])
    e, t = ember.tensor(v, requires_grad=True), torch.tensor(v, requires_grad=True)
    (e.to(ember.float8_e4m3fn).double() * ember.tensor([1.0, 2.0, 3.0])).sum().backward()
    (t.to(torch.float8_e4m3fn).double() * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(e.grad.numpy(), t.grad.numpy())
    assert ember.tensor(v).to(ember.float8_e5m2).numpy().dtype == np.dtype(ml_dtypes.float8_e5m2)
