"""Channels-last convolution and max-pool kernels (ember/ops/_im2col_cl.py, ember/ops/_pool_loops.py)
against the channels-first ones in float64, over odd shapes, strides, asymmetric padding, dilation,
one input channel, 1x1 kernels and an empty batch; where each layout is used (eager returns
C-contiguous arrays, a compiled replay keeps conv/pool outputs channels-last and returns contiguous
values); and compiled training against PyTorch."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.backend import jit
from ember.ops import _im2col as K, _im2col_cl as CL, _layout
from ember.ops import pool as P

# (input shape, weight shape, stride, (before, after) padding per dim, dilation)
GEOMETRIES = [((2, 3, 7, 6), (4, 3, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1)),
              ((1, 2, 9, 8), (3, 2, 2, 3), (2, 1), ((0, 1), (2, 0)), (1, 2)),
              ((3, 1, 5, 5), (2, 1, 3, 3), (1, 1), ((0, 0), (0, 0)), (1, 1)),
              ((2, 5, 11, 4), (6, 5, 1, 1), (3, 2), ((0, 0), (0, 0)), (1, 1)),
              ((2, 4, 8, 9), (2, 4, 3, 3), (2, 2), ((1, 2), (1, 0)), (2, 2)),
              ((0, 2, 5, 5), (3, 2, 3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1))]


def _channels_last(a):
    return np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)


def _problem(case):
    xs, ws, stride, pads, dilation = GEOMETRIES[case]
    rng = np.random.default_rng(case)
    geo = K.geometry("conv2d", xs, ws, stride, pads, dilation, 1, 2)
    x, w, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    return x, w, b, rng.standard_normal((xs[0], ws[0]) + geo.out), geo


def _three(x, w, b, gy, geo):
    return (K.forward(np, x, w, b, geo), K.weight_grad(np, x, gy, geo, w.shape),
            K.input_grad(np, gy, w, geo, x.shape))


def _three_cf(x, w, b, gy, geo):
    """The channels-first kernels (the reference)."""
    return (K.forward_cf(np, x, w, b, geo), K.weight_grad_cf(np, x, gy, geo, w.shape),
            K.input_grad_cf(np, gy, w, geo, x.shape))


@pytest.mark.parametrize("inputs", ["channels-first", "channels-last"])
@pytest.mark.parametrize("case", range(len(GEOMETRIES)))
def test_channels_last_kernels_equal_the_channels_first_ones(case, inputs):
    x, w, b, gy, geo = _problem(case)
    assert CL.applies(geo, x, w)            # NumPy arrays: the channels-last kernels, eager too
    ref = _three_cf(x, w, b, gy, geo)
    if inputs == "channels-last":
        x, gy = _channels_last(x), _channels_last(gy)
    with _layout.channels_last():
        assert CL.applies(geo, x, w)
        got = _three(x, w, b, gy, geo)
    for r, g in zip(ref, got):
        assert g.shape == r.shape
        np.testing.assert_allclose(g, r, rtol=1e-12, atol=1e-12)
    assert got[1].flags.c_contiguous        # a weight gradient is always C-contiguous
    if x.size and w.shape[0] > 1:
        assert _layout.is_channels_last(got[0])
    if x.size and x.shape[1] > 1:
        assert _layout.is_channels_last(got[2])


def test_eager_channels_last_input_runs_those_kernels_and_returns_contiguous_arrays():
    x, w, b, gy, geo = _problem(0)
    ref = _three_cf(x, w, b, gy, geo)
    xc, gyc = _channels_last(x), _channels_last(gy)
    assert CL.applies(geo, xc, w) and not _layout.enabled()
    got = _three(xc, w, b, gyc, geo)
    for r, g in zip(ref, got):
        assert g.flags.c_contiguous
        np.testing.assert_allclose(g, r, rtol=1e-12, atol=1e-12)


def test_groups_and_1d_keep_the_channels_first_kernels_under_channels_last():
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 4, 6, 5)), rng.standard_normal((6, 2, 3, 3))
    geo = K.geometry("conv2d", x.shape, w.shape, (1, 1), ((1, 1), (1, 1)), (1, 1), 2, 2)
    geo1 = K.geometry("conv1d", (2, 4, 7), (3, 4, 3), (1,), ((1, 1),), (1,), 1, 1)
    with _layout.channels_last():
        assert not CL.applies(geo, x, w) and not CL.applies(geo1, x, w)
        y = K.forward(np, x, w, None, geo)
    assert y.flags.c_contiguous
    np.testing.assert_allclose(y, K.forward(np, x, w, None, geo), rtol=0, atol=0)


def _pool(x, geo, g):
    """(values, winning offsets, gradient) through MaxPool and WindowSpread's kernels."""
    m = P.MaxPool()
    m.xp = np
    y, best = m.forward(x, geo=geo)
    s = P.WindowSpread()
    s.xp = np
    return y, best, s.forward(g, geo=geo, best=best)


@pytest.mark.parametrize("kind", ["random", "ties", "nan"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("window", [dict(kernel_size=2), dict(kernel_size=3, stride=2), dict(kernel_size=2, stride=1)])
def test_channels_last_max_pool_equals_channels_first(window, dtype, kind):
    pytest.importorskip("numba")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 5, 9, 8))
    if kind == "ties":
        x = np.maximum(np.round(x), 0)
    elif kind == "nan":
        x.flat[rng.choice(x.size, 15, replace=False)] = np.nan
    x = x.astype(dtype)
    geo = P._geometry("max_pool2d", x.shape, window["kernel_size"], window.get("stride"), 0, 1, False, 2)
    g = (np.arange(np.prod(x.shape[:2] + geo.out)) % 7 + 1).astype(dtype).reshape(x.shape[:2] + geo.out)
    before = jit.set_enabled(True)
    try:
        ref = _pool(x, geo, g)
        with _layout.channels_last():
            got = _pool(_channels_last(x), geo, _channels_last(g))
    finally:
        jit.set_enabled(before)
    for r, v in zip(ref, got):
        np.testing.assert_array_equal(v, r)   # same winners, same sums in the same order
    if window == dict(kernel_size=2):        # the 2x2 loops keep the layout
        assert all(_layout.is_channels_last(a) for a in got)


class _Net(ember.nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c2 = ember.nn.Conv2d(3, 8, 3, padding=1), ember.nn.Conv2d(8, 6, 3, stride=2, padding=1)

    def forward(self, x):
        return self.c2(F.max_pool2d(F.relu(self.c1(x)), 2))


def test_compiled_replay_runs_channels_last_and_returns_contiguous_values(monkeypatch):
    ember.manual_seed(0)
    net = _Net()
    x = ember.randn(2, 3, 12, 12)
    layouts = []
    forward = CL.forward

    def spy(*args):
        y = forward(*args)
        layouts.append(_layout.is_channels_last(y))
        return y
    monkeypatch.setattr(CL, "forward", spy)
    compiled = ember.compile(net)
    with ember.no_grad():
        eager = net(x)
        compiled(x)             # eager and tracing: C-contiguous results
        assert layouts and not any(layouts)
        traced = len(layouts)
        got = compiled(x)       # replays: channels-last results
    assert layouts[traced:] == [True, True]
    assert got.numpy().flags.c_contiguous and tuple(got.view(2, -1).shape) == (2, 6 * 3 * 3)
    np.testing.assert_allclose(got.numpy(), eager.numpy(), rtol=1e-5, atol=1e-6)


def test_compiled_cnn_training_matches_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    ref = torch.nn.Sequential(torch.nn.Conv2d(2, 6, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Conv2d(6, 4, 3, padding=(1, 0), dilation=(1, 2)), torch.nn.ReLU(),
                              torch.nn.Flatten(), torch.nn.Linear(4 * 5 * 1, 3)).double()
    net = ember.nn.Sequential(ember.nn.Conv2d(2, 6, 3, padding=1), ember.nn.ReLU(), ember.nn.MaxPool2d(2),
                              ember.nn.Conv2d(6, 4, 3, padding=(1, 0), dilation=(1, 2)), ember.nn.ReLU(),
                              ember.nn.Flatten(), ember.nn.Linear(4 * 5 * 1, 3)).double()
    net.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
    t_opt = torch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    opt = ember.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        return loss
    compiled = ember.compile(step)
    rng = np.random.default_rng(0)
    for i in range(4):   # the first call traces, the others replay channels-last
        x, y = rng.standard_normal((5, 2, 10, 10)), rng.integers(0, 3, 5)
        loss = compiled(ember.tensor(x), ember.tensor(y))
        t_opt.zero_grad()
        t_loss = torch.nn.functional.cross_entropy(ref(torch.tensor(x)), torch.tensor(y))
        t_loss.backward()
        t_opt.step()
        np.testing.assert_allclose(loss.item(), t_loss.item(), rtol=1e-10)
    for (name, p), q in zip(net.named_parameters(), ref.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-9, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("case", [0, 1, 4])
def test_numba_col2im_equals_the_strided_adds(case):
    pytest.importorskip("numba")
    x, w, b, gy, geo = _problem(case)
    w = np.concatenate([w] * 2, axis=1)          # >= 4 input channels: the loop's range
    x = np.concatenate([x] * 2, axis=1)
    geo = K.geometry("conv2d", x.shape, w.shape, geo.stride, geo.pads, geo.dilation, 1, 2)
    got = {}
    for fast in (True, False):
        before = jit.set_enabled(fast)
        try:
            with _layout.channels_last():
                got[fast] = CL.input_grad(np, _channels_last(gy), w, geo, x.shape)
        finally:
            jit.set_enabled(before)
    np.testing.assert_allclose(got[True], got[False], rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(got[True], K.input_grad_cf(np, gy, w, geo, x.shape), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("channels", [1, 4, 8])
def test_eager_forward_and_input_grad_of_few_channels_run_the_channels_first_kernels(channels, monkeypatch):
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((2, channels, 6, 5)), rng.standard_normal((3, channels, 3, 3))
    geo = K.geometry("conv2d", x.shape, w.shape, (1, 1), ((1, 1), (1, 1)), (1, 1), 1, 2)
    gy = rng.standard_normal((2, 3) + geo.out)
    calls = []
    for name in ("forward", "input_grad"):
        kernel = getattr(CL, name)
        monkeypatch.setattr(CL, name, lambda *a, _k=kernel, _n=name, **kw: calls.append(_n) or _k(*a, **kw))
    eager = (K.forward(np, x, w, None, geo), K.input_grad(np, gy, w, geo, x.shape))
    assert calls == (["forward", "input_grad"] if channels >= 8 else [])
    assert all(a.flags.c_contiguous for a in eager)
    with _layout.channels_last():       # a compiled replay keeps its layout whatever the channels
        kept = (K.forward(np, x, w, None, geo), K.input_grad(np, gy, w, geo, x.shape))
    assert calls[-2:] == ["forward", "input_grad"]
    ref = (K.forward_cf(np, x, w, None, geo), K.input_grad_cf(np, gy, w, geo, x.shape))
    for e, k, r in zip(eager, kept, ref):
        np.testing.assert_allclose(e, r, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(k, r, rtol=1e-12, atol=1e-12)
