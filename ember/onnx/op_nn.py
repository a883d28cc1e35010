"""Import table, layer part (see op_math.py): convolutions, pooling, normalization, recurrences.
ONNX's asymmetric pads and `auto_pad` become an explicit pad before ember's symmetric-padding ops.

    >>> sorted(NN_OPS)[:3]
    ['AveragePool', 'BatchNormalization', 'Conv']
"""
import numpy as np

from ember.nn import functional as F
from ember.ops import arrange, binary, conv as conv_ops, gather, pool, reduce, softmax
from ember.onnx._proto import OnnxError
from ember.onnx.op_tensor import MAX_ELEMENTS
from ember.onnx.op_util import axis, refuse, tensor_of, tensors

_CONV = {1: F.conv1d, 2: F.conv2d}


def _nd(a, v):
    nd = v.ndim - 2
    if nd not in (1, 2):
        refuse(a, f"{nd}-d input (ember's convolutions and pools are 1-d and 2-d)")
    return nd


def _pads(a, v, kernel, strides, dilations):
    """(begins, ends) per spatial dim from `pads` or `auto_pad`."""
    nd = len(kernel)
    mode = a.get("auto_pad", "NOTSET")
    if mode not in ("NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"):
        raise OnnxError(f"onnx {a.op_type} {a.name!r}: auto_pad={mode!r}; expected NOTSET, VALID, SAME_UPPER or "
                        f"SAME_LOWER")
    if mode in ("NOTSET", "VALID"):
        pads = list(a.get("pads", [0] * 2 * nd)) if mode == "NOTSET" else [0] * 2 * nd
        return pads[:nd], pads[nd:]
    begins, ends = [], []
    for n, k, s, d in zip(v.shape[2:], kernel, strides, dilations):
        out = -(-n // s)
        total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
        small, big = total // 2, total - total // 2
        begins.append(small if mode == "SAME_UPPER" else big)
        ends.append(big if mode == "SAME_UPPER" else small)
    return begins, ends


def _pad_spatial(v, begins, ends, value=0.0):
    if not any(begins) and not any(ends):
        return v
    sizes = list(v.shape[:2]) + [n + b + e for n, b, e in zip(v.shape[2:], begins, ends)]
    if any(s < 0 for s in sizes) or float(np.prod(np.array(sizes, dtype=np.float64))) > MAX_ELEMENTS:
        raise OnnxError(f"onnx: padding {begins}, {ends} of a tensor of shape {tuple(v.shape)} is refused")
    torch_pads = []
    for b, e in zip(reversed(begins), reversed(ends)):
        torch_pads += [b, e]
    return arrange.pad(v, torch_pads, value=value)


def _geometry(a, v, kernel):
    nd = len(kernel)
    strides = list(a.get("strides", [1] * nd))
    dilations = list(a.get("dilations", [1] * nd))
    return strides, dilations, _pads(a, v, kernel, strides, dilations)


def conv(x, a):
    v, w = tensors(x[:2])
    b = tensor_of(x[2], v) if len(x) > 2 else None
    nd = _nd(a, v)
    kernel = list(a.get("kernel_shape", w.shape[2:]))
    strides, dilations, (begins, ends) = _geometry(a, v, kernel)
    v = _pad_spatial(v, begins, ends)
    return _CONV[nd](v, w, b, stride=strides, padding=0, dilation=dilations, groups=int(a.get("group", 1)))


def conv_transpose(x, a):
    """Transposed convolution with no padding, then the output_padding rows, then the pads cropped."""
    v, w = tensors(x[:2])
    b = tensor_of(x[2], v) if len(x) > 2 else None
    nd = _nd(a, v)
    kernel = list(a.get("kernel_shape", w.shape[2:]))
    strides = list(a.get("strides", [1] * nd))
    dilations = list(a.get("dilations", [1] * nd))
    extra = list(a.get("output_padding", [0] * nd))
    full = [s * (n - 1) + o + (k - 1) * d + 1 for n, k, s, d, o in zip(v.shape[2:], kernel, strides, dilations, extra)]
    if "output_shape" in a:
        total = [f - t for f, t in zip(full, list(a["output_shape"])[-nd:])]
    elif a.get("auto_pad", "NOTSET") in ("SAME_UPPER", "SAME_LOWER"):
        total = [f - n * s for f, n, s in zip(full, v.shape[2:], strides)]
    else:
        pads = list(a.get("pads", [0] * 2 * nd))
        begins, ends = pads[:nd], pads[nd:]
        total = None
    if total is not None:  # a negative total (output_shape past the natural size) adds zeros at the end
        upper = a.get("auto_pad", "NOTSET") != "SAME_LOWER"
        begins = [max(t, 0) // 2 if upper else max(t, 0) - max(t, 0) // 2 for t in total]
        ends = [t - bg for t, bg in zip(total, begins)]
    run = conv_ops.conv_transpose1d if nd == 1 else conv_ops.conv_transpose2d
    y = run(v, w, None, stride=strides, padding=0, groups=int(a.get("group", 1)), dilation=dilations)
    y = _pad_spatial(y, [0] * nd, [o + max(-e, 0) for o, e in zip(extra, ends)])
    key = (slice(None), slice(None)) + tuple(slice(bg, n - max(e, 0)) for bg, e, n in zip(begins, ends, y.shape[2:]))
    y = y[key]
    return y if b is None else y + b.reshape([-1] + [1] * nd)


def _as_2d(v, nd):
    return v.unsqueeze(2) if nd == 1 else v


def _from_2d(v, nd):
    return v.squeeze(2) if nd == 1 else v


def _onnx_windows(v, y, a, kernel, strides, dilations, begins, ends, nd):
    """ONNX's ceil_mode drops a last window that would start in the end padding: keep that many."""
    if not int(a.get("ceil_mode", 0)):
        return y
    keep = []
    for n, k, s, d, pb, pe in zip(v.shape[2:], kernel, strides, dilations, begins, ends):
        out = -(-(n + pb + pe - (k - 1) * d - 1) // s) + 1
        if (out - 1) * s >= n + pb:
            out -= 1
        keep.append(slice(0, out))
    return y[(slice(None), slice(None)) + tuple(keep)]


def max_pool(x, a):
    v = tensor_of(x[0])
    if not v.is_floating_point():  # integers pool exactly in float64
        return max_pool([v.double()] + list(x[1:]), a).to(v.dtype)
    nd = _nd(a, v)
    if a.n_out > 1:
        refuse(a, "the Indices output")
    kernel = list(a["kernel_shape"])
    strides, dilations, (begins, ends) = _geometry(a, v, kernel)
    padded = _pad_spatial(v, begins, ends, value=float("-inf"))
    lift = (lambda t: [1] + list(t)) if nd == 1 else list
    y = pool.max_pool2d(_as_2d(padded, nd), lift(kernel), lift(strides), 0, lift(dilations),
                        ceil_mode=bool(int(a.get("ceil_mode", 0))))
    return _onnx_windows(v, _from_2d(y, nd), a, kernel, strides, dilations, begins, ends, nd)


def average_pool(x, a):
    """Window sums divided by the number of elements counted: those inside the (padded) input."""
    v = tensor_of(x[0])
    nd = _nd(a, v)
    kernel = list(a["kernel_shape"])
    strides, dilations, (begins, ends) = _geometry(a, v, kernel)
    if any(d != 1 for d in dilations):
        refuse(a, "dilations")
    lift = (lambda t: [1] + list(t)) if nd == 1 else list
    ceil = bool(int(a.get("ceil_mode", 0)))
    ones = v.new_ones([1, 1] + list(v.shape[2:]))
    if int(a.get("count_include_pad", 0)):
        ones = _pad_spatial(ones, begins, ends, value=1.0)
    else:
        ones = _pad_spatial(ones, begins, ends)
    padded = _pad_spatial(v, begins, ends)

    def sums(t):
        return _from_2d(pool.avg_pool2d(_as_2d(t, nd), lift(kernel), lift(strides), 0, ceil_mode=ceil,
                                        divisor_override=1), nd)
    return _onnx_windows(v, sums(padded) / sums(ones), a, kernel, strides, dilations, begins, ends, nd)


def _global(fn):
    return lambda x, a: fn(tensor_of(x[0]), tuple(range(2, tensor_of(x[0]).ndim)), keepdim=True)


def batch_norm(x, a):
    v, scale, bias, mean, var = tensors(x[:5])
    if int(a.get("training_mode", 0)):
        refuse(a, "training_mode=1")
    shape = [1, -1] + [1] * (v.ndim - 2)
    inv = (var.reshape(shape) + float(a.get("epsilon", 1e-5))).rsqrt()
    return (v - mean.reshape(shape)) * inv * scale.reshape(shape) + bias.reshape(shape)


def _normalize(v, dims, eps):
    mean = reduce.mean(v, dims, keepdim=True)
    centered = v - mean
    inv = (reduce.mean(centered * centered, dims, keepdim=True) + eps).rsqrt()
    return centered * inv, mean, inv


def layer_norm(x, a):
    v = tensor_of(x[0])
    d = axis(a, v, default=-1)
    y, mean, inv = _normalize(v, tuple(range(d, v.ndim)), float(a.get("epsilon", 1e-5)))
    y = y * tensor_of(x[1], v)
    if len(x) > 2 and x[2] is not None:
        y = y + tensor_of(x[2], v)
    return (y, mean, inv)[:a.n_out] if a.n_out > 1 else y


def instance_norm(x, a):
    v, scale, bias = tensors(x[:3])
    y = _normalize(v, tuple(range(2, v.ndim)), float(a.get("epsilon", 1e-5)))[0]
    shape = [1, -1] + [1] * (v.ndim - 2)
    return y * scale.reshape(shape) + bias.reshape(shape)


def group_norm(x, a):
    v, scale, bias = tensors(x[:3])
    g = int(a["num_groups"])
    n, c = v.shape[:2]
    grouped = v.reshape([n, g, -1])
    y = _normalize(grouped, (2,), float(a.get("epsilon", 1e-5)))[0].reshape(v.shape)
    if scale.shape[0] == g and g != c:  # opset 18: one scale per group
        scale, bias = (t.repeat_interleave(c // g) if hasattr(t, "repeat_interleave") else
                       t.reshape(g, 1).expand(g, c // g).reshape(c) for t in (scale, bias))
    shape = [1, -1] + [1] * (v.ndim - 2)
    return y * scale.reshape(shape) + bias.reshape(shape)


def lp_norm(x, a):
    v = tensor_of(x[0])
    d = axis(a, v, default=-1)
    p = int(a.get("p", 2))
    if p not in (1, 2):
        raise OnnxError(f"onnx LpNormalization {a.name!r}: p must be 1 or 2, got {p}")
    norm = reduce.sum(v.abs(), d, keepdim=True) if p == 1 else reduce.sum(v * v, d, keepdim=True).sqrt()
    return v / binary.where(norm == 0, norm + 1, norm)   # a zero vector stays zero


def rms_norm(x, a):
    v = tensor_of(x[0])
    d = axis(a, v, default=-1)
    dims = tuple(range(d, v.ndim))
    y = v * (reduce.mean(v * v, dims, keepdim=True) + float(a.get("epsilon", 1e-5))).rsqrt() * tensor_of(x[1], v)
    return y


def lrn(x, a):
    """Local response normalization across channels: x / (bias + alpha/size * sum of squares)^beta."""
    v = tensor_of(x[0])
    size = int(a["size"])
    alpha, beta, bias = float(a.get("alpha", 1e-4)), float(a.get("beta", 0.75)), float(a.get("bias", 1.0))
    sq = (v * v).unsqueeze(1)                       # (N, 1, C, ...): pool over C with a window of `size`
    lo, hi = (size - 1) // 2, size // 2
    sq = arrange.pad(sq.reshape(sq.shape[0], 1, sq.shape[2], -1), [0, 0, lo, hi])
    sums = pool.avg_pool2d(sq, [size, 1], [1, 1], 0, divisor_override=1).reshape(v.shape)
    return v / (bias + alpha / size * sums) ** beta


def mvn(x, a):
    v = tensor_of(x[0])
    dims = tuple(d % v.ndim for d in a.get("axes", [0, 2, 3]))
    mean = reduce.mean(v, dims, keepdim=True)
    centered = v - mean
    return centered / (reduce.mean(centered * centered, dims, keepdim=True).sqrt() + 1e-9)


def _nll(logp, target, weight, a):
    """ONNX's NegativeLogLikelihoodLoss on log-probabilities (N, C, d...) and targets (N, d...)."""
    ignore = a.get("ignore_index")
    target = target.long()
    keep = (target != int(ignore)) if ignore is not None else None
    safe = binary.where(keep, target, target * 0) if keep is not None else target
    picked = -gather.gather(logp, 1, safe.unsqueeze(1)).squeeze(1)
    w = gather.index_select(weight, 0, safe.reshape(-1)).reshape(safe.shape) if weight is not None else picked * 0 + 1
    if keep is not None:
        w = binary.where(keep, w, w * 0)
    loss = picked * w
    red = a.get("reduction", "mean")
    if red == "none":
        return loss
    if red == "sum":
        return loss.sum()
    return loss.sum() / w.sum()


def nll_loss(x, a):
    logp, target = tensors(x[:2])
    weight = tensor_of(x[2], logp) if len(x) > 2 and x[2] is not None else None
    return _nll(logp, target, weight, a)


def softmax_cross_entropy(x, a):
    scores, labels = tensors(x[:2])
    weight = tensor_of(x[2], scores) if len(x) > 2 and x[2] is not None else None
    logp = softmax.log_softmax(scores, 1)
    loss = _nll(logp, labels, weight, a)
    return (loss, logp) if a.n_out > 1 else loss


NN_OPS = {
    "Conv": conv, "ConvTranspose": conv_transpose, "MaxPool": max_pool, "AveragePool": average_pool,
    "GlobalAveragePool": _global(lambda v, d, keepdim: reduce.mean(v, d, keepdim=keepdim)),
    "GlobalMaxPool": _global(lambda v, d, keepdim: v.amax(d, keepdim=keepdim)),
    "BatchNormalization": batch_norm, "LayerNormalization": layer_norm, "InstanceNormalization": instance_norm,
    "GroupNormalization": group_norm, "LpNormalization": lp_norm, "MeanVarianceNormalization": mvn,
    "RMSNormalization": rms_norm, "LRN": lrn, "NegativeLogLikelihoodLoss": nll_loss,
    "SoftmaxCrossEntropyLoss": softmax_cross_entropy,
}
