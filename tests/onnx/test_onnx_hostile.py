"""Hostile ONNX files: a generated corpus of malformed models (hostile.py) is refused by
ember.onnx.load or by the first run, always with an ember error, quickly and in bounded memory;
external data never leaves the model's folder."""
import os
import time
import tracemalloc

import numpy as np
import pytest

import ember
from onnx_helpers import onnx  # noqa: F401 (skips without onnx)
import onnx_hostile as hostile

MEMORY = 16 << 20   # bytes a refusal may allocate beyond the file's size


def _attempt(path):
    model = ember.onnx.load(path)
    with ember.no_grad():
        model(ember.zeros(2, 1, 6, 6))


def test_the_good_model_loads_and_runs(tmp_path):
    path = tmp_path / "good.onnx"
    path.write_bytes(hostile.good_model().SerializeToString())
    out = ember.onnx.load(path)(ember.ones(2, 1, 6, 6))
    assert out.shape == (2, 3) and np.isfinite(out.detach().numpy()).all()


def test_hostile_files_are_refused(tmp_path):
    outside = tmp_path / "outside.bin"
    outside.write_bytes(b"\0" * 4096)
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "link_dir").symlink_to(tmp_path, target_is_directory=True)
    (folder / "link.bin").symlink_to(outside)
    (tmp_path / "weights.bin").write_bytes(b"\0" * 4096)
    corpus = hostile.variants(outside)
    assert len(corpus) >= 200
    accepted, slowest = [], (0.0, "")
    for kind, data, extra in corpus:
        for rel, content in extra.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_bytes(content)
        path = folder / "m.onnx"
        path.write_bytes(data)
        tracemalloc.start()
        t0 = time.perf_counter()
        try:
            _attempt(path)
            accepted.append(kind)
        except ember.EmberError:
            pass
        except Exception as e:  # noqa: BLE001 (anything else is the failure this test looks for)
            accepted.append(f"{kind}: {type(e).__name__}: {e}"[:300])
        finally:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
        took = time.perf_counter() - t0
        slowest = max(slowest, (took, kind))
        assert peak < len(data) + MEMORY, f"{kind}: {peak} bytes allocated for a {len(data)}-byte file"
        for rel in extra:
            os.remove(folder / rel)
    assert not accepted, "not refused with an ember error:\n" + "\n".join(accepted)
    assert slowest[0] < 2.0, slowest


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
