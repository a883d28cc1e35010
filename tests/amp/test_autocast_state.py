"""PyTorch's autocast state functions, called the same way on ember and torch: what they set, what the
getters read back, what ops then do, the nesting count and the weight-cast cache."""
import warnings

import numpy as np
import pytest
import torch

import ember
from ember.amp.autocast import _local

# called as `lib.<name>` on ember and torch alike (tests/api_coverage.py, rule 2)
COVERS = {"torch": ["set_autocast_enabled", "set_autocast_dtype", "set_autocast_cpu_enabled", "set_autocast_cpu_dtype",
                    "set_autocast_gpu_dtype", "is_autocast_cache_enabled", "set_autocast_cache_enabled",
                    "clear_autocast_cache", "autocast_increment_nesting", "autocast_decrement_nesting",
                    "set_autocast_ipu_dtype", "set_autocast_xla_dtype", "set_autocast_ipu_enabled",
                    "set_autocast_xla_enabled"]}


@pytest.fixture(autouse=True)
def _restore():
    yield
    for lib in (ember, torch):
        lib.set_autocast_enabled("cpu", False)
        lib.set_autocast_dtype("cpu", lib.bfloat16)
        lib.set_autocast_dtype("cuda", lib.float16)
        lib.set_autocast_cache_enabled(True)


def _dtype_name(d):
    return str(d).split(".")[-1]


@pytest.mark.parametrize("lib", [ember, torch], ids=["ember", "torch"])
def test_set_autocast_enabled_casts_matmuls(lib):
    lib.set_autocast_enabled("cpu", True)
    assert lib.is_autocast_enabled("cpu") and lib.get_autocast_dtype("cpu") is lib.bfloat16
    assert (lib.ones(2, 2) @ lib.ones(2, 2)).dtype is lib.bfloat16
    lib.set_autocast_dtype("cpu", lib.float16)
    assert (lib.ones(2, 2) @ lib.ones(2, 2)).dtype is lib.float16
    lib.set_autocast_enabled("cpu", False)
    assert not lib.is_autocast_enabled("cpu") and lib.get_autocast_dtype("cpu") is lib.float16
    assert (lib.ones(2, 2) @ lib.ones(2, 2)).dtype is lib.float32
    lib.set_autocast_cpu_enabled(True)
    lib.set_autocast_cpu_dtype(lib.bfloat16)
    assert (lib.ones(2, 2) @ lib.ones(2, 2)).dtype is lib.bfloat16
    lib.set_autocast_cpu_enabled(False)


def test_regions_set_and_restore_the_dtype_as_torch():
    seen = {}
    for lib in (ember, torch):
        lib.set_autocast_dtype("cpu", lib.float16)
        with lib.autocast("cpu"):  # no dtype: the one set
            inside = (lib.ones(2, 2) @ lib.ones(2, 2)).dtype
        with lib.autocast("cpu", dtype=lib.bfloat16):
            during = lib.get_autocast_dtype("cpu")
        seen[lib] = [_dtype_name(d) for d in (inside, during, lib.get_autocast_dtype("cpu"))]
    assert seen[ember] == seen[torch] == ["float16", "bfloat16", "float16"]


def test_gpu_dtype_cache_and_nesting_match_torch():
    for lib in (ember, torch):
        lib.set_autocast_gpu_dtype(lib.bfloat16)
        assert _dtype_name(lib.get_autocast_dtype("cuda")) == "bfloat16"
        lib.set_autocast_cache_enabled(False)
        assert lib.is_autocast_cache_enabled() is False
        lib.set_autocast_cache_enabled(True)
        assert lib.is_autocast_cache_enabled() is True
        counts = [lib.autocast_increment_nesting(), lib.autocast_increment_nesting(),
                  lib.autocast_decrement_nesting(), lib.autocast_decrement_nesting()]
        assert counts == [1, 2, 1, 0]
        assert lib.clear_autocast_cache() is None


def test_the_weight_cache_is_cleared_on_demand():
    w = ember.ones(2, 2, requires_grad=True)
    ember.set_autocast_enabled("cpu", True)
    ember.autocast_increment_nesting()
    try:
        first = ember.ones(1, 2) @ w
        assert len(_local.cache) == 1
        ember.clear_autocast_cache()
        assert len(_local.cache) == 0
        assert first.dtype is ember.bfloat16
    finally:
        ember.autocast_decrement_nesting()


def test_deprecated_device_spellings_match_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns that these spellings are deprecated
        for lib in (ember, torch):
            lib.set_autocast_enabled(True)  # the older CUDA-only form
            assert lib.is_autocast_enabled()
            lib.set_autocast_enabled(False)
            assert not lib.is_autocast_enabled()
        assert _dtype_name(ember.get_autocast_ipu_dtype()) == _dtype_name(torch.get_autocast_ipu_dtype())
        assert _dtype_name(ember.get_autocast_xla_dtype()) == _dtype_name(torch.get_autocast_xla_dtype())
        assert ember.is_autocast_ipu_enabled() is torch.is_autocast_ipu_enabled() is False
        assert ember.is_autocast_xla_enabled() is torch.is_autocast_xla_enabled() is False
        for lib in (ember, torch):
            lib.set_autocast_xla_dtype(lib.float16)
            lib.set_autocast_ipu_dtype(lib.bfloat16)
        assert _dtype_name(ember.get_autocast_xla_dtype()) == _dtype_name(torch.get_autocast_xla_dtype()) == "float16"
        assert _dtype_name(ember.get_autocast_ipu_dtype()) == _dtype_name(torch.get_autocast_ipu_dtype()) == "bfloat16"
        for lib in (ember, torch):
            lib.set_autocast_xla_dtype(lib.bfloat16)
            lib.set_autocast_ipu_dtype(lib.float16)
            lib.set_autocast_ipu_enabled(False)
            lib.set_autocast_xla_enabled(False)
        torch.set_autocast_ipu_enabled(True)  # torch records it; ember has no IPU to cast for
        torch.set_autocast_ipu_enabled(False)
        with pytest.raises(ember.ArgumentError, match="no IPU"):
            ember.set_autocast_ipu_enabled(True)
        with pytest.raises(ember.ArgumentError, match="no XLA"):
            ember.set_autocast_xla_enabled(True)


def test_bad_arguments_raise_like_torch():
    for call in (lambda m: m.set_autocast_cache_enabled(1), lambda m: m.set_autocast_cpu_enabled(1),
                 lambda m: m.set_autocast_enabled("tpu", True)):
        with pytest.raises((TypeError, RuntimeError)):
            call(torch)
        with pytest.raises(ember.EmberError):
            call(ember)
    with pytest.raises(ember.DTypeError, match="bfloat16 or ember.float16"):
        ember.set_autocast_dtype("cpu", ember.float64)  # torch records it and refuses at the next region
    np.testing.assert_equal(ember.get_autocast_dtype("cpu"), ember.bfloat16)
