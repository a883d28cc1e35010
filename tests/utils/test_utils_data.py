"""`ember.utils.data` is where `torch.utils.data` users look: the same objects as `ember.data`."""
import os
import pathlib
import subprocess
import sys

import ember
import ember.data
import ember.utils.data


def test_utils_data_is_ember_data_under_torchs_path():
    for name in ember.data.__all__:
        assert getattr(ember.utils.data, name) is getattr(ember.data, name)
    assert ember.utils.data.__all__ == ember.data.__all__


def test_import_ember_reaches_utils_data_as_import_torch_does():
    code = "import ember; print(ember.utils.data.DataLoader is ember.data.DataLoader)"
    root = str(pathlib.Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert out.strip() == "True"


def test_the_names_torch_scripts_import_from_there():
    from ember.utils.data import DataLoader, Dataset, TensorDataset, random_split
    ds = TensorDataset(ember.arange(10.0), ember.arange(10))
    train, test = random_split(ds, [8, 2])
    x, y = next(iter(DataLoader(train, batch_size=8)))
    assert isinstance(train.dataset, Dataset) and x.shape == (8,) and sorted(y.tolist()) == sorted(x.long().tolist())
