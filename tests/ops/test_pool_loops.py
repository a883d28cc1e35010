"""Max pooling's numba loops (ember/ops/_pool_loops.py) against pool.py's NumPy code: values,
winning offsets (first maximum, NaN wins) and gradients, for ties, NaNs, infinities, padding,
dilation, ceil mode and overlapping windows."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.backend import jit

pytest.importorskip("numba")


def _inputs(kind, shape=(2, 3, 9, 8)):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape)
    if kind == "ties":
        x = np.maximum(np.round(x), 0)  # ReLU-like output: many equal zeros
    elif kind == "nan":
        x.flat[rng.choice(x.size, 12, replace=False)] = np.nan
        x[0, 0, :2, :2] = np.nan  # a window of NaNs only
    elif kind == "inf":
        x.flat[rng.choice(x.size, 12, replace=False)] = np.inf
        x.flat[rng.choice(x.size, 12, replace=False)] = -np.inf
    return x


def _pool(x, dtype, fast, kwargs):
    before = jit.set_enabled(fast)
    try:
        t = ember.tensor(x.astype(dtype), requires_grad=True)
        y, idx = F.max_pool2d(t, return_indices=True, **kwargs)
        g = np.arange(y.numel(), dtype=dtype).reshape(tuple(y.shape)) % 7 + 1
        y.backward(ember.tensor(g))
        return y.detach().numpy(), idx.numpy(), t.grad.numpy()
    finally:
        jit.set_enabled(before)


GEOMETRIES = {"2x2": dict(kernel_size=2), "3x3-s2-pad": dict(kernel_size=3, stride=2, padding=1),
              "dilated-ceil": dict(kernel_size=2, stride=2, dilation=2, ceil_mode=True),
              "2x3-s1": dict(kernel_size=(2, 3), stride=1)}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind", ["random", "ties", "nan", "inf"])
@pytest.mark.parametrize("geometry", list(GEOMETRIES))
def test_numba_max_pool_equals_the_numpy_path(geometry, kind, dtype):
    x = _inputs(kind)
    fast, slow = _pool(x, dtype, True, GEOMETRIES[geometry]), _pool(x, dtype, False, GEOMETRIES[geometry])
    np.testing.assert_array_equal(fast[0], slow[0])   # values (NaN where NaN)
    np.testing.assert_array_equal(fast[1], slow[1])   # PyTorch's indices: which element won
    overlapping = geometry in ("3x3-s2-pad", "2x3-s1")  # gradients summed in another order there
    np.testing.assert_allclose(fast[2], slow[2], rtol=1e-6 if overlapping else 0, atol=0)


def test_numba_max_pool_matches_torch_with_ties():
    torch = pytest.importorskip("torch")
    x = _inputs("ties") + _inputs("inf")
    y, idx, grad = _pool(x, "float64", True, dict(kernel_size=3, stride=2, padding=1))
    t = torch.tensor(x, requires_grad=True)
    ty, tidx = torch.nn.functional.max_pool2d(t, 3, 2, 1, return_indices=True)
    ty.backward(torch.tensor(np.arange(ty.numel()).reshape(ty.shape) % 7 + 1.0))
    np.testing.assert_array_equal(y, ty.detach().numpy())
    np.testing.assert_array_equal(idx, tidx.numpy())
    np.testing.assert_allclose(grad, t.grad.numpy())


@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("kernel,stride", [(2, 2), (3, 1)])
def test_images_split_between_threads_give_one_threads_results(kernel, stride, channels_last, monkeypatch,
                                                                split_threads):
    # the loops run the batch's images in parts on ember's threads (threads.parallel): values, offsets and
    # gradients are one thread's, bit for bit
    from ember.backend import threads
    x = _inputs("ties", (5, 3, 9, 8))
    results = {}
    for count in (1, 2, 3):
        monkeypatch.setattr(threads, "get_num_threads", lambda: count)
        t = ember.tensor(x, requires_grad=True)
        if channels_last:
            t = t.detach().contiguous(memory_format=ember.channels_last).requires_grad_(True)
        y, idx = F.max_pool2d(t, kernel, stride, return_indices=True)
        (y * ember.arange(y.numel(), dtype=y.dtype).reshape(y.shape)).sum().backward()
        results[count] = [y.detach().numpy(), idx.numpy(), t.grad.numpy()]
    for count in (2, 3):
        for got, want in zip(results[count], results[1]):
            np.testing.assert_array_equal(got, want)
    assert 2 in split_threads and 3 in split_threads
