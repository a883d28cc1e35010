"""ONNX's own node test cases (shipped inside the onnx package) run through `ember.onnx.backend`:
every case whose ops are all in `SUPPORTED_OPS` must pass, except those in `EXCEPTIONS`, each with
its reason. An excepted case that starts passing fails the test too, so the list stays true.

    python -m pytest tests/onnx/test_conformance.py -q      # per op type; the report test prints totals
"""
import re
import warnings

import numpy as np
import pytest

import ember
import ember.onnx.backend as backend
from onnx_helpers import onnx  # noqa: F401 (skips without onnx)

# Case-name patterns ember does not pass, and why (each is a refusal with an ember error, not a wrong answer).
EXCEPTIONS = {
    r"FLOAT8|FLOAT4|INT4|UINT4|INT2|UINT2|float8|float4|int4|E8M0|e4m3|e5m2":
        "float8/float4/int4/int2 tensors: ember has no such dtypes",
    r"mod_uint(16|32|64)$|top_k_uint64$": "remainder and topk of uint16/32/64: PyTorch has no kernel, ember refuses as it does",
    r"string": "string tensors: ember's tensors are numeric",
    r"identity_sequence|identity_opt": "sequence and optional values: ember's graph values are tensors",
    r"(averagepool|maxpool|convtranspose)_3d": "3-d convolution and pooling: ember's are 1-d and 2-d",
    r"training": "Dropout/BatchNormalization with training_mode=1: an imported graph runs inference",
    r"with_argmax": "MaxPool's Indices output (PyTorch's flat indices): ember's max pool numbers window offsets",
    r"scatter_elements_with_reduction_(max|min)|scatternd_(max|min|multiply)":
        "ScatterND max/min/mul and ScatterElements max/min reductions",
    r"averagepool_2d_dilations$": "AveragePool with dilations: ember's avg_pool2d has none",
    r"gathernd_.*batch_dim1": "GatherND with batch_dims > 0",
    r"lstm_with_peepholes": "LSTM peepholes: ember's LSTM has none",
}
_CASES = {}
_RESULTS = {}   # case name -> True (passed) / False, from the tests that ran


def _cases():
    if not _CASES:
        from onnx.backend.test.case.node import collect_testcases
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for case in collect_testcases():
                ops = sorted({n.op_type for n in case.model.graph.node})
                _CASES[case.name] = (case, ops)
    return _CASES


def _excepted(name):
    return next((reason for pattern, reason in EXCEPTIONS.items() if re.search(pattern, name)), None)


def _array(v):
    return onnx.numpy_helper.to_array(v) if hasattr(v, "data_type") else np.asarray(v)


def run_case(case):
    rep = backend.prepare(case.model)
    for inputs, outputs in case.data_sets:
        got = rep.run([_array(i) for i in inputs])
        assert len(got) == len(outputs), f"{len(got)} outputs, expected {len(outputs)}"
        for g, w in zip(got, outputs):
            w = _array(w)
            assert g.dtype == w.dtype, f"dtype {g.dtype}, expected {w.dtype}"
            # float16/bfloat16: ember accumulates reductions and softmax in float32 (as PyTorch), ONNX's reference
            # outputs in the low dtype, so they may differ by a few units in the last place
            low = {"float16": 4e-3, "bfloat16": 3e-2}.get(w.dtype.name)
            np.testing.assert_allclose(g.astype(np.float32) if low else g, w.astype(np.float32) if low else w,
                                       rtol=max(case.rtol, low) if low else case.rtol, atol=case.atol)


def _check(names):
    unexpected, stale = [], []
    for name in names:
        case, _ = _cases()[name]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                run_case(case)
            _RESULTS[name] = True
        except Exception as e:  # noqa: BLE001 (any failure is reported with its case)
            _RESULTS[name] = False
            if _excepted(name) is None:
                unexpected.append(f"{name}: {type(e).__name__}: {str(e)[:300]}")
            elif not isinstance(e, (ember.EmberError, AssertionError)):
                unexpected.append(f"{name}: not an ember error: {type(e).__name__}: {e}")
        else:
            if _excepted(name) is not None:
                stale.append(name)
    assert not unexpected, "\n".join(unexpected)
    assert not stale, f"excepted cases that pass now (remove them from EXCEPTIONS): {stale}"


@pytest.mark.parametrize("op", ember.onnx.SUPPORTED_OPS)
def test_node_cases_of_op(op):
    names = [n for n, (_, ops) in _cases().items() if ops == [op]]
    assert names, f"{op} has no node test case in this onnx version"
    _check(names)


def test_node_cases_of_several_supported_ops():
    """Function expansions (`*_expanded`) and other cases built of several supported ops."""
    names = [n for n, (_, ops) in _cases().items() if len(ops) > 1 and all(o in ember.onnx.IMPORTERS for o in ops)]
    assert len(names) > 100
    _check(names)


def test_report(capsys):
    """Totals for the note: passed / cases of supported ops, and passed / all node cases."""
    supported = [n for n, (_, ops) in _cases().items() if all(o in ember.onnx.IMPORTERS for o in ops)]
    missing = [n for n in supported if n not in _RESULTS]
    if missing:  # run alone: run what the other tests did not
        try:
            _check(missing)
        except AssertionError:
            pass
    passed = sum(1 for n in supported if _RESULTS.get(n))
    assert len(ember.onnx.SUPPORTED_OPS) >= 120
    with capsys.disabled():
        print(f"\nONNX node tests: {passed}/{len(supported)} of supported ops' cases pass; "
              f"{passed}/{len(_cases())} of all node cases; {len(ember.onnx.SUPPORTED_OPS)} op types supported")
