"""Top-level runtime switches and queries against torch: the deterministic debug mode, denormal
flushing, thread-pool start, build capabilities, the default device, device modules, and the CPU's
Stream and Event."""
import numpy as np
import pytest
import torch

import ember

COVERS = {"torch": ["set_default_device"]}  # called as `lib.<name>` on both (tests/api_coverage.py, rule 2)


@pytest.fixture(autouse=True)
def _restore():
    yield
    ember.set_deterministic_debug_mode(0)
    torch.set_deterministic_debug_mode(0)
    torch.set_flush_denormal(False)


@pytest.mark.parametrize("mode", [0, 1, 2, "default", "warn", "error"])
def test_deterministic_debug_mode_matches_torch(mode):
    for lib in (ember, torch):
        lib.set_deterministic_debug_mode(mode)
    assert ember.get_deterministic_debug_mode() == torch.get_deterministic_debug_mode()
    assert ember.are_deterministic_algorithms_enabled() == torch.are_deterministic_algorithms_enabled()
    assert ember.is_deterministic_algorithms_warn_only_enabled() == torch.is_deterministic_algorithms_warn_only_enabled()


@pytest.mark.parametrize("bad", ["x", 5, 1.0])
def test_deterministic_debug_mode_refuses_what_torch_refuses(bad):
    with pytest.raises((RuntimeError, TypeError)):
        torch.set_deterministic_debug_mode(bad)
    with pytest.raises(ember.ArgumentError, match="set_deterministic_debug_mode"):
        ember.set_deterministic_debug_mode(bad)


def test_flush_denormal_is_reported_unsupported_and_denormals_stay():
    tiny = np.array([1e-310])
    assert torch.set_flush_denormal(True) is True
    assert (torch.tensor(tiny) * 1).item() == 0.0  # torch flushes
    assert ember.set_flush_denormal(True) is False  # ember cannot set the CPU's flags: it says so
    assert (ember.tensor(tiny) * 1).item() == 1e-310
    with pytest.raises(RuntimeError):
        torch.set_flush_denormal(1)
    with pytest.raises(ember.ArgumentError, match="bool"):
        ember.set_flush_denormal(1)


def test_build_queries_and_thread_start():
    assert ember.has_lapack is torch.has_lapack is True
    assert ember.has_spectral is torch.has_spectral is True
    assert isinstance(ember.has_mkl, bool) and isinstance(torch.has_mkl, bool)
    assert ember.has_openmp is False and isinstance(torch.has_openmp, bool)  # ember builds no OpenMP code
    assert ember.is_vulkan_available() is torch.is_vulkan_available() is False
    assert ember.init_num_threads() is torch.init_num_threads() is None
    assert ember.get_num_threads() >= 1


def test_default_device_and_device_modules():
    for lib in (ember, torch):
        lib.set_default_device("cpu")
        lib.set_default_device(None)
    assert str(ember.get_default_device()) == str(torch.get_default_device()) == "cpu"
    with pytest.raises(ember.DeviceError, match="cuda"):  # not available here, or not a default ember takes
        ember.set_default_device("cuda")
    assert ember.get_device_module("cpu") is ember.cpu and ember.get_device_module() is ember.cpu
    assert ember.get_device_module("cuda") is ember.cuda
    assert torch.get_device_module("cpu") is torch.cpu
    for name in ("is_available", "device_count", "current_device"):
        assert getattr(ember.cpu, name)() == getattr(torch.cpu, name)()
    assert ember.cpu.synchronize() is torch.cpu.synchronize() is None
    with pytest.raises(RuntimeError):
        torch.get_device_module("foo")
    with pytest.raises(ember.EmberError):
        ember.get_device_module("foo")


def test_cpu_stream_and_event_behave_as_torch():
    es, ts = ember.Stream(), torch.Stream()
    assert es.query() is ts.query() is True
    assert es.synchronize() is ts.synchronize() is None
    assert es.device_index == ts.device_index == -1 and es.stream_id == ts.stream_id == 0
    assert es == ember.Stream("cpu") and ts == torch.Stream("cpu") and hash(es) == hash(ember.Stream())
    ee, te = ember.Event(), torch.Event()
    assert ee.query() is te.query() is True
    assert ee.synchronize() is te.synchronize() is None and ee.wait() is te.wait() is None
    assert es.wait_event(ee) is ts.wait_event(te) is None
    for call in (lambda lib, s, e: e.record(), lambda lib, s, e: s.record_event(),
                 lambda lib, s, e: s.wait_stream(lib.Stream())):
        with pytest.raises(RuntimeError, match="support events"):
            call(torch, ts, te)
        with pytest.raises(ember.DeviceError, match="no events"):
            call(ember, es, ee)
    with pytest.raises(ValueError):
        torch.Event().elapsed_time(torch.Event())
    with pytest.raises(ember.DeviceError, match="enable_timing"):
        ember.Event().elapsed_time(ember.Event())
    with pytest.raises(ember.DeviceError, match="cuda"):
        ember.Stream("cuda")


def test_cudnn_and_storage_queries():
    assert ember.cudnn_is_acceptable(ember.ones(1)) is False  # ember has no cuDNN
    with pytest.raises(TypeError):
        torch.cudnn_is_acceptable(3)
    with pytest.raises(ember.DTypeError, match="cudnn_is_acceptable"):
        ember.cudnn_is_acceptable(3)
    assert torch.is_storage(torch.ones(1).untyped_storage()) is True
    assert ember.is_storage(ember.ones(1)) is torch.is_storage(torch.ones(1)) is False
    assert ember.is_storage(3) is torch.is_storage(3) is False
