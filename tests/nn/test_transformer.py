"""The Transformer family against PyTorch: encoder and decoder layers (post- and pre-norm, relu,
gelu and callable activations, masks), the stacks, the full Transformer; state-dict keys,
independent layer copies, the causal mask and input checks."""
import numpy as np
import pytest
import torch

import ember
from ember import nn
from ember.errors import ArgumentError, ShapeError
from conformance import check_module

DTYPES = ["float32", "float64"]
rng = np.random.default_rng(0)
D, NHEAD, FF, N, S, T = 8, 2, 16, 3, 5, 4


def randn(*shape):
    return rng.standard_normal(shape)


def causal(n):
    return np.triu(np.full((n, n), -np.inf), 1)


def padding(n, length):
    mask = np.zeros((n, length), dtype=bool)
    mask[0, -2:] = True
    return mask


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
def test_encoder_layer_matches_torch(dtype, norm_first, activation):
    kw = dict(dim_feedforward=FF, dropout=0.0, activation=activation, norm_first=norm_first)
    e, t = nn.TransformerEncoderLayer(D, NHEAD, **kw), torch.nn.TransformerEncoderLayer(D, NHEAD, **kw)
    check_module(e, t, randn(S, N, D), dtype=dtype)
    check_module(e, t, randn(S, N, D), dtype=dtype,
                 kwargs={"src_mask": causal(S).astype(dtype), "src_key_padding_mask": padding(N, S)})


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_matches_torch(dtype, norm_first):
    kw = dict(dim_feedforward=FF, dropout=0.0, norm_first=norm_first, batch_first=True)
    e, t = nn.TransformerDecoderLayer(D, NHEAD, **kw), torch.nn.TransformerDecoderLayer(D, NHEAD, **kw)
    masks = {"tgt_mask": causal(T).astype(dtype), "tgt_key_padding_mask": padding(N, T),
             "memory_key_padding_mask": padding(N, S), "memory_mask": np.zeros((T, S), dtype=bool)}
    check_module(e, t, randn(N, T, D), randn(N, S, D), dtype=dtype)
    check_module(e, t, randn(N, T, D), randn(N, S, D), dtype=dtype, kwargs=masks)


def test_layers_in_eval_mode_with_dropout_and_callable_activation():
    kw = dict(dim_feedforward=FF, dropout=0.3)
    e = nn.TransformerEncoderLayer(D, NHEAD, activation=ember.nn.functional.gelu, **kw)
    t = torch.nn.TransformerEncoderLayer(D, NHEAD, activation=torch.nn.functional.gelu, **kw)
    check_module(e, t, randn(S, N, D), train=False)
    e, t = nn.TransformerDecoderLayer(D, NHEAD, bias=False, **kw), torch.nn.TransformerDecoderLayer(D, NHEAD,
                                                                                                   bias=False, **kw)
    check_module(e, t, randn(T, D), randn(S, D), train=False)  # unbatched


@pytest.mark.parametrize("dtype", DTYPES)
def test_stacks_match_torch(dtype):
    kw = dict(dim_feedforward=FF, dropout=0.0)
    e = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, NHEAD, **kw), 2, nn.LayerNorm(D))
    t = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(D, NHEAD, **kw), 2, torch.nn.LayerNorm(D),
                                    enable_nested_tensor=False)
    check_module(e, t, randn(S, N, D), dtype=dtype, kwargs={"mask": causal(S).astype(dtype)})
    e = nn.TransformerDecoder(nn.TransformerDecoderLayer(D, NHEAD, **kw), 2)
    t = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(D, NHEAD, **kw), 2)
    check_module(e, t, randn(T, N, D), randn(S, N, D), dtype=dtype,
                 kwargs={"tgt_mask": causal(T).astype(dtype), "memory_key_padding_mask": padding(N, S)})


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_matches_torch(dtype, norm_first):
    kw = dict(d_model=D, nhead=NHEAD, num_encoder_layers=2, num_decoder_layers=2, dim_feedforward=FF,
              dropout=0.0, batch_first=True, norm_first=norm_first)
    e, t = nn.Transformer(**kw), torch.nn.Transformer(**kw)
    masks = {"tgt_mask": causal(T).astype(dtype), "src_key_padding_mask": padding(N, S),
             "memory_key_padding_mask": padding(N, S)}
    check_module(e, t, randn(N, S, D), randn(N, T, D), dtype=dtype, kwargs=masks)


def test_state_dict_keys_and_independent_copies():
    e = nn.Transformer(D, NHEAD, 2, 1, FF)
    t = torch.nn.Transformer(D, NHEAD, 2, 1, FF)
    assert [(k, tuple(v.shape)) for k, v in e.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in t.state_dict().items()]
    assert "encoder.layers.1.self_attn.in_proj_weight" in e.state_dict()
    a = e.encoder.layers[0].linear1.weight
    b = e.encoder.layers[1].linear1.weight
    assert a is not b and not np.array_equal(a.detach().numpy(), b.detach().numpy())  # re-initialized
    layer = nn.TransformerEncoderLayer(D, NHEAD, FF)
    stack = nn.TransformerEncoder(layer, 2)
    w0, w1 = stack.layers[0].linear1.weight, stack.layers[1].linear1.weight
    np.testing.assert_array_equal(w0.detach().numpy(), layer.linear1.weight.detach().numpy())
    assert w0 is not layer.linear1.weight and w0 is not w1
    for name, p in e.named_parameters():
        if p.ndim > 1:  # xavier_uniform over every matrix
            fan_out, fan_in = p.shape
            assert np.abs(p.detach().numpy()).max() <= np.sqrt(6 / (fan_in + fan_out)), name


def test_generate_square_subsequent_mask():
    e = nn.Transformer.generate_square_subsequent_mask(4)
    t = torch.nn.Transformer.generate_square_subsequent_mask(4)
    assert e.dtype == ember.float32
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    assert nn.Transformer.generate_square_subsequent_mask(3, dtype=ember.float64).dtype == ember.float64


def test_gradcheck_encoder_layer_float64():
    layer = nn.TransformerEncoderLayer(4, 2, 8, dropout=0.0, norm_first=True).to(ember.float64)
    x = ember.randn(3, 2, 4, dtype=ember.float64, requires_grad=True)
    mask = ember.tensor(causal(3))
    assert ember.autograd.gradcheck(lambda x: layer(x, src_mask=mask), (x,))


def test_errors():
    with pytest.raises(ArgumentError, match="activation"):
        nn.TransformerEncoderLayer(D, NHEAD, activation="tanh")
    layer = nn.TransformerEncoderLayer(D, NHEAD, FF)
    with pytest.raises(ShapeError, match=r"TransformerEncoderLayer: src of shape \(5, 3, 9\)"):
        layer(ember.randn(S, N, D + 1))
    model = nn.Transformer(D, NHEAD, 1, 1, FF)
    with pytest.raises(ShapeError, match="batch size"):
        model(ember.randn(S, N, D), ember.randn(T, N + 1, D))
    with pytest.raises(ShapeError, match="tgt of shape"):
        model(ember.randn(S, N, D), ember.randn(T, N, D + 2))
