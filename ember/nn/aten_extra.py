"""More of PyTorch's top-level (ATen) normalization kernels: the `native_*` forms that also return the
statistics they computed, SyncBatchNorm's per-process statistics (`batch_norm_stats`,
`batch_norm_update_stats`), `frobenius_norm` and `embedding_renorm_`. Each is a composite of ember ops
(differentiable where PyTorch's is).

    >>> import ember
    >>> out, mean, rstd = ember.native_layer_norm(ember.tensor([[1.0, 3.0]]), [2], None, None, 1e-5)
    >>> mean
    tensor([[2.]])
"""
import numpy as np

from ember import linalg, ops
from ember.autograd.grad_mode import no_grad
from ember.autograd.tensor import Tensor
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.nn import functional as F
from ember.ops import grid3d
from ember.ops._args import need_ints

__all__ = ["native_batch_norm", "native_layer_norm", "native_group_norm", "frobenius_norm", "batch_norm_stats",
           "batch_norm_update_stats", "embedding_renorm_", "batch_norm_elemt", "batch_norm_gather_stats",
           "batch_norm_gather_stats_with_counts", "batch_norm_backward_reduce", "batch_norm_backward_elemt", "ctc_loss",
           "embedding_bag",
           "grid_sampler_3d"]


def _need(op, name, x):
    if not isinstance(x, Tensor):
        raise DTypeError(f"{op}: {name} must be a Tensor, got {type(x).__name__}")
    return x


def _channel_dims(op, input):
    if _need(op, "input", input).ndim < 2:
        raise ShapeError(f"{op}: input must have at least 2 dims (N, C, ...), got shape {tuple(input.shape)}")
    return (0,) + tuple(range(2, input.ndim))


def batch_norm_stats(input, eps):
    """(mean, 1/sqrt(biased var + eps)) per channel (dim 1) of `input`."""
    dims = _channel_dims("batch_norm_stats", input)
    mean = input.mean(dims)
    var = input.var(dims, correction=0)
    return mean, (var + eps).rsqrt()


def batch_norm_update_stats(input, running_mean, running_var, momentum):
    """Update the running statistics (unbiased variance) in place from `input`; returns (mean, biased var)."""
    dims = _channel_dims("batch_norm_update_stats", input)
    with no_grad():
        mean, var = input.mean(dims), input.var(dims, correction=0)
        n = input.numel() // max(input.shape[1], 1)
        if running_mean is not None:
            running_mean.mul_(1 - momentum).add_(momentum * mean)
        if running_var is not None:
            running_var.mul_(1 - momentum).add_(momentum * var * (n / max(n - 1, 1)))
    return mean, var


def native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps):
    """(output, saved mean, saved 1/std): batch statistics when training (running stats updated), else the
    running ones and empty saved tensors, as PyTorch's kernel returns."""
    dims = _channel_dims("native_batch_norm", input)
    out = F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)
    if not training:
        empty = ops.creation.empty(0, dtype=input.dtype, device=input.device)
        return out, empty, empty
    with no_grad():
        mean, var = input.mean(dims), input.var(dims, correction=0)
    return out, mean, (var + eps).rsqrt()


def native_layer_norm(input, normalized_shape, weight, bias, eps):
    """(output, mean, 1/std), the statistics with the normalized dims kept as size 1."""
    shape = need_ints("native_layer_norm", "normalized_shape", normalized_shape)
    _need("native_layer_norm", "input", input)
    if tuple(input.shape[input.ndim - len(shape):]) != shape:
        raise ShapeError(f"native_layer_norm: input of shape {tuple(input.shape)} does not end in "
                         f"normalized_shape {shape}")
    out = F.layer_norm(input, shape, weight, bias, eps)
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    with no_grad():
        mean, var = input.mean(dims, keepdim=True), input.var(dims, correction=0, keepdim=True)
    return out, mean, (var + eps).rsqrt()


def native_group_norm(input, weight, bias, N, C, HxW, group, eps):
    """(output, mean, 1/std) with the statistics of shape (N, group)."""
    _need("native_group_norm", "input", input)
    if input.numel() != N * C * HxW or input.shape[0] != N or input.shape[1] != C:
        raise ShapeError(f"native_group_norm: input of shape {tuple(input.shape)} does not match N={N}, C={C}, "
                         f"HxW={HxW}")
    out = F.group_norm(input, group, weight, bias, eps)
    with no_grad():
        grouped = input.reshape(N, group, -1)
        mean, var = grouped.mean(-1), grouped.var(-1, correction=0)
    return out, mean, (var + eps).rsqrt()


def frobenius_norm(input, dim=(), keepdim=False):
    """The 2-norm over `dim` (every dim when empty): `linalg.vector_norm(input, 2, dim, keepdim)`."""
    _need("frobenius_norm", "input", input)
    dims = need_ints("frobenius_norm", "dim", dim) or None
    return linalg.vector_norm(input, 2, dims, keepdim)


def embedding_renorm_(input, indices, max_norm, norm_type):
    """Scale, in place, the rows of `input` named in `indices` whose `norm_type`-norm exceeds `max_norm`
    down to that norm (each row once), as `embedding(max_norm=...)` does before the lookup."""
    _need("embedding_renorm_", "input", input)
    _need("embedding_renorm_", "indices", indices)
    if indices.is_floating_point():
        raise DTypeError(f"embedding_renorm_: indices must be integers, got {indices.dtype}")
    if input.ndim != 2:
        raise ShapeError(f"embedding_renorm_: input must be 2-d (num_embeddings, dim), got {tuple(input.shape)}")
    rows = sorted(set(int(i) for i in indices.reshape(-1).tolist()))
    if rows and not (0 <= rows[0] and rows[-1] < input.shape[0]):
        raise ArgumentError(f"embedding_renorm_: indices must be in [0, {input.shape[0]}), got {rows[0]}..{rows[-1]}")
    with no_grad():
        for r in rows:
            norm = float(linalg.vector_norm(input[r], norm_type))
            if norm > max_norm:
                input[r] = input[r] * (max_norm / (norm + 1e-7))
    return input


# --- the rest of SyncBatchNorm's kernels: plain math on one process's tensors ----------------------------
def _per_channel(x, v):
    """A (C,) tensor shaped to broadcast along dim 1 of `x`."""
    return v.reshape((1, -1) + (1,) * (x.ndim - 2))


def batch_norm_elemt(input, weight, bias, mean, invstd, eps):
    """(input - mean) * invstd, scaled by `weight` and shifted by `bias` per channel (either may be None)."""
    _channel_dims("batch_norm_elemt", input)
    out = (input - _per_channel(input, mean)) * _per_channel(input, invstd)
    if weight is not None:
        out = out * _per_channel(input, weight)
    return out if bias is None else out + _per_channel(input, bias)


def batch_norm_gather_stats_with_counts(input, mean, invstd, running_mean, running_var, momentum, eps, counts):
    """Combine per-process (mean, invstd) rows of shape (P, C), with `counts` elements each, into the global
    (mean, invstd); the running statistics are updated in place (unbiased variance), as SyncBatchNorm does."""
    op = "batch_norm_gather_stats_with_counts"
    for name, t in (("mean", mean), ("invstd", invstd), ("counts", counts)):
        _need(op, name, t)
    if mean.ndim != 2 or tuple(invstd.shape) != tuple(mean.shape) or counts.numel() != mean.shape[0]:
        raise ShapeError(f"{op}: mean and invstd must be (processes, C) and counts (processes,), got "
                         f"{tuple(mean.shape)}, {tuple(invstd.shape)} and {tuple(counts.shape)}")
    c = counts.to(mean.dtype).reshape(-1, 1)
    n = c.sum()
    var_i = invstd ** -2 - eps
    g_mean = (c * mean).sum(0) / n
    g_var = (c * (var_i + mean ** 2)).sum(0) / n - g_mean ** 2
    with no_grad():
        total = float(n)
        if running_mean is not None:
            running_mean.mul_(1 - momentum).add_(momentum * g_mean.to(running_mean.dtype))
        if running_var is not None:
            unbiased = g_var * (total / max(total - 1, 1))
            running_var.mul_(1 - momentum).add_(momentum * unbiased.to(running_var.dtype))
    return g_mean, (g_var + eps).rsqrt()


def batch_norm_gather_stats(input, mean, invstd, running_mean, running_var, momentum, eps, count):
    """`batch_norm_gather_stats_with_counts` with every process holding `count` elements."""
    counts = ops.creation.full((mean.shape[0],), float(count), dtype=mean.dtype, device=mean.device)
    return batch_norm_gather_stats_with_counts(input, mean, invstd, running_mean, running_var, momentum, eps, counts)


def batch_norm_backward_reduce(grad_out, input, mean, invstd, weight, input_g, weight_g, bias_g):
    """(sum of grad_out, sum of grad_out * (input - mean), weight's gradient, bias's gradient) per channel;
    each of the last three is None unless its flag asks for it."""
    dims = _channel_dims("batch_norm_backward_reduce", input)
    sum_dy = grad_out.sum(dims)
    sum_dy_xmu = (grad_out * (input - _per_channel(input, mean))).sum(dims)
    grad_weight = sum_dy_xmu * invstd if weight_g else None
    return (sum_dy if input_g else None, sum_dy_xmu if input_g else None, grad_weight, sum_dy if bias_g else None)


def batch_norm_backward_elemt(grad_out, input, mean, invstd, weight, sum_dy, sum_dy_xmu, count):
    """The input's gradient from the globally reduced sums, `count` holding each process's element count."""
    _channel_dims("batch_norm_backward_elemt", input)
    _need("batch_norm_backward_elemt", "count", count)
    n = float(count.sum())
    xmu = input - _per_channel(input, mean)
    inv = _per_channel(input, invstd)
    g = (grad_out - _per_channel(input, sum_dy / n) - xmu * inv ** 2 * _per_channel(input, sum_dy_xmu / n)) * inv
    return g if weight is None else g * _per_channel(input, weight)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=None, zero_infinity=False):
    """PyTorch's top-level CTC loss: `reduction` as an int (0 none, 1 mean, 2 sum). Left out, it gives the
    per-sequence losses, as torch.ctc_loss does in PyTorch 2.13 (its functional form defaults to 'mean')."""
    r = "none" if reduction is None else _REDUCTION_CODES.get(reduction) if not isinstance(reduction, bool) else None
    if r is None:
        raise ArgumentError(f"ctc_loss: reduction must be 0 (none), 1 (mean) or 2 (sum), got {reduction!r}")
    return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, r, zero_infinity)


_REDUCTION_CODES = {0: "none", 1: "mean", 2: "sum"}


def grid_sampler_3d(input, grid, interpolation_mode, padding_mode, align_corners):
    """PyTorch's top-level 3-d grid sampling: modes as ints (interpolation 0 trilinear, 1 nearest; padding
    0 zeros, 1 border, 2 reflection)."""
    modes = {0: "bilinear", 1: "nearest"}
    paddings = {0: "zeros", 1: "border", 2: "reflection"}
    if interpolation_mode not in modes or isinstance(interpolation_mode, bool):
        raise ArgumentError(f"grid_sampler_3d: interpolation_mode must be 0 (trilinear) or 1 (nearest), got "
                            f"{interpolation_mode!r} (bicubic has no 3-d form)")
    if padding_mode not in paddings or isinstance(padding_mode, bool):
        raise ArgumentError(f"grid_sampler_3d: padding_mode must be 0, 1 or 2, got {padding_mode!r}")
    return grid3d.grid_sample_3d(input, grid, modes[interpolation_mode], paddings[padding_mode], align_corners)


_BAG_MODES = {0: "sum", 1: "mean", 2: "max"}
_FAST_SUM = ("float32", "float16", "bfloat16")  # PyTorch's CPU fast path: it returns no offset2bag then


def embedding_bag(weight, indices, offsets, scale_grad_by_freq=False, mode=0, sparse=False, per_sample_weights=None,
                  include_last_offset=False, padding_idx=None):
    """PyTorch's top-level `embedding_bag`: (output, offset2bag, bag_size, max_indices), `mode` as an int
    (0 sum, 1 mean, 2 max), 1-d `indices` with `offsets`. The bookkeeping outputs are PyTorch's CPU ones:
    offset2bag is each index's bag (empty on the float sum fast path), bag_size the non-padding count per bag
    (zeros for sum), max_indices the row that gave each maximum (the bag sizes for mean, zeros for sum)."""
    op = "embedding_bag"
    if isinstance(mode, bool) or mode not in _BAG_MODES:
        raise ArgumentError(f"{op}: mode must be 0 (sum), 1 (mean) or 2 (max), got {mode!r}")
    for name, t in (("weight", weight), ("indices", indices), ("offsets", offsets)):
        _need(op, name, t)
    if indices.ndim != 1 or offsets.ndim != 1:
        raise ShapeError(f"{op}: the top-level form takes 1-d indices and offsets, got shapes {tuple(indices.shape)} "
                         f"and {tuple(offsets.shape)} (nn.functional.embedding_bag takes 2-d bags)")
    out = F.embedding_bag(indices, weight, offsets, None, 2, scale_grad_by_freq, _BAG_MODES[mode], sparse,
                          per_sample_weights, include_last_offset, padding_idx)
    idx, off = indices.numpy().astype(np.int64), offsets.numpy().astype(np.int64)
    starts = off[:-1] if include_last_offset else off
    ends = off[1:] if include_last_offset else np.append(off[1:], idx.size)
    bag_of = np.zeros(idx.size, dtype=np.int64)
    for b, (s, e) in enumerate(zip(starts, ends)):
        bag_of[s:e] = b
    keep = idx != padding_idx if padding_idx is not None else np.ones(idx.size, dtype=bool)
    counts = np.array([keep[s:e].sum() for s, e in zip(starts, ends)], dtype=np.int64)
    as_t = lambda a: ops.creation.tensor(a, dtype=indices.dtype, device=indices.device)  # noqa: E731
    if mode == 0:  # one zero per bag for a weight that requires grad, per offset otherwise (PyTorch's two kernels)
        zeros = as_t(np.zeros(len(starts) if weight.requires_grad else off.size, dtype=np.int64))
        fast = weight.dtype.name in _FAST_SUM and padding_idx is None
        return out, as_t(np.zeros(0, dtype=np.int64) if fast else bag_of), zeros, zeros.clone()
    if mode == 1:
        return out, as_t(bag_of), as_t(counts), as_t(counts)
    w = weight.detach().numpy()
    best = np.zeros((len(starts), w.shape[1]), dtype=np.int64)
    for b, (s, e) in enumerate(zip(starts, ends)):
        rows = idx[s:e][keep[s:e]]
        if rows.size:
            best[b] = rows[np.argmax(w[rows], axis=0)]
    return out, as_t(bag_of), as_t(counts), as_t(best)
