"""The `ember` command line: help, the default run end to end, every --model, --config files."""
import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _ember(*args, cwd=ROOT, timeout=180):
    env = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",  # see tests/examples
           **os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "ember.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)


def _after(text, label):
    return float(text.split(label)[1].split()[0].rstrip(");"))


def test_help_lists_train_and_its_options():
    result = _ember("--help")
    assert result.returncode == 0 and "train" in result.stdout
    result = _ember("train", "--help")
    assert result.returncode == 0
    for option in ("--model", "--epochs", "--batch-size", "--seed", "--output", "--verbose", "--config", "--prompt",
                   "lstm", "transformer"):
        assert option in result.stdout


@pytest.mark.slow
def test_default_run_trains_the_cnn_to_97_percent(tmp_path):
    """`ember train` with no arguments, as the README runs it: CNN on digits, weights in the cwd."""
    pytest.importorskip("sklearn")
    result = _ember("train", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Epoch 20/20" in result.stdout                       # progress is shown
    assert _after(result.stdout, "test accuracy:") >= 0.97
    from ember import keras
    from ember.cli.digits import load_data
    model = keras.models.load_model(tmp_path / "ember-digits.ember")
    x_test, y_test = load_data("cnn")[1]
    assert model.evaluate(x_test, y_test, verbose=0)[1] == pytest.approx(_after(result.stdout, "test accuracy:"),
                                                                        abs=1e-4)


@pytest.mark.parametrize("model", ["cnn", "mlp"])
def test_digits_models_one_epoch(tmp_path, model):
    pytest.importorskip("sklearn")
    out = tmp_path / "m.ember"
    result = _ember("train", "--model", model, "--epochs", "1", "--batch-size", "64", "--output", str(out))
    assert result.returncode == 0, result.stderr
    assert "batch size 64" in result.stdout
    assert _after(result.stdout, "test accuracy:") > 0.5
    from ember import keras
    assert "dense.kernel" in " ".join(keras.models.load_model(out).state_dict())


@pytest.mark.parametrize("model, weight", [("lstm", "lstm.weight_ih_l0"), ("transformer", "blocks.0.self_attn")])
def test_language_models_one_epoch(tmp_path, model, weight):
    out = tmp_path / "lm.ember"
    result = _ember("train", "--model", model, "--epochs", "1", "--output", str(out), "--prompt", "The hill")
    assert result.returncode == 0, result.stderr
    train_loss = _after(result.stdout, "final training loss:")
    assert train_loss < 4.0                                     # below a uniform guess over 58 characters
    assert _after(result.stdout, "(perplexity") == pytest.approx(2.718281828 ** train_loss, rel=1e-2)
    assert "validation loss:" in result.stdout
    sample = result.stdout.split("sample: ")[1].splitlines()[0]
    assert sample.startswith("'The hill") and len(sample) > 150
    import ember.cli.charlm  # noqa: F401  (registers the language models' classes)
    from ember import keras
    assert weight in " ".join(keras.models.load_model(out).state_dict())


def test_seed_makes_runs_repeat(tmp_path):
    pytest.importorskip("sklearn")
    runs = [_ember("train", "--model", "mlp", "--epochs", "1", "--seed", "3", "--verbose", "0",
                   "--output", str(tmp_path / f"{i}.ember")) for i in range(2)]
    assert runs[0].returncode == 0, runs[0].stderr
    assert _after(runs[0].stdout, "test accuracy:") == _after(runs[1].stdout, "test accuracy:")
    assert "Epoch" not in runs[0].stdout                         # --verbose 0: no per-epoch lines


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_config_file_sets_options_and_flags_override_it(tmp_path, suffix):
    pytest.importorskip("sklearn")
    config = tmp_path / f"train{suffix}"
    if suffix == ".toml":
        config.write_text('model = "mlp"\nepochs = 1\nbatch-size = 128\noutput = "from-file.ember"\n')
    else:
        config.write_text(json.dumps({"model": "mlp", "epochs": 1, "batch_size": 128, "output": "from-file.ember"}))
    result = _ember("train", "--config", str(config), "--batch-size", "16", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "mlp on digits" in result.stdout and "1 epochs" in result.stdout
    assert "batch size 16" in result.stdout                      # the flag wins over the file
    assert (tmp_path / "from-file.ember").exists()


@pytest.mark.parametrize("text, message", [
    ('epochs = 1\nlearning_rate = 0.1\n', "unknown key 'learning_rate'"),
    ('epochs = "three"\n', "'epochs' (--epochs) must be an integer"),
    ('model = "gru"\n', "'model' (--model) must be one of"),
    ('epochs = \n', "not valid TOML"),
])
def test_bad_config_files_are_clear_errors(tmp_path, text, message):
    config = tmp_path / "bad.toml"
    config.write_text(text)
    result = _ember("train", "--config", str(config))
    assert result.returncode == 2
    assert message in result.stderr and "bad.toml" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("args, message", [
    (["--config", "missing.toml"], "no such file"),
    (["--config", "train.yaml"], "expected a .json or .toml file"),
    (["--epochs", "0"], "must be positive"),
    (["--model", "lstm", "--prompt", "Zebra~"], "the corpus has no"),
])
def test_bad_options_are_clear_errors(tmp_path, args, message):
    (tmp_path / "train.yaml").write_text("epochs: 1\n")
    result = _ember("train", *args, cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
