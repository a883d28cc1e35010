"""Lazy layers against torch.nn's: the size taken from the first input, reprs before and after, the
class becoming the plain layer, outputs and gradients with the same weights, state dicts loading into
unmaterialized layers, and whole-model files."""
import numpy as np
import pytest

import ember
import ember.nn
from conformance import check_module

torch = pytest.importorskip("torch")
rng = np.random.default_rng(0)

CASES = [("LazyLinear", (3,), {}, (4, 5)), ("LazyLinear", (2,), dict(bias=False), (2, 3, 6)),
         ("LazyConv1d", (4, 3), dict(padding=1), (2, 3, 8)), ("LazyConv2d", (4, 3), dict(stride=2, groups=1), (2, 3, 7, 7)),
         ("LazyConvTranspose1d", (2, 3), dict(stride=2), (2, 4, 5)),
         ("LazyConvTranspose2d", (2, 3), dict(output_padding=1, stride=2), (1, 4, 3, 3)),
         ("LazyBatchNorm1d", (), {}, (6, 3)), ("LazyBatchNorm2d", (), dict(momentum=0.3), (4, 3, 2, 2)),
         ("LazyBatchNorm3d", (), dict(affine=False), (3, 2, 2, 2, 2)),
         ("LazyInstanceNorm1d", (), dict(affine=True), (2, 3, 6)), ("LazyInstanceNorm2d", (), {}, (2, 3, 4, 4)),
         ("LazyInstanceNorm3d", (), dict(track_running_stats=True), (2, 2, 2, 3, 3))]


@pytest.mark.parametrize("name,args,kw,shape", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_lazy_layer_becomes_the_plain_layer(name, args, kw, shape):
    e, t = getattr(ember.nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    assert repr(e) == repr(t)
    x = rng.standard_normal(shape)
    t(torch.tensor(x, dtype=torch.float32))      # materialize both, then compare with the same weights
    e(ember.tensor(x, dtype=ember.float32))
    assert type(e).__name__ == type(t).__name__ and repr(e) == repr(t)
    check_module(e, t, x)


def test_state_dict_materializes_lazy_layers_and_model_files_round_trip(tmp_path):
    def make():
        return ember.nn.Sequential(ember.nn.LazyConv2d(4, 3), ember.nn.LazyBatchNorm2d(), ember.nn.ReLU(),
                                   ember.nn.Flatten(), ember.nn.LazyLinear(2))
    net = make()
    x = ember.randn(2, 3, 6, 6)
    net(x)
    fresh = make()
    fresh.load_state_dict(net.state_dict())
    net.eval()
    fresh.eval()
    np.testing.assert_array_equal(fresh(x).detach().numpy(), net(x).detach().numpy())
    ember.save(net, tmp_path / "m.ember")
    loaded = ember.load(tmp_path / "m.ember", weights_only=False)
    assert type(loaded[0]) is ember.nn.Conv2d and loaded[4].in_features == 64
    np.testing.assert_array_equal(loaded(x).detach().numpy(), net(x).detach().numpy())


def test_a_lazy_layer_trains_after_a_dry_run():
    model = ember.nn.Sequential(ember.nn.LazyLinear(8), ember.nn.Tanh(), ember.nn.LazyLinear(1))
    x, y = ember.randn(64, 3), ember.randn(64, 1)
    model(x)
    opt = ember.optim.Adam(model.parameters(), lr=0.05)
    first = None
    for _ in range(30):
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        first = first if first is not None else float(loss)
    assert float(loss) < first
    with pytest.raises(ember.ShapeError, match="cannot infer in_features"):
        ember.nn.LazyLinear(2)(ember.tensor(1.0))
