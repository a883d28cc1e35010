"""Normalization layers against PyTorch: outputs and gradients in train and eval mode, running
statistics over several steps, state_dict names, repr, and input validation."""
import numpy as np
import pytest

import ember
import ember.nn as nn

torch = pytest.importorskip("torch")
from conformance import check_module  # noqa: E402

rng = np.random.default_rng(0)

CASES = [
    ("BatchNorm1d-2d", lambda m: m.BatchNorm1d(3), (5, 3)),
    ("BatchNorm1d-3d", lambda m: m.BatchNorm1d(3, momentum=0.3), (4, 3, 6)),
    ("BatchNorm1d-no-affine", lambda m: m.BatchNorm1d(3, affine=False), (4, 3, 2)),
    ("BatchNorm1d-untracked", lambda m: m.BatchNorm1d(3, track_running_stats=False), (4, 3, 2)),
    ("BatchNorm2d", lambda m: m.BatchNorm2d(4, eps=1e-3), (2, 4, 3, 3)),
    ("BatchNorm2d-cumulative", lambda m: m.BatchNorm2d(2, momentum=None), (3, 2, 2, 2)),
    ("LayerNorm", lambda m: m.LayerNorm(6), (3, 6)),
    ("LayerNorm-2dims", lambda m: m.LayerNorm((4, 5), eps=1e-3), (2, 4, 5)),
    ("LayerNorm-no-bias", lambda m: m.LayerNorm(5, bias=False), (2, 3, 5)),
    ("LayerNorm-no-affine", lambda m: m.LayerNorm(5, elementwise_affine=False), (2, 5)),
    ("GroupNorm", lambda m: m.GroupNorm(2, 6), (3, 6, 4)),
    ("GroupNorm-no-affine", lambda m: m.GroupNorm(3, 3, affine=False), (2, 3, 2, 2)),
    ("GroupNorm-no-bias", lambda m: m.GroupNorm(1, 3, bias=False), (2, 3, 5)),
    ("BatchNorm2d-no-bias", lambda m: m.BatchNorm2d(3, bias=False), (2, 3, 2, 2)),
]


def _randomize(torch_module):
    """Non-default parameters and statistics, so that the copy through state_dict is tested."""
    with torch.no_grad():
        for name, t in torch_module.state_dict().items():
            if t.dtype.is_floating_point:
                t.copy_(torch.tensor(rng.uniform(0.5, 1.5, tuple(t.shape))))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("train", [True, False], ids=["train", "eval"])
@pytest.mark.parametrize("name,make,shape", CASES, ids=[c[0] for c in CASES])
def test_conformance(name, make, shape, train, dtype):
    t_mod = make(torch.nn)
    _randomize(t_mod)
    x = rng.standard_normal(shape) * 2 + 0.5
    check_module(make(nn), t_mod, x, dtype=dtype, train=train)


@pytest.mark.parametrize("momentum", [0.1, None])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_running_statistics_after_several_steps_equal_torch(momentum, dtype):
    e_mod, t_mod = nn.BatchNorm2d(3, momentum=momentum), torch.nn.BatchNorm2d(3, momentum=momentum)
    e_mod.to(getattr(ember, dtype))
    t_mod.to(getattr(torch, dtype))
    rtol, atol = (1e-5, 1e-6) if dtype == "float32" else (1e-10, 1e-12)
    for step in range(4):
        x = (rng.standard_normal((4, 3, 2, 2)) * (step + 1) + step).astype(dtype)
        e_mod(ember.tensor(x))
        t_mod(torch.tensor(x))
    for key, value in t_mod.state_dict().items():
        np.testing.assert_allclose(e_mod.state_dict()[key].detach().numpy(), value.numpy(), rtol=rtol, atol=atol,
                                   err_msg=key)
    assert e_mod.num_batches_tracked.dtype == ember.int64 and int(e_mod.num_batches_tracked) == 4
    e_mod.eval()
    t_mod.eval()
    x = rng.standard_normal((2, 3, 2, 2)).astype(dtype)
    np.testing.assert_allclose(e_mod(ember.tensor(x)).detach().numpy(), t_mod(torch.tensor(x)).detach().numpy(),
                               rtol=rtol * 10, atol=atol * 10)
    assert int(e_mod.num_batches_tracked) == 4  # eval mode leaves the statistics alone


def test_state_dict_names_and_repr_match_torch():
    for make in (lambda m: m.BatchNorm1d(3), lambda m: m.BatchNorm2d(2, affine=False), lambda m: m.LayerNorm(4),
                 lambda m: m.LayerNorm((2, 3), bias=False), lambda m: m.GroupNorm(2, 4),
                 lambda m: m.BatchNorm2d(2, track_running_stats=False), lambda m: m.BatchNorm1d(3, bias=False),
                 lambda m: m.GroupNorm(2, 4, bias=False), lambda m: m.GroupNorm(1, 4, affine=False)):
        e, t = make(nn), make(torch.nn)
        assert list(e.state_dict()) == list(t.state_dict())
        assert repr(e) == repr(t)
        for key, value in t.state_dict().items():
            assert tuple(e.state_dict()[key].shape) == tuple(value.shape)
            assert e.state_dict()[key].dtype.name == str(value.dtype).replace("torch.", "")


def test_input_validation_names_the_layer_and_shape():
    with pytest.raises(ember.ShapeError, match=r"BatchNorm2d\(3.*\(N, C, H, W\).*\(2, 3, 4\)"):
        nn.BatchNorm2d(3)(ember.randn(2, 3, 4))
    with pytest.raises(ember.ShapeError, match=r"BatchNorm1d\(3.*C=3.*\(2, 4\)"):
        nn.BatchNorm1d(3)(ember.randn(2, 4))
    with pytest.raises(ember.ShapeError, match=r"LayerNorm\(\(4,\).*\(2, 5\).*\(4,\)"):
        nn.LayerNorm(4)(ember.randn(2, 5))
    with pytest.raises(ember.ShapeError, match=r"GroupNorm\(2, 4.*C=4"):
        nn.GroupNorm(2, 4)(ember.randn(2, 6))
    with pytest.raises(ember.ArgumentError, match="divisible"):
        nn.GroupNorm(4, 6)
    with pytest.raises(ember.ArgumentError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(ember.randn(1, 3))
