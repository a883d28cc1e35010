"""PyTorch's packed shell dtypes (sub-byte ints, bit patterns, float4): ember has the dtype objects with
torch's metadata, and refuses every tensor in them where torch has no kernel."""
import copy
import pickle

import pytest
import torch

import ember

SHELLS = ["uint1", "uint2", "uint3", "uint4", "uint5", "uint6", "uint7", "int1", "int2", "int3", "int4", "int5", "int6",
          "int7", "bits1x8", "bits2x4", "bits4x2", "bits8", "bits16", "float4_e2m1fn_x2"]


@pytest.mark.parametrize("name", SHELLS)
def test_shell_dtype_metadata_matches_torch(name):
    e, t = getattr(ember, name), getattr(torch, name)
    assert (e.itemsize, e.is_floating_point, e.is_complex) == (t.itemsize, t.is_floating_point, t.is_complex)
    assert repr(e) == repr(t).replace("torch.", "ember.")
    if name.startswith("bits"):
        with pytest.raises(RuntimeError, match="Bits types are undefined"):
            t.is_signed
        with pytest.raises(ember.DTypeError, match="bits types are undefined"):
            e.is_signed
    else:
        assert e.is_signed == t.is_signed
    assert copy.deepcopy(e) is e and pickle.loads(pickle.dumps(e)) is e


@pytest.mark.parametrize("name", SHELLS)
def test_tensors_in_shell_dtypes_are_refused_where_torch_has_no_kernel(name):
    e, t = getattr(ember, name), getattr(torch, name)
    for call in (lambda lib, d: lib.tensor([1], dtype=d), lambda lib, d: lib.ones(2).to(d)):
        with pytest.raises((RuntimeError, NotImplementedError)):
            call(torch, t)
        with pytest.raises(ember.DTypeError, match="shell dtype"):
            call(ember, e)
    assert torch.zeros(2, dtype=t).dtype is t  # torch has zeroed storage; ember keeps none
    with pytest.raises(ember.DTypeError, match="zeros: .*shell dtype"):
        ember.zeros(2, dtype=e)
    with pytest.raises(TypeError):
        torch.iinfo(t)
    with pytest.raises(ember.DTypeError):
        ember.iinfo(e)
