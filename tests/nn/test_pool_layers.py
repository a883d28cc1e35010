"""Pooling layers against PyTorch: outputs and input gradients (train/eval, float32/float64),
repr and input validation."""
import numpy as np
import pytest

import ember
import ember.nn as nn

torch = pytest.importorskip("torch")
from conformance import check_module  # noqa: E402

rng = np.random.default_rng(0)

CASES = [
    ("MaxPool1d", lambda m: m.MaxPool1d(3, stride=2, padding=1), (2, 3, 9)),
    ("MaxPool2d", lambda m: m.MaxPool2d(2), (2, 3, 8, 6)),
    ("MaxPool2d-ceil-dilated", lambda m: m.MaxPool2d(3, stride=2, dilation=(1, 2), ceil_mode=True), (2, 2, 9, 9)),
    ("MaxPool2d-unbatched", lambda m: m.MaxPool2d((2, 3), stride=1, padding=1), (3, 5, 6)),
    ("AvgPool1d", lambda m: m.AvgPool1d(3, stride=2, padding=1, count_include_pad=False), (2, 3, 9)),
    ("AvgPool2d", lambda m: m.AvgPool2d(2), (2, 3, 8, 6)),
    ("AvgPool2d-ceil", lambda m: m.AvgPool2d(3, stride=2, padding=1, ceil_mode=True), (2, 2, 8, 7)),
    ("AvgPool2d-divisor", lambda m: m.AvgPool2d((2, 3), divisor_override=4), (3, 6, 6)),
    ("AdaptiveAvgPool1d", lambda m: m.AdaptiveAvgPool1d(4), (2, 3, 10)),
    ("AdaptiveAvgPool2d", lambda m: m.AdaptiveAvgPool2d((3, None)), (2, 3, 7, 5)),
    ("AdaptiveAvgPool2d-global", lambda m: m.AdaptiveAvgPool2d(1), (2, 3, 7, 7)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("name,make,shape", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(name, make, shape, train, dtype):
    check_module(make(nn), make(torch.nn), rng.standard_normal(shape), dtype=dtype, train=train)


def test_return_indices_matches_torch():
    out = check_module(nn.MaxPool2d(3, 2, 1, return_indices=True), torch.nn.MaxPool2d(3, 2, 1, return_indices=True),
                       rng.standard_normal((2, 3, 7, 7)))  # compares the indices too
    assert out[1].dtype == ember.int64 and tuple(out[1].shape) == (2, 3, 4, 4)


def test_repr_and_no_parameters():
    for make in (lambda m: m.MaxPool2d(2), lambda m: m.MaxPool1d(3, 2), lambda m: m.AvgPool1d(2),
                 lambda m: m.AvgPool2d(3, 2, 1), lambda m: m.AdaptiveAvgPool2d((None, 3)),
                 lambda m: m.AdaptiveAvgPool1d(2)):
        e = make(nn)
        assert repr(e) == repr(make(torch.nn))
        assert list(e.parameters()) == [] and e.state_dict() == {}


def test_input_validation_names_the_layer():
    with pytest.raises(ember.ShapeError, match=r"MaxPool2d\(kernel_size=2.*\(1, 2, 3, 4, 4\)"):
        nn.MaxPool2d(2)(ember.randn(1, 2, 3, 4, 4))
    with pytest.raises(ember.ShapeError, match=r"AvgPool1d.*\(4,\)"):
        nn.AvgPool1d(2)(ember.randn(4))
    with pytest.raises(ember.ShapeError, match="too small"):
        nn.MaxPool2d(5)(ember.randn(1, 1, 3, 3))
