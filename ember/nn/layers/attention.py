"""`MultiheadAttention`, PyTorch's multi-head attention layer: the same arguments, parameter names
(`in_proj_weight`, or `q_proj_weight`/`k_proj_weight`/`v_proj_weight` when kdim/vdim differ,
`in_proj_bias`, `out_proj`, `bias_k`, `bias_v`), masks and return values.

Masks follow PyTorch's layer convention: in a bool `attn_mask` or `key_padding_mask`, True
marks a position that may NOT be attended (the opposite of `scaled_dot_product_attention`);
float masks are added to the scores.

    >>> mha = ember.nn.MultiheadAttention(16, 4, batch_first=True)
    >>> x = ember.randn(2, 5, 16)
    >>> out, weights = mha(x, x, x)
    >>> out.shape, weights.shape
    (ember.Size([2, 5, 16]), ember.Size([2, 5, 5]))
"""
import math

from ember.autograd.tensor import Tensor
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.nn import functional as F
from ember.nn import init
from ember.nn.layers.linear import Linear
from ember.nn.module import Module
from ember.nn.parameter import Parameter
from ember.ops.creation import empty, zeros
from ember.ops.join import cat

__all__ = ["MultiheadAttention"]


class NonDynamicallyQuantizableLinear(Linear):
    """`Linear` under the name PyTorch gives `MultiheadAttention.out_proj`."""


def _float_mask(name, mask, dtype, layer):
    """A bool mask (True: masked) as an additive float mask; a float mask as it is."""
    if mask is None:
        return None
    if not isinstance(mask, Tensor):
        raise DTypeError(f"{layer}: {name} must be a Tensor, got {type(mask).__name__}")
    if mask.dtype.name == "bool":
        return zeros(*mask.shape, dtype=dtype, device=mask.device).masked_fill(mask, -math.inf)
    if not mask.dtype.is_floating_point:
        raise DTypeError(f"{layer}: {name} must be bool or floating point, got {mask.dtype}")
    return mask


def _seq_first(query, key, value):
    """(N, L, E) inputs as (L, N, E), keeping `query is key is value` (self-attention: one GEMM)."""
    q = query.transpose(0, 1)
    k = q if key is query else key.transpose(0, 1)
    v = k if value is key else (q if value is query else value.transpose(0, 1))
    return q, k, v


class MultiheadAttention(Module):
    """Attention over `num_heads` subspaces of size `embed_dim // num_heads`, as PyTorch's
    `torch.nn.MultiheadAttention`. `forward(query, key, value)` takes (L, N, E) (or (N, L, E) with
    `batch_first`, or unbatched (L, E)) and returns `(attn_output, attn_weights)`; the weights are
    averaged over heads unless `average_attn_weights=False`, and None when `need_weights=False`.

        >>> mha = ember.nn.MultiheadAttention(8, 2)
        >>> q = ember.randn(3, 1, 8)
        >>> mha(q, q, q, need_weights=False)[1] is None
        True
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        super().__init__()
        for name, v in (("embed_dim", embed_dim), ("num_heads", num_heads)):
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise ArgumentError(f"MultiheadAttention: {name} must be a positive int, got {v!r}")
        if embed_dim % num_heads:
            raise ArgumentError(f"MultiheadAttention: embed_dim={embed_dim} must be divisible by "
                                f"num_heads={num_heads}")
        if not isinstance(dropout, (int, float)) or not 0 <= dropout <= 1:
            raise ArgumentError(f"MultiheadAttention: dropout must be in [0, 1], got {dropout!r}")
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.kdim = kdim if kdim is not None else embed_dim
        self.vdim = vdim if vdim is not None else embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.batch_first, self.head_dim = batch_first, embed_dim // num_heads
        kw = {"device": device, "dtype": dtype}
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(empty(3 * embed_dim, embed_dim, **kw))
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = Parameter(empty(embed_dim, embed_dim, **kw))
            self.k_proj_weight = Parameter(empty(embed_dim, self.kdim, **kw))
            self.v_proj_weight = Parameter(empty(embed_dim, self.vdim, **kw))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(empty(3 * embed_dim, **kw))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias, **kw)
        if add_bias_kv:
            self.bias_k = Parameter(empty(1, 1, embed_dim, **kw))
            self.bias_v = Parameter(empty(1, 1, embed_dim, **kw))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        """PyTorch's initialization: Xavier-uniform projections, zero biases, Xavier-normal bias_k/v."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def _name(self):
        return f"MultiheadAttention(embed_dim={self.embed_dim}, num_heads={self.num_heads})"

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        """(attn_output, attn_weights); see the class docstring. `is_causal` is a hint that
        `attn_mask` is the causal mask, which must then be given (as in PyTorch)."""
        batched = self._check_inputs(query, key, value)
        if is_causal and attn_mask is None:
            raise ArgumentError(f"{self._name()}: is_causal=True needs attn_mask as well; make one with "
                                f"Transformer.generate_square_subsequent_mask(L)")
        if batched and self.batch_first and not need_weights and self._plain_self_attention(query, key, value):
            return self._attend_batch_first(query, key_padding_mask, attn_mask), None
        if not batched:
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        elif self.batch_first:
            query, key, value = _seq_first(query, key, value)
        out, weights = self._attend(query, key, value, key_padding_mask, need_weights, attn_mask,
                                    average_attn_weights)
        if not batched:
            return out.squeeze(1), (None if weights is None else weights.squeeze(0))
        return (out.transpose(0, 1) if self.batch_first else out), weights

    def _check_inputs(self, query, key, value):
        """Whether the inputs are batched; ShapeError naming the expected shapes when they do not fit."""
        for name, t in (("query", query), ("key", key), ("value", value)):
            if not isinstance(t, Tensor) or not t.dtype.is_floating_point:
                raise DTypeError(f"{self._name()}: {name} must be a floating point Tensor, got "
                                 f"{getattr(t, 'dtype', type(t).__name__)}")
        layout = "(N, L, E)" if self.batch_first else "(L, N, E)"
        dims = (query.shape[-1], key.shape[-1], value.shape[-1]) if query.ndim else ()
        if (query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim
                or dims != (self.embed_dim, self.kdim, self.vdim)):
            raise ShapeError(f"{self._name()}: query, key and value of shapes {tuple(query.shape)}, "
                             f"{tuple(key.shape)} and {tuple(value.shape)}: expected {layout} with E = "
                             f"{self.embed_dim}, {self.kdim} and {self.vdim} (or unbatched (L, E))")
        seq = 1 if self.batch_first and query.ndim == 3 else 0
        batch = 1 - seq
        if key.shape[seq] != value.shape[seq] or (query.ndim == 3 and not
                                                   query.shape[batch] == key.shape[batch] == value.shape[batch]):
            raise ShapeError(f"{self._name()}: key and value must have one sequence length and all three one "
                             f"batch size, got shapes {tuple(query.shape)}, {tuple(key.shape)} and "
                             f"{tuple(value.shape)}")
        return query.ndim == 3

    def _project(self, query, key, value):
        b_q = b_k = b_v = None
        if self.in_proj_bias is not None:
            b_q, b_k, b_v = self.in_proj_bias.chunk(3)
        if self._qkv_same_embed_dim:
            if query is key and key is value:  # self-attention: one GEMM
                return F.linear(query, self.in_proj_weight, self.in_proj_bias).chunk(3, -1)
            w_q, w_k, w_v = self.in_proj_weight.chunk(3)
        else:
            w_q, w_k, w_v = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        return F.linear(query, w_q, b_q), F.linear(key, w_k, b_k), F.linear(value, w_v, b_v)

    def _check_masks(self, attn_mask, key_padding_mask, dtype, L, S, N):
        """attn_mask as a float (1 or N * heads, L, S) mask and key_padding_mask as a float (N, S) one."""
        name = self._name()
        attn_mask = _float_mask("attn_mask", attn_mask, dtype, name)
        key_padding_mask = _float_mask("key_padding_mask", key_padding_mask, dtype, name)
        if attn_mask is not None:
            if tuple(attn_mask.shape) not in ((L, S), (N * self.num_heads, L, S)):
                raise ShapeError(f"{name}: attn_mask of shape {tuple(attn_mask.shape)}: expected (L, S) = "
                                 f"({L}, {S}) or (batch * num_heads, L, S) = ({N * self.num_heads}, {L}, {S})")
            if attn_mask.ndim == 2:
                attn_mask = attn_mask.unsqueeze(0)
        if key_padding_mask is not None and tuple(key_padding_mask.shape) != (N, S):
            raise ShapeError(f"{name}: key_padding_mask of shape {tuple(key_padding_mask.shape)}: expected "
                             f"(batch, S) = ({N}, {S})")
        return attn_mask, key_padding_mask

    def _merge_masks(self, attn_mask, key_padding_mask, N):
        if key_padding_mask is None:
            return attn_mask
        S, H = key_padding_mask.shape[1], self.num_heads
        kpm = key_padding_mask.view(N, 1, 1, S).expand(N, H, 1, S).reshape(N * H, 1, S)
        return kpm if attn_mask is None else attn_mask + kpm

    def _extra_keys(self, k, v, attn_mask, key_padding_mask, N):
        """bias_k/bias_v appended as one more key (add_bias_kv); masks padded to match."""
        k = cat([k, self.bias_k.expand(1, N, self.embed_dim)])
        v = cat([v, self.bias_v.expand(1, N, self.embed_dim)])
        if attn_mask is not None:
            attn_mask = F.pad(attn_mask, (0, 1))
        if key_padding_mask is not None:
            key_padding_mask = F.pad(key_padding_mask, (0, 1))
        return k, v, attn_mask, key_padding_mask

    def _plain_self_attention(self, query, key, value):
        return (query is key and key is value and self._qkv_same_embed_dim and self.bias_k is None
                and not self.add_zero_attn)

    def _attend_batch_first(self, x, key_padding_mask, attn_mask):
        """Self-attention over (N, L, E) without going through (L, N, E): one QKV GEMM on the
        contiguous input, heads as views (N, H, L, hd), and the output projection's result is
        already the (N, L, E) output, so no transposed copies forward or backward."""
        N, L, E = x.shape
        H, hd = self.num_heads, self.head_dim
        attn_mask, key_padding_mask = self._check_masks(attn_mask, key_padding_mask, x.dtype, L, L, N)
        mask = self._merge_masks(attn_mask, key_padding_mask, N)
        if mask is not None:
            mask = mask.view(N, H, -1, L) if mask.shape[0] != 1 else mask.unsqueeze(0)
        q, k, v = (t.reshape(N, L, H, hd).transpose(1, 2)
                   for t in F.linear(x, self.in_proj_weight, self.in_proj_bias).chunk(3, -1))
        out = F.scaled_dot_product_attention(q, k, v, mask, self.dropout if self.training else 0.0)
        return F.linear(out.transpose(1, 2).reshape(N * L, E), self.out_proj.weight, self.out_proj.bias).view(N, L, E)

    def _attend(self, query, key, value, key_padding_mask, need_weights, attn_mask, average):
        L, N, E = query.shape
        H, hd = self.num_heads, self.head_dim
        attn_mask, key_padding_mask = self._check_masks(attn_mask, key_padding_mask, query.dtype, L,
                                                        key.shape[0], N)
        q, k, v = self._project(query, key, value)
        if self.bias_k is not None:
            k, v, attn_mask, key_padding_mask = self._extra_keys(k, v, attn_mask, key_padding_mask, N)
        q = q.reshape(L, N * H, hd).transpose(0, 1)
        k = k.reshape(k.shape[0], N * H, hd).transpose(0, 1)
        v = v.reshape(v.shape[0], N * H, hd).transpose(0, 1)
        if self.add_zero_attn:
            k = cat([k, zeros(N * H, 1, hd, dtype=k.dtype, device=k.device)], 1)
            v = cat([v, zeros(N * H, 1, hd, dtype=v.dtype, device=v.device)], 1)
            attn_mask = None if attn_mask is None else F.pad(attn_mask, (0, 1))
            key_padding_mask = None if key_padding_mask is None else F.pad(key_padding_mask, (0, 1))
        mask = self._merge_masks(attn_mask, key_padding_mask, N)
        p = self.dropout if self.training else 0.0
        if need_weights:
            scores = (q * math.sqrt(1.0 / hd)) @ k.transpose(1, 2)
            weights = F.softmax(scores if mask is None else scores + mask, dim=-1)
            if p > 0:
                weights = F.dropout(weights, p=p)
            out = (weights @ v).transpose(0, 1).reshape(L * N, E)
            weights = weights.view(N, H, L, k.shape[1])
            weights = weights.mean(dim=1) if average else weights
        else:
            if mask is not None:
                mask = mask.view(N, H, -1, k.shape[1]) if mask.shape[0] != 1 else mask.unsqueeze(0)
            out = F.scaled_dot_product_attention(q.view(N, H, L, hd), k.view(N, H, -1, hd),
                                                 v.view(N, H, -1, hd), mask, p)
            out, weights = out.permute(2, 0, 1, 3).reshape(L * N, E), None
        return F.linear(out, self.out_proj.weight, self.out_proj.bias).view(L, N, E), weights
