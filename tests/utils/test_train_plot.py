"""`ember train --plot PATH`: a PNG with the training and validation curves (matplotlib's own colours)."""
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
TRAINING, VALIDATION = (0x1F, 0x77, 0xB4), (0xFF, 0x7F, 0x0E)   # matplotlib's C0 and C1


def test_plot_has_training_and_validation_curves(tmp_path):
    pytest.importorskip("matplotlib")
    pytest.importorskip("sklearn")
    from PIL import Image
    result = subprocess.run([sys.executable, "-m", "ember.cli", "train", "--model", "mlp", "--epochs", "2",
                             "--verbose", "0", "--plot", str(tmp_path / "curves.png"), "--output",
                             str(tmp_path / "m.ember")], capture_output=True, text=True, timeout=300, env=ENV,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"training curves written to {tmp_path / 'curves.png'}" in result.stdout
    with Image.open(tmp_path / "curves.png") as img:
        assert img.format == "PNG"
        pixels = np.asarray(img.convert("RGB")).reshape(-1, 3)
    for colour in (TRAINING, VALIDATION):
        assert (np.abs(pixels.astype(int) - colour).sum(1) < 30).sum() > 100, f"no curve drawn in {colour}"


def test_plot_rejects_an_unknown_file_type(tmp_path):
    result = subprocess.run([sys.executable, "-m", "ember.cli", "train", "--plot", str(tmp_path / "c.txt")],
                            capture_output=True, text=True, timeout=120, env=ENV, cwd=tmp_path)
    assert result.returncode == 2 and "must end in .png, .svg or .pdf" in result.stderr
