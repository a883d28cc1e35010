"""ember.keras layers against PyTorch (same weights, mapped from Keras's layouts) and float64
NumPy references of Keras's documented math; gradients, configs and errors."""
import json

import numpy as np
import pytest

import ember
from ember import keras
from ember.autograd import gradcheck
from ember.errors import ArgumentError, ShapeError

torch = pytest.importorskip("torch")
L = keras.layers
RNG = np.random.default_rng(0)


def rand(*shape, scale=1.0):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def np_of(t):
    return t.detach().numpy()


def th(a, grad=False):
    return torch.tensor(np.asarray(a), requires_grad=grad)


def assign(weight, array):
    """Set an ember weight in place."""
    with ember.no_grad():
        weight.copy_(ember.tensor(np.asarray(array, dtype=np.float32)))


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64), rtol=tol, atol=tol)


# --- convolutions -----------------------------------------------------------------------------

@pytest.mark.parametrize("padding,stride,dilation,length", [("valid", 1, 1, 9), ("same", 1, 1, 9), ("same", 2, 1, 9),
                                                            ("same", 2, 1, 10), ("causal", 1, 2, 9)])
def test_conv1d_matches_torch(padding, stride, dilation, length):
    x = rand(2, length, 3)
    layer = L.Conv1D(4, 3, strides=stride, padding=padding, dilation_rate=dilation, activation="relu")
    out = np_of(layer(ember.tensor(x)))
    k, b = np_of(layer.kernel), np_of(layer.bias)
    assert k.shape == (3, 3, 4) and list(layer.state_dict()) == ["kernel", "bias"]
    xt = th(x).permute(0, 2, 1)
    k_eff = 2 * dilation + 1
    if padding == "same":
        total = max((-(-length // stride) - 1) * stride + k_eff - length, 0)
        xt = torch.nn.functional.pad(xt, (total // 2, total - total // 2))
    elif padding == "causal":
        xt = torch.nn.functional.pad(xt, (k_eff - 1, 0))
    ref = torch.relu(torch.nn.functional.conv1d(xt, th(k).permute(2, 1, 0), th(b), stride, 0, dilation))
    close(out, ref.permute(0, 2, 1).numpy())
    if padding == "same":
        assert out.shape[1] == -(-length // stride)


def _conv_transpose_tf(x, k, stride, out_size, pad_before):
    """TensorFlow's conv2d_transpose: every input pixel scatters kernel * value, then crop."""
    n, h, w, _ = x.shape
    kh, kw, f, _ = k.shape
    full = np.zeros((n, (h - 1) * stride + kh, (w - 1) * stride + kw, f))
    for i in range(h):
        for j in range(w):
            full[:, i * stride:i * stride + kh, j * stride:j * stride + kw] += np.einsum("nc,hwfc->nhwf", x[:, i, j], k)
    full = np.pad(full, ((0, 0), (0, max(0, pad_before + out_size - full.shape[1])),
                         (0, max(0, pad_before + out_size - full.shape[2])), (0, 0)))
    return full[:, pad_before:pad_before + out_size, pad_before:pad_before + out_size]


@pytest.mark.parametrize("padding,stride,ksize,out_size,pad_before", [("valid", 1, 3, 7, 0), ("valid", 2, 3, 11, 0),
                                                                      ("same", 2, 3, 10, 0), ("same", 1, 3, 5, 1),
                                                                      ("same", 2, 4, 10, 1), ("valid", 3, 2, 15, 0)])
def test_conv2d_transpose_matches_tensorflow_semantics(padding, stride, ksize, out_size, pad_before):
    x = rand(2, 5, 5, 3)
    layer = L.Conv2DTranspose(4, ksize, strides=stride, padding=padding)
    out = np_of(layer(ember.tensor(x)))
    k, b = np_of(layer.kernel), np_of(layer.bias)
    assert k.shape == (ksize, ksize, 4, 3) and out.shape == (2, out_size, out_size, 4)
    close(out, _conv_transpose_tf(x, k, stride, out_size, pad_before) + b, 1e-4)
    if pad_before * 2 == (5 - 1) * stride + ksize - out_size:  # symmetric: torch's ConvTranspose2d agrees
        ref = torch.nn.functional.conv_transpose2d(th(x).permute(0, 3, 1, 2), th(k).permute(3, 2, 0, 1), th(b),
                                                   stride, pad_before)
        close(out, ref.permute(0, 2, 3, 1).numpy(), 1e-4)


def test_conv2d_transpose_output_padding():
    layer = L.Conv2DTranspose(2, 3, strides=2, padding="same", output_padding=0)
    assert layer(ember.randn(1, 4, 4, 3)).shape == (1, 7, 7, 2)
    with pytest.raises(ArgumentError, match="output_padding"):
        L.Conv2DTranspose(2, 3, strides=2, output_padding=2)


# --- pooling ----------------------------------------------------------------------------------

def test_pooling_1d_matches_torch():
    x = rand(2, 9, 3)
    xt = th(x).permute(0, 2, 1)
    close(np_of(L.MaxPooling1D(3, 2)(ember.tensor(x))),
          torch.nn.functional.max_pool1d(xt, 3, 2).permute(0, 2, 1).numpy())
    close(np_of(L.AveragePooling1D()(ember.tensor(x))),
          torch.nn.functional.avg_pool1d(xt, 2).permute(0, 2, 1).numpy())
    same = np_of(L.MaxPooling1D(2, padding="same")(ember.tensor(x)))
    assert same.shape == (2, 5, 3)
    close(same[:, -1], x[:, -1])


def _avg_pool_same_reference(x, k, s):
    """Keras/TF 'same' average pooling: each window's mean over its real (unpadded) elements."""
    n, h, w, c = x.shape
    oh, ow = -(-h // s), -(-w // s)
    th_, tw = max((oh - 1) * s + k - h, 0), max((ow - 1) * s + k - w, 0)
    top, left = th_ // 2, tw // 2
    out = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * s - top, j * s - left
            win = x[:, max(r0, 0):min(r0 + k, h), max(c0, 0):min(c0 + k, w)]
            out[:, i, j] = win.mean(axis=(1, 2))
    return out


@pytest.mark.parametrize("k,s,size", [(3, 1, 5), (3, 2, 5), (2, 2, 5), (3, 2, 6)])
def test_average_pooling_same_counts_only_real_elements(k, s, size):
    x = rand(2, size, size, 3)
    out = np_of(L.AveragePooling2D(k, s, padding="same")(ember.tensor(x)))
    close(out, _avg_pool_same_reference(x, k, s))
    out1 = np_of(L.AveragePooling1D(k, s, padding="same")(ember.tensor(x[:, 0])))
    close(out1, _avg_pool_same_reference(x[:, :1], k, s)[:, 0])  # a height of one: the 1-d pooling


def test_max_pooling_2d_same_and_global_pools():
    x = rand(2, 5, 5, 3)
    out = np_of(L.MaxPooling2D(3, 2, padding="same")(ember.tensor(x)))
    ref = torch.nn.functional.max_pool2d(th(x).permute(0, 3, 1, 2), 3, 2, padding=1).permute(0, 2, 3, 1)
    close(out, ref.numpy())
    close(np_of(L.GlobalAveragePooling2D()(ember.tensor(x))), x.mean(axis=(1, 2)))
    close(np_of(L.GlobalMaxPooling2D(keepdims=True)(ember.tensor(x))), x.max(axis=(1, 2), keepdims=True))
    close(np_of(L.GlobalAveragePooling1D(keepdims=True)(ember.tensor(x[:, 0]))), x[:, 0].mean(1, keepdims=True))
    close(np_of(L.GlobalMaxPooling1D()(ember.tensor(x[:, 0]))), x[:, 0].max(1))


# --- recurrent --------------------------------------------------------------------------------

def _torch_rnn(kind, layer, bidirectional=False, backward=None):
    """A torch.nn.LSTM/GRU/RNN holding `layer`'s Keras weights, mapped (transposed, gates reordered)."""
    u, d = layer.units, layer.input_dim
    cls = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[kind]
    net = cls(d, u, batch_first=True, bidirectional=bidirectional).double()

    def mapped(lay):
        k, rk = np_of(lay.kernel).astype(np.float64), np_of(lay.recurrent_kernel).astype(np.float64)
        b = np_of(lay.bias).astype(np.float64)
        if kind == "gru":  # z, r, h -> r, z, n
            order = np.r_[u:2 * u, 0:u, 2 * u:3 * u]
            return k[:, order].T, rk[:, order].T, b[0, order], b[1, order]
        return k.T, rk.T, b, np.zeros_like(b)

    with torch.no_grad():
        for suffix, lay in [("", layer)] + ([("_reverse", backward)] if bidirectional else []):
            for name, w in zip(("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"), mapped(lay)):
                getattr(net, name + suffix).copy_(torch.tensor(w))
    return net


@pytest.mark.parametrize("kind,cls", [("lstm", L.LSTM), ("gru", L.GRU), ("rnn", L.SimpleRNN)])
def test_recurrent_layers_match_torch_with_mapped_weights(kind, cls):
    x = rand(3, 6, 4)
    layer = cls(5, return_sequences=True, return_state=True)
    out, *states = layer(ember.tensor(x))
    if kind == "lstm":
        assert np_of(layer.bias)[5:10].tolist() == [1.0] * 5  # unit_forget_bias
    assign(layer.bias, rand(*layer.bias.shape))
    gates = {"lstm": 4, "gru": 3, "rnn": 1}[kind]
    assert tuple(layer.kernel.shape) == (4, gates * 5) and tuple(layer.recurrent_kernel.shape) == (5, gates * 5)
    assert tuple(layer.bias.shape) == ((2, 15) if kind == "gru" else (gates * 5,))
    h0 = [rand(3, 5) for _ in states]
    out, *states = layer(ember.tensor(x), initial_state=[ember.tensor(h) for h in h0])
    net = _torch_rnn(kind, layer)
    hx = tuple(th(h.astype(np.float64))[None] for h in h0)
    ref, ref_states = net(th(x.astype(np.float64)), hx if kind == "lstm" else hx[0])
    close(np_of(out), ref.detach().numpy(), 1e-4)
    ref_states = ref_states if kind == "lstm" else (ref_states,)
    assert len(states) == len(ref_states)
    for s, r in zip(states, ref_states):
        close(np_of(s), r[0].detach().numpy(), 1e-4)
    # gradients of the Keras weights equal torch's, mapped back
    out.sum().backward()
    ref.sum().backward()
    w = net.weight_hh_l0.grad.numpy()
    if kind == "gru":
        w = w[np.r_[5:10, 0:5, 10:15]]
    close(layer.recurrent_kernel.grad.numpy(), w.T, 1e-3)
    assert layer.kernel.grad.shape == layer.kernel.shape and layer.bias.grad.shape == layer.bias.shape


@pytest.mark.parametrize("cls", [L.LSTM, L.GRU, L.SimpleRNN])
def test_go_backwards_and_the_per_step_loop_agree_with_the_fused_path(cls):
    x = ember.tensor(rand(2, 5, 3))
    fused = cls(4, return_sequences=True, go_backwards=True)
    ref = fused(x)
    # a callable equal to tanh takes the per-step loop of ember ops: same math, same numbers
    looped = cls(4, return_sequences=True, go_backwards=True, activation=lambda t: ember.tanh(t))
    looped(x)
    looped.set_weights(fused.get_weights())
    close(np_of(looped(x)), np_of(ref), 1e-5)
    forward = cls(4, return_sequences=True)
    forward(x)
    forward.set_weights(fused.get_weights())
    close(np_of(ref), np_of(forward(x.flip(1))), 1e-5)  # go_backwards: the reversed sequence, outputs in that order


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def test_gru_reset_before_matches_numpy():
    x = rand(2, 4, 3)
    layer = L.GRU(5, reset_after=False, return_sequences=True)
    out = np_of(layer(ember.tensor(x)))
    assign(layer.bias, rand(15))
    out = np_of(layer(ember.tensor(x)))
    k, rk, b = (np_of(w).astype(np.float64) for w in (layer.kernel, layer.recurrent_kernel, layer.bias))
    h, outs = np.zeros((2, 5)), []
    for t in range(4):
        gx = x[:, t] @ k + b
        z = _sigmoid(gx[:, :5] + h @ rk[:, :5])
        r = _sigmoid(gx[:, 5:10] + h @ rk[:, 5:10])
        hh = np.tanh(gx[:, 10:] + (r * h) @ rk[:, 10:])
        h = z * h + (1 - z) * hh
        outs.append(h)
    close(out, np.stack(outs, 1), 1e-5)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave"])
def test_bidirectional_lstm_matches_torch(merge_mode):
    x = rand(2, 5, 3)
    bi = L.Bidirectional(L.LSTM(4, return_sequences=True, return_state=True), merge_mode=merge_mode)
    out, hf, cf, hb, cb = bi(ember.tensor(x))
    net = _torch_rnn("lstm", bi.forward_layer, bidirectional=True, backward=bi.backward_layer)
    ref, (h, c) = net(th(x.astype(np.float64)))
    fw, bw = ref[..., :4].detach().numpy(), ref[..., 4:].detach().numpy()
    want = {"concat": np.concatenate([fw, bw], -1), "sum": fw + bw, "mul": fw * bw, "ave": (fw + bw) / 2}[merge_mode]
    close(np_of(out), want, 1e-4)
    for mine, theirs in ((hf, h[0]), (hb, h[1]), (cf, c[0]), (cb, c[1])):
        close(np_of(mine), theirs.detach().numpy(), 1e-4)
    last = L.Bidirectional(L.GRU(4), merge_mode=None)(ember.tensor(x))
    assert isinstance(last, list) and [tuple(t.shape) for t in last] == [(2, 4), (2, 4)]


# --- normalization ----------------------------------------------------------------------------

def test_batch_normalization_matches_torch_and_keras_moving_update():
    x = rand(8, 4, 4, 3, scale=2.0) + 1.0
    bn = L.BatchNormalization()
    y = bn(ember.tensor(x), training=True)
    assert list(bn.state_dict()) == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [n for n, _ in bn.named_buffers()] == ["moving_mean", "moving_variance"]
    assign(bn.gamma, rand(3)), assign(bn.beta, rand(3)), assign(bn.moving_mean, np.zeros(3))
    assign(bn.moving_variance, np.ones(3))
    y = bn(ember.tensor(x), training=True)
    ref = torch.nn.BatchNorm2d(3, eps=1e-3)
    with torch.no_grad():
        ref.weight.copy_(th(np_of(bn.gamma))), ref.bias.copy_(th(np_of(bn.beta)))
    close(np_of(y), ref(th(x).permute(0, 3, 1, 2)).permute(0, 2, 3, 1).detach().numpy(), 1e-4)
    # Keras: moving = moving * 0.99 + batch * 0.01, with the BIASED batch variance
    close(np_of(bn.moving_mean), 0.01 * x.mean(axis=(0, 1, 2)), 1e-5)
    close(np_of(bn.moving_variance), 0.99 + 0.01 * x.var(axis=(0, 1, 2)), 1e-5)
    # inference uses the moving statistics: torch in eval mode with them as running stats
    y = bn(ember.tensor(x), training=False)
    ref.eval()
    with torch.no_grad():
        ref.running_mean.copy_(th(np_of(bn.moving_mean))), ref.running_var.copy_(th(np_of(bn.moving_variance)))
    close(np_of(y), ref(th(x).permute(0, 3, 1, 2)).permute(0, 2, 3, 1).detach().numpy(), 1e-4)
    # trainable=False: inference mode even when training, as Keras
    bn.trainable = False
    before = np_of(bn.moving_mean).copy()
    bn(ember.tensor(x), training=True)
    close(np_of(bn.moving_mean), before)


def test_batch_normalization_axis_1_and_no_affine():
    x = rand(6, 3, 5)
    bn = L.BatchNormalization(axis=1, center=False, scale=False, momentum=0.5)
    y = np_of(bn(ember.tensor(x), training=True))
    mean, var = x.mean(axis=(0, 2), keepdims=True), x.var(axis=(0, 2), keepdims=True)
    close(y, (x - mean) / np.sqrt(var + 1e-3), 1e-4)
    assert list(bn.state_dict()) == ["moving_mean", "moving_variance"]
    close(np_of(bn.moving_variance), 0.5 + 0.5 * var.ravel(), 1e-5)


@pytest.mark.parametrize("axis", [-1, [1, 2], 1])
def test_layer_normalization_matches_torch(axis):
    x = rand(2, 3, 4)
    ln = L.LayerNormalization(axis=axis)
    ln(ember.tensor(x))
    assign(ln.gamma, rand(*ln.gamma.shape)), assign(ln.beta, rand(*ln.beta.shape))
    y = np_of(ln(ember.tensor(x)))
    if axis == -1:
        ref = torch.nn.functional.layer_norm(th(x), (4,), th(np_of(ln.gamma)), th(np_of(ln.beta)), 1e-3).numpy()
    else:
        axes = (1, 2) if axis == [1, 2] else (1,)
        shape = [1, 3, 4] if axis == [1, 2] else [1, 3, 1]
        mean, var = x.mean(axes, keepdims=True), x.var(axes, keepdims=True)
        ref = (x - mean) / np.sqrt(var + 1e-3) * np_of(ln.gamma).reshape(shape) + np_of(ln.beta).reshape(shape)
    close(y, ref, 1e-4)


# --- embedding ------------------------------------------------------------------------------

def test_embedding_lookup_init_and_mask():
    emb = L.Embedding(10, 4, mask_zero=True)
    idx = np.array([[1, 2, 0], [9, 0, 0]])
    out_tensor = emb(ember.tensor(idx))
    assert out_tensor._keras_mask.numpy().tolist() == (idx != 0).tolist()  # carried to the next layer
    out = np_of(out_tensor)
    table = np_of(emb.embeddings)
    assert table.shape == (10, 4) and np.all(np.abs(table) <= 0.05)
    close(out, table[idx])
    assert emb.compute_mask(ember.tensor(idx)).numpy().tolist() == (idx != 0).tolist()
    with pytest.raises(ShapeError, match="Embedding"):
        emb(ember.tensor(np.array([[10]])))


# --- attention ------------------------------------------------------------------------------

def _softmax(a):
    a = a - a.max(-1, keepdims=True)
    e = np.exp(a)
    return e / e.sum(-1, keepdims=True)


def _mha_reference(mha, q, v, k, mask):
    """Keras's MultiHeadAttention math in float64 NumPy, from its documented einsums."""
    W = {n: (np_of(getattr(mha, n).kernel).astype(np.float64), np_of(getattr(mha, n).bias).astype(np.float64))
         for n in ("query", "key", "value", "attention_output")}
    qh = np.einsum("btd,dnh->btnh", q, W["query"][0]) + W["query"][1]
    kh = np.einsum("bsd,dnh->bsnh", k, W["key"][0]) + W["key"][1]
    vh = np.einsum("bsd,dnh->bsnh", v, W["value"][0]) + W["value"][1]
    scores = np.einsum("bsnh,btnh->bnts", kh, qh / np.sqrt(mha.key_dim))
    if mask is not None:
        scores = scores + (1.0 - mask[:, None]) * -1e9
    probs = _softmax(scores)
    out = np.einsum("bnts,bsnh->btnh", probs, vh)
    return np.einsum("btnh,nhd->btd", out, W["attention_output"][0]) + W["attention_output"][1], probs


@pytest.mark.parametrize("causal,masked,value_dim,out_dim", [(False, False, None, None), (True, False, 3, None),
                                                             (False, True, None, 7), (True, True, 5, None)])
def test_multi_head_attention_matches_keras_math(causal, masked, value_dim, out_dim):
    q, v, k = rand(2, 4, 6), rand(2, 5, 8), rand(2, 5, 3)
    mha = L.MultiHeadAttention(num_heads=3, key_dim=2, value_dim=value_dim, output_shape=out_dim)
    mask = (RNG.random((2, 4, 5)) > 0.3).astype(np.float64) if masked else None
    args = dict(key=ember.tensor(k), return_attention_scores=True, use_causal_mask=causal)
    if masked:
        mask[:, :, 0] = 1.0
        args["attention_mask"] = ember.tensor(mask.astype(bool))
    out, scores = mha(ember.tensor(q), ember.tensor(v), **args)
    vd = value_dim or 2
    assert tuple(mha.query.kernel.shape) == (6, 3, 2) and tuple(mha.key.kernel.shape) == (3, 3, 2)
    assert tuple(mha.value.kernel.shape) == (8, 3, vd) and tuple(mha.query.bias.shape) == (3, 2)
    assert tuple(mha.attention_output.kernel.shape) == (3, vd, out_dim or 6)
    for n in ("query", "key", "value", "attention_output"):
        assign(getattr(mha, n).bias, rand(*getattr(mha, n).bias.shape))
    out, scores = mha(ember.tensor(q), ember.tensor(v), **args)
    full = np.ones((2, 4, 5)) if mask is None else mask
    if causal:
        full = full * np.tril(np.ones((4, 5)))
    ref, probs = _mha_reference(mha, q.astype(np.float64), v.astype(np.float64), k.astype(np.float64),
                                full if (causal or masked) else None)
    close(np_of(out), ref, 1e-4)
    close(np_of(scores), probs, 1e-5)


def test_multi_head_attention_matches_torch_multihead_attention():
    E, H = 8, 2
    x = rand(3, 5, E)
    mha = L.MultiHeadAttention(num_heads=H, key_dim=E // H)
    mha(ember.tensor(x), ember.tensor(x))
    ref = torch.nn.MultiheadAttention(E, H, batch_first=True)
    with torch.no_grad():
        w = [np_of(getattr(mha, n).kernel).reshape(E, E).T for n in ("query", "key", "value")]
        b = [np_of(getattr(mha, n).bias).reshape(E) for n in ("query", "key", "value")]
        ref.in_proj_weight.copy_(th(np.concatenate(w))), ref.in_proj_bias.copy_(th(np.concatenate(b)))
        ref.out_proj.weight.copy_(th(np_of(mha.attention_output.kernel).reshape(E, E).T))
        ref.out_proj.bias.copy_(th(np_of(mha.attention_output.bias)))
    causal = torch.triu(torch.ones(5, 5, dtype=torch.bool), 1)
    want = ref(th(x), th(x), th(x), attn_mask=causal, need_weights=False)[0].detach().numpy()
    close(np_of(mha(ember.tensor(x), ember.tensor(x), use_causal_mask=True)), want, 1e-5)


@pytest.mark.parametrize("score_mode,use_scale,with_key", [("dot", False, False), ("dot", True, True),
                                                           ("concat", True, False)])
def test_attention_matches_numpy(score_mode, use_scale, with_key):
    q, k = rand(2, 3, 4), rand(2, 5, 4)
    v = rand(2, 5, 6) if with_key else k  # without a key, the value is the key: it shares the query's dim
    att = L.Attention(use_scale=use_scale, score_mode=score_mode)
    inputs = [ember.tensor(q), ember.tensor(v)] + ([ember.tensor(k)] if with_key else [])
    att(inputs)
    if use_scale:
        assign(att.scale, 0.7)
    key = k
    q_mask, v_mask = RNG.random((2, 3)) > 0.3, RNG.random((2, 5)) > 0.3
    v_mask[:, 0] = True
    out, weights = att(inputs, mask=[ember.tensor(q_mask), ember.tensor(v_mask)], return_attention_scores=True,
                       use_causal_mask=True)
    scale = 0.7 if use_scale else 1.0
    if score_mode == "dot":
        scores = q @ key.transpose(0, 2, 1) * scale
    else:
        scores = np.tanh(scale * (q[:, :, None] + key[:, None])).sum(-1)
    hidden = ~v_mask[:, None] | ~np.tril(np.ones((3, 5), bool))
    ref_w = _softmax(scores - 1e9 * hidden)
    close(np_of(weights), ref_w, 1e-5)
    close(np_of(out), ref_w @ v * q_mask[..., None], 1e-5)


# --- gradients ----------------------------------------------------------------------------

GRAD_CASES = [
    (lambda: L.Conv1D(3, 3, padding="causal"), (2, 6, 2)),
    (lambda: L.Conv2DTranspose(3, 3, strides=2, padding="same"), (2, 3, 3, 2)),
    (lambda: L.BatchNormalization(), (4, 3, 2)),
    (lambda: L.LayerNormalization(), (2, 3, 4)),
    (lambda: L.SimpleRNN(3, activation="relu"), (2, 4, 2)),
    (lambda: L.LSTM(3, return_sequences=True), (2, 4, 2)),
    (lambda: L.GRU(3), (2, 4, 2)),
    (lambda: L.GRU(3, reset_after=False), (2, 4, 2)),
    (lambda: L.Bidirectional(L.LSTM(3)), (2, 4, 2)),
    (lambda: L.TimeDistributed(L.Dense(3)), (2, 4, 2)),
    (lambda: L.Attention(use_scale=True, score_mode="concat"), "attention"),
    (lambda: L.MultiHeadAttention(2, 3), "mha"),
]


def _call(layer, kind, x, training=True):
    if kind == "attention":
        return layer([x, x], training=training)
    if kind == "mha":
        return layer(x, x, training=training)
    return layer(x, training=training)


@pytest.mark.parametrize("make,shape", GRAD_CASES)
def test_gradients_reach_every_trainable_weight(make, shape):
    # weights and data fixed, whatever ran before: a relu RNN's units can all start dead for some draws
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    layer = make()
    x = ember.tensor(rng.standard_normal(shape if isinstance(shape, tuple) else (2, 3, 4)).astype(np.float32),
                     requires_grad=True)
    out = _call(layer, shape, x)
    (out * ember.tensor(rng.standard_normal(out.shape).astype(np.float32))).sum().backward()
    assert x.grad is not None and x.grad.shape == x.shape
    assert layer.trainable_weights
    for w in layer.trainable_weights:
        assert w.grad is not None and w.grad.shape == w.shape and np.abs(w.grad.numpy()).sum() > 0


@pytest.mark.parametrize("make,shape", [(lambda: L.GRU(2, return_sequences=True), (2, 3, 2)),
                                        (lambda: L.LSTM(2, activation="elu"), (2, 3, 2)),
                                        (lambda: L.LayerNormalization(), (2, 3)),
                                        (lambda: L.Conv2DTranspose(2, 2, strides=2, padding="same"), (1, 2, 2, 2)),
                                        (lambda: L.MultiHeadAttention(2, 2), "mha")])
def test_gradcheck_float64(make, shape):
    layer = make()
    x = ember.tensor(rand(*(shape if isinstance(shape, tuple) else (1, 3, 2))).astype(np.float64))
    _call(layer, shape, x.float(), training=False)
    layer.double()
    x.requires_grad_(True)
    assert gradcheck(lambda t: _call(layer, shape, t, training=False), (x,), eps=1e-6, atol=1e-5)


# --- configs --------------------------------------------------------------------------------

CONFIG_CASES = [
    (lambda: L.Conv1D(4, 3, strides=2, padding="same", activation="relu", kernel_initializer="he_normal",
                      kernel_regularizer="l2"), (2, 8, 3)),
    (lambda: L.Conv2D(4, (3, 2), bias_initializer=keras.initializers.Constant(0.5),
                      bias_regularizer=keras.regularizers.L1(0.1)), (2, 6, 6, 3)),
    (lambda: L.Conv2DTranspose(2, 3, strides=2, padding="same", output_padding=1), (1, 4, 4, 3)),
    (lambda: L.MaxPooling1D(3, 2, padding="same"), (2, 7, 3)),
    (lambda: L.AveragePooling1D(), (2, 7, 3)),
    (lambda: L.MaxPooling2D((2, 3)), (2, 6, 6, 3)),
    (lambda: L.AveragePooling2D(3, 2, padding="same"), (2, 6, 6, 3)),
    (lambda: L.GlobalAveragePooling1D(keepdims=True), (2, 7, 3)),
    (lambda: L.GlobalAveragePooling2D(), (2, 6, 6, 3)),
    (lambda: L.GlobalMaxPooling1D(), (2, 7, 3)),
    (lambda: L.GlobalMaxPooling2D(keepdims=True), (2, 6, 6, 3)),
    (lambda: L.Reshape((3, -1)), (2, 12)),
    (lambda: L.Permute((2, 1)), (2, 3, 4)),
    (lambda: L.RepeatVector(3), (2, 4)),
    (lambda: L.ZeroPadding1D((1, 2)), (2, 3, 4)),
    (lambda: L.ZeroPadding2D(((1, 2), (0, 1))), (2, 3, 3, 2)),
    (lambda: L.UpSampling1D(3), (2, 3, 4)),
    (lambda: L.UpSampling2D((2, 3)), (2, 3, 3, 2)),
    (lambda: L.Cropping1D(1), (2, 5, 4)),
    (lambda: L.Cropping2D(((1, 0), (0, 2))), (2, 5, 5, 2)),
    (lambda: L.BatchNormalization(momentum=0.9, epsilon=1e-2, gamma_regularizer="l2"), (4, 3)),
    (lambda: L.LayerNormalization(axis=[1, 2], center=False), (2, 3, 4)),
    (lambda: L.Embedding(10, 3, mask_zero=True, embeddings_initializer=keras.initializers.RandomNormal(0, 1)),
     "int"),
    (lambda: L.SimpleRNN(3, activation="relu", return_sequences=True, dropout=0.2), (2, 4, 3)),
    (lambda: L.LSTM(3, return_state=True, go_backwards=True, unit_forget_bias=False,
                    recurrent_initializer="glorot_uniform", recurrent_regularizer="l1"), (2, 4, 3)),
    (lambda: L.GRU(3, reset_after=False, recurrent_activation="tanh"), (2, 4, 3)),
    (lambda: L.Bidirectional(L.GRU(3, return_sequences=True), merge_mode="sum"), (2, 4, 3)),
    (lambda: L.Bidirectional(L.LSTM(2), backward_layer=L.LSTM(2, go_backwards=True)), (2, 4, 3)),
    (lambda: L.TimeDistributed(L.Conv1D(2, 2)), (2, 3, 5, 4)),
    (lambda: L.MultiHeadAttention(2, 3, value_dim=4, dropout=0.1, output_shape=5,
                                  kernel_initializer="lecun_uniform"), "mha"),
    (lambda: L.Attention(use_scale=True, score_mode="concat", dropout=0.1), "attention"),
    (lambda: L.Add(), "pair"), (lambda: L.Subtract(), "pair"), (lambda: L.Multiply(), "pair"),
    (lambda: L.Average(), "pair"), (lambda: L.Maximum(), "pair"), (lambda: L.Minimum(), "pair"),
    (lambda: L.Concatenate(axis=1), "pair"),
    (lambda: L.ReLU(max_value=6, negative_slope=0.1, threshold=0.5), (2, 3)),
    (lambda: L.LeakyReLU(0.1), (2, 3)), (lambda: L.ELU(0.5), (2, 3)), (lambda: L.Softmax(axis=1), (2, 3)),
    (lambda: L.Rescaling(1 / 255, offset=-1), (2, 3)),
    (lambda: L.SpatialDropout1D(0.3), (2, 3, 4)), (lambda: L.SpatialDropout2D(0.3), (2, 3, 3, 4)),
]


def _sample(kind):
    if kind == "int":
        return ember.tensor(np.array([[1, 2, 0], [9, 3, 0]]))
    if kind in ("mha", "attention", "pair"):
        return ember.tensor(rand(2, 3, 4))
    return ember.tensor(rand(*kind))


def _run(layer, kind, x):
    if kind == "pair":
        return layer([x, x * 2])
    return _call(layer, kind, x, training=False)


def _first(out):
    return out[0] if isinstance(out, (list, tuple)) else out


@pytest.mark.parametrize("make,kind", CONFIG_CASES)
def test_config_round_trip(make, kind):
    layer = make()
    x = _sample(kind)
    out = _run(layer, kind, x)
    config = layer.get_config()
    config = json.loads(json.dumps(config))  # JSON-serializable
    clone = type(layer).from_config(config)
    assert json.loads(json.dumps(clone.get_config())) == config
    clone_out = _run(clone, kind, x)
    assert tuple(_first(clone_out).shape) == tuple(_first(out).shape)
    clone.set_weights(layer.get_weights())
    close(np_of(_first(_run(clone, kind, x))), np_of(_first(_run(layer, kind, x))), 1e-6)
    assert len(clone.losses) == len(layer.losses)


def test_initializers_serialize_round_trip():
    I = keras.initializers
    for init in ("orthogonal", I.RandomUniform(-1, 2), I.VarianceScaling(2.0, "fan_out", "uniform"), I.Zeros(),
                 I.TruncatedNormal(0.0, 0.1), I.Identity(2.0), I.Constant(3.0), I.GlorotNormal()):
        data = json.loads(json.dumps(I.serialize(init)))
        back = I.get(data)
        if isinstance(init, str):
            assert data == init
        else:
            assert type(back) is type(init) and back.get_config() == init.get_config()
    w = ember.empty(6, 4)
    I.get("orthogonal")(w)
    close(w.numpy().T @ w.numpy(), np.eye(4), 1e-5)
    with pytest.raises(ArgumentError, match="unknown initializer"):
        I.get({"class_name": "Nope", "config": {}})


# --- errors ---------------------------------------------------------------------------------

@pytest.mark.parametrize("layer,shape,match", [
    (lambda: L.Conv1D(2, 3), (2, 5), "Conv1D .*expected \\(batch, steps, channels\\)"),
    (lambda: L.Conv2DTranspose(2, 3), (2, 5, 5), "Conv2DTranspose .*expected \\(batch, height, width"),
    (lambda: L.MaxPooling1D(), (2, 5, 5, 3), "MaxPooling1D .*\\(batch, steps, channels\\)"),
    (lambda: L.GlobalAveragePooling2D(), (2, 5, 3), "GlobalAveragePooling2D .*\\(batch, height, width"),
    (lambda: L.LSTM(3), (2, 5), "LSTM .*expected \\(batch, timesteps, features\\)"),
    (lambda: L.GRU(3), (2, 4, 5, 6), "GRU .*\\(batch, timesteps, features\\)"),
    (lambda: L.Permute((2, 1)), (2, 3), "Permute .*expected 3 dims"),
    (lambda: L.Reshape((5,)), (2, 3), "Reshape .*do not fit"),
    (lambda: L.TimeDistributed(L.Dense(2)), (2, 3), "TimeDistributed .*at least 3 dims"),
    (lambda: L.BatchNormalization(axis=3), (2, 3), "BatchNormalization .*axis=\\[3\\]"),
])
def test_wrong_rank_errors_name_the_layer(layer, shape, match):
    with pytest.raises(ShapeError, match=match):
        layer()(ember.randn(*shape))


def test_shape_errors_after_build_and_bad_arguments():
    lstm = L.LSTM(3)
    lstm(ember.randn(2, 4, 5))
    with pytest.raises(ShapeError, match="LSTM .*expected \\(batch, timesteps, 5\\)"):
        lstm(ember.randn(2, 4, 6))
    with pytest.raises(ShapeError, match="initial_state"):
        lstm(ember.randn(2, 4, 5), initial_state=[ember.zeros(2, 3)])
    with pytest.raises(ShapeError, match="Add .*do not match"):
        L.Add()([ember.ones(2, 3), ember.ones(2, 4)])
    with pytest.raises(ShapeError, match="Concatenate .*axis=-1"):
        L.Concatenate()([ember.ones(2, 3, 1), ember.ones(2, 4, 1)])
    with pytest.raises(ArgumentError, match="Subtract .*exactly 2"):
        L.Subtract()([ember.ones(2, 3)] * 3)
    mha = L.MultiHeadAttention(2, 3)
    mha(ember.randn(2, 4, 6), ember.randn(2, 5, 6))
    with pytest.raises(ShapeError, match="MultiHeadAttention .*value of shape \\(2, 5, 7\\)"):
        mha(ember.randn(2, 4, 6), ember.randn(2, 5, 7))
    with pytest.raises(ShapeError, match="attention_mask"):
        mha(ember.randn(2, 4, 6), ember.randn(2, 5, 6), attention_mask=ember.ones(2, 5, 4))
    with pytest.raises(ArgumentError, match="recurrent_dropout"):
        L.LSTM(3, recurrent_dropout=0.1)
    with pytest.raises(ArgumentError, match="Attention .*\\[query, value\\]"):
        L.Attention()(ember.randn(2, 3, 4))
    with pytest.raises(ArgumentError, match="Bidirectional: layer must be"):
        L.Bidirectional(L.Dense(3))
    with pytest.raises(ArgumentError, match="padding"):
        L.Conv1D(2, 3, padding="full")
