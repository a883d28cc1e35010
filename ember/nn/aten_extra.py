"""More of PyTorch's top-level (ATen) normalization kernels: the `native_*` forms that also return the
statistics they computed, SyncBatchNorm's per-process statistics (`batch_norm_stats`,
`batch_norm_update_stats`), `frobenius_norm` and `embedding_renorm_`. Each is a composite of ember ops
(differentiable where PyTorch's is).

    >>> import ember
    >>> out, mean, rstd = ember.native_layer_norm(ember.tensor([[1.0, 3.0]]), [2], None, None, 1e-5)
    >>> mean
    tensor([[2.]])
"""
from ember import linalg, ops
from ember.autograd.grad_mode import no_grad
from ember.autograd.tensor import Tensor
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.nn import functional as F
from ember.ops._args import need_ints

__all__ = ["native_batch_norm", "native_layer_norm", "native_group_norm", "frobenius_norm", "batch_norm_stats",
           "batch_norm_update_stats", "embedding_renorm_"]


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
