"""The core and `ember train` run without the extras of the satellites: `import ember`, `ember.keras` and the
command line import none of tensorboard, onnx, matplotlib, pydot, starlette, uvicorn, mpi4py or numba (each
is hidden from a fresh interpreter here; the README's first command installs none of them)."""
import subprocess
import sys

HIDDEN = ("tensorboard", "onnx", "onnxruntime", "matplotlib", "pydot", "starlette", "uvicorn", "prometheus_client",
          "mpi4py", "numba", "scipy", "torch", "keras")

PROBE = f"""
import sys
for name in {HIDDEN!r}:
    sys.modules[name] = None          # importing it now raises ImportError
import ember, ember.keras, ember.nn, ember.optim
from ember.cli import main
from ember import keras
keras.callbacks.TensorBoard           # the name exists; it needs tensorboard only when it writes
print("ok")
"""


def test_core_and_cli_import_without_the_extras():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
