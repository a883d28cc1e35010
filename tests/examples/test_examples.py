"""Every script in examples/ runs as a user would run it and passes the assertions it ends with."""
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
NEEDS_SKLEARN = {"keras_digits_cnn", "pytorch_style_loop", "subclassed_model", "onnx_transfer_learning"}
SLOW = {"transformer_lm"}   # over ~20 s on 2 cores (24 s measured; the others 5-13 s)


def _params():
    for path in sorted(EXAMPLES.glob("*.py")):
        marks = [pytest.mark.slow] if path.stem in SLOW else []
        yield pytest.param(path.stem, marks=marks, id=path.stem)


@pytest.mark.parametrize("name", list(_params()))
def test_example_runs_and_meets_its_claims(name, tmp_path):
    if name in NEEDS_SKLEARN:
        pytest.importorskip("sklearn")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")  # BLAS threads spin on oversubscribed cores (-n 2 on 2 cores): the LSTM ran 20x slower
    result = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py")], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{name}.py failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"


def test_every_example_is_collected():
    assert {p.stem for p in EXAMPLES.glob("*.py")} >= {"keras_digits_cnn", "pytorch_style_loop",
                                                         "subclassed_model", "char_lstm", "transformer_lm"}
