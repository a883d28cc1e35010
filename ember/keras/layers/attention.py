"""Keras's attention layers: `MultiHeadAttention` and `Attention` (Luong's dot-product attention).

`MultiHeadAttention` has Keras's weights: sublayers `query`, `key`, `value` with kernels
(dim, num_heads, key_dim) (value_dim for `value`) and biases (num_heads, key_dim), and
`attention_output` with kernel (num_heads, value_dim, output_dim) and bias (output_dim,).
Masked positions get -1e9 added to their scores before the softmax, as Keras does.

    >>> mha = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
    >>> q = ember.randn(3, 5, 8)
    >>> out, scores = mha(q, q, return_attention_scores=True)
    >>> out.shape, scores.shape, tuple(mha.query.kernel.shape)
    (ember.Size([3, 5, 8]), ember.Size([3, 2, 5, 5]), (8, 2, 4))
"""
import math

from ember.backend import dtypes
from ember.errors import ArgumentError, ShapeError
from ember.nn import functional as F
from ember.ops.creation import ones
from ember.ops.linalg import matmul
from ember.keras.layers.base import Layer
from ember.keras.layers._util import positive_int, weight_config

__all__ = ["MultiHeadAttention", "Attention", "AdditiveAttention"]

_NEG = 1e9  # Keras's large negative number for masked scores (float32)


def _padding_mask(query_mask, value_mask, key_mask, attention_mask):
    """Keras's attention mask from the inputs' padding masks: query step t may attend key step s when
    both are real steps (and `attention_mask` allows it)."""
    allowed = None if attention_mask is None else attention_mask.to(dtypes.bool_)
    for mask, axis in ((query_mask, -1), (value_mask, -2), (key_mask, -2)):
        if mask is not None:
            allowed = _and(allowed, mask.to(dtypes.bool_).unsqueeze(axis))
    return allowed


def _mask_scores(scores, allowed):
    """Scores with -1e9 added where `allowed` (bool, broadcast) is False."""
    if allowed is None:
        return scores
    return scores - (1.0 - allowed.to(scores.dtype)) * _NEG


def _causal(t, s, device):
    """(t, s) bool, True where query i may attend key j <= i (top-left aligned, as Keras)."""
    return ones(t, s, dtype=dtypes.bool_, device=device).tril()


def _and(a, b):
    if a is None or b is None:
        return b if a is None else a
    return a & b


def _dropout_rate(rate, where):
    if not isinstance(rate, (int, float)) or not 0 <= rate < 1:
        raise ArgumentError(f"{where}: dropout must be a number in [0, 1), got {rate!r}")
    return float(rate)


class _Projection(Layer):
    """One of MultiHeadAttention's einsum projections: kernel `shape`, bias `shape[-2:]` or `shape[-1:]`."""

    def __init__(self, kernel_shape, bias_shape, owner, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # the output keeps the query's mask, as Keras
        self.kernel = self.add_weight(kernel_shape, owner.kernel_initializer, name="kernel",
                                      regularizer=owner.kernel_regularizer)
        if bias_shape is not None:
            self.bias = self.add_weight(bias_shape, owner.bias_initializer, name="bias",
                                        regularizer=owner.bias_regularizer)
        self.built = True

    def call(self, x, n_in):
        """x (..., n_in dims contracted with the kernel's first n_in dims) -> (..., kernel.shape[n_in:])."""
        k = self.kernel
        lead, inner, outer = tuple(x.shape[:x.ndim - n_in]), k.shape[:n_in], tuple(k.shape[n_in:])
        y = matmul(x.reshape(*lead, math.prod(inner)), k.reshape(math.prod(inner), math.prod(outer)))
        y = y.reshape(*lead, *outer)
        return y + self.bias if hasattr(self, "bias") else y


def check_qkv(layer, query, value, key, mask):
    """The (batch, steps, features) inputs of an attention layer with `dims` = (query, value, key)
    features, and its (batch, query steps, key steps) mask, checked before any projection."""
    kind = type(layer).__name__
    for what, t, dim in (("query", query, layer.dims[0]), ("value", value, layer.dims[1]),
                         ("key", key, layer.dims[2])):
        if t.ndim != 3 or t.shape[-1] != dim:
            raise ShapeError(f"{kind} {layer.name!r}: {what} of shape {tuple(t.shape)}: expected "
                             f"(batch, steps, {dim})")
    if key.shape[:2] != value.shape[:2] or query.shape[0] != value.shape[0]:
        raise ShapeError(f"{kind} {layer.name!r}: query {tuple(query.shape)}, value {tuple(value.shape)} and key "
                         f"{tuple(key.shape)} must share the batch, and key and value the steps")
    want = (query.shape[0], query.shape[1], value.shape[1])
    if mask is not None and tuple(mask.shape) not in (want, want[1:]):
        raise ShapeError(f"{kind} {layer.name!r}: attention_mask of shape {tuple(mask.shape)}: "
                         f"expected (batch, query steps, key steps) = {want}")


class MultiHeadAttention(Layer):
    """Keras's `MultiHeadAttention`: `call(query, value, key=None, attention_mask=None,
    return_attention_scores=False, training=None, use_causal_mask=False)` on (batch, steps, dim)
    tensors; `attention_mask` (batch, T, S) is True (or 1) where a query step may attend a key step."""

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 attention_axes=None, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # the output keeps the query's mask, as Keras
        where = "MultiHeadAttention"
        self.num_heads = positive_int(num_heads, "num_heads", where)
        self.key_dim = positive_int(key_dim, "key_dim", where)
        self.value_dim = self.key_dim if value_dim is None else positive_int(value_dim, "value_dim", where)
        self.dropout = _dropout_rate(dropout, where)
        self.use_bias = bool(use_bias)
        if output_shape is not None and not isinstance(output_shape, int):
            output_shape = tuple(output_shape)
            if len(output_shape) != 1:
                raise ArgumentError(f"{where}: output_shape must be an int (or a 1-tuple), got {output_shape!r}")
            output_shape = output_shape[0]
        self.output_shape = None if output_shape is None else positive_int(output_shape, "output_shape", where)
        if attention_axes is not None:
            raise ArgumentError(f"{where}: attention_axes is not supported; attention runs over axis 1 of "
                                "(batch, steps, dim) inputs")
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer

    def build(self, query_shape, value_shape=None, key_shape=None):
        """Create the weights; the first call does it from its query, value and key."""
        value_shape = query_shape if value_shape is None else value_shape
        key_shape = value_shape if key_shape is None else key_shape
        shapes = {"query": query_shape, "value": value_shape, "key": key_shape}
        for what, shape in shapes.items():
            if len(shape) != 3 or shape[-1] is None:
                raise ShapeError(f"MultiHeadAttention {self.name!r}: {what} of shape {tuple(shape)}: expected "
                                 "(batch, steps, dim) with a known dim")
        h = self.num_heads
        bias = self.use_bias
        self.query = _Projection((query_shape[-1], h, self.key_dim), (h, self.key_dim) if bias else None, self,
                                 name="query")
        self.key = _Projection((key_shape[-1], h, self.key_dim), (h, self.key_dim) if bias else None, self,
                               name="key")
        self.value = _Projection((value_shape[-1], h, self.value_dim), (h, self.value_dim) if bias else None, self,
                                 name="value")
        out = self.output_shape or query_shape[-1]
        self.attention_output = _Projection((h, self.value_dim, out), (out,) if bias else None, self,
                                            name="attention_output")
        self.dims = (query_shape[-1], value_shape[-1], key_shape[-1])
        self.built = True

    def _maybe_build(self, inputs):
        pass  # built in `call`, which sees the value and key too

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
             return_attention_scores=False, training=None, use_causal_mask=False):
        key = value if key is None else key
        if not self.built:
            self.build(tuple(query.shape), tuple(value.shape), tuple(key.shape))
        check_qkv(self, query, value, key, attention_mask)
        attention_mask = _padding_mask(query_mask, value_mask, key_mask, attention_mask)
        q = self.query(query, 1) * (1.0 / math.sqrt(self.key_dim))    # (B, T, heads, key_dim)
        k, v = self.key(key, 1), self.value(value, 1)                  # (B, S, heads, .)
        scores = matmul(q.permute(0, 2, 1, 3), k.permute(0, 2, 3, 1))  # (B, heads, T, S)
        allowed = None if attention_mask is None else attention_mask.to(dtypes.bool_).unsqueeze(1)
        if use_causal_mask:
            allowed = _and(allowed, _causal(query.shape[1], value.shape[1], query.device))
        probs = F.softmax(_mask_scores(scores, allowed), dim=-1)
        dropped = F.dropout(probs, self.dropout, training=True) if training and self.dropout else probs
        out = matmul(dropped, v.permute(0, 2, 1, 3)).permute(0, 2, 1, 3)  # (B, T, heads, value_dim)
        out = self.attention_output(out, 2)
        return (out, probs) if return_attention_scores else out

    def get_config(self):
        return {**super().get_config(), "num_heads": self.num_heads, "key_dim": self.key_dim,
                "value_dim": self.value_dim, "dropout": self.dropout, "use_bias": self.use_bias,
                "output_shape": self.output_shape,
                **weight_config(self, "kernel_initializer", "bias_initializer", "kernel_regularizer",
                                "bias_regularizer")}


class Attention(Layer):
    """Luong's dot-product attention, Keras's `Attention`: `call([query, value])` or
    `call([query, value, key])` on (batch, T, dim) and (batch, S, dim) tensors; scores
    `query @ key^T` (times a learned `scale` with `use_scale`; score_mode "concat" uses
    `sum(tanh(query + key))`), softmax over S, then `@ value`. `mask=[query_mask, value_mask]`
    (bool, (batch, T) and (batch, S)) hides padded steps."""

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # the output keeps the query's mask, as Keras
        if score_mode not in ("dot", "concat"):
            raise ArgumentError(f"Attention: score_mode must be 'dot' or 'concat', got {score_mode!r}")
        self.use_scale, self.score_mode = bool(use_scale), score_mode
        self.dropout = _dropout_rate(dropout, "Attention")

    def _inputs(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) not in (2, 3):
            raise ArgumentError(f"Attention {self.name!r}: expected inputs [query, value] or [query, value, key], "
                                f"got {type(inputs).__name__}" + (f" of {len(inputs)}" if isinstance(
                                    inputs, (list, tuple)) else ""))
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) == 3 else v
        shapes = [tuple(t.shape) for t in (q, v, k)]
        if any(len(s) != 3 for s in shapes) or shapes[1][:2] != shapes[2][:2] or shapes[0][0] != shapes[1][0] \
                or shapes[0][-1] != shapes[2][-1]:
            raise ShapeError(f"Attention {self.name!r}: query, value, key of shapes {shapes}: expected (batch, T, "
                             "dim), (batch, S, dim_v), (batch, S, dim), query and key sharing dim")
        return q, v, k

    def build(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) not in (2, 3):
            raise ArgumentError(f"Attention {self.name!r}: expected inputs [query, value] or [query, value, key]")
        if self.use_scale:
            self.scale = self.add_weight((), "ones", name="scale")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight((), "ones", name="concat_score_weight")

    def compute_mask(self, inputs, previous_mask=None):
        return previous_mask[0] if isinstance(previous_mask, (list, tuple)) else previous_mask

    def _scores(self, q, k):
        if self.score_mode == "dot":
            scores = matmul(q, k.transpose(1, 2))
            return scores * self.scale if self.use_scale else scores
        s = q.unsqueeze(2) + k.unsqueeze(1)
        if self.use_scale:
            s = s * self.scale
        return self.concat_score_weight * s.tanh().sum(-1)

    def call(self, inputs, mask=None, return_attention_scores=False, training=None, use_causal_mask=False):
        q, v, k = self._inputs(inputs)
        scores = self._scores(q, k)
        q_mask, v_mask = (None, None) if mask is None else (list(mask) + [None])[:2]
        allowed = None if v_mask is None else v_mask.to(dtypes.bool_).unsqueeze(1)
        if use_causal_mask:
            allowed = _and(allowed, _causal(q.shape[1], v.shape[1], q.device))
        weights = F.softmax(_mask_scores(scores, allowed), dim=-1)
        dropped = F.dropout(weights, self.dropout, training=True) if training and self.dropout else weights
        result = matmul(dropped, v)
        if q_mask is not None:
            result = result * q_mask.to(result.dtype).unsqueeze(-1)
        return (result, weights) if return_attention_scores else result

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale, "score_mode": self.score_mode,
                "dropout": self.dropout}


class AdditiveAttention(Attention):
    """Bahdanau's additive attention, Keras's `AdditiveAttention`: scores `sum(scale * tanh(query + key))`
    over the features (a learned `scale` per feature with `use_scale`, the default), then as `Attention`."""

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        if not isinstance(input_shape, list) or len(input_shape) not in (2, 3):
            raise ArgumentError(f"AdditiveAttention {self.name!r}: expected inputs [query, value] or [query, value, "
                                "key]")
        if self.use_scale:
            self.scale = self.add_weight((input_shape[0][-1],), "glorot_uniform", name="scale")

    def _scores(self, q, k):
        s = (q.unsqueeze(2) + k.unsqueeze(1)).tanh()
        return (s * self.scale).sum(-1) if self.use_scale else s.sum(-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config
