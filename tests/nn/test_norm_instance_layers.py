"""InstanceNorm1d/2d/3d, BatchNorm3d, RMSNorm, LocalResponseNorm and CrossMapLRN2d against torch.nn:
outputs, input and parameter gradients, running statistics, reprs."""
import numpy as np
import pytest

import ember
import ember.nn
from conformance import check_module

torch = pytest.importorskip("torch")
rng = np.random.default_rng(0)

CASES = [
    ("InstanceNorm1d", (3,), {}, (2, 3, 7)),
    ("InstanceNorm1d", (3,), dict(affine=True), (3, 7)),
    ("InstanceNorm2d", (3,), dict(affine=True, track_running_stats=True, momentum=0.3), (2, 3, 4, 5)),
    ("InstanceNorm2d", (3,), dict(track_running_stats=True, momentum=None), (2, 3, 4, 5)),
    ("InstanceNorm3d", (2,), dict(affine=True, eps=1e-3), (2, 2, 3, 3, 4)),
    ("BatchNorm3d", (2,), {}, (3, 2, 3, 3, 2)),
    ("BatchNorm3d", (2,), dict(affine=False, momentum=0.5), (3, 2, 2, 3, 2)),
    ("RMSNorm", (6,), {}, (4, 6)),
    ("RMSNorm", ((3, 6),), dict(eps=1e-3), (2, 3, 6)),
    ("RMSNorm", (6,), dict(elementwise_affine=False), (2, 5, 6)),
    ("LocalResponseNorm", (3,), {}, (2, 6, 5)),
    ("LocalResponseNorm", (4,), dict(alpha=0.1, beta=0.5, k=2.0), (2, 7, 3, 4)),
    ("LocalResponseNorm", (2,), dict(alpha=1.0), (2, 5, 2, 2, 3)),
    ("CrossMapLRN2d", (5,), dict(alpha=0.5, beta=0.6, k=1.5), (2, 7, 3, 3)),
]


# torch's CrossMapLRN2d (a legacy autograd.Function) is compared in float64 only
DTYPED = [(c, d) for c in CASES for d in ("float32", "float64") if not (c[0] == "CrossMapLRN2d" and d == "float32")]


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("case,dtype", DTYPED, ids=[f"{c[0]}-{i // 2}-{d}" for i, (c, d) in enumerate(DTYPED)])
def test_conforms_to_torch(case, dtype, train):
    name, args, kw, shape = case
    x = rng.standard_normal(shape) * 2 + 0.5
    e, t = getattr(ember.nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    check_module(e, t, x, dtype=dtype, train=train, grad=name != "CrossMapLRN2d")
    for key, value in t.state_dict().items():   # running statistics updated alike
        np.testing.assert_allclose(e.state_dict()[key].numpy(), value.numpy(), rtol=1e-4, atol=1e-6)
    assert repr(e) == repr(t)


def test_instance_norm_refuses_wrong_ranks():
    with pytest.raises(ember.ShapeError, match="InstanceNorm2d"):
        ember.nn.InstanceNorm2d(3)(ember.ones(2, 3))
    with pytest.raises(ember.ShapeError, match="rms_norm"):
        ember.nn.functional.rms_norm(ember.ones(2, 3), (4,))
