"""The Transformer family with PyTorch's arguments, submodule names and state-dict keys:
`TransformerEncoderLayer`, `TransformerDecoderLayer`, `TransformerEncoder`, `TransformerDecoder`
(deep copies of one layer: `layers.0.self_attn.in_proj_weight`, ...) and `Transformer`.

Masks follow `MultiheadAttention`: bool True marks a position that may not be attended; float
masks are added to the scores (`Transformer.generate_square_subsequent_mask` makes the causal one).

    >>> model = ember.nn.Transformer(d_model=16, nhead=4, num_encoder_layers=2, num_decoder_layers=2,
    ...                              dim_feedforward=32, batch_first=True)
    >>> src, tgt = ember.randn(2, 7, 16), ember.randn(2, 5, 16)
    >>> mask = ember.nn.Transformer.generate_square_subsequent_mask(5)
    >>> model(src, tgt, tgt_mask=mask).shape
    ember.Size([2, 5, 16])
"""
import copy
import math

from ember.autograd.tensor import Tensor
from ember.errors import ArgumentError, ShapeError
from ember.nn import functional as F
from ember.nn import init
from ember.nn.containers import ModuleList
from ember.nn.layers.attention import MultiheadAttention
from ember.nn.layers.dropout import Dropout
from ember.nn.layers.linear import Linear
from ember.nn.layers.norm import LayerNorm
from ember.nn.module import Module
from ember.ops.creation import full

__all__ = ["Transformer", "TransformerEncoder", "TransformerDecoder", "TransformerEncoderLayer",
           "TransformerDecoderLayer"]


def _activation(layer, activation):
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    if callable(activation):
        return activation
    raise ArgumentError(f"{layer}: activation should be 'relu', 'gelu' or a callable, got {activation!r}")


def _clones(module, n):
    """`n` deep copies of `module`, each with its own parameters (PyTorch's `_get_clones`)."""
    return ModuleList([copy.deepcopy(module) for _ in range(n)])


def _check_features(layer, name, x, d_model):
    if not isinstance(x, Tensor) or x.ndim not in (2, 3) or x.shape[-1] != d_model:
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ShapeError(f"{layer}: {name} of shape {shape}: expected (seq, batch, {d_model}), "
                         f"(batch, seq, {d_model}) with batch_first, or unbatched (seq, {d_model})")


class _Layer(Module):
    """The feed-forward block and the attention blocks the encoder and decoder layers share."""

    def _init_common(self, d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                     batch_first, norm_first, bias, kw, n_norms):
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        for i in range(1, n_norms + 1):
            setattr(self, f"norm{i}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw))
        for i in range(1, n_norms + 1):
            setattr(self, f"dropout{i}", Dropout(dropout))
        self.activation = _activation(type(self).__name__, activation)
        self.d_model, self.batch_first = d_model, batch_first

    def _attn(self, attn, dropout, x, mem, mask, key_padding_mask, is_causal):
        x = attn(x, mem, mem, attn_mask=mask, key_padding_mask=key_padding_mask, need_weights=False,
                 is_causal=is_causal)[0]
        return dropout(x)

    def _ff(self, x, dropout):
        return dropout(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerEncoderLayer(_Layer):
    """Self-attention then a feed-forward block, each with a residual connection and LayerNorm
    (after each block, or before it with `norm_first=True`), as PyTorch's layer.

        >>> layer = ember.nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16)
        >>> layer(ember.randn(5, 3, 8)).shape
        ember.Size([5, 3, 8])
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            **kw)
        self._init_common(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first,
                          norm_first, bias, kw, 2)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        _check_features(type(self).__name__, "src", src, self.d_model)
        x = src
        if self.norm_first:
            h = self.norm1(x)
            x = x + self._attn(self.self_attn, self.dropout1, h, h, src_mask, src_key_padding_mask, is_causal)
            return x + self._ff(self.norm2(x), self.dropout2)
        x = self.norm1(x + self._attn(self.self_attn, self.dropout1, x, x, src_mask, src_key_padding_mask,
                                      is_causal))
        return self.norm2(x + self._ff(x, self.dropout2))


class TransformerDecoderLayer(_Layer):
    """Self-attention over the target, attention to the encoder's `memory`, then a feed-forward
    block, each with a residual connection and LayerNorm, as PyTorch's layer.

        >>> layer = ember.nn.TransformerDecoderLayer(d_model=8, nhead=2, dim_feedforward=16)
        >>> layer(ember.randn(4, 3, 8), ember.randn(6, 3, 8)).shape
        ember.Size([4, 3, 8])
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu", layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first,
                                            **kw)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                 batch_first=batch_first, **kw)
        self._init_common(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first,
                          norm_first, bias, kw, 3)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        name = type(self).__name__
        _check_features(name, "tgt", tgt, self.d_model)
        _check_features(name, "memory", memory, self.d_model)
        x = tgt
        if self.norm_first:
            h = self.norm1(x)
            x = x + self._attn(self.self_attn, self.dropout1, h, h, tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._attn(self.multihead_attn, self.dropout2, self.norm2(x), memory, memory_mask,
                               memory_key_padding_mask, memory_is_causal)
            return x + self._ff(self.norm3(x), self.dropout3)
        x = self.norm1(x + self._attn(self.self_attn, self.dropout1, x, x, tgt_mask, tgt_key_padding_mask,
                                      tgt_is_causal))
        x = self.norm2(x + self._attn(self.multihead_attn, self.dropout2, x, memory, memory_mask,
                                      memory_key_padding_mask, memory_is_causal))
        return self.norm3(x + self._ff(x, self.dropout3))


def _is_causal(mask, is_causal, size):
    """PyTorch's `_detect_is_causal_mask`: True when asked, or when `mask` is the causal mask."""
    if is_causal is None and mask is not None and tuple(mask.shape) == (size, size):
        if mask.dtype.name == "bool":
            causal = Transformer.generate_square_subsequent_mask(size, dtype=None)._data != 0
        else:
            causal = Transformer.generate_square_subsequent_mask(size, dtype=mask.dtype)._data
        return bool((mask._data == causal).all())
    return bool(is_causal)


def _seq_len(x, batch_first):
    return x.shape[1 if batch_first and x.ndim == 3 else 0]


def _check_layers(name, layer, num_layers, kind):
    if not isinstance(layer, kind):
        raise ArgumentError(f"{name}: expected a {kind.__name__} to copy, got {type(layer).__name__}")
    if not isinstance(num_layers, int) or num_layers < 0:
        raise ArgumentError(f"{name}: num_layers must be a non-negative int, got {num_layers!r}")


class TransformerEncoder(Module):
    """`num_layers` deep copies of `encoder_layer` applied in turn, then `norm` if given.

        >>> layer = ember.nn.TransformerEncoderLayer(d_model=8, nhead=2, dim_feedforward=16)
        >>> ember.nn.TransformerEncoder(layer, num_layers=2)(ember.randn(5, 3, 8)).shape
        ember.Size([5, 3, 8])
    """

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True, mask_check=True):
        super().__init__()
        _check_layers("TransformerEncoder", encoder_layer, num_layers, Module)
        self.layers = _clones(encoder_layer, num_layers)
        self.num_layers, self.norm = num_layers, norm
        self.enable_nested_tensor, self.mask_check = enable_nested_tensor, mask_check

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        first = self.layers[0] if self.num_layers else None
        is_causal = _is_causal(mask, is_causal, _seq_len(src, getattr(first, "batch_first", False)))
        out = src
        for layer in self.layers:
            out = layer(out, src_mask=mask, is_causal=is_causal, src_key_padding_mask=src_key_padding_mask)
        return self.norm(out) if self.norm is not None else out


class TransformerDecoder(Module):
    """`num_layers` deep copies of `decoder_layer` applied in turn, each attending to `memory`,
    then `norm` if given.

        >>> layer = ember.nn.TransformerDecoderLayer(d_model=8, nhead=2, dim_feedforward=16)
        >>> ember.nn.TransformerDecoder(layer, 2)(ember.randn(4, 3, 8), ember.randn(6, 3, 8)).shape
        ember.Size([4, 3, 8])
    """

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        _check_layers("TransformerDecoder", decoder_layer, num_layers, Module)
        self.layers = _clones(decoder_layer, num_layers)
        self.num_layers, self.norm = num_layers, norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        first = self.layers[0] if self.num_layers else None
        tgt_is_causal = _is_causal(tgt_mask, tgt_is_causal, _seq_len(tgt, getattr(first, "batch_first", False)))
        out = tgt
        for layer in self.layers:
            out = layer(out, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                        tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
                        tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        return self.norm(out) if self.norm is not None else out


class Transformer(Module):
    """An encoder-decoder Transformer ("Attention Is All You Need"), as PyTorch's: an encoder of
    `num_encoder_layers` layers and a final LayerNorm, a decoder likewise; every weight matrix
    initialized Xavier-uniform.

        >>> model = ember.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
        ...                              dim_feedforward=16)
        >>> model(ember.randn(6, 3, 8), ember.randn(4, 3, 8)).shape
        ember.Size([4, 3, 8])
    """

    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048,
                 dropout=0.1, activation="relu", custom_encoder=None, custom_decoder=None, layer_norm_eps=1e-5,
                 batch_first=False, norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        kw = {"device": device, "dtype": dtype}
        args = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first, norm_first, bias)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(TransformerEncoderLayer(*args, **kw), num_encoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(TransformerDecoderLayer(*args, **kw), num_decoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw))
        self._reset_parameters()
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def _reset_parameters(self):
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None, src_key_padding_mask=None,
                tgt_key_padding_mask=None, memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal=False):
        _check_features("Transformer", "src", src, self.d_model)
        _check_features("Transformer", "tgt", tgt, self.d_model)
        batch = 0 if self.batch_first else 1
        if src.ndim == 3 and (tgt.ndim != 3 or src.shape[batch] != tgt.shape[batch]):
            raise ShapeError(f"Transformer: src of shape {tuple(src.shape)} and tgt of shape {tuple(tgt.shape)} "
                             f"must have the same batch size (dim {batch})")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask, tgt_is_causal=tgt_is_causal,
                            memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz, device=None, dtype=None):
        """The causal mask of a sequence of length `sz`: -inf above the diagonal, 0 elsewhere.

            >>> ember.nn.Transformer.generate_square_subsequent_mask(3)
            tensor([[0., -inf, -inf],
                    [0., 0., -inf],
                    [0., 0., 0.]])
        """
        return full((sz, sz), -math.inf, dtype=dtype, device=device).triu(diagonal=1)
