"""`keras.ops`'s neural-network ops, channels-last as Keras: convolutions with Keras's kernel layouts
((*kernel, in, out); transposed (*kernel, out, in)), pooling with TensorFlow's 'same' padding,
normalizations, the cross-entropies, attention, and the small image/sequence helpers.

    >>> from ember.keras import ops
    >>> ops.conv(np.ones((1, 5, 5, 2), "float32"), np.ones((3, 3, 2, 4), "float32"), padding="same").shape
    ember.Size([1, 5, 5, 4])
"""
import math

import numpy as np

import ember.ops.creation as C
from ember.errors import ArgumentError, ShapeError
from ember.keras import activations_more
from ember.keras.layers.conv import ntuple, pad_same, to_channels_first, to_channels_last, transpose_length
from ember.keras.ops_convert import TORCH, convert_to_tensor as _t, to_float as _float
from ember.nn import functional as F

__all__ = ["adaptive_average_pool", "adaptive_max_pool", "average_pool", "batch_normalization",
           "binary_crossentropy", "categorical_crossentropy", "celu", "conv", "conv_transpose", "depth_to_space",
           "depthwise_conv", "dot_product_attention", "extract_sequences", "fold", "glu", "hard_shrink",
           "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh", "in_top_k", "layer_normalization", "max_pool",
           "multi_hot", "psnr", "rms_normalization", "separable_conv", "soft_shrink", "softsign", "space_to_depth",
           "sparse_categorical_crossentropy", "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus",
           "tanh_shrink", "threshold", "unfold"]

CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
MAX_POOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
AVG_POOL = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}
ADAPTIVE_AVG = {1: F.adaptive_avg_pool1d, 2: F.adaptive_avg_pool2d, 3: F.adaptive_avg_pool3d}
ADAPTIVE_MAX = {1: F.adaptive_max_pool1d, 2: F.adaptive_max_pool2d, 3: F.adaptive_max_pool3d}
# Keras's activations that keras.ops also exports, with the same arguments
ACTIVATIONS = {name: getattr(activations_more, name) for name in (
    "celu", "glu", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh", "hard_shrink", "soft_shrink",
    "tanh_shrink", "softsign", "sparse_plus", "sparse_sigmoid", "squareplus", "threshold")}
globals().update(ACTIVATIONS)


def _format(data_format, where):
    if data_format not in (None, "channels_last"):
        raise ArgumentError(f"{where}: data_format={data_format!r} is not supported; use 'channels_last'")


def _spatial(inputs, where):
    x = _float(inputs)
    if x.ndim not in (3, 4, 5):
        raise ShapeError(f"{where}: inputs of shape {tuple(x.shape)}: expected (batch, *1 to 3 spatial dims, "
                         "channels)")
    return x, x.ndim - 2


def _padded(x, padding, kernel, strides, dilation, where, value=0.0):
    if padding not in ("valid", "same"):
        raise ArgumentError(f"{where}: padding must be 'valid' or 'same', got {padding!r}")
    return pad_same(x, kernel, strides, dilation, value) if padding == "same" else x


# -- convolutions ---------------------------------------------------------------------------------
def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-d convolution of (batch, *spatial, in) by a (*kernel, in / groups, out) kernel."""
    _format(data_format, "conv")
    x, n = _spatial(inputs, "conv")
    k = _t(kernel).to(x.dtype)
    strides, dilation = ntuple(strides, n, "strides", "conv"), ntuple(dilation_rate, n, "dilation_rate", "conv")
    groups = x.shape[-1] // k.shape[-2]
    xc = _padded(to_channels_first(x), padding, tuple(k.shape[:n]), strides, dilation, "conv")
    weight = k.permute(n + 1, n, *range(n))
    return to_channels_last(CONV[n](xc, weight, None, strides, 0, dilation, groups))


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Each input channel convolved by its own `multiplier` filters: kernel (*kernel, in, multiplier)."""
    x, n = _spatial(inputs, "depthwise_conv")
    k = _t(kernel).to(x.dtype)
    shape = tuple(k.shape)
    return conv(x, k.reshape(*shape[:n], 1, shape[n] * shape[n + 1]), strides, padding, data_format, dilation_rate)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    """`depthwise_conv`, then a 1x1 `conv` by the pointwise kernel."""
    out = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(out, pointwise_kernel, 1, "valid", data_format)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None, data_format=None,
                   dilation_rate=1):
    """The transpose of `conv`: kernel (*kernel, out, in), Keras's output sizes."""
    _format(data_format, "conv_transpose")
    x, n = _spatial(inputs, "conv_transpose")
    k = _t(kernel).to(x.dtype)
    strides, dilation = ntuple(strides, n, "strides", "conv_transpose"), ntuple(dilation_rate, n, "dilation_rate",
                                                                                 "conv_transpose")
    pads = (None,) * n if output_padding is None else ntuple(output_padding, n, "output_padding", "conv_transpose") \
        if output_padding else (0,) * n
    full = CONV_T[n](to_channels_first(x), k.permute(n + 1, n, *range(n)), None, strides, 0, 0, 1, dilation)
    index = [slice(None), slice(None)]
    for i in range(n):
        size, kernel_i = x.shape[1 + i], k.shape[i]
        out = transpose_length(size, kernel_i, padding, pads[i], strides[i], dilation[i])
        before = 0
        if padding == "same":
            span = (kernel_i - 1) * dilation[i] + 1
            before = max((size - 1) * strides[i] + span - out, 0) // 2
        extra = max(before + out - full.shape[2 + i], 0)
        if extra:
            widths = [0, 0] * (n - 1 - i) + [0, extra]
            full = F.pad(full, tuple(widths))
        index.append(slice(before, before + out))
    return to_channels_last(full[tuple(index)])


# -- pooling --------------------------------------------------------------------------------------
def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Max over windows of (batch, *spatial, channels)."""
    _format(data_format, "max_pool")
    x, n = _spatial(inputs, "max_pool")
    size = ntuple(pool_size, n, "pool_size", "max_pool")
    strides = size if strides is None else ntuple(strides, n, "strides", "max_pool")
    xc = _padded(to_channels_first(x), padding, size, strides, None, "max_pool", -math.inf)
    return to_channels_last(MAX_POOL[n](xc, size, strides))


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Mean over windows of (batch, *spatial, channels); with 'same', over the real elements only."""
    _format(data_format, "average_pool")
    x, n = _spatial(inputs, "average_pool")
    size = ntuple(pool_size, n, "pool_size", "average_pool")
    strides = size if strides is None else ntuple(strides, n, "strides", "average_pool")
    xc = to_channels_first(x)
    total = AVG_POOL[n](_padded(xc, padding, size, strides, None, "average_pool"), size, strides)
    if padding == "same":
        real = C.ones(1, 1, *xc.shape[2:], dtype=xc.dtype)
        total = total / AVG_POOL[n](pad_same(real, size, strides), size, strides)
    return to_channels_last(total)


def adaptive_average_pool(inputs, output_size, data_format=None):
    _format(data_format, "adaptive_average_pool")
    x, n = _spatial(inputs, "adaptive_average_pool")
    return to_channels_last(ADAPTIVE_AVG[n](to_channels_first(x), output_size))


def adaptive_max_pool(inputs, output_size, data_format=None):
    _format(data_format, "adaptive_max_pool")
    x, n = _spatial(inputs, "adaptive_max_pool")
    return to_channels_last(ADAPTIVE_MAX[n](to_channels_first(x), output_size))


# -- normalization and losses ---------------------------------------------------------------------
def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """`(x - mean) / sqrt(variance + epsilon) * scale + offset`, the statistics along `axis`."""
    t = _float(x)
    shape = [1] * t.ndim
    shape[axis] = t.shape[axis]

    def along(v):
        return _t(v).to(t.dtype).reshape(shape)
    out = (t - along(mean)) / (along(variance) + epsilon).sqrt()
    if scale is not None:
        out = out * along(scale)
    return out + along(offset) if offset is not None else out


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    t = _float(x)
    mean = t.mean(axis, keepdim=True)
    var = ((t - mean) ** 2).mean(axis, keepdim=True)
    out = (t - mean) / (var + (1e-3 if epsilon is None else epsilon)).sqrt()
    out = out * _t(gamma).to(t.dtype) if gamma is not None else out
    return out + _t(beta).to(t.dtype) if beta is not None else out


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    t = _float(x)
    eps = 1e-7 if epsilon is None else epsilon
    out = t * ((t * t).mean(axis, keepdim=True) + eps).rsqrt()
    return out * _t(scale).to(t.dtype) if scale is not None else out


def _probabilities(output, from_logits, axis, softmax):
    p = _float(output)
    if from_logits:
        return (TORCH["log_softmax"](p, axis) if softmax else None), p
    p = p / p.sum(axis, keepdim=True) if softmax else p
    eps = 1e-7
    return p.clamp(eps, 1 - eps).log(), p


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary cross-entropy (not averaged)."""
    y, p = _float(target), _float(output)
    if from_logits:
        return p.clamp(0, None) - p * y + (-(p.abs())).exp().log1p()
    p = p.clamp(1e-7, 1 - 1e-7)
    return -(y * p.log() + (1 - y) * (1 - p).log())


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Per-sample cross-entropy of one-hot `target` against probabilities (or logits) along `axis`."""
    log_p, _ = _probabilities(output, from_logits, axis, True)
    return -(_float(target) * log_p).sum(axis)


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    p = _float(output)
    depth = p.shape[axis]
    hot = TORCH["one_hot"](_t(target).long(), depth).to(p.dtype)
    if axis not in (-1, p.ndim - 1):
        hot = TORCH["moveaxis"](hot, -1, axis)
    return categorical_crossentropy(hot, p, from_logits, axis)


def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """1 at each listed class: (batch, n) integer labels -> (batch, num_classes)."""
    t = _t(inputs).long()
    hot = TORCH["one_hot"](t, int(num_classes)).amax(-2 if t.ndim > 1 else 0)
    return hot.to(dtype or "float32")


def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio, 20 log10(max_val) - 10 log10(mse)."""
    mse = ((_float(x1) - _float(x2)) ** 2).mean()
    return 20 * math.log10(max_val) - 10 * mse.log() / math.log(10)


def in_top_k(targets, predictions, k):
    """Whether each target's prediction is among the row's `k` largest."""
    p, t = _float(predictions), _t(targets).long()
    own = p.gather(1, t.reshape(-1, 1))
    return (p > own).sum(1) < k


def sparsemax(x, axis=-1):
    """The Euclidean projection of `x` onto the probability simplex along `axis`."""
    t = _float(x)
    z = TORCH["moveaxis"](t, axis, -1)
    s = TORCH["sort"](z, -1, True)[0]
    k = C.arange(1, z.shape[-1] + 1, dtype=z.dtype)
    cum = s.cumsum(-1)
    support = (1 + k * s > cum).to(z.dtype)
    kz = support.sum(-1, keepdim=True)
    tau = ((s * support).sum(-1, keepdim=True) - 1) / kz
    return TORCH["moveaxis"]((z - tau).clamp(0, None), -1, axis)


def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """Softmax attention of (batch, steps, heads, dim) tensors, Keras's layout."""
    if attn_logits_soft_cap is not None:
        raise ArgumentError("dot_product_attention: attn_logits_soft_cap is not supported")
    q, k, v = (_float(a).permute(0, 2, 1, 3) for a in (query, key, value))
    scores = q @ k.transpose(-1, -2) * (1 / math.sqrt(q.shape[-1]) if scale is None else scale)
    if bias is not None:
        scores = scores + _t(bias).to(scores.dtype)
    keep = None if mask is None else _t(mask).bool()
    if is_causal:
        causal = TORCH["tril"](C.ones(q.shape[2], k.shape[2])).bool()
        keep = causal if keep is None else keep & causal
    if keep is not None:
        scores = TORCH["masked_fill"](scores, ~keep, -1e9)
    weights = TORCH["softmax"](scores, -1)
    return (weights @ v).permute(0, 2, 1, 3)


# -- rearranging pixels and sequences -------------------------------------------------------------
def depth_to_space(x, block_size, data_format="channels_last"):
    """(b, h, w, c * s * s) -> (b, h * s, w * s, c)."""
    _format(data_format, "depth_to_space")
    t = _t(x)
    b, h, w, c = t.shape
    s = int(block_size)
    out = t.reshape(b, h, w, s, s, c // (s * s)).permute(0, 1, 3, 2, 4, 5)
    return out.reshape(b, h * s, w * s, c // (s * s))


def space_to_depth(x, block_size, data_format="channels_last"):
    """(b, h * s, w * s, c) -> (b, h, w, c * s * s)."""
    _format(data_format, "space_to_depth")
    t = _t(x)
    b, h, w, c = t.shape
    s = int(block_size)
    out = t.reshape(b, h // s, s, w // s, s, c).permute(0, 1, 3, 2, 4, 5)
    return out.reshape(b, h // s, w // s, s * s * c)


def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of `sequence_length` along the last axis, every `sequence_stride` steps."""
    t = _t(x)
    n = (t.shape[-1] - sequence_length) // sequence_stride + 1
    index = np.arange(n)[:, None] * sequence_stride + np.arange(sequence_length)[None]
    return t.index_select(-1, C.as_tensor(index.reshape(-1))).reshape(*t.shape[:-1], n, sequence_length)


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    return F.unfold(_float(x), kernel_size, dilation, padding, stride)


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    return F.fold(_float(x), output_size, kernel_size, dilation, padding, stride)
