"""3-d layers against torch.nn: Conv3d, ConvTranspose3d, MaxPool3d (with indices and unpooling),
AvgPool3d, AdaptiveAvgPool3d, AdaptiveMaxPool3d, LPPool3d, the lazy 3-d convolutions; outputs,
input and parameter gradients, reprs."""
import numpy as np
import pytest

import ember
import ember.nn
from conformance import check_module

torch = pytest.importorskip("torch")
rng = np.random.default_rng(0)

CASES = [
    ("Conv3d", (4, 6, 3), dict(padding=1), (2, 4, 4, 5, 5)),
    ("Conv3d", (4, 6, (2, 3, 1)), dict(stride=(1, 2, 1), dilation=(2, 1, 1), groups=2, bias=False), (2, 4, 5, 6, 4)),
    ("Conv3d", (2, 3, 2), dict(padding="same", padding_mode="circular"), (2, 4, 4, 4)),
    ("ConvTranspose3d", (4, 2, 3), dict(stride=2, padding=1, output_padding=1), (2, 4, 3, 3, 2)),
    ("ConvTranspose3d", (4, 6, 2), dict(groups=2, dilation=2), (4, 2, 3, 2)),
    ("MaxPool3d", (2,), {}, (2, 3, 4, 5, 6)),
    ("MaxPool3d", (3,), dict(stride=2, padding=1, ceil_mode=True), (2, 2, 5, 5, 5)),
    ("AvgPool3d", (2,), dict(stride=(1, 2, 2)), (2, 3, 4, 5, 6)),
    ("AvgPool3d", (3,), dict(stride=2, padding=1, count_include_pad=False, ceil_mode=True), (2, 2, 5, 5, 5)),
    ("AvgPool3d", (2,), dict(divisor_override=3), (2, 4, 4, 4)),
    ("AdaptiveAvgPool3d", ((2, None, 3),), {}, (2, 3, 5, 4, 7)),
    ("AdaptiveMaxPool3d", ((2, 3, 2),), {}, (2, 3, 5, 4, 7)),
    ("LPPool3d", (2, 2), {}, (2, 3, 4, 4, 4)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,args,kw,shape", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_conforms_to_torch(name, args, kw, shape, dtype):
    x = rng.standard_normal(shape)
    if name.startswith("LPPool"):
        x = np.abs(x) + 0.1
    e, t = getattr(ember.nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    check_module(e, t, x, dtype=dtype)
    assert repr(e) == repr(t)


def test_max_pool3d_indices_unpool_and_lazy_3d():
    x = rng.standard_normal((2, 3, 4, 6, 5))
    (ye, ie), (yt, it) = (ember.nn.MaxPool3d(2, return_indices=True)(ember.tensor(x)),
                          torch.nn.MaxPool3d(2, return_indices=True)(torch.tensor(x)))
    np.testing.assert_array_equal(ie.numpy(), it.numpy())
    check_module(ember.nn.MaxUnpool3d(2), torch.nn.MaxUnpool3d(2), yt.numpy(), it.numpy(),
                 kwargs={"output_size": (4, 6, 5)}, dtype="float64")
    for name, args in (("LazyConv3d", (4, 3)), ("LazyConvTranspose3d", (2, 2))):
        e, t = getattr(ember.nn, name)(*args), getattr(torch.nn, name)(*args)
        assert repr(e) == repr(t)
        e(ember.tensor(x, dtype=ember.float32))
        t(torch.tensor(x, dtype=torch.float32))
        assert type(e).__name__ == type(t).__name__
        check_module(e, t, x)
