"""ember.backends (torch.backends' flags and queries) and the determinism/precision settings against PyTorch."""
import pytest
import torch

import ember
from ember.errors import ArgumentError, DTypeError

# test_a_script_header_runs_unchanged calls these through a loop over both libraries
COVERS = {"torch": ["use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
                    "is_deterministic_algorithms_warn_only_enabled"]}


def test_cudnn_flags_are_settable_attributes_with_torchs_defaults():
    for name in ("enabled", "benchmark", "deterministic", "allow_tf32", "benchmark_limit"):
        assert getattr(ember.backends.cudnn, name) == getattr(torch.backends.cudnn, name), name
    ember.backends.cudnn.benchmark = True
    ember.backends.cudnn.deterministic = True
    assert ember.backends.cudnn.benchmark and ember.backends.cudnn.deterministic
    with ember.backends.cudnn.flags(enabled=False, deterministic=False), \
            torch.backends.cudnn.flags(enabled=False, deterministic=False):
        assert ember.backends.cudnn.enabled is torch.backends.cudnn.enabled is False
    assert ember.backends.cudnn.deterministic is True  # restored
    ember.backends.cudnn.benchmark = ember.backends.cudnn.deterministic = False
    assert ember.backends.cudnn.is_available() is torch.backends.cudnn.is_available() is False  # a CPU torch
    assert ember.backends.cudnn.version() is None is torch.backends.cudnn.version()
    assert ember.backends.cudnn.is_acceptable(ember.ones(1)) is torch.backends.cudnn.is_acceptable(torch.ones(1))


def test_device_queries_answer_for_ember():
    assert ember.backends.mps.is_available() is torch.backends.mps.is_available() is False
    assert ember.backends.mps.is_built() is False
    assert ember.backends.cuda.is_built() is ember.cuda.is_available()
    assert ember.backends.cuda.matmul.allow_tf32 == torch.backends.cuda.matmul.allow_tf32
    assert ember.backends.cuda.matmul.allow_fp16_reduced_precision_reduction == \
        torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction
    assert ember.backends.cuda.math_sdp_enabled() is torch.backends.cuda.math_sdp_enabled() is True
    assert not ember.backends.cuda.flash_sdp_enabled() and not ember.backends.cuda.mem_efficient_sdp_enabled()
    assert ember.backends.mkldnn.is_available() is False and ember.backends.openmp.is_available() is False
    assert ember.backends.mkldnn.enabled == torch.backends.mkldnn.enabled
    assert ember.backends.cpu.get_cpu_capability() in ("AVX512", "AVX2", "DEFAULT")
    if torch.backends.cpu.get_cpu_capability() in ("AVX512", "AVX2", "DEFAULT"):
        assert ember.backends.cpu.get_cpu_capability() == torch.backends.cpu.get_cpu_capability()


def test_a_script_header_runs_unchanged():
    for lib in (torch, ember):
        lib.backends.cudnn.deterministic = True
        lib.backends.cudnn.benchmark = False
        device = "mps" if lib.backends.mps.is_available() else "cpu"
        lib.use_deterministic_algorithms(True)
        assert lib.are_deterministic_algorithms_enabled()
        lib.use_deterministic_algorithms(True, warn_only=True)
        assert lib.is_deterministic_algorithms_warn_only_enabled()
        lib.use_deterministic_algorithms(False)
        assert not lib.are_deterministic_algorithms_enabled()
        lib.backends.cudnn.deterministic = False
        assert device == "cpu"


def test_float32_matmul_precision_as_torch():
    assert ember.get_float32_matmul_precision() == torch.get_float32_matmul_precision() == "highest"
    for p in ("high", "medium", "highest"):
        torch.set_float32_matmul_precision(p)
        ember.set_float32_matmul_precision(p)
        assert ember.get_float32_matmul_precision() == torch.get_float32_matmul_precision()
    with pytest.raises(ArgumentError, match="'highest', 'high' or 'medium'"):
        ember.set_float32_matmul_precision("low")
    with pytest.raises(DTypeError, match="bool"):
        ember.use_deterministic_algorithms("yes")
