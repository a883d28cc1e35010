"""The LSTM gate loops (ember/ops/_rnn_loops.py) against recurrent.py's NumPy code, bit for bit,
and both against PyTorch's LSTM: forward, backward, reverse, projection, extreme gate inputs,
and the fallback when a state is not contiguous."""
import numpy as np
import pytest
import torch

import ember
from ember.backend import jit
from ember.ops import _rnn_loops, recurrent as R

pytest.importorskip("numba")


def _inputs(dtype, proj, T=5, B=3, H=4, scale=1.0, seed=0):
    rng = np.random.default_rng(seed)
    P = 2 if proj else H
    arrays = [rng.standard_normal((T, B, 4 * H)) * scale, rng.standard_normal((B, P)), rng.standard_normal((B, H)),
              rng.standard_normal((4 * H, P)) * 0.5] + ([rng.standard_normal((P, H))] if proj else [])
    ups = [rng.standard_normal((T, B, P)), rng.standard_normal((B, P)), rng.standard_normal((B, H))]
    return [a.astype(dtype) for a in arrays], [u.astype(dtype) for u in ups]


def _run(fast, arrays, ups, reverse, c0_view=False):
    """Outputs and input gradients of one LSTMRecurrence, numba on or off."""
    before = jit.set_enabled(fast)
    try:
        args = [ember.tensor(a, requires_grad=True) for a in arrays]
        call = list(args)
        if c0_view:  # a strided c_0: the loops do not apply to the first step, NumPy runs it
            call[2] = ember.tensor(np.repeat(arrays[2], 2, axis=1), requires_grad=False)[:, ::2]
        outs = R.LSTMRecurrence.apply(*call, reverse=reverse)
        ember.autograd.backward(list(outs), [ember.tensor(u) for u in ups])
        return [o.detach().numpy() for o in outs] + [a.grad.numpy() for a in args if a.grad is not None]
    finally:
        jit.set_enabled(before)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("proj", [False, True])
def test_loops_equal_numpy_bit_for_bit(dtype, reverse, proj):
    arrays, ups = _inputs(dtype, proj)
    fast, slow = _run(True, arrays, ups, reverse), _run(False, arrays, ups, reverse)
    assert len(fast) == len(slow) == 3 + len(arrays)
    for a, b in zip(fast, slow):
        assert a.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(a, b)


def test_saturated_gates_and_strided_state_equal_numpy():
    arrays, ups = _inputs("float32", False, scale=40.0, seed=1)  # gates at 0 and 1, tanh at +-1
    for a, b in zip(_run(True, arrays, ups, False, c0_view=True), _run(False, arrays, ups, False, c0_view=True)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("dtype,tol", [("float32", 2e-5), ("float64", 1e-12)])
def test_lstm_matches_torch(fast, dtype, tol):
    rng = np.random.default_rng(2)
    ref = torch.nn.LSTM(6, 8, batch_first=True).to(getattr(torch, dtype))
    model = ember.nn.LSTM(6, 8, batch_first=True).to(getattr(ember, dtype))
    model.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
    x = rng.standard_normal((3, 7, 6)).astype(dtype) * 3
    up = rng.standard_normal((3, 7, 8)).astype(dtype)
    before = jit.set_enabled(fast)
    try:
        ex = ember.tensor(x, requires_grad=True)
        out = model(ex)[0]
        out.backward(ember.tensor(up))
    finally:
        jit.set_enabled(before)
    tx = torch.tensor(x, requires_grad=True)
    t_out = ref(tx)[0]
    t_out.backward(torch.tensor(up))
    np.testing.assert_allclose(out.detach().numpy(), t_out.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=tol * 10, atol=tol * 10)
    for name, p in ref.named_parameters():
        np.testing.assert_allclose(dict(model.named_parameters())[name].grad.numpy(), p.grad.numpy(),
                                   rtol=tol * 10, atol=tol * 10, err_msg=name)


def test_loops_decline_what_they_cannot_index():
    a, c = np.zeros((2, 8), np.float32), np.zeros((2, 2), np.float32)
    assert not _rnn_loops.gates(a, c[:, ::-1], c.copy(), 2)         # strided
    assert not _rnn_loops.gates(a.astype(np.float16), c, c.copy(), 2)  # no half-precision loop
    d = np.zeros_like(a)
    assert not _rnn_loops.gates_backward(a, c, c, c.astype(np.float64), c.copy(), d, 2)  # mixed dtypes
    assert _rnn_loops.gates(a, c, c.copy(), 2)


@pytest.mark.parametrize("fast", [True, False])
def test_gate_inputs_and_hidden_state_loops(fast):
    """gate_inputs and hidden (numba or NumPy) against NumPy float64, also on strided operands,
    which only the NumPy code takes."""
    rng = np.random.default_rng(4)
    gx, pre = rng.standard_normal((3, 8)).astype(np.float32), rng.standard_normal((8, 3)).astype(np.float32)
    scale, tc = np.full(8, 0.5, np.float32), rng.standard_normal((3, 2)).astype(np.float32)
    before = jit.set_enabled(fast)
    try:
        for p, g in ((pre, gx), (np.repeat(pre, 2, axis=1)[:, ::2], np.repeat(gx, 2, axis=0)[::2])):
            a = np.empty((3, 8), np.float32)
            _rnn_loops.gate_inputs(np, a, g, scale, p)
            np.testing.assert_allclose(a, gx.astype(np.float64) * 0.5 + pre.T, rtol=1e-6)
        h, h_t = np.empty((3, 2), np.float32), np.empty((2, 3), np.float32)
        _rnn_loops.hidden(np, a, tc, h, h_t, 2)
    finally:
        jit.set_enabled(before)
    np.testing.assert_array_equal(h, a[:, 6:] * tc)
    np.testing.assert_array_equal(h_t, h.T)


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("fast", [True, False])
def test_a_looked_up_projection_equals_the_lookup_then_the_recurrence(kind, fast):
    """A recurrence given a projected table and a time-major index (what recurrent.py passes for an
    embedding lookup) gives bit for bit the outputs and gradients of the table's rows looked up
    first: forward and backward, numba on or off, float32 and float64 alike."""
    rng = np.random.default_rng(3)
    T, B, H, V = 6, 3, 4, 5
    G = {"LSTM": 4, "GRU": 3, "RNN": 1}[kind] * H
    cls = getattr(R, f"{kind}Recurrence")
    for dtype in ("float32", "float64"):
        table = rng.standard_normal((V, G)).astype(dtype)
        index = rng.integers(0, V, (T, B))
        state = [rng.standard_normal((B, H)).astype(dtype) for _ in range(2 if kind == "LSTM" else 1)]
        w_hh = (rng.standard_normal((G, H)) * 0.5).astype(dtype)
        ups = [rng.standard_normal((T, B, H)).astype(dtype)] + [rng.standard_normal((B, H)).astype(dtype)
                                                               for _ in state]
        extra = [] if kind == "RNN" else [None]  # LSTM's w_hr, GRU's b_hh: the input before the index
        results = []
        before = jit.set_enabled(fast)
        try:
            for fused in (True, False):
                tab = ember.tensor(table, requires_grad=True)
                args = [ember.tensor(a, requires_grad=True) for a in state + [w_hh]]
                idx = ember.tensor(index)
                gx = tab if fused else ember.nn.functional.embedding(idx, tab)
                outs = cls.apply(gx, *args, *extra, idx if fused else None)
                ember.autograd.backward(list(outs), [ember.tensor(u) for u in ups])
                results.append([o.detach().numpy() for o in outs] + [tab.grad.numpy()] +
                               [a.grad.numpy() for a in args])
        finally:
            jit.set_enabled(before)
        for a, b in zip(*results):
            assert a.dtype == np.dtype(dtype)
            np.testing.assert_array_equal(a, b)


def test_a_compiled_replay_checks_the_looked_up_index():
    """A compiled replay with an index past the table (or negative) raises the embedding's error
    instead of reading outside the table, whose rows the recurrence reads itself."""
    embed, lstm = ember.nn.Embedding(4, 3), ember.nn.LSTM(3, 5)

    def step(x):
        return lstm(embed(x))[0].sum()
    fn = ember.compile(step)
    good = np.random.default_rng(0).integers(0, 4, (6, 2))
    assert np.isfinite(float(fn(ember.tensor(good))))
    for bad in (4, -1):
        idx = good.copy()
        idx[3, 1] = bad
        with pytest.raises(ember.errors.IndexOutOfRangeError, match=f"index {bad} is out of range"):
            fn(ember.tensor(idx))


@pytest.mark.parametrize("bad", [5, -1])
def test_the_recurrence_checks_the_index_it_is_given(bad):
    """Called directly with a table and an index, the recurrence checks the index against the table's
    rows itself (its kernel reads them) and raises, naming the layer, the index and the table size."""
    table, idx = ember.randn(5, 8), np.zeros((3, 2), np.int64)
    idx[1, 1] = bad
    with pytest.raises(ember.errors.IndexOutOfRangeError, match=f"lstm: embedding index {bad} is out of range "
                                                               "for the 5 rows of the looked-up table"):
        R.LSTMRecurrence.apply(table, ember.zeros(2, 2), ember.zeros(2, 2), ember.randn(8, 2), None,
                               ember.tensor(idx))


@pytest.mark.parametrize("reach", ["sum", "permuted", "contiguous"])
def test_output_gradients_of_any_layout_equal_numpy(reach):
    """The gate-gradient kernel adds each step's output gradient to dh's when the step's rows are
    contiguous (a contiguous gradient, or a batch-first layer's permuted one); a broadcast one (a
    sum's, zero strides) is added in NumPy first. Bit for bit the NumPy path either way."""
    arrays, _ = _inputs("float32", False, T=6)
    up = np.random.default_rng(4).standard_normal((3, 6, 4)).astype("float32")  # (batch, seq, hidden)
    results = []
    for fast in (True, False):
        before = jit.set_enabled(fast)
        try:
            args = [ember.tensor(a, requires_grad=True) for a in arrays]
            out = R.LSTMRecurrence.apply(*args)[0]
            if reach == "sum":
                out.sum().backward()
            elif reach == "permuted":
                out.transpose(0, 1).backward(ember.tensor(up))
            else:
                out.backward(ember.tensor(up.transpose(1, 0, 2).copy()))
            results.append([a.grad.numpy() for a in args])
        finally:
            jit.set_enabled(before)
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_tensor_inputs_given_as_keywords_are_refused():
    """A tensor input passed as a keyword would be an attribute, outside autograd (its gradient never
    computed, backward reading shapes it was not given): the recurrences refuse it."""
    gx, h, c, w = ember.randn(3, 2, 16), ember.zeros(2, 2), ember.zeros(2, 4), ember.randn(16, 2)
    with pytest.raises(ember.errors.ArgumentError, match="LSTMRecurrence: .* pass them positionally"):
        R.LSTMRecurrence.apply(gx, h, c, w, w_hr=ember.randn(2, 4))
    with pytest.raises(ember.errors.ArgumentError, match="GRURecurrence: .* pass them positionally"):
        R.GRURecurrence.apply(ember.randn(3, 2, 12), ember.zeros(2, 4), ember.randn(12, 4), b_hh=ember.randn(12))


@pytest.mark.parametrize("proj_size", [0, 16])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_lstm_batch_rows_split_between_threads_give_one_threads_results(bidirectional, proj_size, monkeypatch,
                                                                          split_threads):
    # each of ember's threads runs its rows through the whole sequence (threads.parallel): rows never mix,
    # so the outputs and every gradient are one thread's (up to how BLAS rounds a GEMM of fewer columns)
    from ember.backend import threads
    ember.manual_seed(0)
    lstm = ember.nn.LSTM(12, 24, batch_first=True, bidirectional=bidirectional, proj_size=proj_size)
    x = ember.randn(11, 7, 12)
    results = {}
    for count in (1, 2, 3):
        monkeypatch.setattr(threads, "get_num_threads", lambda: count)
        lstm.zero_grad()
        out, (h, c) = lstm(x)
        (out.pow(2).sum() + h.sum() + c.sum()).backward()
        results[count] = [out.detach().numpy(), h.detach().numpy(), c.detach().numpy()] + \
            [p.grad.numpy().copy() for p in lstm.parameters()]
    for count in (2, 3):
        for got, want in zip(results[count], results[1]):
            np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    assert 2 in split_threads  # 11 rows: two parts of at least 4
