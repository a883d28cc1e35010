"""Keras-style example scripts (written here, with small stand-in data) run unchanged on real Keras
(torch backend) and on ember.keras: only the import lines differ. Each script asserts what it claims
(accuracy, loss falling); running it on Keras in the same test shows the script itself is right."""
import contextlib
import io
import os
import pathlib
import re

import pytest

SCRIPTS = pathlib.Path(__file__).parent / "keras_scripts"
# the only edits: where the names come from
IMPORTS = [(r"^import keras$", "from ember import keras"),
           (r"^from keras import (.*)$", r"from ember.keras import \1"),
           (r"^import torch$", "import ember as torch")]
FAST = ["custom_train_step", "imbalanced", "subclassed_custom_parts", "multi_io_callbacks", "pydataset_finetune"]
SLOW = ["convnet", "text_transformer", "timeseries_classifier", "char_lstm", "bidirectional_imdb"]


def ported(source):
    for pattern, replacement in IMPORTS:
        source = re.sub(pattern, replacement, source, flags=re.MULTILINE)
    return source


def run(source, name, tmp_path):
    """Execute a script as __main__ in `tmp_path`; returns its globals (History in `history`)."""
    scope = {"__name__": "__main__"}
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(source, f"{name}.py", "exec"), scope)
    finally:
        os.chdir(cwd)
    return scope


def check(name, real_keras, tmp_path):
    source = (SCRIPTS / f"{name}.py").read_text()
    ours = ported(source)
    changed = [(a, b) for a, b in zip(source.splitlines(), ours.splitlines()) if a != b]
    assert changed and all(a.startswith(("import ", "from ")) for a, _ in changed)  # imports only
    reference = run(source, name, tmp_path)
    assert reference["keras"] is real_keras
    ember_run = run(ours, name, tmp_path)
    assert ember_run["keras"].__name__ == "ember.keras"
    h_ref, h_ours = reference["history"].history, ember_run["history"].history
    assert sorted(h_ours) == sorted(h_ref)
    assert len(h_ours["loss"]) == len(h_ref["loss"]) or "EarlyStopping" in source


@pytest.mark.parametrize("name", FAST)
def test_script_runs_on_keras_and_ember(real_keras, tmp_path, name):
    check(name, real_keras, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("name", SLOW)
def test_longer_script_runs_on_keras_and_ember(real_keras, tmp_path, name):
    check(name, real_keras, tmp_path)


def test_every_script_is_run():
    assert sorted(p.stem for p in SCRIPTS.glob("*.py")) == sorted(FAST + SLOW)
