"""RNN, LSTM, GRU and their cells against PyTorch: outputs, final states, input and parameter
gradients (float32 and float64), parameter names, initialization, shapes and input checks."""
import numpy as np
import pytest
import torch

import ember
from ember import nn
from ember.errors import ArgumentError, ShapeError
from conformance import check_module

DTYPES = ["float32", "float64"]
rng = np.random.default_rng(0)


def randn(*shape):
    return rng.standard_normal(shape)


def pair(cls, *args, **kwargs):
    return getattr(nn, cls)(*args, **kwargs), getattr(torch.nn, cls)(*args, **kwargs)


def with_state(lib, module):
    """`module` taking (x, h0, c0) positionally, so that the LSTM state pair gets gradients."""
    class WithState(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.m = module

        def forward(self, x, h0, c0):
            return self.m(x, (h0, c0))
    return WithState()


def check_lstm_state(e, t, x, state, **kw):
    check_module(with_state(ember, e), with_state(torch, t), x, *state, **kw)


# --- cells ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cls,kw", [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("LSTMCell", {}),
                                    ("GRUCell", {}), ("GRUCell", {"bias": False}), ("LSTMCell", {"bias": False})])
def test_cell_matches_torch(cls, kw, dtype):
    e, t = pair(cls, 5, 7, **kw)
    x = randn(3, 5)
    check_module(e, t, x, dtype=dtype)
    state = (randn(3, 7), randn(3, 7)) if cls == "LSTMCell" else randn(3, 7)
    if cls == "LSTMCell":
        check_lstm_state(e, t, x, state, dtype=dtype)
    else:
        check_module(e, t, x, state, dtype=dtype)


@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_unbatched(cls):
    e, t = pair(cls, 4, 6)
    check_module(e, t, randn(4))
    state = (randn(6), randn(6)) if cls == "LSTMCell" else randn(6)
    if cls == "LSTMCell":
        check_lstm_state(e, t, randn(4), state)
    else:
        check_module(e, t, randn(4), state)


# --- sequence layers ---------------------------------------------------------------------

CONFIGS = [
    ("RNN", {"num_layers": 2}),
    ("RNN", {"nonlinearity": "relu", "bidirectional": True, "batch_first": True}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"num_layers": 2, "bidirectional": True, "batch_first": True}),
    ("LSTM", {"bias": False}),
    ("LSTM", {"proj_size": 3, "num_layers": 2, "bidirectional": True}),
    ("GRU", {"num_layers": 2, "bidirectional": True}),
    ("GRU", {"batch_first": True, "bias": False}),
    ("LSTM", {"proj_size": 2, "num_layers": 2, "batch_first": True}),
    ("RNN", {"nonlinearity": "relu", "num_layers": 2, "bias": False, "batch_first": True}),
]


def _states(cls, kw, batch):
    n = kw.get("num_layers", 1) * (2 if kw.get("bidirectional") else 1)
    hidden = kw.get("proj_size") or 6
    lead = (n,) if batch is None else (n, batch)
    if cls == "LSTM":
        return (randn(*lead, hidden), randn(*lead, 6))
    return randn(*lead, hidden)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("cls,kw", CONFIGS)
def test_sequence_matches_torch(cls, kw, dtype):
    e, t = pair(cls, 4, 6, **kw)
    x = randn(3, 5, 4) if kw.get("batch_first") else randn(5, 3, 4)
    check_module(e, t, x, dtype=dtype)
    state = _states(cls, kw, 3)
    if cls == "LSTM":
        check_lstm_state(e, t, x, state, dtype=dtype)
    else:
        check_module(e, t, x, state, dtype=dtype)


@pytest.mark.parametrize("cls,kw", [("LSTM", {"num_layers": 2, "bidirectional": True}),
                                    ("GRU", {"batch_first": True}), ("RNN", {})])
def test_sequence_unbatched(cls, kw):
    e, t = pair(cls, 4, 6, **kw)
    check_module(e, t, randn(5, 4))
    state = _states(cls, kw, None)
    if cls == "LSTM":
        check_lstm_state(e, t, randn(5, 4), state)
    else:
        check_module(e, t, randn(5, 4), state)


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_dropout_zero_in_train_and_eval(cls):
    e, t = pair(cls, 4, 6, num_layers=2, dropout=0.0)
    check_module(e, t, randn(5, 2, 4), train=True)
    e, t = pair(cls, 4, 6, num_layers=2, dropout=0.5)
    check_module(e, t, randn(5, 2, 4), train=False)


def test_dropout_between_layers_in_training_only():
    lstm = nn.LSTM(4, 6, num_layers=2, dropout=0.5)
    x = ember.randn(5, 2, 4)
    ember.manual_seed(0)
    a, _ = lstm(x)
    ember.manual_seed(1)
    b, _ = lstm(x)
    assert not np.allclose(a.detach().numpy(), b.detach().numpy())
    lstm.eval()
    c, _ = lstm(x)
    d, _ = lstm(x)
    np.testing.assert_array_equal(c.detach().numpy(), d.detach().numpy())


def test_gradcheck_lstm_float64():
    lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True, proj_size=2).to(ember.float64)
    x = ember.randn(4, 2, 3, dtype=ember.float64, requires_grad=True)
    h0 = ember.randn(4, 2, 2, dtype=ember.float64, requires_grad=True)
    c0 = ember.randn(4, 2, 4, dtype=ember.float64, requires_grad=True)

    def fn(x, h0, c0):
        out, (h, c) = lstm(x, (h0, c0))
        return out, h, c
    assert ember.autograd.gradcheck(fn, (x, h0, c0))


def test_gradcheck_gru_float64():
    gru = nn.GRU(3, 4, bidirectional=True).to(ember.float64)
    x = ember.randn(4, 2, 3, dtype=ember.float64, requires_grad=True)
    h0 = ember.randn(2, 2, 4, dtype=ember.float64, requires_grad=True)
    assert ember.autograd.gradcheck(lambda x, h: gru(x, h)[0], (x, h0))


def _graph_size(t):
    seen, stack = set(), [t.grad_fn]
    while stack:
        node = stack.pop()
        if node is not None and id(node) not in seen:
            seen.add(id(node))
            stack.extend(e[0] for e in node.edges if e is not None)
    return len(seen)


@pytest.mark.parametrize("cls", ["LSTM", "GRU", "RNN"])
def test_autograd_graph_does_not_grow_with_sequence_length(cls):
    """The recurrence is one primitive per layer and direction, whatever the sequence length."""
    m = getattr(nn, cls)(4, 6, num_layers=2, batch_first=True)
    short, long = (_graph_size(m(ember.randn(2, t, 4))[0].sum()) for t in (3, 40))
    assert short == long < 30


def test_lstm_long_sequence_matches_torch():
    e, t = pair("LSTM", 3, 8, batch_first=True)
    check_module(e, t, randn(2, 50, 3), dtype="float64")


# --- parameters ------------------------------------------------------------------------

@pytest.mark.parametrize("cls,kw", CONFIGS + [("LSTMCell", {}), ("GRUCell", {"bias": False})])
def test_parameter_names_and_shapes(cls, kw):
    e, t = pair(cls, 4, 6, **kw)
    assert [(n, tuple(p.shape)) for n, p in e.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in t.named_parameters()]
    assert list(e.state_dict()) == list(t.state_dict())


@pytest.mark.parametrize("cls", ["LSTM", "GRUCell"])
def test_default_init_is_uniform_in_inverse_sqrt_hidden(cls):
    e = getattr(nn, cls)(30, 64)
    bound = 1 / np.sqrt(64)
    for name, p in e.named_parameters():
        a = p.detach().numpy()
        assert a.min() >= -bound and a.max() <= bound, name
        assert a.std() == pytest.approx(bound / np.sqrt(3), rel=0.1), name


def test_repr_matches_torch():
    for cls, args, kw in [("LSTM", (10, 20), {"num_layers": 2, "batch_first": True, "bidirectional": True}),
                          ("GRU", (3, 4), {"bias": False, "dropout": 0.5, "num_layers": 2}),
                          ("LSTM", (3, 4), {"proj_size": 2}), ("RNNCell", (3, 4), {"nonlinearity": "relu"}),
                          ("LSTMCell", (3, 4), {"bias": False})]:
        e, t = pair(cls, *args, **kw)
        assert repr(e) == repr(t)


# --- checks ------------------------------------------------------------------------------

def test_wrong_feature_size_names_layer_and_shape():
    with pytest.raises(ShapeError, match=r"LSTM\(input_size=10.*\(5, 3, 12\).*\(seq_len, batch, 10\)"):
        nn.LSTM(10, 20)(ember.randn(5, 3, 12))
    with pytest.raises(ShapeError, match=r"\(batch, seq_len, 10\)"):
        nn.GRU(10, 20, batch_first=True)(ember.randn(5, 3, 12))
    with pytest.raises(ShapeError, match=r"LSTMCell\(10, 20\).*\(3, 12\)"):
        nn.LSTMCell(10, 20)(ember.randn(3, 12))


def test_wrong_state_shape_names_expected_shape():
    lstm = nn.LSTM(10, 20, num_layers=2)
    x = ember.randn(5, 3, 10)
    with pytest.raises(ShapeError, match=r"h_0 of shape \(1, 3, 20\): expected \(2, 3, 20\)"):
        lstm(x, (ember.zeros(1, 3, 20), ember.zeros(2, 3, 20)))
    with pytest.raises(ShapeError, match=r"c_0 of shape \(2, 3, 21\)"):
        lstm(x, (ember.zeros(2, 3, 20), ember.zeros(2, 3, 21)))
    with pytest.raises(ShapeError, match=r"hx of shape \(1, 4, 20\)"):
        nn.GRU(10, 20)(x, ember.zeros(1, 4, 20))
    with pytest.raises(ShapeError, match=r"expected \(1, 20\)"):
        nn.RNN(10, 20)(ember.randn(5, 10), ember.zeros(1, 1, 20))
    with pytest.raises(ShapeError, match=r"hx of shape \(2, 20\).*expected \(3, 20\)"):
        nn.GRUCell(10, 20)(ember.randn(3, 10), ember.zeros(2, 20))
    with pytest.raises(ArgumentError, match="pair"):
        lstm(x, ember.zeros(2, 3, 20))


def test_bad_constructor_arguments():
    with pytest.raises(ArgumentError, match="proj_size"):
        nn.LSTM(4, 6, proj_size=6)
    with pytest.raises(ArgumentError, match="dropout"):
        nn.GRU(4, 6, dropout=1.5)
    with pytest.raises(ArgumentError, match="nonlinearity"):
        nn.RNN(4, 6, nonlinearity="sigmoid")
    with pytest.raises(ArgumentError, match="hidden_size"):
        nn.LSTM(4, 0)
    with pytest.warns(UserWarning, match="num_layers=1"):
        nn.LSTM(4, 6, dropout=0.2)


def test_lstm_returns_its_states_as_a_tuple_as_pytorch():
    """(output, (h_n, c_n)): the states come as a tuple, batched, unbatched and packed, as PyTorch's."""
    lstm = ember.nn.LSTM(3, 4)
    ref = torch.nn.LSTM(3, 4)
    for x in (ember.randn(2, 1, 3), ember.randn(2, 3)):
        assert type(lstm(x)[1]) is type(ref(torch.tensor(x.numpy()))[1]) is tuple
    packed = ember.nn.utils.rnn.pack_padded_sequence(ember.randn(3, 2, 3), ember.tensor([3, 2]))
    assert type(lstm(packed)[1]) is tuple
