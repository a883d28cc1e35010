"""Floating-point edge values come out as PyTorch gives them (inf, -inf, nan), with no NumPy
RuntimeWarning reaching the user; the user's own NumPy code still warns."""
import os
import pathlib
import subprocess
import sys
import warnings

import numpy as np
import pytest

import ember
from ember.backend import silence_numpy_fp_warnings

torch = pytest.importorskip("torch")
ROOT = pathlib.Path(__file__).resolve().parents[2]

CASES = {   # name -> function of the library module and a tensor of edge values
    "log": lambda m, x: m.log(x), "log2": lambda m, x: m.log2(x), "log1p": lambda m, x: m.log1p(x - 1),
    "sqrt": lambda m, x: m.sqrt(x), "rsqrt": lambda m, x: m.rsqrt(x), "reciprocal": lambda m, x: m.reciprocal(x),
    "exp": lambda m, x: m.exp(x * 100), "div": lambda m, x: x / m.zeros_like(x),
    "pow": lambda m, x: x ** 1000, "log_tril": lambda m, x: m.log(m.tril(m.ones(3, 3))),
    "atanh": lambda m, x: m.atanh(x), "asin": lambda m, x: m.asin(x * 2),
}


@pytest.fixture
def imported_at_top_level():
    """pytest imports this module inside a catch_warnings block, which took ember's filter away on
    leaving it; a script importing ember at its top keeps it. Put it back for the test."""
    with warnings.catch_warnings(record=True) as caught:
        silence_numpy_fp_warnings()
        yield caught


@pytest.mark.parametrize("name", sorted(CASES))
def test_edge_values_match_torch_without_warnings(name, imported_at_top_level):
    values = [0.0, -1.0, 1000.0, 1.0]
    got = CASES[name](ember, ember.tensor(values, dtype=ember.float64))
    expected = CASES[name](torch, torch.tensor(values, dtype=torch.float64))
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-12)
    assert [str(w.message) for w in imported_at_top_level] == []


def test_backward_through_log_of_zero_is_quiet_as_torch(imported_at_top_level):
    x = ember.tensor([0.0, 2.0], requires_grad=True)
    ember.log(x).sum().backward()
    t = torch.tensor([0.0, 2.0], requires_grad=True)
    torch.log(t).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())
    assert imported_at_top_level == []


def test_users_own_numpy_code_still_warns(imported_at_top_level):
    np.log(np.zeros(2))   # the user's module: not ember's, so it warns
    ember.log(ember.zeros(2))
    assert [str(w.message) for w in imported_at_top_level] == ["divide by zero encountered in log"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")   # a later filter of the user's comes first and wins
        ember.log(ember.zeros(1))
    assert [str(w.message) for w in caught] == ["divide by zero encountered in log"]


def test_a_script_importing_ember_sees_no_warning_even_under_dash_w_error():
    code = ("import ember; print(ember.log(ember.zeros(1)).item(), (ember.ones(1) / 0).item(), "
            "ember.exp(ember.tensor(1e4)).item())")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    result = subprocess.run([sys.executable, "-W", "error::RuntimeWarning", "-c", code], env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["-inf", "inf", "inf"] and result.stderr == ""
