"""Convolution layers against PyTorch: outputs and gradients (train/eval, float32/float64),
padding modes, parameter names, default initialization, repr and input validation."""
import math

import numpy as np
import pytest

import ember
import ember.nn as nn

torch = pytest.importorskip("torch")
from conformance import check_module  # noqa: E402

rng = np.random.default_rng(0)

CASES = [
    ("Conv1d", lambda m: m.Conv1d(3, 4, 3), (2, 3, 9)),
    ("Conv1d-strided-groups", lambda m: m.Conv1d(4, 6, 3, stride=2, padding=1, groups=2, bias=False), (2, 4, 9)),
    ("Conv1d-same-circular", lambda m: m.Conv1d(2, 3, 4, padding="same", dilation=2, padding_mode="circular"),
     (2, 2, 9)),
    ("Conv2d", lambda m: m.Conv2d(3, 4, 3, padding=1), (2, 3, 7, 6)),
    ("Conv2d-unbatched", lambda m: m.Conv2d(3, 4, (3, 2), stride=(2, 1)), (3, 7, 6)),
    ("Conv2d-reflect", lambda m: m.Conv2d(2, 3, 3, padding=(1, 2), padding_mode="reflect"), (2, 2, 6, 6)),
    ("Conv2d-replicate", lambda m: m.Conv2d(2, 3, 3, stride=2, padding=1, padding_mode="replicate"), (2, 2, 7, 5)),
    ("Conv2d-circular-same", lambda m: m.Conv2d(2, 2, 4, padding="same", padding_mode="circular"), (1, 2, 6, 6)),
    ("Conv2d-valid-dilated", lambda m: m.Conv2d(4, 4, 3, padding="valid", dilation=2, groups=4), (2, 4, 8, 8)),
    ("ConvTranspose2d", lambda m: m.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1), (2, 3, 4, 5)),
    ("ConvTranspose2d-groups", lambda m: m.ConvTranspose2d(4, 6, (2, 3), groups=2, dilation=2, bias=False),
     (2, 4, 3, 3)),
    ("ConvTranspose1d", lambda m: m.ConvTranspose1d(3, 2, 3, stride=2, padding=1, output_padding=1), (2, 3, 5)),
    ("ConvTranspose1d-groups-unbatched", lambda m: m.ConvTranspose1d(4, 6, 2, groups=2, dilation=3, bias=False),
     (4, 6)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("name,make,shape", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(name, make, shape, train, dtype):
    check_module(make(nn), make(torch.nn), rng.standard_normal(shape), dtype=dtype, train=train)


def test_conv_transpose1d_output_size():
    e, t = nn.ConvTranspose1d(2, 3, 3, stride=3), torch.nn.ConvTranspose1d(2, 3, 3, stride=3)
    out = check_module(e, t, rng.standard_normal((1, 2, 4)), kwargs={"output_size": (14,)})
    assert tuple(out.shape) == (1, 3, 14)
    assert repr(e) == repr(t)


def test_conv_transpose_output_size():
    e, t = nn.ConvTranspose2d(2, 3, 3, stride=2), torch.nn.ConvTranspose2d(2, 3, 3, stride=2)
    x = rng.standard_normal((1, 2, 4, 4))
    out = check_module(e, t, x, kwargs={"output_size": (10, 9)})
    assert tuple(out.shape) == (1, 3, 10, 9)
    with pytest.raises(ember.ShapeError, match="output_size"):
        e(ember.randn(1, 2, 4, 4), output_size=(12, 9))


@pytest.mark.parametrize("make", [lambda m: m.Conv2d(3, 16, 3), lambda m: m.Conv1d(8, 4, 5, groups=2),
                                  lambda m: m.ConvTranspose2d(6, 4, 3, groups=2)])
def test_parameters_and_init_follow_torch(make):
    e, t = make(nn), make(torch.nn)
    assert {k: tuple(v.shape) for k, v in e.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in t.state_dict().items()}
    fan_in = t.weight.shape[1] * math.prod(t.weight.shape[2:])
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)) and the bias share this bound
    w, b = e.weight.detach().numpy(), e.bias.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert np.abs(b).max() <= bound and w.std() > 0.4 * bound


def test_repr_matches_torch():
    for make in (lambda m: m.Conv2d(3, 16, 3), lambda m: m.Conv2d(3, 16, 3, padding="same", bias=False,
                                                                   padding_mode="reflect"),
                 lambda m: m.Conv1d(2, 4, 3, groups=2, dilation=2, padding=1),
                 lambda m: m.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1)):
        assert repr(make(nn)) == repr(make(torch.nn))


def test_input_validation_names_the_layer():
    conv = nn.Conv2d(3, 16, 3)
    with pytest.raises(ember.ShapeError, match=r"Conv2d\(3, 16.*\(2, 3, 5, 5, 5\).*4-d"):
        conv(ember.randn(2, 3, 5, 5, 5))
    with pytest.raises(ember.ShapeError, match=r"Conv2d\(3, 16.*\(5, 5\)"):
        conv(ember.randn(5, 5))
    with pytest.raises(ember.ShapeError, match=r"Conv2d\(3, 16.*\(2, 4, 8, 8\) has 4 channels.*in_channels=3"):
        conv(ember.randn(2, 4, 8, 8))
    with pytest.raises(ember.ShapeError, match=r"conv2d.*kernel.*larger"):
        conv(ember.randn(1, 3, 2, 2))
    with pytest.raises(ember.ArgumentError, match="divisible by groups"):
        nn.Conv2d(3, 6, 3, groups=2)
    with pytest.raises(ember.ArgumentError, match="padding_mode"):
        nn.Conv2d(3, 6, 3, padding_mode="mirror")
    with pytest.raises(ember.ArgumentError, match="same"):
        nn.Conv2d(3, 6, 3, stride=2, padding="same")
