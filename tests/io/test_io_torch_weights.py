"""Weights written by PyTorch (safetensors.torch.save_file) and Keras-style names load into ember modules."""
import numpy as np
import pytest
import torch
from safetensors.torch import save_file

import ember
import ember.io
from ember import nn

TOL = dict(rtol=1e-4, atol=1e-5)


def _pair(kind):
    torch.manual_seed(0)
    if kind == "mlp":
        t = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
        e = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))
        return t, e, np.random.randn(4, 6).astype(np.float32)
    if kind == "cnn":
        t = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
                                torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(4 * 3 * 3, 5))
        e = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(4 * 3 * 3, 5))
        t.train()
        t(torch.randn(8, 1, 8, 8))  # non-trivial running statistics
        return t, e, np.random.randn(2, 1, 8, 8).astype(np.float32)
    t = torch.nn.LSTM(5, 7, num_layers=2, batch_first=True)
    e = nn.LSTM(5, 7, num_layers=2, batch_first=True)
    return t, e, np.random.randn(3, 4, 5).astype(np.float32)


@pytest.mark.parametrize("kind", ["mlp", "cnn", "lstm"])
def test_torch_models_load_into_ember(tmp_path, kind):
    t, e, x = _pair(kind)
    path = str(tmp_path / f"{kind}.safetensors")
    save_file({k: v.contiguous() for k, v in t.state_dict().items()}, path)
    state = ember.io.load_torch_safetensors(path)
    assert set(state) == set(t.state_dict())
    e.load_state_dict(state)
    t.eval()
    e.eval()
    with torch.no_grad():
        want = t(torch.from_numpy(x))
    got = e(ember.tensor(x))
    want, got = (want[0], got[0]) if isinstance(want, tuple) else (want, got)
    np.testing.assert_allclose(got.detach().numpy(), want.numpy(), **TOL)
    if kind == "cnn":  # the int64 counter comes through too
        assert state["1.num_batches_tracked"].dtype == ember.int64 and int(state["1.num_batches_tracked"]) == 1


def test_torch_dtypes_including_bfloat16(tmp_path):
    tensors = {"bf": torch.randn(3, 2).to(torch.bfloat16), "h": torch.randn(4).half(), "d": torch.randn(2).double(),
               "i": torch.arange(5), "b": torch.tensor([True, False])}
    save_file(tensors, str(tmp_path / "d.safetensors"))
    state = ember.io.load_torch_safetensors(tmp_path / "d.safetensors")
    assert state["bf"].dtype == ember.bfloat16 and state["h"].dtype == ember.float16
    for k, v in tensors.items():
        np.testing.assert_array_equal(state[k].to(ember.float64).numpy() if k in ("bf", "h")
                                      else state[k].numpy(), v.double().numpy() if k in ("bf", "h") else v.numpy())
    with pytest.raises(ember.io.FileError, match="header length"):
        (tmp_path / "t.safetensors").write_bytes(b"\xff" * 8 + b"{}")
        ember.io.load_torch_safetensors(tmp_path / "t.safetensors")


def test_keras_names_map_to_ember():
    rng = np.random.default_rng(0)
    dense_k, dense_b = rng.standard_normal((6, 4)).astype(np.float32), rng.standard_normal(4).astype(np.float32)
    conv_k = rng.standard_normal((3, 3, 2, 5)).astype(np.float32)
    weights = {"dense/kernel:0": dense_k, "dense/bias:0": dense_b, "conv2d/kernel:0": conv_k,
               "bn/gamma:0": np.ones(5, np.float32), "bn/moving_variance:0": np.full(5, 2.0, np.float32)}
    state = ember.io.keras_to_ember(weights, {"dense": "fc"})
    assert list(state) == ["fc.weight", "fc.bias", "conv2d.weight", "bn.weight", "bn.running_var"]
    lin = nn.Linear(6, 4)
    lin.load_state_dict({"weight": state["fc.weight"], "bias": state["fc.bias"]})
    x = rng.standard_normal((2, 6)).astype(np.float32)
    np.testing.assert_allclose(lin(ember.tensor(x)).detach().numpy(), x @ dense_k + dense_b, **TOL)
    assert tuple(state["conv2d.weight"].shape) == (5, 2, 3, 3)
    assert np.array_equal(state["conv2d.weight"].numpy()[4, 1], conv_k[:, :, 1, 4])
    with pytest.raises(ember.io.FileError, match="cannot map weight 'dense/strange:0'"):
        ember.io.keras_to_ember({"dense/strange:0": dense_b})
