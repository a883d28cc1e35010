"""Margin, ranking and likelihood losses with PyTorch's names, arguments and reductions (composites):
`margin_ranking_loss`, `hinge_embedding_loss`, `soft_margin_loss`, `multilabel_soft_margin_loss`,
`multi_margin_loss`, `multilabel_margin_loss`, `triplet_margin_loss`,
`triplet_margin_with_distance_loss`, `poisson_nll_loss`, `gaussian_nll_loss`.

    >>> import ember.nn.functional as F
    >>> F.margin_ranking_loss(ember.tensor([1.0, 2.0]), ember.tensor([2.0, 1.0]), ember.tensor([1.0, 1.0]))
    tensor(0.5000)
"""
import math

from ember.autograd.checks import broadcast_shapes
from ember.autograd.grad_mode import no_grad
from ember.autograd.tensor import Tensor
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.ops import binary, unary
from ember.ops.activation import logsigmoid
from ember.ops.dense import pairwise_distance
from ember.ops.creation import arange
from ember.ops.gather import gather
from ember.ops.loss_index import _floating, _reduce, reduction_mode

__all__ = []
METHODS = ""
INPLACE = ""
FUNCTIONAL = ("margin_ranking_loss hinge_embedding_loss soft_margin_loss multilabel_soft_margin_loss "
              "multi_margin_loss multilabel_margin_loss triplet_margin_loss triplet_margin_with_distance_loss "
              "poisson_nll_loss gaussian_nll_loss")


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    """`max(0, -target * (input1 - input2) + margin)`."""
    op = "margin_ranking_loss"
    reduction = reduction_mode(op, reduction, size_average, reduce)
    for name, t in (("input1", input1), ("input2", input2), ("target", target)):
        _floating(op, name, t)
    broadcast_shapes(op, tuple(input1.shape), tuple(input2.shape), tuple(target.shape))
    return _reduce((-target * (input1 - input2) + margin).clamp(min=0), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    """`input` where target is 1, `max(0, margin - input)` where it is -1."""
    op = "hinge_embedding_loss"
    reduction = reduction_mode(op, reduction, size_average, reduce)
    _floating(op, "input", input)
    _tensor(op, "target", target)
    broadcast_shapes(op, tuple(input.shape), tuple(target.shape))
    loss = binary.where(target != 1, (margin - input).clamp(min=0), 0.0) + binary.where(target != -1, input, 0.0)
    return _reduce(loss, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """`log(1 + exp(-target * input))`, for targets of 1 and -1."""
    op = "soft_margin_loss"
    reduction = reduction_mode(op, reduction, size_average, reduce)
    _floating(op, "input", input)
    _floating(op, "target", target)
    _same_shape(op, input, target)
    return _reduce((-logsigmoid(target * input)).to(input.dtype), reduction)  # PyTorch: the input's dtype


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Binary cross entropy of logits `input` (N, C) against 0/1 `target`, averaged over the classes."""
    op = "multilabel_soft_margin_loss"
    reduction = reduction_mode(op, reduction, size_average, reduce)
    _floating(op, "input", input)
    _floating(op, "target", target)
    _same_shape(op, input, target)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * _floating(op, "weight", weight)
    dim = input.ndim - 1
    return _reduce(loss.sum(dim) / input.shape[dim], reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None,
                      reduction="mean"):
    """Multi-class hinge loss: `sum_i max(0, margin - x[y] + x[i])**p / C` over classes `i != y`."""
    op = "multi_margin_loss"
    reduction = reduction_mode(op, reduction, size_average, reduce)
    if p not in (1, 2):
        raise ArgumentError(f"{op}: only p == 1 and p == 2 are supported, got p={p!r}")
    x, y = _class_scores(op, input, target)
    picked = gather(x, 1, y.unsqueeze(1))
    margins = (margin - picked + x).clamp(min=0)
    if p == 2:
        margins = margins * margins
    if weight is not None:
        margins = margins * gather(_floating(op, "weight", weight), 0, y).unsqueeze(1)
    is_target = binary.eq(y.unsqueeze(1), _arange_like(x))
    loss = binary.where(is_target, 0.0, margins).sum(1) / x.shape[1]
    return _reduce(loss if input.ndim == 2 else loss.squeeze(0), reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-label hinge loss: `target` (N, C) lists class indices, ended by the first -1; the loss is
    `sum_{j in targets, i not in targets} max(0, 1 - (x[j] - x[i])) / C`."""
    op = "multilabel_margin_loss"
    reduction = reduction_mode(op, reduction, size_average, reduce)
    x, _ = _class_scores(op, input, target if target.ndim <= 1 else target[:, 0])
    y = target.reshape(x.shape) if target.ndim == 1 else target
    if tuple(y.shape) != tuple(x.shape):
        raise ShapeError(f"{op}: target of shape {tuple(target.shape)} must have the input's shape "
                         f"{tuple(input.shape)}")
    valid = (binary.eq(y, -1).long().cumsum(1) == 0)           # indices before the first -1
    safe = binary.where(valid, y, 0)
    classes = _arange_like(x)
    is_target = (binary.eq(safe.unsqueeze(2), classes.reshape(1, 1, -1)) & valid.unsqueeze(2)).any(1)  # (N, C)
    picked = gather(x, 1, safe)                                  # (N, C): x at each listed target
    hinge = (1 - (picked.unsqueeze(2) - x.unsqueeze(1))).clamp(min=0)   # (N, targets, classes)
    keep = valid.unsqueeze(2) & binary.logical_not(is_target).unsqueeze(1)
    loss = binary.where(keep, hinge, 0.0).sum((1, 2)) / x.shape[1]
    return _reduce(loss if input.ndim == 2 else loss.squeeze(0), reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    """`max(0, d(a, p) - d(a, n) + margin)` with `d` the p-norm pairwise distance."""
    op = "triplet_margin_loss"
    reduction = reduction_mode(op, reduction, size_average, reduce)
    _triplet(op, anchor, positive, negative)

    def distance(a, b):
        return pairwise_distance(a, b, p, eps)
    return _triplet_loss(distance, anchor, positive, negative, margin, swap, reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0,
                                      swap=False, reduction="mean"):
    """`triplet_margin_loss` with any `distance_function(x1, x2)` (default: the Euclidean distance)."""
    op = "triplet_margin_with_distance_loss"
    reduction = reduction_mode(op, reduction)
    _triplet(op, anchor, positive, negative)
    if margin <= 0:
        raise ArgumentError(f"{op}: margin must be greater than 0, got {margin}")
    distance = distance_function if distance_function is not None else pairwise_distance
    if not callable(distance):
        raise ArgumentError(f"{op}: distance_function must be callable, got {type(distance).__name__}")
    return _triplet_loss(distance, anchor, positive, negative, margin, swap, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    """Poisson negative log likelihood: `exp(x) - t * x` (log_input) or `x - t * log(x + eps)`; `full`
    adds Stirling's approximation of `log(t!)` for targets above 1."""
    op = "poisson_nll_loss"
    reduction = reduction_mode(op, reduction, size_average, reduce)
    _floating(op, "input", input)
    _floating(op, "target", target)
    broadcast_shapes(op, tuple(input.shape), tuple(target.shape))
    loss = unary.exp(input) - target * input if log_input else input - target * unary.log(input + eps)
    if full:
        safe = binary.where(target > 1, target, 1.0)
        stirling = safe * unary.log(safe) - safe + 0.5 * unary.log(2 * math.pi * safe)
        loss = loss + binary.where(target > 1, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Gaussian negative log likelihood `0.5 * (log(var) + (input - target)**2 / var)` (+ `0.5 log 2 pi`
    with `full`); `var` has the input's shape, or one dim less, or a last dim of 1 (homoscedastic);
    it is clamped to `eps` without the clamp entering the gradient, as in PyTorch."""
    op = "gaussian_nll_loss"
    reduction = reduction_mode(op, reduction)
    for name, t in (("input", input), ("target", target)):
        _floating(op, name, t)
    if not isinstance(var, Tensor):
        var = input.new_full((), float(var))
    _floating(op, "var", var)
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1) and var.ndim:
            raise ShapeError(f"{op}: var of shape {tuple(var.shape)} must have the input's shape "
                             f"{tuple(input.shape)}, or one dim less, or a last dim of 1")
    with no_grad():
        if bool((var < 0).any()):
            raise ArgumentError(f"{op}: var has negative entries")
    var = var + (var.clamp(min=eps) - var).detach()
    loss = 0.5 * (unary.log(var) + (input - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# --- shared checks -------------------------------------------------------------------------

def _tensor(op, name, x):
    if not isinstance(x, Tensor):
        raise DTypeError(f"{op}: {name} must be a Tensor, got {type(x).__name__}")
    return x


def _same_shape(op, input, target):
    if tuple(input.shape) != tuple(target.shape):
        raise ShapeError(f"{op}: target of shape {tuple(target.shape)} must have the input's shape "
                         f"{tuple(input.shape)}")


def _class_scores(op, input, target):
    """(input as (N, C), target as (N,) int64) for the multi-class losses; a 1-d input is one sample."""
    _floating(op, "input", input)
    _tensor(op, "target", target)
    if target.is_floating_point():
        raise DTypeError(f"{op}: target must hold class indices (an integer tensor), got {target.dtype}")
    if input.ndim not in (1, 2) or input.ndim == 2 and target.ndim and target.shape[0] != input.shape[0]:
        raise ShapeError(f"{op}: expected input (N, C) or (C,) with target (N,) or (), got "
                         f"{tuple(input.shape)} and {tuple(target.shape)}")
    x = input if input.ndim == 2 else input.unsqueeze(0)
    y = target.reshape(-1).long()
    if y.numel() and (int(y.min()) < 0 or int(y.max()) >= x.shape[1]) and op != "multilabel_margin_loss":
        raise ArgumentError(f"{op}: target holds classes outside [0, {x.shape[1]})")
    return x, y


def _arange_like(x):
    """The class indices 0..C-1 of scores `x` (N, C), on its device."""
    return arange(x.shape[1], device=x.device)


def _triplet(op, anchor, positive, negative):
    for name, t in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        _floating(op, name, t)
    if not (anchor.ndim == positive.ndim == negative.ndim) or anchor.ndim not in (1, 2):
        raise ShapeError(f"{op}: anchor, positive and negative must all be (N, D) or (D,), got "
                         f"{tuple(anchor.shape)}, {tuple(positive.shape)} and {tuple(negative.shape)}")


def _triplet_loss(distance, anchor, positive, negative, margin, swap, reduction):
    d_pos, d_neg = distance(anchor, positive), distance(anchor, negative)
    if swap:
        d_neg = binary.minimum(d_neg, distance(positive, negative))
    return _reduce((margin + d_pos - d_neg).clamp(min=0), reduction)
