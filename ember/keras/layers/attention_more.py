"""Keras's `GroupQueryAttention`: multi-head attention where groups of query heads share one key and
value head (`num_query_heads` a multiple of `num_key_value_heads`), with an optional sigmoid gate on
the heads' outputs (`use_gate`) and an optional symmetric sliding window (a query step sees key
steps closer than `sliding_window`).

Weights as Keras's: sublayers `query` (dim, query heads, head_dim), `key` and `value` (dim,
key/value heads, head_dim), `gate` like `query` (with `use_gate`), `attention_output` (query heads,
head_dim, dim); biases over the last two (one) dims.

    >>> gqa = keras.layers.GroupQueryAttention(head_dim=4, num_query_heads=4, num_key_value_heads=2)
    >>> x = ember.randn(3, 5, 8)
    >>> out, scores = gqa(x, x, return_attention_scores=True)
    >>> out.shape, scores.shape, tuple(gqa.key.kernel.shape)
    (ember.Size([3, 5, 8]), ember.Size([3, 4, 5, 5]), (8, 2, 4))
"""
import math

from ember.backend import dtypes
from ember.errors import ArgumentError, ShapeError
from ember.nn import functional as F
from ember.ops.creation import arange
from ember.ops.linalg import matmul
from ember.keras.layers.attention import _and, _causal, _dropout_rate, check_qkv, _mask_scores, _padding_mask, _Projection
from ember.keras.layers.base import Layer
from ember.keras.layers._util import positive_int, weight_config

__all__ = ["GroupQueryAttention"]

_OFF = {"flash_attention": (None, False), "kernel_constraint": (None,), "bias_constraint": (None,),
        "activity_regularizer": (None,), "seed": (None,)}


class GroupQueryAttention(Layer):
    """`call(query, value, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
    return_attention_scores=False, training=None, use_causal_mask=False)` on (batch, steps, dim)."""

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0, use_bias=True,
                 sliding_window=None, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, use_gate=False, **kwargs):
        where = "GroupQueryAttention"
        for key in [k for k in kwargs if k in _OFF]:
            value = kwargs.pop(key)
            if value not in _OFF[key]:
                raise ArgumentError(f"{where}: {key}={value!r} is not supported by ember")
        super().__init__(**kwargs)
        self.supports_masking = True
        self.head_dim = positive_int(head_dim, "head_dim", where)
        self.num_query_heads = positive_int(num_query_heads, "num_query_heads", where)
        self.num_key_value_heads = positive_int(num_key_value_heads, "num_key_value_heads", where)
        if self.num_query_heads % self.num_key_value_heads:
            raise ArgumentError(f"{where}: num_query_heads ({num_query_heads}) must be a multiple of "
                                f"num_key_value_heads ({num_key_value_heads})")
        if sliding_window is not None and (not isinstance(sliding_window, int) or isinstance(sliding_window, bool)
                                           or sliding_window <= 0):
            raise ArgumentError(f"{where}: sliding_window must be None or a positive int, got {sliding_window!r}")
        self.num_repeats = self.num_query_heads // self.num_key_value_heads
        self.dropout, self.use_bias, self.use_gate = _dropout_rate(dropout, where), bool(use_bias), bool(use_gate)
        self.sliding_window = sliding_window
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer

    def build(self, query_shape, value_shape=None, key_shape=None):
        value_shape = query_shape if value_shape is None else value_shape
        key_shape = value_shape if key_shape is None else key_shape
        for what, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(shape) != 3 or shape[-1] is None:
                raise ShapeError(f"GroupQueryAttention {self.name!r}: {what} of shape {tuple(shape)}: expected "
                                 "(batch, steps, dim) with a known dim")
        hq, hkv, d = self.num_query_heads, self.num_key_value_heads, self.head_dim

        def projection(dim, heads, name):
            return _Projection((dim, heads, d), (heads, d) if self.use_bias else None, self, name=name)
        self.query = projection(query_shape[-1], hq, "query")
        self.key = projection(key_shape[-1], hkv, "key")
        if self.use_gate:
            self.gate = projection(query_shape[-1], hq, "gate")
        self.value = projection(value_shape[-1], hkv, "value")
        self.feature_dim = query_shape[-1]
        self.attention_output = _Projection((hq, d, self.feature_dim), (self.feature_dim,) if self.use_bias else None,
                                            self, name="attention_output")
        self.dims = (query_shape[-1], value_shape[-1], key_shape[-1])
        self.built = True

    def _maybe_build(self, inputs):
        pass  # built in `call`, which sees the value and key too

    def _allowed(self, query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask):
        """Where a query step may attend a key step: (batch or 1, T, S) bool, or None for everywhere."""
        allowed = _padding_mask(query_mask, value_mask, key_mask, attention_mask)
        t, s = query.shape[1], value.shape[1]
        if use_causal_mask:
            allowed = _and(allowed, _causal(t, s, query.device).unsqueeze(0))
        if self.sliding_window is not None:
            rows = arange(t, device=query.device).reshape(1, t, 1)
            cols = arange(s, device=query.device).reshape(1, 1, s)
            allowed = _and(allowed, (rows - cols).abs() < self.sliding_window)
        return allowed

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None, attention_mask=None,
             return_attention_scores=False, training=None, use_causal_mask=False):
        key = value if key is None else key
        if not self.built:
            self.build(tuple(query.shape), tuple(value.shape), tuple(key.shape))
        check_qkv(self, query, value, key, attention_mask)
        allowed = self._allowed(query, value, query_mask, value_mask, key_mask, attention_mask, use_causal_mask)
        q = self.query(query, 1) * (1.0 / math.sqrt(self.head_dim))            # (B, T, hq, d)
        k = self.key(key, 1).repeat_interleave(self.num_repeats, dim=2)         # (B, S, hq, d)
        v = self.value(value, 1).repeat_interleave(self.num_repeats, dim=2)
        scores = matmul(q.permute(0, 2, 1, 3), k.permute(0, 2, 3, 1))          # (B, hq, T, S)
        allowed = None if allowed is None else allowed.to(dtypes.bool_).unsqueeze(1)
        probs = F.softmax(_mask_scores(scores, allowed), dim=-1)
        dropped = F.dropout(probs, self.dropout, training=True) if training and self.dropout else probs
        out = matmul(dropped, v.permute(0, 2, 1, 3)).permute(0, 2, 1, 3)        # (B, T, hq, d)
        if self.use_gate:
            out = out * F.sigmoid(self.gate(query, 1))
        out = self.attention_output(out, 2)
        return (out, probs) if return_attention_scores else out

    def get_config(self):
        return {**super().get_config(), "head_dim": self.head_dim, "num_query_heads": self.num_query_heads,
                "num_key_value_heads": self.num_key_value_heads, "use_bias": self.use_bias,
                "use_gate": self.use_gate, "sliding_window": self.sliding_window, "dropout": self.dropout,
                **weight_config(self, "kernel_initializer", "bias_initializer", "kernel_regularizer",
                                "bias_regularizer")}
