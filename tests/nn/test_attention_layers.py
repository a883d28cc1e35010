"""MultiheadAttention against PyTorch: outputs, attention weights, input and parameter gradients
with key padding and attention masks (bool and float), need_weights both ways, separate
key/value dims, bias_k/bias_v, unbatched inputs; parameter names, initialization and checks."""
import numpy as np
import pytest
import torch

import ember
from ember import nn
from ember.errors import ArgumentError, ShapeError
from conformance import check_module

DTYPES = ["float32", "float64"]
rng = np.random.default_rng(0)
E, H, L, S, N = 8, 2, 4, 5, 3


def randn(*shape):
    return rng.standard_normal(shape)


def pair(*args, **kwargs):
    return nn.MultiheadAttention(*args, **kwargs), torch.nn.MultiheadAttention(*args, **kwargs)


def padding_mask():
    mask = np.zeros((N, S), dtype=bool)
    mask[0, -2:] = True
    mask[2, 1] = True
    return mask


def causal_bool(l, s):
    return np.triu(np.ones((l, s), dtype=bool), 1)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("batch_first", [False, True])
def test_cross_attention_matches_torch(dtype, need_weights, batch_first):
    e, t = pair(E, H, batch_first=batch_first)
    q, k, v = (randn(N, L, E), randn(N, S, E), randn(N, S, E)) if batch_first else \
        (randn(L, N, E), randn(S, N, E), randn(S, N, E))
    check_module(e, t, q, k, v, dtype=dtype, kwargs={"need_weights": need_weights})


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("need_weights", [True, False])
@pytest.mark.parametrize("mask_kind", ["bool", "float", "per-head", "padding-only"])
def test_masks_match_torch(dtype, need_weights, mask_kind):
    e, t = pair(E, H)
    if mask_kind == "bool":
        attn_mask = causal_bool(L, S)
    elif mask_kind == "float":
        attn_mask = randn(L, S)
    elif mask_kind == "per-head":
        attn_mask = randn(N * H, L, S)
    else:
        attn_mask = None
    kpm = padding_mask() if mask_kind in ("bool", "padding-only") else np.where(padding_mask(), -np.inf, 0.0)  # one kind
    kw = {"need_weights": need_weights, "attn_mask": attn_mask, "key_padding_mask": kpm}
    check_module(e, t, randn(L, N, E), randn(S, N, E), randn(S, N, E), dtype=dtype, kwargs=kw)


@pytest.mark.parametrize("dtype", DTYPES)
def test_self_attention_average_and_per_head_weights(dtype):
    e, t = pair(E, H, batch_first=True)
    x = randn(N, L, E)
    check_module(e, t, x, x, x, dtype=dtype)  # distinct arrays: three projections
    for average in (True, False):
        ex = ember.tensor(x.astype(dtype))
        tx = torch.tensor(x.astype(dtype))
        check = check_module(e, t, x, x, x, dtype=dtype, kwargs={"average_attn_weights": average})
        assert check[1].shape == ((N, L, L) if average else (N, H, L, L))
        out_e = e(ex, ex, ex, average_attn_weights=average)
        out_t = t(tx, tx, tx, average_attn_weights=average)
        for a, b in zip(out_e, out_t):  # one tensor as query, key and value: the packed GEMM path
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("dtype", DTYPES)
def test_kdim_vdim_bias_kv_zero_attn(dtype):
    e, t = pair(E, H, kdim=6, vdim=5, add_bias_kv=True, add_zero_attn=True)
    kw = {"key_padding_mask": padding_mask(), "attn_mask": causal_bool(L, S)}
    check_module(e, t, randn(L, N, E), randn(S, N, 6), randn(S, N, 5), dtype=dtype, kwargs=kw)
    kw["need_weights"] = False
    check_module(e, t, randn(L, N, E), randn(S, N, 6), randn(S, N, 5), dtype=dtype, kwargs=kw)


def test_no_bias_and_unbatched():
    e, t = pair(E, H, bias=False)
    check_module(e, t, randn(L, E), randn(S, E), randn(S, E),
                 kwargs={"key_padding_mask": np.array([False, False, True, False, True])})
    check_module(e, t, randn(L, E), randn(S, E), randn(S, E), kwargs={"need_weights": False})


def test_dropout_is_identity_in_eval():
    e, t = pair(E, H, dropout=0.5)
    check_module(e, t, randn(L, N, E), randn(S, N, E), randn(S, N, E), train=False)


def test_gradcheck_float64():
    mha = nn.MultiheadAttention(4, 2).to(ember.float64)
    q = ember.randn(3, 2, 4, dtype=ember.float64, requires_grad=True)
    kv = ember.randn(5, 2, 4, dtype=ember.float64, requires_grad=True)
    mask = ember.tensor(causal_bool(3, 5))
    assert ember.autograd.gradcheck(lambda q, kv: mha(q, kv, kv, attn_mask=mask), (q, kv))


def test_parameters_and_init():
    for kw in ({}, {"kdim": 6, "vdim": 5}, {"bias": False, "add_bias_kv": True}):
        e, t = pair(E, H, **kw)
        assert [(n, tuple(p.shape)) for n, p in e.named_parameters()] == \
            [(n, tuple(p.shape)) for n, p in t.named_parameters()]
        assert list(e.state_dict()) == list(t.state_dict())
        assert repr(e).splitlines()[1].strip().startswith(repr(t).splitlines()[1].strip())
    e = nn.MultiheadAttention(64, 4)
    bound = np.sqrt(6 / (64 + 3 * 64))  # xavier_uniform over (3E, E)
    w = e.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound and w.std() == pytest.approx(bound / np.sqrt(3), rel=0.1)
    assert not e.in_proj_bias.detach().numpy().any() and not e.out_proj.bias.detach().numpy().any()


def test_errors_name_layer_and_shapes():
    mha = nn.MultiheadAttention(E, H)
    with pytest.raises(ShapeError, match=r"MultiheadAttention\(embed_dim=8, num_heads=2\).*\(4, 3, 9\)"):
        mha(ember.randn(L, N, 9), ember.randn(S, N, E), ember.randn(S, N, E))
    with pytest.raises(ShapeError, match="key_padding_mask of shape \\(3, 4\\).*\\(3, 5\\)"):
        x, kv = ember.randn(L, N, E), ember.randn(S, N, E)
        mha(x, kv, kv, key_padding_mask=ember.zeros(3, 4, dtype=ember.bool))
    with pytest.raises(ShapeError, match="attn_mask of shape \\(5, 5\\)"):
        mha(x, kv, kv, attn_mask=ember.zeros(5, 5))
    with pytest.raises(ShapeError, match="sequence length"):
        mha(x, kv, ember.randn(S + 1, N, E))
    with pytest.raises(ArgumentError, match="is_causal"):
        mha(x, kv, kv, is_causal=True)
    with pytest.raises(ArgumentError, match="divisible"):
        nn.MultiheadAttention(10, 3)


def _self_attention(lib, **kwargs):
    """A module calling its MultiheadAttention with one tensor as query, key and value (the
    batch-first self-attention path)."""
    class SelfAttention(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.mha = lib.nn.MultiheadAttention(E, H, batch_first=True)

        def forward(self, x, **kw):
            return self.mha(x, x, x, need_weights=False, **kw)[0]
    return SelfAttention()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mask_kind", ["none", "causal-float", "bool", "per-head", "padding"])
def test_batch_first_self_attention_matches_torch(dtype, mask_kind):
    masks = {"none": {}, "causal-float": {"attn_mask": np.where(causal_bool(L, L), -np.inf, 0.0), "is_causal": True},
             "bool": {"attn_mask": causal_bool(L, L)}, "per-head": {"attn_mask": randn(N * H, L, L)},
             "padding": {"key_padding_mask": np.eye(N, L, dtype=bool)}}
    check_module(_self_attention(ember), _self_attention(torch), randn(N, L, E), dtype=dtype, kwargs=masks[mask_kind])
