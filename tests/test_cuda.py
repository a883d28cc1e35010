"""ember.cuda, ember.accelerator and the device plumbing on a machine without a GPU, against what
PyTorch (CPU build) answers here: availability, counts, the errors of calls that need a GPU,
`ember.load(map_location=...)`, `DataLoader(pin_memory=True)`. The same calls with a GPU are in
tests/gpu."""
import numpy as np
import pytest

import ember
from ember.data import ArrayDataset, DataLoader

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.skipif(ember.cuda.is_available(), reason="checks the answers of a machine without a GPU")


def test_availability_matches_torch_on_this_machine():
    assert ember.cuda.is_available() == torch.cuda.is_available() is False
    assert ember.cuda.device_count() == torch.cuda.device_count() == 0
    assert ember.accelerator.is_available() == torch.accelerator.is_available() is False
    assert ember.accelerator.device_count() == torch.accelerator.device_count() == 0
    assert ember.accelerator.current_accelerator() is torch.accelerator.current_accelerator() is None
    assert ember.cuda.is_bf16_supported() is False


@pytest.mark.parametrize("call", [lambda m: m.synchronize(), lambda m: m.current_device_index()])
def test_accelerator_calls_that_need_one_raise_like_torch(call):
    with pytest.raises(RuntimeError):
        call(torch.accelerator)
    with pytest.raises(ember.DeviceError, match="no accelerator"):
        call(ember.accelerator)


@pytest.mark.parametrize("name", ["synchronize", "memory_allocated", "memory_reserved", "empty_cache",
                                  "current_device", "get_device_name"])
def test_cuda_calls_that_need_a_gpu_raise(name):
    with pytest.raises(ember.DeviceError, match="CUDA is not available"):
        getattr(ember.cuda, name)()


def test_moving_to_cuda_raises_clearly():
    with pytest.raises(ember.DeviceError, match="not available"):
        ember.ones(2).to("cuda")
    with pytest.raises(ember.DeviceError, match="not available"):
        ember.nn.Linear(2, 2).to("cuda")


def test_load_map_location(tmp_path):
    path = tmp_path / "w.safetensors"
    ember.save({"w": ember.arange(6.0).reshape(2, 3), "n": 3}, path)
    out = ember.load(path, map_location="cpu")
    assert out["w"].device == ember.device("cpu") and out["n"] == 3
    np.testing.assert_array_equal(out["w"].numpy(), np.arange(6.0).reshape(2, 3))
    with pytest.raises(ember.DeviceError, match="not available"):
        ember.load(path, map_location="cuda:0")
    with pytest.raises(ember.ArgumentError, match="map_location"):
        ember.load(path, map_location={"cuda:0": "cpu"})


def test_pin_memory_without_cuda_warns_like_torch():
    data = np.zeros((4, 2), np.float32)
    with pytest.warns(UserWarning, match="pin_memory"):
        list(torch.utils.data.DataLoader(torch.from_numpy(data), batch_size=2, pin_memory=True))
    with pytest.warns(UserWarning, match="pin_memory"):
        loader = DataLoader(ArrayDataset(data), batch_size=2, pin_memory=True)
    assert [b[0].shape for b in loader] == [ember.Size([2, 2])] * 2


class _NoAtModule:
    """NumPy standing in for an array module that lacks `ufunc.at`, `put_along_axis` and argsort's
    `kind` (as some CuPy versions do), to run the fallbacks of ember/ops/_xp.py on the CPU."""
    ndarray, ogrid, asarray = np.ndarray, np.ogrid, staticmethod(np.asarray)
    asnumpy = staticmethod(np.asarray)

    @staticmethod
    def multiply(a, b):
        return np.multiply(a, b)

    @staticmethod
    def argsort(a, axis=-1):
        return np.argsort(a, axis=axis, kind="stable")


def test_array_module_fallbacks_match_numpy():
    from ember.ops import _xp
    xp = _NoAtModule()
    a, ref = np.ones(4), np.ones(4)
    _xp.ufunc_at(xp, "multiply", a, np.array([1, 1, 3]), np.array([2.0, 3.0, 5.0]))
    np.multiply.at(ref, np.array([1, 1, 3]), np.array([2.0, 3.0, 5.0]))
    np.testing.assert_array_equal(a, ref)
    b, ref = np.zeros((3, 4)), np.zeros((3, 4))
    idx = np.array([[1], [3], [0]])
    _xp.put_along_axis(xp, b, idx, -1.0, axis=1)
    np.put_along_axis(ref, idx, -1.0, axis=1)
    np.testing.assert_array_equal(b, ref)
    keys = np.array([2, 1, 2, 0, 1])
    np.testing.assert_array_equal(_xp.stable_argsort(xp, keys), np.argsort(keys, kind="stable"))
