"""Winograd F(2x2, 3x3) convolution kernels (ember/ops/_winograd.py): the forward (bias, fused ReLU)
and both gradients against the channels-first im2col kernels in float64 and against PyTorch in
float32, over odd and even sizes, pads 0, 1 and asymmetric, empty and one-image batches, 1..64
channels, channels-first and channels-last inputs; the dispatch of ember/ops/_im2col.py (which
calls run it, and the im2col fallback, bit for bit, when a value is inf or NaN); the public op
end to end against PyTorch."""
import numpy as np
import pytest

import ember
from ember.backend import jit
from ember.ops import _im2col as K, _layout, _winograd as WG

torch = pytest.importorskip("torch")
pytest.importorskip("numba")

# (N, C, O, H, W, ((top, bottom), (left, right)))
CASES = [(2, 3, 4, 7, 7, ((1, 1), (1, 1))), (1, 5, 2, 8, 8, ((0, 0), (0, 0))),
         (3, 16, 8, 5, 9, ((1, 1), (1, 1))), (2, 8, 9, 8, 8, ((0, 2), (1, 0))),
         (0, 4, 3, 7, 7, ((1, 1), (1, 1))), (1, 1, 1, 5, 9, ((2, 1), (0, 1))),
         (2, 64, 64, 7, 7, ((1, 1), (1, 1))), (1, 33, 1, 8, 8, ((0, 1), (1, 1)))]


def _problem(case, dtype, seed=0):
    n, c, o, h, w, pads = CASES[case]
    rng = np.random.default_rng(seed + case)
    geo = K.geometry("conv2d", (n, c, h, w), (o, c, 3, 3), (1, 1), pads, (1, 1), 1, 2)
    x, wt, b = (rng.standard_normal(s).astype(dtype) for s in ((n, c, h, w), (o, c, 3, 3), (o,)))
    gy = rng.standard_normal((n, o) + geo.out).astype(dtype)
    return x, wt, b, gy, geo


def _channels_last(a):
    return np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)


def _winograd(x, w, b, gy, geo, relu):
    return (WG.forward(np, x, w, b, geo, relu), WG.weight_grad(np, x, gy, geo, w.shape),
            WG.input_grad(np, gy, w, geo, x.shape))


@pytest.mark.parametrize("chunk", ["one image", "whole batch"])
@pytest.mark.parametrize("layout", ["nchw", "nhwc view"])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_equals_im2col_in_float64(case, layout, chunk, monkeypatch):
    monkeypatch.setattr(WG, "CHUNK_BYTES", 1 if chunk == "one image" else 2 ** 40)
    monkeypatch.setattr(WG.threads, "get_num_threads", lambda: 1)
    x, w, b, gy, geo = _problem(case, np.float64)
    ref = {False: K.forward_cf(np, x, w, b, geo), True: K.forward_cf(np, x, w, None, geo, relu=True)}
    ref_gw, ref_gx = K.weight_grad_cf(np, x, gy, geo, w.shape), K.input_grad_cf(np, gy, w, geo, x.shape)
    if layout == "nhwc view":
        x, gy = _channels_last(x), _channels_last(gy)
    for relu, bias in ((False, b), (True, None)):
        y, gw, gx = _winograd(x, w, bias, gy, geo, relu)
        for got, want in ((y, ref[relu]), (gw, ref_gw), (gx, ref_gx)):
            assert got.shape == want.shape and got.dtype == want.dtype and got.flags.c_contiguous
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    if layout == "nhwc view":   # inside a compiled replay the results stay channels-last
        with _layout.channels_last():
            y, _, gx = _winograd(x, w, b, gy, geo, False)
        assert y.shape[0] == 0 or (_layout.is_channels_last(y) or y.shape[1] == 1)
        np.testing.assert_allclose(y, ref[False], rtol=1e-10, atol=1e-10)
        np.testing.assert_allclose(gx, ref_gx, rtol=1e-10, atol=1e-10)


def _torch_three(x, w, b, gy, geo, relu):
    (t, bt), (l, r) = geo.pads
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    y = torch.nn.functional.conv2d(torch.nn.functional.pad(tx, (l, r, t, bt)), tw,
                                   None if b is None else torch.tensor(b))
    y = torch.relu(y) if relu else y
    y.backward(torch.tensor(gy))
    return y.detach().numpy(), tw.grad.numpy(), tx.grad.numpy()


@pytest.mark.parametrize("case", range(len(CASES)))
def test_equals_pytorch_in_float32(case):
    x, w, b, gy, geo = _problem(case, np.float32, seed=10)
    for relu, bias in ((False, b), (True, b), (False, None)):
        y, gw, gx = _winograd(x, w, bias, gy, geo, relu)
        ty, tgw, tgx = _torch_three(x, w, bias, gy, geo, False)
        ty = np.maximum(ty, 0) if relu else ty
        for got, want in ((y, ty), (gw, tgw), (gx, tgx)):
            assert got.dtype == np.float32 and got.shape == want.shape
            scale = max(np.abs(want).max(initial=0), 1.0)
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * scale)


def _without_winograd(monkeypatch, fn):
    with monkeypatch.context() as m:
        m.setattr(WG, "MIN_CHANNELS", 10 ** 9)
        return fn()


@pytest.fixture
def any_size(monkeypatch):
    """Winograd for every size of problem (the work threshold off), at any BLAS thread count."""
    monkeypatch.setattr(WG, "MIN_WORK_ONE", 0)
    monkeypatch.setattr(WG, "MIN_WORK_MANY", 0)


@pytest.mark.parametrize("where", ["x", "gy", "w"])
@pytest.mark.parametrize("value", [np.inf, -np.inf, np.nan])
def test_non_finite_values_fall_back_to_im2col_bit_for_bit(where, value, monkeypatch, any_size):
    x, w, b, gy, geo = _problem(6, np.float32)
    assert WG.applies(geo, 2, 64, 64, x, w, b)
    {"x": x, "gy": gy, "w": w}[where][0, 3, 2, 4 if where != "w" else 1] = value
    calls = {"forward": lambda: K.forward(np, x, w, b, geo, True),
             "weight_grad": lambda: K.weight_grad(np, x, gy, geo, w.shape),
             "input_grad": lambda: K.input_grad(np, gy, w, geo, x.shape)}
    reads = {"x": ("forward", "weight_grad"), "gy": ("weight_grad", "input_grad"), "w": ("forward", "input_grad")}
    for op, call in calls.items():
        got, want = call(), _without_winograd(monkeypatch, call)
        if op in reads[where]:   # the Winograd kernel itself declines, and im2col runs
            assert got.tobytes() == want.tobytes(), op
            assert not np.isfinite(want).all()
            assert _winograd(x, w, b, gy, geo, True)[list(calls).index(op)] is None
        else:                    # it reads only finite values: Winograd's result
            assert got.tobytes() == _winograd(x, w, b, gy, geo, True)[list(calls).index(op)].tobytes()
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    # a direct convolution keeps the infinity where the transforms would mix it into NaN
    if where == "x" and value == np.inf:
        assert np.isinf(K.forward(np, x, np.abs(w), None, geo)).any()


@pytest.mark.parametrize("where", ["x", "gy"])
def test_finite_values_that_overflow_in_the_transforms_fall_back_to_im2col(where, monkeypatch, any_size):
    """Finite values near float32's maximum that one tile's transform combines (+-3e38 two input rows
    apart: d1 - d3; 3e38 twice in a row of the output gradient: a + b) overflow where a direct
    convolution stays finite: the Winograd kernel sees its non-finite result and declines, and
    im2col's finite values are returned, bit for bit. At 2e37 nothing overflows: Winograd's results."""
    op = {"x": "forward", "gy": "input_grad"}[where]
    for big, falls_back in ((3e38, True), (2e37, False)):
        x, w, b, gy, geo = _problem(6, np.float32)
        x, w = x * np.float32(0.1), w * np.float32(0.1)   # so that a direct convolution stays finite
        if where == "x":
            x[0, 3, 2, 4], x[0, 3, 4, 4] = big, -big
        else:
            gy[0, 3, 2, 4], gy[0, 3, 2, 5] = big, big
        call = {"forward": lambda: K.forward(np, x, w, b, geo),
                "input_grad": lambda: K.input_grad(np, gy, w, geo, x.shape)}[op]
        got, want = call(), _without_winograd(monkeypatch, call)
        own = _winograd(x, w, b, gy, geo, False)[0 if op == "forward" else 2]
        assert np.isfinite(want).all()
        if falls_back:
            assert own is None and got.tobytes() == want.tobytes()
        else:
            assert got.tobytes() == own.tobytes()
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6 * big)


def test_dispatch_runs_winograd_where_it_applies(any_size):
    x, w, b, gy, geo = _problem(6, np.float32)
    assert (K.forward(np, x, w, b, geo).tobytes() == WG.forward(np, x, w, b, geo).tobytes())
    assert (K.weight_grad(np, x, gy, geo, w.shape).tobytes() == WG.weight_grad(np, x, gy, geo, w.shape).tobytes())
    assert (K.input_grad(np, gy, w, geo, x.shape).tobytes() == WG.input_grad(np, gy, w, geo, x.shape).tobytes())
    assert not WG.applies(geo, 2, WG.MIN_CHANNELS - 1, 64, x, w)
    assert not WG.applies(geo, 2, 64, WG.MIN_CHANNELS - 1, x, w)


def _geo(kernel=3, stride=1, dilation=1, groups=1):
    return K.geometry("conv2d", (2, 16, 9, 9), (16, 16 // groups, kernel, kernel), (stride,) * 2,
                      ((1, 1), (1, 1)), (dilation,) * 2, groups, 2)


def test_applies_only_to_3x3_stride_1_undilated_single_group_float_numpy(any_size):
    a32, a64 = np.zeros(3, np.float32), np.zeros(3)
    assert WG.applies(_geo(), 2, 16, 16, a32, a32) and WG.applies(_geo(), 2, 16, 16, a64, a64)
    assert not WG.applies(_geo(kernel=5), 2, 16, 16, a32, a32)
    assert not WG.applies(_geo(stride=2), 2, 16, 16, a32, a32)
    assert not WG.applies(_geo(dilation=2), 2, 16, 16, a32, a32)
    assert not WG.applies(_geo(groups=2), 2, 16, 16, a32, a32)
    assert not WG.applies(_geo(), 2, 16, 16, a32.astype(np.float16), a32.astype(np.float16))
    assert not WG.applies(_geo(), 2, 16, 16, a32, a64)
    assert not WG.applies(K.geometry("conv1d", (2, 16, 9), (16, 16, 3), (1,), ((1, 1),), (1,), 1, 1), 2, 16, 16, a32, a32)
    before = jit.set_enabled(False)
    try:
        assert not WG.applies(_geo(), 2, 16, 16, a32, a32)
    finally:
        jit.set_enabled(before)


@pytest.mark.parametrize("threads", [1, 2])
def test_applies_where_measured_faster(threads, monkeypatch):
    """The rule from benchmarks/conv_algorithms.py: the cnn's conv2 at one and two BLAS threads, the
    digits cnn's conv2 at one only, batch-1 inference and 8 channels never."""
    monkeypatch.setattr(WG.threads, "get_num_threads", lambda: threads)
    a = np.zeros(3, np.float32)

    def runs(n, c, o, h):
        return WG.applies(K.geometry("conv2d", (n, c, h, h), (o, c, 3, 3), (1, 1), ((1, 1), (1, 1)),
                                     (1, 1), 1, 2), n, c, o, a, a)
    assert runs(64, 32, 64, 14)
    assert runs(32, 32, 32, 8) == (threads == 1)
    assert not runs(1, 32, 64, 14) and not runs(64, 8, 32, 14) and not runs(64, 1, 32, 28)


def test_public_conv2d_and_its_gradients_equal_pytorch(any_size):
    rng = np.random.default_rng(3)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in ((4, 16, 9, 7), (24, 16, 3, 3), (24,)))
    geo = K.geometry("conv2d", x.shape, w.shape, (1, 1), ((1, 1), (1, 1)), (1, 1), 1, 2)
    assert WG.applies(geo, 4, 16, 24, x, w, b)
    ex, ew, eb = (ember.tensor(a, requires_grad=True) for a in (x, w, b))
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ey = ember.conv2d(ex, ew, eb, padding=1)
    ty = torch.nn.functional.conv2d(tx, tw, tb, padding=1)
    (ey * ey).sum().backward()
    (ty * ty).sum().backward()
    np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-4)
    for e, t in ((ex, tx), (ew, tw), (eb, tb)):
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-3)


def _counting(monkeypatch):
    calls = {"forward": 0, "weight_grad": 0, "input_grad": 0}
    for name in calls:
        def wrapped(*args, _name=name, _fn=getattr(WG, name)):
            calls[_name] += 1
            return _fn(*args)
        monkeypatch.setattr(WG, name, wrapped)
    return calls


def test_compiled_inference_and_training_run_winograd_with_torch_values(monkeypatch, any_size):
    """Inside compiled replays (channels-last arrays, the ReLU fused into the convolution) the
    kernels run and give eager's and PyTorch's values (float64)."""
    calls = _counting(monkeypatch)
    ember.manual_seed(0)
    net = ember.nn.Sequential(ember.nn.Conv2d(16, 16, 3, padding=1), ember.nn.ReLU(),
                              ember.nn.Conv2d(16, 24, 3, padding=1), ember.nn.ReLU()).double()
    ref = torch.nn.Sequential(torch.nn.Conv2d(16, 16, 3, padding=1), torch.nn.ReLU(),
                              torch.nn.Conv2d(16, 24, 3, padding=1), torch.nn.ReLU()).double()
    ref.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in net.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((2, 16, 7, 6))
    compiled = ember.compile(net)
    with ember.no_grad():
        compiled(ember.tensor(x))
        got = compiled(ember.tensor(x)).numpy()
    assert compiled.source().count("relu=True") == 2 and calls["forward"] >= 2
    with torch.no_grad():
        np.testing.assert_allclose(got, ref(torch.tensor(x)).numpy(), rtol=1e-10, atol=1e-10)

    opt = ember.optim.SGD(net.parameters(), lr=0.01)

    def step(v):
        opt.zero_grad()
        loss = (net(v) ** 2).sum()
        loss.backward()
        opt.step()
        return loss
    run = ember.compile(step)
    tx = torch.tensor(x)
    topt = torch.optim.SGD(ref.parameters(), lr=0.01)
    for _ in range(3):
        loss = float(run(ember.tensor(x)))
        topt.zero_grad()
        tloss = (ref(tx) ** 2).sum()
        tloss.backward()
        topt.step()
        np.testing.assert_allclose(loss, float(tloss.detach()), rtol=1e-10)
    assert calls["weight_grad"] >= 2 and calls["input_grad"] >= 1
    for p, (_, tp) in zip(net.parameters(), ref.named_parameters()):
        np.testing.assert_allclose(p.detach().numpy(), tp.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", [0, 2, 3, 6])
def test_images_split_between_threads_give_one_threads_results(case, monkeypatch, split_threads):
    # ember's threads take parts of the batch (threads.parallel): the forward and the input gradient are
    # per image, bit for bit one thread's; the weight gradient adds the parts' sums in order
    from ember.backend import threads
    x, w, b, gy, geo = _problem(case, np.float32)
    x, gy = np.concatenate([x] * 8), np.concatenate([gy] * 8)  # enough images for every thread
    results = {}
    for count in (1, 2, 3):
        monkeypatch.setattr(threads, "get_num_threads", lambda: count)
        results[count] = _winograd(x, w, b, gy, geo, True)
    for count in (2, 3):
        for i in (0, 2):
            np.testing.assert_array_equal(results[count][i], results[1][i])
        scale = np.abs(results[1][1]).max()  # float32 sums over 8x the images, added in another order
        np.testing.assert_allclose(results[count][1], results[1][1], rtol=1e-5, atol=2e-6 * scale)
    assert 2 in split_threads and 3 in split_threads
