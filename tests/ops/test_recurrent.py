"""The recurrent kernels (ember.ops.recurrent) beyond the registry walk: the fused array kernels
against the same recurrences written with ember ops, double backward against PyTorch, empty
batches, and argument errors."""
import numpy as np
import pytest
import torch

import ember
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.ops import recurrent as R

rng = np.random.default_rng(0)


def leaf(*shape):
    return ember.tensor(rng.standard_normal(shape), requires_grad=True)


def kernel_case(kind, reverse, proj, T=4, B=3, H=5):
    """(kernel, composite, inputs, attrs) for one layer and direction, float64."""
    if kind == "lstm":
        P = 2 if proj else H
        args = [leaf(T, B, 4 * H), leaf(B, P), leaf(B, H), leaf(4 * H, P)] + ([leaf(P, H)] if proj else [])
        return R.LSTMRecurrence, R._lstm_composite, args, {"reverse": reverse}
    if kind == "gru":
        return R.GRURecurrence, R._gru_composite, [leaf(T, B, 3 * H), leaf(B, H), leaf(3 * H, H), leaf(3 * H)], \
            {"reverse": reverse}
    return R.RNNRecurrence, R._rnn_composite, [leaf(T, B, H), leaf(B, H), leaf(H, H)], \
        {"reverse": reverse, "relu": kind == "relu"}


@pytest.mark.parametrize("kind,proj", [("lstm", False), ("lstm", True), ("gru", False), ("tanh", False),
                                       ("relu", False)])
@pytest.mark.parametrize("reverse", [False, True])
def test_kernel_matches_composite(kind, proj, reverse):
    kernel, composite, args, attrs = kernel_case(kind, reverse, proj)
    fused, ref = kernel.apply(*args, **attrs), composite(*args, **attrs)
    cot = [ember.tensor(rng.standard_normal(tuple(o.shape))) for o in ref]
    for a, b in zip(fused, ref):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-12)
    g_fused = ember.autograd.grad(list(fused), args, cot)
    g_ref = ember.autograd.grad(list(ref), args, cot)
    for k, (a, b) in enumerate(zip(g_fused, g_ref)):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-12, err_msg=f"input {k}")


@pytest.mark.parametrize("kind", ["lstm", "gru", "tanh"])
def test_kernel_gradgradcheck(kind):
    kernel, _, args, attrs = kernel_case(kind, True, False, T=3, B=2, H=2)
    assert ember.autograd.gradgradcheck(lambda *xs: kernel.apply(*xs, **attrs), args)


@pytest.mark.parametrize("cls", ["LSTM", "GRU"])
def test_double_backward_matches_torch(cls):
    """A gradient penalty through a whole sequence layer, as in PyTorch (float64)."""
    torch.manual_seed(0)
    t = getattr(torch.nn, cls)(3, 4, bidirectional=True).double()
    e = getattr(ember.nn, cls)(3, 4, bidirectional=True).to(ember.float64)
    e.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    x = rng.standard_normal((5, 2, 3))
    tx, ex = torch.tensor(x, requires_grad=True), ember.tensor(x, requires_grad=True)
    (tg,) = torch.autograd.grad(t(tx)[0].pow(2).sum(), tx, create_graph=True)
    (eg,) = ember.autograd.grad((e(ex)[0] ** 2).sum(), ex, create_graph=True)
    np.testing.assert_allclose(eg.detach().numpy(), tg.detach().numpy(), rtol=1e-10, atol=1e-12)
    tg.pow(2).sum().backward()
    (eg ** 2).sum().backward()
    np.testing.assert_allclose(ex.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    for name, p in t.named_parameters():
        np.testing.assert_allclose(getattr(e, name).grad.numpy(), p.grad.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=name)


def test_empty_batch():
    x, h = ember.zeros(3, 0, 2), ember.zeros(1, 0, 4)
    w = [ember.randn(16, 2), ember.randn(16, 4)]
    out, h_n, c_n = ember.lstm(x, (h, h), w, False, 1, 0.0, False, False, False)
    assert out.shape == (3, 0, 4) and h_n.shape == (1, 0, 4) and c_n.shape == (1, 0, 4)


def test_dropout_between_layers_follows_the_seed():
    x, h = ember.randn(4, 2, 3), ember.zeros(2, 2, 5)
    w = [ember.randn(5, 3), ember.randn(5, 5), ember.randn(5, 5), ember.randn(5, 5)]
    run = lambda train: ember.rnn_tanh(x, h, w, False, 2, 0.5, train, False, False)[0].numpy()  # noqa: E731
    ember.manual_seed(3)
    a = run(True)
    ember.manual_seed(3)
    np.testing.assert_array_equal(run(True), a)
    assert not np.allclose(run(False), a)


def test_errors_name_the_argument_and_shapes():
    x, h = ember.randn(4, 2, 3), ember.zeros(1, 2, 5)
    w = [ember.randn(20, 3), ember.randn(20, 5)]
    with pytest.raises(ArgumentError, match="params must be a list of 2 tensors"):
        ember.lstm(x, (h, h), w[:1], False, 1, 0.0, False, False, False)
    with pytest.raises(ArgumentError, match="params must be a list of 4 tensors"):
        ember.lstm(x, (ember.zeros(2, 2, 5),) * 2, w, False, 2, 0.0, False, False, False)
    with pytest.raises(ShapeError, match=r"params\[0\] of shape \(20, 4\): expected \(20, 3\)"):
        ember.lstm(x, (h, h), [ember.randn(20, 4), w[1]], False, 1, 0.0, False, False, False)
    with pytest.raises(ShapeError, match="seq_len > 0"):
        ember.lstm(ember.randn(0, 2, 3), (h, h), w, False, 1, 0.0, False, False, False)
    with pytest.raises(ShapeError, match="h_0 of shape"):
        ember.lstm(x, (ember.zeros(1, 3, 5), h), w, False, 1, 0.0, False, False, False)
    with pytest.raises(ArgumentError, match="hx must be a pair"):
        ember.lstm(x, h, w, False, 1, 0.0, False, False, False)
    with pytest.raises(ArgumentError, match="batch_first must be a bool"):
        ember.lstm(x, (h, h), w, False, 1, 0.0, False, False, "yes")
    with pytest.raises(DTypeError, match="dtype"):
        ember.lstm(x, (h.double(), h), w, False, 1, 0.0, False, False, False)
    with pytest.raises(ShapeError, match=r"w_hh of shape \(20, 4\)"):
        ember.lstm_cell(ember.randn(2, 3), (ember.zeros(2, 5), ember.zeros(2, 5)), w[0], ember.randn(20, 4))


def _embedded(kind, rows, batch_first, bidirectional, padding_idx=None, freq=False):
    """An Embedding -> `kind` network in PyTorch and ember with the same weights; (outputs and every
    gradient) of each after one backward of a sum of squares."""
    torch.manual_seed(0)
    tnets = (torch.nn.Embedding(rows, 6, padding_idx=padding_idx, scale_grad_by_freq=freq),
             getattr(torch.nn, kind)(6, 5, num_layers=2, batch_first=batch_first, bidirectional=bidirectional))
    enets = (ember.nn.Embedding(rows, 6, padding_idx=padding_idx, scale_grad_by_freq=freq),
             getattr(ember.nn, kind)(6, 5, num_layers=2, batch_first=batch_first, bidirectional=bidirectional))
    for t, e in zip(tnets, enets):
        e.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    idx = np.random.default_rng(0).integers(0, rows, (4, 7))
    idx[0, :2] = 0
    results = []
    for lib, (embed, rnn) in ((torch, tnets), (ember, enets)):
        out, _ = rnn(embed(lib.tensor(idx)))
        out.square().sum().backward()
        results.append([out.detach().numpy()] + [p.grad.numpy() for net in (embed, rnn) for p in net.parameters()])
    return results


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("batch_first,bidirectional", [(True, False), (False, True)])
@pytest.mark.parametrize("rows,padding_idx,freq", [(10, None, False), (40, None, False), (10, 0, False),
                                                   (10, None, True)])
def test_input_projection_of_an_embedding_lookup_matches_torch(kind, batch_first, bidirectional, rows,
                                                               padding_idx, freq):
    """The first layer's input projection computed on the embedding table (10 rows < 28 positions)
    or on the looked-up rows (40 rows; a padding_idx or scale_grad_by_freq lookup): the outputs and
    the gradients of every parameter, the table's included, are PyTorch's."""
    want, got = _embedded(kind, rows, batch_first, bidirectional, padding_idx, freq)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)


def test_the_table_is_projected_in_eager_and_compiled_steps_alike():
    """The fold shows in the traced step (the input projection's GEMM reads the table), and the
    compiled step's losses and parameters equal eager's."""
    def run(compiled):
        ember.manual_seed(0)
        embed, lstm = ember.nn.Embedding(12, 8), ember.nn.LSTM(8, 16, batch_first=True)
        params = list(embed.parameters()) + list(lstm.parameters())
        opt = ember.optim.Adam(params, lr=1e-2)

        def step(x):
            opt.zero_grad()
            loss = lstm(embed(x))[0].square().mean()
            loss.backward()
            opt.step()
            return loss
        fn = ember.compile(step) if compiled else step
        x = ember.tensor(np.random.default_rng(1).integers(0, 12, (3, 9)))
        losses = [float(fn(x)) for _ in range(3)]
        return fn, losses, [p.detach().numpy().copy() for p in params], embed
    fn, losses, params, embed = run(True)
    _, eager_losses, eager_params, _ = run(False)
    np.testing.assert_allclose(losses, eager_losses, rtol=1e-5)
    for a, b in zip(params, eager_params):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    graph = fn.last.graph
    table = next(n.outputs[0].id for n in graph.nodes if n.op in ("parameter", "constant")
                 and n.outputs[0].shape == (12, 8))
    linears = [n for n in graph.nodes if n.op == "call" and n.name == "ember.ops.dense.Linear"]
    assert any(n.args[0].id == table for n in linears)


def test_a_table_written_after_the_lookup_is_not_projected():
    """The projection reads the table when the layer runs; a table changed in place after the
    lookup (as an optimizer step between the two would) leaves the looked-up rows the ones used."""
    ember.manual_seed(0)
    embed, lstm = ember.nn.Embedding(5, 3), ember.nn.LSTM(3, 4)
    idx = ember.tensor(np.random.default_rng(0).integers(0, 5, (6, 2)))
    x = embed(idx)
    want = lstm(x.detach())[0].detach().numpy()
    with ember.no_grad():
        embed.weight.mul_(2.0)
    np.testing.assert_allclose(lstm(x)[0].detach().numpy(), want, rtol=1e-6, atol=1e-7)


def _pair(kind, rows=10, batch_first=True):
    """An Embedding -> `kind` pair in PyTorch and ember with the same weights, and an index batch."""
    torch.manual_seed(0)
    tnets = (torch.nn.Embedding(rows, 6), getattr(torch.nn, kind)(6, 5, batch_first=batch_first))
    enets = (ember.nn.Embedding(rows, 6), getattr(ember.nn, kind)(6, 5, batch_first=batch_first))
    for t, e in zip(tnets, enets):
        e.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    return tnets, enets, np.random.default_rng(0).integers(0, rows, (4, 7))


def _param_grads(nets):
    return [p.grad.numpy() for net in nets for p in net.parameters()]


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
@pytest.mark.parametrize("watch", ["hook", "retain_grad", "grad", "grad-create_graph"])
def test_a_watched_lookup_gets_its_gradient_and_nothing_counts_twice(kind, watch):
    """The layer folds the lookup into its input projection, yet the lookup's result keeps its place
    in the graph: a hook registered after the layer ran, retain_grad, or `grad(..., x)` (also with
    create_graph, a gradient penalty) see PyTorch's gradient of x, and the parameters' gradients
    (the embedding table's included) are PyTorch's, counted once."""
    tnets, enets, idx = _pair(kind)
    results = []
    for lib, (embed, rnn) in ((torch, tnets), (ember, enets)):
        x = embed(lib.tensor(idx))
        loss = rnn(x)[0].square().sum()
        seen = []
        if watch == "hook":
            x.register_hook(lambda g: seen.append(g.detach().numpy().copy()))
            loss.backward()
        elif watch == "retain_grad":
            x.retain_grad()
            loss.backward()
            seen.append(x.grad.numpy())
        elif watch == "grad":
            seen.append(lib.autograd.grad(loss, [x])[0].detach().numpy())
        else:
            gx = lib.autograd.grad(loss, [x], create_graph=True)[0]
            seen.append(gx.detach().numpy())
            gx.square().sum().backward()
        results.append(seen + (_param_grads((embed, rnn)) if watch != "grad" else []))
    got, want = results[1], results[0]
    assert len(got) == len(want) > 0
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)


def test_rows_written_in_place_after_the_lookup_are_the_rows_used():
    """An in-place write to the looked-up rows (under no_grad, so the lookup stays their grad_fn)
    means they are no longer the table's rows: the layer reads them, as PyTorch does."""
    tnets, enets, idx = _pair("LSTM")
    outs = []
    for lib, (embed, rnn) in ((torch, tnets), (ember, enets)):
        x = embed(lib.tensor(idx))
        with lib.no_grad():
            x.mul_(0.5)
        outs.append(rnn(x)[0].detach().numpy())
    np.testing.assert_allclose(outs[1], outs[0], rtol=1e-5, atol=1e-6)


def test_a_compiled_step_takes_an_empty_batch():
    """A dynamic-batch compiled step over a folded lookup runs a batch of none (no index to check)."""
    embed, lstm = ember.nn.Embedding(4, 3), ember.nn.LSTM(3, 5, batch_first=True)
    fn = ember.compile(lambda x: lstm(embed(x))[0].sum(), dynamic_batch=True)
    assert np.isfinite(float(fn(ember.tensor(np.random.default_rng(0).integers(0, 4, (2, 6))))))
    assert float(fn(ember.tensor(np.zeros((0, 6), np.int64)))) == 0.0
