"""Lowerings of the layer primitives (dense, conv, pool, normalization, recurrences) to ONNX.

Each is `fn(e, node) -> [ONNX name per output of node]` (None for an output ONNX has no
counterpart of; export refuses a graph that uses one). `e` is the Emitter.

    >>> sorted(NN_LOWERINGS)[:2]
    ['ember.ops.conv.Conv', 'ember.ops.conv.ConvInputGrad']
"""
import numpy as np

from ember.onnx._proto import OnnxError


def _out_dtype(node, i=0):
    return node.outputs[i].dtype


def _relu(e, node, y):
    """`y`, clamped by a ReLU when the compiler fused one into the layer (`relu=True`)."""
    return e.op("Relu", [y]) if node.attrs.get("relu") else y


def linear(e, node):
    x, w = node.args[0], node.args[1]
    b = node.args[2] if len(node.args) > 2 else None
    if len(node.outputs[0].shape) == 2 and len(e.shapes[x.id]) == 2:
        inputs = [e.name(x), e.name(w)] + ([e.name(b)] if b is not None else [])
        return [_relu(e, node, e.op("Gemm", inputs, transB=1))]
    y = e.op("MatMul", [e.name(x), e.op("Transpose", [e.name(w)], perm=[1, 0])])
    return [_relu(e, node, y if b is None else e.op("Add", [y, e.name(b)]))]


def embedding(e, node):
    index, weight = node.args[:2]
    return [e.op("Gather", [e.name(weight), e.name(index)], axis=0)]


def _spatial(geo, values):
    """Per-dim values of a conv/pool geometry, without the height of 1 that 1-d ops are lifted to."""
    values = tuple(values)
    return values[1:] if getattr(geo, "nd", 2) == 1 else values


def conv(e, node):
    x, w, b = (list(node.args) + [None, None])[:3]
    geo = node.attrs["geo"]
    pads = _spatial(geo, geo.pads)
    inputs = [e.name(x), e.name(w)] + ([e.name(b)] if b is not None else [])
    return [_relu(e, node, e.op("Conv", inputs, kernel_shape=list(_spatial(geo, geo.kernel)),
                                strides=list(_spatial(geo, geo.stride)), pads=[p[0] for p in pads] + [p[1] for p in pads],
                                dilations=list(_spatial(geo, geo.dilation)), group=geo.groups))]


def conv_transpose(e, node):
    """conv's input gradient is the transposed convolution: ONNX ConvTranspose with the padding
    and output_padding that give the traced output size."""
    gy, w = node.args[:2]
    geo = node.attrs["geo"]
    size, kernel, stride = _spatial(geo, geo.size), _spatial(geo, geo.kernel), _spatial(geo, geo.stride)
    pads, dil, out = _spatial(geo, geo.pads), _spatial(geo, geo.dilation), _spatial(geo, geo.out)
    extra = [n - (s * (o - 1) + d * (k - 1) + 1 - p0 - p1)
             for n, k, s, (p0, p1), d, o in zip(size, kernel, stride, pads, dil, out)]
    return [e.op("ConvTranspose", [e.name(gy), e.name(w)], kernel_shape=list(kernel), strides=list(stride),
                 pads=[p[0] for p in pads] + [p[1] for p in pads], dilations=list(dil), group=geo.groups,
                 output_padding=extra)]


def _pool_pads(geo):
    return list(geo.pad) + [x - n - p for x, n, p in zip(geo.extent, geo.size, geo.pad)]


def max_pool(e, node):
    geo = node.attrs["geo"]
    y = e.op("MaxPool", [e.name(node.args[0])], kernel_shape=list(geo.kernel), strides=list(geo.stride),
             pads=_pool_pads(geo), dilations=list(geo.dilation))
    return [y, None]  # the second output numbers the winning offset in each window: ember's own, for backward


def window_sum(e, node):
    """The zero-padded sum over each window: a depthwise convolution with a kernel of ones."""
    if node.attrs.get("best") is not None or (len(node.args) > 1 and node.args[1] is not None):
        raise OnnxError("onnx export: window_sum with `best` (max pooling's gradient) has no ONNX lowering")
    geo = node.attrs["geo"]
    x = node.args[0]
    channels = e.shapes[x.id][1]
    ones = e.const(np.ones((channels, 1) + tuple(geo.kernel), dtype=np.dtype(_out_dtype(node))), "window")
    return [e.op("Conv", [e.name(x), ones], kernel_shape=list(geo.kernel), strides=list(geo.stride),
                 pads=_pool_pads(geo), dilations=list(geo.dilation), group=channels)]


def normalize(e, node):
    """(x - mean) / sqrt(var + eps) over `axes`, with the mean and 1/std as the other two outputs."""
    x, axes, eps = node.args[0], node.attrs.get("axes", None), node.attrs.get("eps", None)
    if axes is None:
        axes, eps = node.args[1], node.args[2]
    dt = _out_dtype(node)
    axes = e.ints(axes)
    mean = e.op("ReduceMean", [e.name(x), axes], keepdims=1)
    xc = e.op("Sub", [e.name(x), mean])
    var = e.op("ReduceMean", [e.op("Mul", [xc, xc]), axes], keepdims=1)
    invstd = e.op("Reciprocal", [e.op("Sqrt", [e.op("Add", [var, e.name(eps, dt)])])])
    return [e.op("Mul", [xc, invstd]), mean, invstd]


def affine(e, node):
    """layer_norm's x * w + b (w and b span x's trailing dims: ONNX broadcasting aligns them there)."""
    x, w, b = node.args[:3]
    return [e.op("Add", [e.op("Mul", [e.name(x), e.name(w)]), e.name(b)])]


# ONNX's gate orders (LSTM: i o f c; GRU: z r h) from PyTorch's (LSTM: i f g o; GRU: r z n).
_GATES = {"LSTM": (0, 3, 1, 2), "GRU": (1, 0, 2), "RNN": (0,)}


def _gate_rows(kind, hidden):
    return np.concatenate([np.arange(g * hidden, (g + 1) * hidden) for g in _GATES[kind]])


def _arg(node, i):
    return node.args[i] if len(node.args) > i else None


def _recurrence(e, node, kind, gx, h0, w_hh, index, c0=None, b_hh=None, **attrs):
    """One ONNX RNN/LSTM/GRU node on the precomputed input projection gx (T, B, G), or, with
    `index` (T, B), on the rows of the projected table gx (V, G) it looks up (a Gather): its W is
    the permutation that reorders PyTorch's gates into ONNX's, its R is w_hh with rows reordered."""
    hidden = e.shapes[h0.id][-1]
    gates = e.shapes[w_hh.id][0]
    rows = _gate_rows(kind, hidden)
    dt = np.dtype(_out_dtype(node))
    perm = np.eye(gates, dtype=dt)[rows][None]                        # (1, G, G)
    r = e.op("Unsqueeze", [e.op("Gather", [e.name(w_hh), e.ints(rows)], axis=0), e.ints([0])])
    if b_hh is None:
        bias = ""
    else:
        rb = e.op("Gather", [e.name(b_hh), e.ints(rows)], axis=0)
        bias = e.op("Unsqueeze", [e.op("Concat", [e.const(np.zeros(gates, dt)), rb], axis=0), e.ints([0])])
    x = e.name(gx) if index is None else e.op("Gather", [e.name(gx), e.name(index)], axis=0)
    inputs = [x, e.const(perm, "gate_order"), r, bias, "", e.op("Unsqueeze", [e.name(h0), e.ints([0])])]
    if c0 is not None:
        inputs.append(e.op("Unsqueeze", [e.name(c0), e.ints([0])]))
    direction = "reverse" if node.attrs.get("reverse") else "forward"
    outs = e.op(kind, inputs, n_out=3 if kind == "LSTM" else 2, hidden_size=hidden, direction=direction, **attrs)
    y = e.op("Squeeze", [outs[0], e.ints([1])])
    return [y] + [e.op("Squeeze", [o, e.ints([0])]) for o in outs[1:]]


def lstm(e, node):
    gx, h0, c0, w_hh = node.args[:4]
    if _arg(node, 4) is not None:
        raise OnnxError("onnx export: LSTM with proj_size has no ONNX lowering (ONNX's LSTM has no projection)")
    return _recurrence(e, node, "LSTM", gx, h0, w_hh, _arg(node, 5), c0=c0)


def gru(e, node):
    gx, h0, w_hh = node.args[:3]
    return _recurrence(e, node, "GRU", gx, h0, w_hh, _arg(node, 4), b_hh=_arg(node, 3), linear_before_reset=1)


def rnn(e, node):
    gx, h0, w_hh = node.args[:3]
    act = "Relu" if node.attrs.get("relu") else "Tanh"
    return _recurrence(e, node, "RNN", gx, h0, w_hh, _arg(node, 3), activations=[act])


def _allowed(e, node, mask):
    """The bool 'may attend' input of Where for a causal or bool-masked attention, else None."""
    if node.attrs.get("causal"):
        L, S = e.shapes[node.args[0].id][-2], e.shapes[node.args[1].id][-2]
        if not isinstance(L, int) or not isinstance(S, int):
            raise OnnxError("onnx export: causal attention needs static sequence lengths")
        return e.const(np.tril(np.ones((L, S), dtype=bool)), "causal")
    return e.name(mask) if mask is not None and e.dtype(mask) == "bool" else None


def attention(e, node):
    """softmax(q k^T * scale + mask) v; with `masked`, a row whose every score is -inf gives zeros."""
    q, k, v = node.args[:3]
    mask = node.args[3] if len(node.args) > 3 else None
    dt = np.dtype(_out_dtype(node))
    rank = len(e.shapes[k.id])
    k_t = e.op("Transpose", [e.name(k)], perm=list(range(rank - 2)) + [rank - 1, rank - 2])
    s = e.op("Mul", [e.op("MatMul", [e.name(q), k_t]), e.const(np.asarray(node.attrs.get("scale", 1.0), dt))])
    allowed = _allowed(e, node, mask)
    if mask is not None and allowed is None:
        s = e.op("Add", [s, e.name(mask)])
    inf = e.const(np.asarray(-np.inf, dt), "neg_inf")
    if allowed is not None:
        s = e.op("Where", [allowed, s, inf])
    if node.attrs.get("masked"):
        zero = e.const(np.asarray(0, dt), "zero")
        dead = e.op("Equal", [e.op("ReduceMax", [s, e.ints([-1])], keepdims=1), inf])
        w = e.op("Where", [dead, zero, e.op("Softmax", [e.op("Where", [dead, zero, s])], axis=-1)])
    else:
        w = e.op("Softmax", [s], axis=-1)
    return [e.op("MatMul", [w, e.name(v)])]


NN_LOWERINGS = {
    "ember.ops.attention.Attention": attention,
    "ember.ops.dense.Linear": linear,
    "ember.ops.dense.Embedding": embedding,
    "ember.ops.conv.Conv": conv,
    "ember.ops.conv.ConvInputGrad": conv_transpose,
    "ember.ops.pool.MaxPool": max_pool,
    "ember.ops.pool.WindowSum": window_sum,
    "ember.ops.norm.Normalize": normalize,
    "ember.ops.norm.Affine": affine,
    "ember.ops.recurrent.LSTMRecurrence": lstm,
    "ember.ops.recurrent.GRURecurrence": gru,
    "ember.ops.recurrent.RNNRecurrence": rnn,
}
