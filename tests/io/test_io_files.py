"""`ember.save`/`ember.load` with torch.save/torch.load's signatures: the same script runs on both
libraries — paths and file objects, state dicts, whole modules behind `weights_only=False` — and
ember never pickles."""
import io
import pickle

import numpy as np
import pytest
import torch

import ember
import ember.serialization
from ember.io import FileError


def make(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(4, 8), lib.nn.ReLU(), lib.nn.Linear(8, 2))


@pytest.mark.parametrize("lib", [torch, ember], ids=["torch", "ember"])
def test_state_dict_round_trip_through_a_file_object_and_a_path(lib, tmp_path):
    model = make(lib)
    buffer = io.BytesIO()
    lib.save(model.state_dict(), buffer)
    buffer.seek(0)
    state = lib.load(buffer, weights_only=True)
    other = make(lib)
    other.load_state_dict(state)
    with open(tmp_path / "m.pt", "wb") as f:
        lib.save({"model": model.state_dict(), "epoch": 3}, f)
    with open(tmp_path / "m.pt", "rb") as f:
        ckpt = lib.load(f, map_location="cpu", weights_only=True)
    assert ckpt["epoch"] == 3
    for k, v in ckpt["model"].items():
        np.testing.assert_array_equal(v.numpy(), model.state_dict()[k].detach().numpy())


@pytest.mark.parametrize("lib", [torch, ember], ids=["torch", "ember"])
def test_whole_module_needs_weights_only_false(lib, tmp_path):
    model = make(lib)
    path = tmp_path / "whole.pt"
    lib.save(model, path)
    with pytest.raises(Exception):           # both refuse a whole module under the default weights_only
        lib.load(path)
    loaded = lib.load(path, weights_only=False)
    x = lib.ones(3, 4)
    np.testing.assert_allclose(loaded(x).detach().numpy(), model(x).detach().numpy())


def test_ember_files_are_never_pickles(tmp_path):
    path = tmp_path / "whole.ember"
    ember.save(make(ember), path)
    with pytest.raises(Exception):
        pickle.loads(path.read_bytes())
    assert ember.serialization.load is ember.load and ember.serialization.save is ember.save


def test_whole_model_loads_from_file_object_and_moves_to_the_map_location(tmp_path):
    model = make(ember)
    buffer = io.BytesIO()
    ember.save(model, buffer)
    buffer.seek(0)
    loaded = ember.load(buffer, map_location=ember.device("cpu"), weights_only=False)
    x = ember.randn(5, 4)
    np.testing.assert_array_equal(loaded(x).detach().numpy(), model(x).detach().numpy())


def test_unsupported_arguments_raise():
    buffer = io.BytesIO()
    with pytest.raises(ember.ArgumentError, match="pickle_module"):
        ember.save({"a": ember.ones(1)}, buffer, pickle_module=pickle)
    with pytest.raises(ember.ArgumentError, match="pickle_protocol"):
        ember.save({"a": ember.ones(1)}, buffer, pickle_protocol=4)
    ember.save({"a": ember.ones(1)}, buffer)
    for kw, match in [(dict(pickle_module=pickle), "pickle_module"), (dict(encoding="latin1"), "encoding"),
                      (dict(mmap=True), "mmap"), (dict(map_location=lambda s, loc: s), "map_location"),
                      (dict(map_location={"cuda:0": "cpu"}), "map_location"), (dict(weights_only="yes"), "weights_only")]:
        buffer.seek(0)
        with pytest.raises(ember.ArgumentError, match=match):
            ember.load(buffer, **kw)


def test_file_objects_in_text_mode_and_garbage_give_file_errors(tmp_path):
    path = tmp_path / "x.ember"
    ember.save({"a": ember.ones(2)}, path)
    with open(path, "r", encoding="latin1") as f, pytest.raises(FileError, match="binary mode"):
        ember.load(f)
    with pytest.raises(FileError):
        ember.load(io.BytesIO(b"not a safetensors file at all"))
