"""`ember export` and `ember train --export-onnx`, run as a user runs them; the files are read back
by onnxruntime and compared with the ember model they came from."""
import os
import pathlib
import subprocess
import sys

import numpy as np

import ember
from onnx_helpers import onnx, run_ort

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _ember(*args, cwd):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "ember.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_export_keras_model_file(tmp_path):
    from ember import keras
    ember.manual_seed(0)
    model = keras.Sequential([keras.Input(shape=(6,)), keras.layers.Dense(5, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.save(tmp_path / "k.ember")
    result = _ember("export", "k.ember", "k.onnx", "--opset", "21", cwd=tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
    proto = onnx.load(str(tmp_path / "k.onnx"))
    assert proto.opset_import[0].version == 21
    x = np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32)
    with ember.no_grad():
        want = model(ember.tensor(x)).numpy()
    np.testing.assert_allclose(run_ort(proto, [x])[0], want, rtol=1e-4, atol=1e-5)


def test_export_io_model_file_with_input_shape(tmp_path):
    model = ember.nn.Sequential(ember.nn.Conv2d(1, 2, 3), ember.nn.ReLU(), ember.nn.Flatten(), ember.nn.Linear(8, 2))
    ember.io.save_model(model, tmp_path / "m.ember")
    missing = _ember("export", "m.ember", "m.onnx", cwd=tmp_path)
    assert missing.returncode == 1 and "--input-shape" in missing.stdout
    result = _ember("export", "m.ember", "m.onnx", "--input-shape", "1,4,4", cwd=tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
    x = np.random.default_rng(0).standard_normal((3, 1, 4, 4)).astype(np.float32)
    with ember.no_grad():
        want = model(ember.tensor(x)).numpy()
    np.testing.assert_allclose(run_ort(onnx.load(str(tmp_path / "m.onnx")), [x])[0], want, rtol=1e-4, atol=1e-5)


def test_export_refuses_what_is_not_a_model(tmp_path):
    (tmp_path / "junk.ember").write_bytes(b"not a model")
    result = _ember("export", "junk.ember", "j.onnx", cwd=tmp_path)
    assert result.returncode == 1 and "neither a Keras model file" in result.stdout
    assert not (tmp_path / "j.onnx").exists()
    bad = _ember("export", "junk.ember", "j.onnx", "--input-shape", "a,b", cwd=tmp_path)
    assert bad.returncode == 2 and "--input-shape" in bad.stderr


def test_train_export_onnx(tmp_path):
    result = _ember("train", "--model", "mlp", "--epochs", "1", "--verbose", "0", "--output", "mlp.ember",
                    "--export-onnx", "mlp.onnx", cwd=tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
    from ember import keras
    model = keras.models.load_model(tmp_path / "mlp.ember")
    x = np.random.default_rng(0).random((5, 64)).astype(np.float32) * 16
    model.eval()
    with ember.no_grad():
        want = model(ember.tensor(x)).numpy()
    np.testing.assert_allclose(run_ort(onnx.load(str(tmp_path / "mlp.onnx")), [x])[0], want, rtol=1e-4, atol=1e-5)
