"""PyTorch programs written in the style of PyTorch's own examples and tutorials (tests/scripts/pytorch/)
port to ember by changing their import lines and nothing else.

Each script is run twice, each time in its own process: as written, on real PyTorch (which proves the
script and its claims are right), and with its import statements rewritten by `port` (`import torch`
becomes `import ember as torch`, `from torch.utils.data import X` becomes `from ember.utils.data import
X`, ...) while `torch` is made unimportable, so the ported run cannot reach PyTorch. A script states its
claims with `assert` (loss fell, accuracy above a threshold); both runs must exit cleanly, with NumPy's
floating-point RuntimeWarnings made errors (PyTorch computes inf and nan silently). The two
libraries' random streams differ, so only the claims are compared, never the numbers themselves.
"""
import ast
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "tests" / "scripts" / "pytorch"
SLOW = set()   # scripts over ~15 s a run on 2 cores

# Runs the ported script with `torch` unimportable, as `python script.py` would run it.
RUN_WITHOUT_TORCH = ("import runpy, sys; sys.modules['torch'] = None; sys.argv = [sys.argv[1]]; "
                     "runpy.run_path(sys.argv[0], run_name='__main__')")


def _is_torch(name):
    return name == "torch" or name.startswith("torch.")


def _to_ember(name):
    return "ember" + name[len("torch"):]


def _ported_import(node):
    """`import ...` naming torch modules, rewritten to bind the same names to ember's modules."""
    names = []
    for alias in node.names:
        if not _is_torch(alias.name):
            names.append(alias.name + (f" as {alias.asname}" if alias.asname else ""))
        elif alias.asname:
            names.append(f"{_to_ember(alias.name)} as {alias.asname}")
        elif alias.name == "torch":
            names.append("ember as torch")
        else:   # `import torch.nn` binds `torch` and loads torch.nn
            names += [_to_ember(alias.name), "ember as torch"]
    return "import " + ", ".join(names)


def port(source):
    """The script with its torch import statements pointed at ember; every other line is unchanged.

    >>> port("import torch.nn as nn\\nfrom torch.utils.data import DataLoader\\nx = torch.ones(1)\\n")
    'import ember.nn as nn\\nfrom ember.utils.data import DataLoader\\nx = torch.ones(1)\\n'
    """
    lines = source.splitlines(keepends=True)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import) and any(_is_torch(a.name) for a in node.names):
            assert node.lineno == node.end_lineno, f"line {node.lineno}: write an `import` on one line"
            line = lines[node.lineno - 1]
            head, tail = line[:node.col_offset], line[node.end_col_offset:]
            lines[node.lineno - 1] = head + _ported_import(node) + tail
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and _is_torch(node.module):
            line = lines[node.lineno - 1]   # `from torch.x import (...)` may span lines; the module is on the first
            start = line.index("from", node.col_offset) + len("from")
            rest = line[start:]
            module_at = start + len(rest) - len(rest.lstrip())
            assert line.startswith(node.module, module_at), f"line {node.lineno}: `from` and its module apart"
            lines[node.lineno - 1] = line[:module_at] + _to_ember(node.module) + line[module_at + len(node.module):]
    return "".join(lines)


def _import_lines(source):
    """The line numbers of every import statement in `source`."""
    return {n for node in ast.walk(ast.parse(source)) if isinstance(node, (ast.Import, ast.ImportFrom))
            for n in range(node.lineno, node.end_lineno + 1)}


def _scripts():
    return sorted(p.stem for p in SCRIPTS.glob("*.py"))


def _run(args, cwd):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")  # BLAS threads spin on oversubscribed cores
    return subprocess.run([sys.executable, "-W", "error::RuntimeWarning", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def _params():
    for name in _scripts():
        for library in ("torch", "ember"):
            marks = [pytest.mark.slow] if name in SLOW else []
            yield pytest.param(name, library, marks=marks, id=f"{name}-{library}")


@pytest.mark.parametrize("name, library", list(_params()))
def test_script_runs_and_meets_its_claims(name, library, tmp_path):
    source = (SCRIPTS / f"{name}.py").read_text()
    if library == "torch":
        pytest.importorskip("torch")
        result = _run([str(SCRIPTS / f"{name}.py")], tmp_path)
    else:
        script = tmp_path / f"{name}.py"
        script.write_text(port(source))
        result = _run(["-c", RUN_WITHOUT_TORCH, str(script)], tmp_path)
    assert result.returncode == 0, f"{name}.py on {library} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"


@pytest.mark.parametrize("name", _scripts())
def test_port_changes_import_lines_only(name):
    source = (SCRIPTS / f"{name}.py").read_text()
    ported = port(source)
    before, after = source.splitlines(), ported.splitlines()
    assert len(before) == len(after)
    changed = {i + 1 for i, (a, b) in enumerate(zip(before, after)) if a != b}
    assert changed and changed <= _import_lines(source)
    left = [n for node in ast.walk(ast.parse(ported)) if isinstance(node, ast.Import) for n in node.names
            if _is_torch(n.name)]
    left += [node.module for node in ast.walk(ast.parse(ported))
             if isinstance(node, ast.ImportFrom) and node.module and _is_torch(node.module)]
    assert not left, f"{name}.py still imports {left} after porting"


@pytest.mark.parametrize("source, expected", [
    ("import torch\n", "import ember as torch\n"),
    ("import torch.nn.functional as F\n", "import ember.nn.functional as F\n"),
    ("import math, torch\n", "import math, ember as torch\n"),
    ("import torch.nn\n", "import ember.nn, ember as torch\n"),
    ("import torchvision\n", "import torchvision\n"),
    ("from torch import nn, optim\n", "from ember import nn, optim\n"),
    ("from torch.optim.lr_scheduler import (\n    StepLR)\n", "from ember.optim.lr_scheduler import (\n    StepLR)\n"),
    ("def f():\n    import torch.optim as optim  # late\n", "def f():\n    import ember.optim as optim  # late\n"),
    ("from . import torch\n", "from . import torch\n"),
])
def test_port_rewrites_module_names_in_imports(source, expected):
    assert port(source) == expected


def test_every_kind_of_script_is_here():
    assert set(_scripts()) >= {"quickstart", "mnist_cnn", "mnist_rnn", "word_lm_lstm", "word_lm_transformer", "vae",
                               "sine_lstm_lbfgs", "polynomial_regression", "forward_forward", "dcgan",
                               "seq2seq_attention", "resnet_recipes", "extending_and_checkpoints"}
