"""Hostile ONNX files: a generated corpus of malformed models (onnx_hostile.py) is refused by
ember.onnx.load or by the first run, always with an ember error, quickly and in bounded memory;
external data never leaves the model's folder."""
import concurrent.futures
import multiprocessing

import numpy as np
import pytest

import ember
from onnx_helpers import onnx  # noqa: F401 (skips without onnx)
import onnx_hostile as hostile

MEMORY = 16 << 20   # bytes a refusal may allocate beyond the file's size


def test_the_good_model_loads_and_runs(tmp_path):
    path = tmp_path / "good.onnx"
    path.write_bytes(hostile.good_model().SerializeToString())
    out = ember.onnx.load(path)(ember.ones(2, 1, 6, 6))
    assert out.shape == (2, 3) and np.isfinite(out.detach().numpy()).all()


def test_hostile_files_are_refused(tmp_path, monkeypatch):
    (tmp_path / "outside.bin").write_bytes(b"\0" * 4096)
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "link_dir").symlink_to(tmp_path, target_is_directory=True)
    (folder / "link.bin").symlink_to(tmp_path / "outside.bin")
    # In a child process with 8 GiB of address space: a refusal that allocated hugely fails there. One BLAS
    # thread: each thread's buffers take address space too.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.setenv(var, "1")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        problems, slowest, count = pool.submit(hostile.refuse_all, str(folder), MEMORY, 8 << 30).result(timeout=600)
    assert count >= 200
    assert not problems, "\n".join(problems)
    assert slowest < 2.0, slowest


def test_external_data_inside_the_folder_loads(tmp_path):
    model = hostile.good_model()
    weight = next(t for t in model.graph.initializer if t.name == "fc.weight")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "w.bin").write_bytes(b"\0" * 16 + weight.raw_data)
    data = hostile._mutate(model, hostile._external("sub/w.bin", offset=16))
    (tmp_path / "m.onnx").write_bytes(data)
    loaded = ember.onnx.load(tmp_path / "m.onnx")
    np.testing.assert_array_equal(loaded.state_dict()["fc.weight"].numpy(),
                                  onnx.numpy_helper.to_array(weight))
    with pytest.raises(ember.onnx.OnnxError, match="load the model from a path"):
        ember.onnx.load(data)


def test_exported_large_model_uses_external_data_beside_it(tmp_path, monkeypatch):
    from ember.onnx import exporter
    monkeypatch.setattr(exporter, "EXTERNAL_DATA_BYTES", 1000)   # as if the weights were over 2 GB
    model = ember.nn.Sequential(ember.nn.Linear(40, 30), ember.nn.ReLU(), ember.nn.Linear(30, 2))
    ember.onnx.export(model, ember.randn(2, 40), tmp_path / "big.onnx")
    assert (tmp_path / "big.onnx.data").stat().st_size >= 40 * 30 * 4
    again = ember.onnx.load(tmp_path / "big.onnx")
    x = ember.randn(3, 40)
    with ember.no_grad():
        np.testing.assert_allclose(again(x).numpy(), model(x).numpy(), rtol=1e-5, atol=1e-6)
