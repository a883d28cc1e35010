"""The `ember` command line."""
import subprocess
import sys
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _ember(*args):
    return subprocess.run([sys.executable, "-m", "ember.cli", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_help_lists_train():
    result = _ember("--help")
    assert result.returncode == 0 and "train" in result.stdout
    result = _ember("train", "--help")
    assert result.returncode == 0 and all(o in result.stdout for o in ("--epochs", "--model", "--output"))


@pytest.mark.parametrize("model", ["cnn", "mlp"])
def test_train_one_epoch_writes_weights(tmp_path, model):
    pytest.importorskip("sklearn")
    out = tmp_path / "m.ember"
    result = _ember("train", "--model", model, "--epochs", "1", "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert "test accuracy:" in result.stdout
    accuracy = float(result.stdout.split("test accuracy:")[1].split()[0])
    assert accuracy > 0.5
    import ember
    assert "dense.kernel" in " ".join(ember.load(str(out)))
