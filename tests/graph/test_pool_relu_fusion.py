"""pool_relu_fusion (ember/graph/passes/pool_relu.py) and the masked max-pool gradient
(ember/ops/pool.py, ember/ops/_pool_loops.py): in a training step conv -> ReLU -> max pool, the
pool's gradient and the ReLU's become one WindowSpread call; its values equal the unfused product
bit for bit (NaN and infinite gradients, NaN and -0.0 in the ReLU output) on the numba loop and on
every fallback (overlapping windows, padding, channels-first, no numba); training equals eager and
PyTorch; never fused where the spread's result has another user."""
import numpy as np
import pytest

import ember
from ember.backend import jit
from ember.ops import pool as P
from ember.ops._layout import channels_last


def _channels_last(a):
    return np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)


def _spread(g, best, geo, mask):
    sp = P.WindowSpread()
    sp.xp = np
    return sp.forward(g, geo=geo, best=best, mask=mask)


def _cases():
    # (input shape, kernel, stride, padding): tiling 2x2, odd size (rows past the last window),
    # overlapping windows, padding
    return [((2, 3, 8, 6), 2, 2, 0), ((1, 4, 7, 9), 2, 2, 0), ((2, 3, 7, 7), 3, 1, 0), ((1, 2, 6, 6), 2, 2, 1)]


@pytest.mark.parametrize("numba", [True, False])
@pytest.mark.parametrize("layout", ["channels-last", "channels-first"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", range(len(_cases())))
def test_masked_spread_equals_spread_times_mask_bit_for_bit(case, dtype, layout, numba):
    if numba:
        pytest.importorskip("numba")
    shape, kernel, stride, padding = _cases()[case]
    rng = np.random.default_rng(case)
    y = np.maximum(rng.standard_normal(shape), 0).astype(dtype)
    y.reshape(-1)[:4] = (np.nan, -0.0, 0.0, 0.0)
    if layout == "channels-last":
        y = _channels_last(y)
    before = jit.set_enabled(numba)
    try:
        with channels_last(layout == "channels-last"):
            x = ember.tensor(y, requires_grad=True)
            out = ember.nn.functional.max_pool2d(x, kernel, stride, padding)
            mp = out.grad_fn
            g = rng.standard_normal(out.shape).astype(dtype)
            g.reshape(-1)[:3] = (np.inf, np.nan, -1.0)     # 0 where the ReLU is off, whatever the gradient
            if layout == "channels-last":
                g = _channels_last(g)
            geo, best = mp.attrs["geo"], mp.best
            plain = _spread(g, best, geo, None)
            want = np.where(y <= 0, dtype(0), plain)       # the unfused graph's ReluGrad
            got = _spread(g, best, geo, y)
    finally:
        jit.set_enabled(before)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(np.ascontiguousarray(got).view(np.uint8),
                                  np.ascontiguousarray(want).view(np.uint8))


def _net():
    ember.manual_seed(0)
    return ember.nn.Sequential(ember.nn.Conv2d(2, 6, 3, padding=1), ember.nn.ReLU(), ember.nn.MaxPool2d(2),
                               ember.nn.Conv2d(6, 4, 3, padding=1), ember.nn.ReLU(), ember.nn.MaxPool2d(2),
                               ember.nn.Flatten(), ember.nn.Linear(4 * 2 * 2, 3)).double()


def _train(compiled, steps=3):
    net = _net()
    opt = ember.optim.Adam(net.parameters(), lr=0.01)

    def step(x, y):
        opt.zero_grad()
        loss = ember.nn.functional.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        return loss
    run = ember.compile(step) if compiled else step
    rng = np.random.default_rng(0)
    losses = [float(run(ember.tensor(rng.standard_normal((3, 2, 9, 9))), ember.tensor(rng.integers(0, 3, 3))))
              for _ in range(steps)]
    return run, losses, [p.detach().numpy().copy() for p in net.parameters()]


def test_training_step_fuses_both_pool_relu_gradients_and_equals_eager_and_torch():
    torch = pytest.importorskip("torch")
    run, losses, params = _train(compiled=True)
    _, eager_losses, eager_params = _train(compiled=False)
    names = [n.name.split(".")[-1] for n in run.last.graph.nodes if n.op == "call"]
    spreads = [n for n in run.last.graph.nodes if n.op == "call" and n.name.endswith("WindowSpread")]
    assert len(spreads) == 2 and all(n.attrs.get("mask") is not None for n in spreads)
    assert run.source().count("mask=") == 2
    assert "Fused" not in names and "Relu" not in names    # both ReLUs' gradients went into the spreads
    np.testing.assert_allclose(losses, eager_losses, rtol=1e-12)
    for w, w_ref in zip(params, eager_params):
        np.testing.assert_allclose(w, w_ref, rtol=1e-12, atol=1e-12)
    # PyTorch, same weights and batches
    ref = torch.nn.Sequential(torch.nn.Conv2d(2, 6, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Conv2d(6, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Flatten(), torch.nn.Linear(16, 3)).double()
    ref.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in _net().state_dict().items()})
    opt = torch.optim.Adam(ref.parameters(), lr=0.01)
    rng = np.random.default_rng(0)
    for want in losses:
        x, y = torch.tensor(rng.standard_normal((3, 2, 9, 9))), torch.tensor(rng.integers(0, 3, 3))
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(ref(x), y)
        loss.backward()
        opt.step()
        assert abs(loss.item() - want) < 1e-10
    for w, p in zip(params, ref.parameters()):
        np.testing.assert_allclose(w, p.detach().numpy(), rtol=1e-9, atol=1e-12)


def test_relu_output_with_another_user_is_not_fused_and_equals_eager():
    # y = relu(conv(x)) feeds the pool and a sum: its gradient is spread + 1, so the ReLU's gradient
    # is a three-step Fused call (add, mask, multiply) that this pass leaves alone
    def run(compiled):
        ember.manual_seed(0)
        conv = ember.nn.Conv2d(2, 3, 3, padding=1).double()
        opt = ember.optim.SGD(conv.parameters(), lr=0.1)

        def step(x):
            opt.zero_grad()
            y = conv(x).relu()
            loss = ember.nn.functional.max_pool2d(y, 2).sum() + y.sum()
            loss.backward()
            opt.step()
            return loss
        fn = ember.compile(step) if compiled else step
        rng = np.random.default_rng(1)
        losses = [float(fn(ember.tensor(rng.standard_normal((2, 2, 6, 6))))) for _ in range(2)]
        return fn, losses, conv.weight.detach().numpy().copy()
    fn, losses, w = run(True)
    _, eager_losses, eager_w = run(False)
    assert "mask=" not in fn.source()
    np.testing.assert_allclose(losses, eager_losses, rtol=1e-12)
    np.testing.assert_allclose(w, eager_w, rtol=1e-12, atol=1e-12)


def test_fused_spread_has_no_backward():
    sp = P.WindowSpread()
    sp.attrs = {"mask": object(), "geo": None, "best": None}
    with pytest.raises(ember.errors.AutogradError, match="no backward"):
        sp.backward(None)
