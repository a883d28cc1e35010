"""Import table, recurrent part (see op_math.py): ONNX's LSTM, GRU and RNN nodes run as ember's
`lstm`/`gru`/`rnn_*` (one fused recurrence per layer and direction) with the weights' gate rows
put in PyTorch's order; GRU with linear_before_reset=0 (ONNX's default, not PyTorch's formula)
runs as a loop of ember ops over time.

    >>> sorted(RNN_OPS)
    ['GRU', 'LSTM', 'RNN']
"""
import numpy as np

from ember.ops import creation, gather, join, recurrent, unary
from ember.onnx.op_util import ints, refuse, tensor_of, tensors

# PyTorch's gate order as positions in ONNX's: LSTM i f g o from i o f c; GRU r z n from z r h.
_TORCH_ORDER = {"LSTM": (0, 2, 3, 1), "GRU": (1, 0, 2), "RNN": (0,)}
_GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}
_DEFAULT_ACTS = {"LSTM": ["Sigmoid", "Tanh", "Tanh"], "GRU": ["Sigmoid", "Tanh"], "RNN": ["Tanh"]}


def _reorder(t, kind, hidden):
    rows = np.concatenate([np.arange(g * hidden, (g + 1) * hidden) for g in _TORCH_ORDER[kind]])
    return gather.index_select(t, 0, creation.tensor(rows).to(t.device))


def _setup(kind, x, a):
    hidden = int(a["hidden_size"])
    direction = a.get("direction", "forward")
    if direction not in ("forward", "reverse", "bidirectional"):
        refuse(a, f"direction={direction!r}")
    if "clip" in a:
        refuse(a, "clip")
    if kind == "LSTM" and (int(a.get("input_forget", 0)) or (len(x) > 7 and x[7] is not None)):
        refuse(a, "input_forget and peepholes (P)")
    acts = [s.decode() if isinstance(s, bytes) else s for s in a.get("activations", [])]
    layout = int(a.get("layout", 0))
    v = tensor_of(x[0])
    seq = v.transpose(0, 1) if layout else v   # (T, B, I)
    if len(x) > 4 and x[4] is not None and any(n != seq.shape[0] for n in ints(x[4])):
        refuse(a, "sequence_lens shorter than the sequence")
    return hidden, direction, acts, layout, seq


def _initial(x, i, dirs, batch, hidden, like):
    if len(x) > i and x[i] is not None:
        return tensor_of(x[i], like)
    return creation.zeros(dirs, batch, hidden, dtype=like.dtype, device=like.device)


def _outputs(y, h_last, c_last, layout, a):
    """y: (T, B, D*H) -> ONNX's Y (T, D, B, H) or, with layout=1, (B, T, D, H); states likewise."""
    t, b, _ = y.shape
    d = h_last.shape[0]
    y = y.reshape(t, b, d, -1).permute(0, 2, 1, 3)
    if layout:
        y, h_last = y.permute(2, 0, 1, 3), h_last.transpose(0, 1)
        c_last = c_last.transpose(0, 1) if c_last is not None else None
    outs = (y, h_last) + ((c_last,) if c_last is not None else ())
    return outs[:a.n_out]


def _fused(kind, x, a):
    hidden, direction, acts, layout, seq = _setup(kind, x, a)
    w, r = tensors(x[1:3])
    b = tensor_of(x[3], w) if len(x) > 3 and x[3] is not None else None
    dirs = w.shape[0]
    g = _GATES[kind] * hidden
    params = []
    for d in range(dirs):
        params += [_reorder(w[d], kind, hidden), _reorder(r[d], kind, hidden)]
        if b is not None:
            params += [_reorder(b[d][:g], kind, hidden), _reorder(b[d][g:], kind, hidden)]
    h0 = _initial(x, 5, dirs, seq.shape[1], hidden, seq)
    if direction == "reverse":
        seq = seq.flip([0])
    common = (params, b is not None, 1, 0.0, False, direction == "bidirectional", False)
    if kind == "LSTM":
        y, h, c = recurrent.lstm(seq, (h0, _initial(x, 6, dirs, seq.shape[1], hidden, seq)), *common)
    else:
        run = recurrent.gru if kind == "GRU" else (recurrent.rnn_relu if acts == ["Relu"] else recurrent.rnn_tanh)
        (y, h), c = run(seq, h0, *common), None
    if direction == "reverse":
        y = y.flip([0])
    return _outputs(y, h, c, layout, a)


def lstm(x, a):
    acts = [s.decode() if isinstance(s, bytes) else s for s in a.get("activations", [])]
    if acts and acts[:3] != _DEFAULT_ACTS["LSTM"]:
        refuse(a, f"activations={acts}")
    return _fused("LSTM", x, a)


def rnn(x, a):
    acts = [s.decode() if isinstance(s, bytes) else s for s in a.get("activations", [])]
    if acts and acts[0] not in ("Tanh", "Relu") or len(set(acts)) > 1:
        refuse(a, f"activations={acts}")
    return _fused("RNN", x, a)


def gru(x, a):
    acts = [s.decode() if isinstance(s, bytes) else s for s in a.get("activations", [])]
    if acts and acts[:2] != _DEFAULT_ACTS["GRU"]:
        refuse(a, f"activations={acts}")
    if int(a.get("linear_before_reset", 0)):
        return _fused("GRU", x, a)
    return _gru_loop(x, a)


def _gru_loop(x, a):
    """ONNX's default GRU: the candidate reads R_h (r * h), a different formula from PyTorch's."""
    hidden, direction, _, layout, seq = _setup("GRU", x, a)
    w, r = tensors(x[1:3])
    b = tensor_of(x[3], w) if len(x) > 3 and x[3] is not None else None
    dirs, h = w.shape[0], hidden
    h0 = _initial(x, 5, dirs, seq.shape[1], hidden, seq)
    ys, finals = [], []
    for d in range(dirs):
        reverse = direction == "reverse" or d == 1
        wb = b[d][:3 * h] if b is not None else None
        rb = b[d][3 * h:] if b is not None else None
        gx = seq @ w[d].T + (wb if wb is not None else 0)
        state, outs = h0[d], []
        steps = range(seq.shape[0] - 1, -1, -1) if reverse else range(seq.shape[0])
        for t in steps:
            z = unary.sigmoid(gx[t][:, :h] + state @ r[d][:h].T + (rb[:h] if rb is not None else 0))
            rr = unary.sigmoid(gx[t][:, h:2 * h] + state @ r[d][h:2 * h].T + (rb[h:2 * h] if rb is not None else 0))
            n = unary.tanh(gx[t][:, 2 * h:] + (rr * state) @ r[d][2 * h:].T + (rb[2 * h:] if rb is not None else 0))
            state = (1 - z) * n + z * state
            outs.append(state)
        if reverse:
            outs = outs[::-1]
        ys.append(join.stack(outs, 0))
        finals.append(state)
    y = join.cat(ys, 2)
    return _outputs(y, join.stack(finals, 0), None, layout, a)


RNN_OPS = {"LSTM": lstm, "GRU": gru, "RNN": rnn}
