"""The hostile-argument campaign of tests/fuzz_public.py over every public function and Tensor
method, with PyTorch as the oracle: no non-ember exception, no hang, and mismatches with
PyTorch (shapes, dtypes, values, gradients) under 0.2% of the calls both sides accept; few exceptions
from inside that the guard had to translate, and few calls accepted that PyTorch refuses."""
import warnings

import numpy as np
import pytest

from fuzz_public import campaign


# The hardening target: mismatches under 0.2% of compared calls. Seeds 1-10 at 20,000 calls measure
# 0-0.05% (README, "Deliberate differences from PyTorch", lists what DELIBERATE excuses); the bound is the
# target itself.
MISMATCH_BOUND = 0.002

# Exceptions from inside ember or NumPy that the guard had to translate (arguments not validated up front),
# and calls ember accepted where PyTorch refuses, per compared call. Measured at 0-0.1% and ~1.1% over
# seeds 1-6 (20,000 calls each); the bounds keep a margin and guard against regressions.
TRANSLATED_BOUND = 0.003
LENIENT_BOUND = 0.025


def _check(calls, seed):
    with warnings.catch_warnings(), np.errstate():  # the campaign silences both; later tests get them back
        stats, examples = campaign(calls, seed)
    bad = [e for e in examples if e[0] in ("foreign", "hang")]
    assert not bad, [(k, name, why) for k, name, _, _, why in bad[:10]]
    assert stats["compared"] > calls // 5
    rate = stats["mismatch"] / stats["compared"]
    mismatches = [(name, why) for k, name, _, _, why in examples if k == "mismatch"]
    assert rate < MISMATCH_BOUND * max(1, 2000 / stats["compared"]) or stats["mismatch"] <= 2, mismatches
    translated = [(name, why) for k, name, _, _, why in examples if k == "translated"]
    assert stats["translated"] <= max(2, TRANSLATED_BOUND * stats["compared"]), translated
    lenient = [(name, why) for k, name, _, _, why in examples if k == "lenient"]
    assert stats["lenient"] <= max(5, LENIENT_BOUND * stats["compared"]), lenient[:20]


def test_public_functions_and_methods_against_torch():
    _check(1500, seed=11)


@pytest.mark.slow
def test_public_functions_and_methods_against_torch_large():
    _check(20000, seed=12)
