"""PyTorch's top-level (ATen) forms of functions `torch.nn.functional` also has, with ATen's argument
orders: reductions as ints (0 none, 1 mean, 2 sum), `embedding(weight, indices)`, `batch_norm(input, weight,
bias, running_mean, running_var, ...)`, `convolution(..., transposed, output_padding, groups)`, grid
sampling modes as ints, and the in-place and channel-wise dropouts. Each calls ember.nn.functional.

    >>> import ember
    >>> ember.kl_div(ember.tensor([-1.0, -2.0]), ember.tensor([0.5, 0.5]), 2)
    tensor(0.8069)
"""
from ember.errors import ArgumentError
from ember.nn import functional as F
from ember.nn.utils.parametrizations import norm_except_dim
from ember.ops.creation import empty

__all__ = ["kl_div", "cosine_embedding_loss", "hinge_embedding_loss", "margin_ranking_loss", "poisson_nll_loss",
           "triplet_margin_loss", "binary_cross_entropy_with_logits", "embedding", "constant_pad_nd", "convolution",
           "batch_norm", "instance_norm", "dropout_", "alpha_dropout_", "feature_alpha_dropout_", "feature_dropout",
           "feature_dropout_", "native_dropout", "affine_grid_generator", "grid_sampler", "grid_sampler_2d",
           "norm_except_dim", "unsafe_chunk", "unsafe_split", "unsafe_split_with_sizes"]

REDUCTIONS = {0: "none", 1: "mean", 2: "sum"}
INTERPOLATION = {0: "bilinear", 1: "nearest", 2: "bicubic"}
PADDING = {0: "zeros", 1: "border", 2: "reflection"}


def _mode(table, value, op, what):
    if value not in table:
        raise ArgumentError(f"{op}: {what} must be one of {sorted(table)} ({', '.join(table.values())}), got {value!r}")
    return table[value]


def _reduction(op, reduction):
    return _mode(REDUCTIONS, reduction, op, "reduction")


def kl_div(input, target, reduction=1, log_target=False):
    out = F.kl_div(input, target, reduction="none", log_target=log_target)
    r = _reduction("kl_div", reduction)
    return out if r == "none" else (out.mean() if r == "mean" else out.sum())  # ATen's mean: over elements


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=1):
    return F.cosine_embedding_loss(input1, input2, target, margin, reduction=_reduction("cosine_embedding_loss",
                                                                                      reduction))


def hinge_embedding_loss(input, target, margin=1.0, reduction=1):
    return F.hinge_embedding_loss(input, target, margin, reduction=_reduction("hinge_embedding_loss", reduction))


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=1):
    return F.margin_ranking_loss(input1, input2, target, margin, reduction=_reduction("margin_ranking_loss",
                                                                                    reduction))


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    return F.poisson_nll_loss(input, target, log_input, full, eps=eps,
                              reduction=_reduction("poisson_nll_loss", reduction))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, reduction=1):
    return F.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                 reduction=_reduction("triplet_margin_loss", reduction))


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=1):
    return F.binary_cross_entropy_with_logits(input, target, weight, reduction=_reduction(
        "binary_cross_entropy_with_logits", reduction), pos_weight=pos_weight)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """The rows of `weight` at `indices` (ATen's order; padding_idx=-1 means none)."""
    return F.embedding(indices, weight, None if padding_idx == -1 else padding_idx,
                       scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def constant_pad_nd(input, pad, value=0):
    return F.pad(input, tuple(pad), "constant", value)


def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups):
    """A 1-, 2- or 3-d convolution (or transposed convolution), by the input's number of spatial dims."""
    n = input.ndim - 2
    if n not in (1, 2, 3):
        raise ArgumentError(f"convolution: expected a 3-, 4- or 5-d input, got shape {tuple(input.shape)}")
    if transposed:
        fn = getattr(F, f"conv_transpose{n}d")
        return fn(input, weight, bias, stride, padding, output_padding, groups, dilation)
    return getattr(F, f"conv{n}d")(input, weight, bias, stride, padding, dilation, groups)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled=True):
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps,
                  cudnn_enabled=True):
    return F.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


def dropout_(input, p, train):
    return F.dropout(input, p, train, inplace=True)


def alpha_dropout_(input, p, train):
    return F.alpha_dropout(input, p, train, inplace=True)


def feature_alpha_dropout_(input, p, train):
    return F.feature_alpha_dropout(input, p, train, inplace=True)


def _channel_mask(input, p):
    """Keep each (sample, channel) with probability 1 - p, scaled by 1 / (1 - p)."""
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    keep = empty(*shape, dtype=input.dtype, device=input.device).bernoulli_(1 - p)
    return keep / (1 - p) if p < 1 else keep


def feature_dropout(input, p, train):
    """Channel-wise dropout of an (N, C, ...) input: whole channels zeroed with probability p."""
    if not 0 <= p <= 1:
        raise ArgumentError(f"feature_dropout: p must be in [0, 1], got {p}")
    return input * _channel_mask(input, p) if train and p > 0 else input


def feature_dropout_(input, p, train):
    if train and p > 0:
        input.mul_(_channel_mask(input, p))
    return input


def native_dropout(input, p, train):
    """(output, mask): dropout with its keep mask (a bool tensor), as ATen's."""
    if not train or p == 0:
        return input.clone(), empty(*input.shape, device=input.device).fill_(1).bool()
    keep = empty(*input.shape, dtype=input.dtype, device=input.device).bernoulli_(1 - p)
    return input * keep / (1 - p), keep.bool()


def affine_grid_generator(theta, size, align_corners):
    return F.affine_grid(theta, list(size), align_corners=align_corners)


def grid_sampler(input, grid, interpolation_mode, padding_mode, align_corners):
    return F.grid_sample(input, grid, _mode(INTERPOLATION, interpolation_mode, "grid_sampler", "interpolation_mode"),
                         _mode(PADDING, padding_mode, "grid_sampler", "padding_mode"), align_corners)


grid_sampler_2d = grid_sampler  # 2-d inputs only: ember's grid_sample has no 3-d form


def unsafe_chunk(input, chunks, dim=0):
    """`chunk` (PyTorch's unsafe form skips a view check ember does not make)."""
    return input.chunk(chunks, dim)


def unsafe_split(input, split_size, dim=0):
    return input.split(split_size, dim)


def unsafe_split_with_sizes(input, split_sizes, dim=0):
    return input.split(list(split_sizes), dim)

