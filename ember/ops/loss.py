"""Loss functions with PyTorch's names, arguments and reductions ('none', 'mean', 'sum').

The class-index losses, `cross_entropy` (one fused primitive) and `nll_loss`,
live in `ember.ops.loss_index` with the argument checks shared by every loss;
they are imported here, so this module is the whole loss family.
`binary_cross_entropy` and `binary_cross_entropy_with_logits` are primitives
with PyTorch's gradient formulas (exact at probabilities 0 and 1, stable for
large logits); the other losses are composites.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> logits = ember.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])
    >>> F.cross_entropy(logits, ember.tensor([0, 2]))
    tensor(0.2186)
    >>> F.mse_loss(ember.tensor([1.0, 2.0]), ember.tensor([1.0, 4.0]), reduction="sum")
    tensor(4.)
"""
import warnings

import numpy as np

from ember.autograd.checks import broadcast_shapes
from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.ops import binary, unary
from ember.ops._args import need_number
from ember.ops.loss_index import REDUCTIONS, _floating, _reduce, reduction_mode
from ember.ops.mathfn import xlogy
from ember.ops.loss_index import cross_entropy, nll_loss  # noqa: F401 - in this family's FUNCTIONAL
from ember.ops.registry import Sample, register

__all__ = []
METHODS = ""
INPLACE = ""
FUNCTIONAL = ("cross_entropy nll_loss mse_loss l1_loss smooth_l1_loss huber_loss binary_cross_entropy "
              "binary_cross_entropy_with_logits kl_div cosine_embedding_loss")


def _weighted(op, loss, weight, reduction, normalize):
    """PyTorch's optional elementwise `weight` (the input's shape); with `normalize`, 'mean' is the
    weighted mean sum(w * loss) / sum(w) (mse_loss, l1_loss), else mean(w * loss) (huber_loss)."""
    if weight is None:
        return _reduce(loss, reduction)
    _floating(op, "weight", weight)
    if tuple(weight.shape) != tuple(loss.shape):
        raise ShapeError(f"{op}: weight of shape {tuple(weight.shape)} must have the input's shape "
                         f"{tuple(loss.shape)}")
    if reduction == "mean" and normalize:
        return (loss * weight).sum() / weight.sum()
    return _reduce(loss * weight, reduction)


def _pair(op, input, target, strict=False):
    """Elementwise losses broadcast a target of another shape with a warning, as PyTorch does;
    `strict` ones (the binary cross entropies) refuse it."""
    _floating(op, "input", input)
    _floating(op, "target", target)
    if tuple(input.shape) != tuple(target.shape):
        if strict:
            raise ShapeError(f"{op}: target of shape {tuple(target.shape)} must have the input's shape "
                             f"{tuple(input.shape)}")
        shape = broadcast_shapes(op, tuple(input.shape), tuple(target.shape))
        warnings.warn(f"{op}: using a target size {tuple(target.shape)} that is different to the input size "
                      f"{tuple(input.shape)}; they are broadcast, which may not be what you want", stacklevel=3)
        return input.expand(shape), target.expand(shape)  # broadcast first: then dtypes promote as equals
    return input, target


# --- regression losses (composites) -------------------------------------------------------

def _pair_samples(make, **kw):
    return [Sample((make(3, 4), make(3, 4)), dict(kw), "2d"),
            Sample((make(3, 4), make(3, 4)), dict(kw, reduction="sum"), "sum"),
            Sample((make(2, 3, 2), make(2, 3, 2)), dict(kw, reduction="none"), "3d-none"),
            Sample((make(3, 4), make(1, 4)), dict(kw), "broadcast"),
            Sample((make(4, 3, noncontig=True), make(4, 3)), dict(kw), "noncontig"),
            Sample((make(0, 3), make(0, 3)), dict(kw, reduction="sum"), "empty"),
            Sample((make(), make()), dict(kw), "0d")]


def _with_weight(samples):
    """`samples` and an elementwise `weight` (a constant: PyTorch does not differentiate it)."""
    def weighted(make):
        w = lambda *shape: make(*shape, low=0.1, high=2.0)  # noqa: E731
        return samples(make) + [
            Sample((make(3, 4), make(3, 4)), {"weight": w(3, 4)}, "weight", nograd=("weight",)),
            Sample((make(2, 3, 2), make(2, 3, 2)), {"weight": w(2, 3, 2), "reduction": "none"}, "weight-none",
                   nograd=("weight",)),
            Sample((make(4, 3, noncontig=True), make(4, 3)), {"weight": w(4, 3), "reduction": "sum"},
                   "noncontig-weight-sum", nograd=("weight",))]
    return weighted


@register("mse_loss", _with_weight(_pair_samples), ref="nn.functional.mse_loss")
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Squared error `(input - target) ** 2`, reduced; an elementwise `weight` makes 'mean' the
    weighted mean.

        >>> F.mse_loss(ember.tensor([0.0, 2.0]), ember.tensor([1.0, 2.0]))
        tensor(0.5)
    """
    reduction = reduction_mode("mse_loss", reduction, size_average, reduce)
    input, target = _pair("mse_loss", input, target)
    return _weighted("mse_loss", (input - target) ** 2, weight, reduction, normalize=True)


@register("l1_loss", _with_weight(_pair_samples), ref="nn.functional.l1_loss")
def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Absolute error `|input - target|`, reduced (gradient 0 where they are equal)."""
    reduction = reduction_mode("l1_loss", reduction, size_average, reduce)
    input, target = _pair("l1_loss", input, target)
    return _weighted("l1_loss", (input - target).abs(), weight, reduction, normalize=True)


def _threshold_samples(name):
    def samples(make):
        out = _pair_samples(make)
        return out + [Sample((make(3, 4), make(3, 4)), {name: 0.5}, f"{name}-0.5"),
                      Sample((make(3, 4), make(3, 4)), {name: 2.0, "reduction": "none"}, f"{name}-2-none")]
    return samples


@register("smooth_l1_loss", _threshold_samples("beta"), ref="nn.functional.smooth_l1_loss")
def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """`0.5 d**2 / beta` where `|d| < beta`, else `|d| - 0.5 beta` (d = input - target); beta=0 is L1."""
    reduction = reduction_mode("smooth_l1_loss", reduction, size_average, reduce)
    input, target = _pair("smooth_l1_loss", input, target)
    if not beta >= 0:
        raise ArgumentError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    d = input - target
    if beta == 0:
        return _reduce(d.abs(), reduction)
    return _reduce(_quadratic_then_linear(d, beta) / beta, reduction)


@register("huber_loss", _with_weight(_threshold_samples("delta")), ref="nn.functional.huber_loss")
def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """`0.5 d**2` where `|d| < delta`, else `delta (|d| - 0.5 delta)` (d = input - target)."""
    reduction = reduction_mode("huber_loss", reduction)
    _pair("huber_loss", input, target)
    need_number("huber_loss", "delta", delta)
    if not delta > 0:
        raise ArgumentError(f"huber_loss: delta must be > 0, got {delta}")
    wide = dtypes.promote_types(input.dtype, target.dtype)  # PyTorch: computed in both dtypes, the input's out
    loss = _quadratic_then_linear(input.to(wide) - target.to(wide), delta).to(input.dtype)
    return _weighted("huber_loss", loss, weight, reduction, normalize=False)


def _quadratic_then_linear(d, delta):
    """`0.5 d**2` where `|d| < delta`, else `delta (|d| - 0.5 delta)`. The square sees only the small
    `d`s: a large one (1e20, inf) would overflow it and turn its zero gradient into NaN."""
    z = d.abs()
    small = (z < delta) | binary.isnan(d)  # a NaN takes the square: NaN value and gradient, as PyTorch
    ds = binary.where(small, d, 0.0)
    return binary.where(small, 0.5 * ds * ds, delta * (z - 0.5 * delta))


# --- binary cross entropy --------------------------------------------------------------------

class BinaryCrossEntropy(Function):
    """-(t log(x) + (1 - t) log(1 - x)) with each log clamped to >= -100, elementwise."""
    name = "binary_cross_entropy"

    def forward(self, x, t):
        xp = self.xp
        if x.size and not bool(((x >= 0) & (x <= 1)).all()):
            raise ArgumentError("binary_cross_entropy: all elements of input should be between 0 and 1; "
                                "pass probabilities (apply sigmoid), or use binary_cross_entropy_with_logits")
        with np.errstate(divide="ignore"):
            return (t - 1) * xp.maximum(xp.log(1 - x), -100) - t * xp.maximum(xp.log(x), -100)

    def backward(self, g):
        x, t = self.inputs
        gx = g * (x - t) / (x * (1 - x)).clamp(min=1e-12)
        return gx, g * ((1 - x).log() - x.log())


@register("binary_cross_entropy", lambda make: [
    Sample((make(3, 4, low=0.05, high=0.95), make(3, 4, low=0, high=1)), name="2d"),
    Sample((make(2, 3, 2, low=0.05, high=0.95), make(2, 3, 2, low=0, high=1)), {"reduction": "none"}, "none"),
    Sample((make(4, 3, low=0.05, high=0.95, noncontig=True), make(4, 3, low=0, high=1)), {"reduction": "sum"},
           "noncontig-sum"),
    Sample((make(0, 3, low=0.1, high=0.9), make(0, 3, low=0, high=1)), {"reduction": "sum"}, "empty"),
    Sample((np.array([0.0, 1.0, 1e-30, 0.5], make.dtype), np.array([0.0, 1.0, 0.0, 1.0], make.dtype)),
           name="extreme"),
    Sample((make(3, 4, low=0.05, high=0.95), make(3, 4, low=0, high=1), make(4, low=0.1, high=2)),
           name="weight-broadcast", nograd=(2,)),
    Sample((make(2, 3, low=0.05, high=0.95), make(2, 3, low=0, high=1)),
           {"weight": make(2, 3, low=0.1, high=2), "reduction": "none"}, "weight-none", nograd=("weight",))],
    BinaryCrossEntropy, ref="nn.functional.binary_cross_entropy")
def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    """Binary cross entropy of probabilities `input` in [0, 1] against `target` (same shape); each
    log is clamped to >= -100, so 0 and 1 give finite losses, as PyTorch.

        >>> F.binary_cross_entropy(ember.tensor([0.5, 1.0]), ember.tensor([1.0, 1.0]))
        tensor(0.3466)
    """
    reduction = reduction_mode("binary_cross_entropy", reduction, size_average, reduce)
    _pair("binary_cross_entropy", input, target, strict=True)
    if input.dtype != target.dtype:
        raise DTypeError(f"binary_cross_entropy: target of dtype {target.dtype} must have the input's dtype "
                         f"{input.dtype}")
    loss = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        _floating("binary_cross_entropy", "weight", weight)
        broadcast_shapes("binary_cross_entropy", tuple(weight.shape), tuple(input.shape))
        loss = loss * weight
    return _reduce(loss, reduction)


class BinaryCrossEntropyWithLogits(Function):
    """(1 - t) x + lw softplus(-x), lw = (pos_weight - 1) t + 1, without overflow for any x."""
    name = "binary_cross_entropy_with_logits"

    def forward(self, x, t, pos_weight=None):
        xp = self.xp
        w = x.astype(np.float32) if x.dtype.itemsize == 2 else x  # float16/bfloat16 computed in float32
        # softplus(-x) = -log_sigmoid(x), rounded to the input's dtype as PyTorch's log_sigmoid(input)
        softplus = (xp.maximum(-w, 0) + xp.log1p(xp.exp(-xp.abs(w)))).astype(x.dtype, copy=False)
        if pos_weight is not None:  # PyTorch weighs log_sigmoid(input) in place: still the input's dtype
            softplus = (((pos_weight - 1) * t + 1) * softplus).astype(x.dtype, copy=False)
        return (1 - t) * x + softplus

    def backward(self, g):
        x, t, pw = self.inputs
        softplus = unary.relu(-x) + unary.log1p(unary.exp(-x.abs()))
        if pw is None:
            return g * (x.sigmoid() - t), g * -x, None
        gx = g * (((pw - 1) * t + 1) * x.sigmoid() - pw * t)
        gpw = (g * t * softplus).sum_to_size(pw.shape)
        return gx, g * ((pw - 1) * softplus - x), gpw


@register("binary_cross_entropy_with_logits", lambda make: [
    Sample((make(3, 4), make(3, 4, low=0, high=1)), name="2d"),
    Sample((make(2, 3, 2), make(2, 3, 2, low=0, high=1)), {"reduction": "none"}, "none"),
    Sample((make(4, 3, noncontig=True), make(4, 3, low=0, high=1)), {"reduction": "sum"}, "noncontig-sum"),
    Sample((make(0, 3), make(0, 3, low=0, high=1)), {"reduction": "sum"}, "empty"),
    Sample((np.array([1e4, -1e4, 0.0, 88.0, -100.0], make.dtype), np.array([0.0, 1.0, 0.5, 1.0, 0.0], make.dtype)),
           name="extreme"),
    Sample((make(3, 4), make(3, 4, low=0, high=1)), {"pos_weight": make(4, low=0.1, high=3)}, "pos-weight",
           nograd=("pos_weight",)),
    Sample((make(4, 3, noncontig=True), make(4, 3, low=0, high=1), make(4, 1, low=0.1, high=2)),
           {"pos_weight": make(3, low=0.1, high=3), "reduction": "none"}, "noncontig-weight-pos-weight-none",
           nograd=(2, "pos_weight")),
    Sample((np.array([1e4, -1e4, 30.0], make.dtype), np.array([0.0, 1.0, 0.5], make.dtype)),
           {"pos_weight": np.array([3.0, 0.5, 2.0], make.dtype)}, "extreme-pos-weight", nograd=("pos_weight",))],
    BinaryCrossEntropyWithLogits, ref="nn.functional.binary_cross_entropy_with_logits")
def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    """Binary cross entropy of `sigmoid(input)`, computed from the logits without overflow;
    `pos_weight` (broadcast along the last dim) weighs the positive term.

        >>> F.binary_cross_entropy_with_logits(ember.tensor([1e4, -1e4]), ember.tensor([1.0, 0.0]))
        tensor(0.)
    """
    op = "binary_cross_entropy_with_logits"
    reduction = reduction_mode(op, reduction, size_average, reduce)
    _pair(op, input, target, strict=True)
    if pos_weight is not None:
        _floating(op, "pos_weight", pos_weight)
        broadcast_shapes(op, tuple(pos_weight.shape), tuple(input.shape))
    loss = BinaryCrossEntropyWithLogits.apply(input, target, pos_weight)  # softplus(-x) in the input's dtype
    if tuple(loss.shape) != tuple(input.shape):
        raise ShapeError(f"{op}: pos_weight of shape {tuple(pos_weight.shape)} must broadcast to the input's "
                         f"shape {tuple(input.shape)}")
    if weight is not None:
        _floating(op, "weight", weight)
        broadcast_shapes(op, tuple(weight.shape), tuple(input.shape))
        loss = loss * weight
    return _reduce(loss.to(target.dtype), reduction)  # PyTorch works in place on 1 - target: its dtype


# --- kl_div, cosine_embedding_loss --------------------------------------------------------------

@register("kl_div", lambda make: [
    Sample((make(3, 4, low=-3, high=0), make(3, 4, low=0.1, high=1)), {"reduction": "batchmean"}, "batchmean"),
    Sample((make(3, 4, low=-3, high=0), make(3, 4, low=0.1, high=1)), {"reduction": "none"}, "none"),
    Sample((make(3, 4, low=-3, high=0), make(3, 4, low=0.1, high=1)), {"reduction": "sum"}, "sum"),
    Sample((make(3, 4), make(3, 4, low=-3, high=0)), {"log_target": True, "reduction": "batchmean"}, "log-target"),
    Sample((make(4, 3, noncontig=True), make(1, 3, low=0.1, high=1)), {"reduction": "batchmean"}, "broadcast"),
    Sample((make(0, 3), make(0, 3, low=0.1, high=1)), {"reduction": "sum"}, "empty"),
    Sample((make(), make(low=0.1, high=1)), {"reduction": "batchmean"}, "0d")], ref="nn.functional.kl_div")
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Kullback-Leibler divergence of log-probabilities `input` from `target` (probabilities, or
    log-probabilities with `log_target=True`): `target * (log(target) - input)`, 0 where
    target is 0. 'batchmean' divides the sum by the batch size (the mathematical KL).

        >>> F.kl_div(ember.tensor([[-0.6931, -0.6931]]), ember.tensor([[0.5, 0.5]]), reduction="batchmean")
        tensor(0.)
    """
    reduction = reduction_mode("kl_div", reduction, size_average, reduce, REDUCTIONS + ("batchmean",))
    _pair("kl_div", input, target)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        loss = xlogy(target, target) - target * input  # as PyTorch, whose gradients (NaN at target 0) it has
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


@register("cosine_embedding_loss", lambda make: [
    Sample((make(3, 4), make(3, 4), np.array([1, -1, 1])), name="2d"),
    Sample((make(4, 5), make(4, 5), np.array([1, -1, -1, 1])), {"margin": 0.2, "reduction": "none"}, "margin"),
    Sample((make(4, 3, noncontig=True), make(4, 3), np.array([-1, -1, 1, 1])), {"margin": -0.5, "reduction": "sum"},
           "noncontig"),
    Sample((make(4), make(4), np.array(-1)), {"margin": -0.9}, "unbatched"),
    Sample((make(0, 3), make(0, 3), np.zeros(0, np.int64)), {"reduction": "sum"}, "empty")],
    ref="nn.functional.cosine_embedding_loss")
def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    """`1 - cos(x1, x2)` where target is 1, `max(0, cos(x1, x2) - margin)` where it is -1.

        >>> x = ember.tensor([[1.0, 0.0]])
        >>> F.cosine_embedding_loss(x, x, ember.tensor([1])), F.cosine_embedding_loss(x, x, ember.tensor([-1]))
        (tensor(0.), tensor(1.))
    """
    op = "cosine_embedding_loss"
    reduction = reduction_mode(op, reduction, size_average, reduce)
    _floating(op, "input1", input1)
    _floating(op, "input2", input2)
    if not isinstance(target, Tensor):
        raise DTypeError(f"{op}: target must be a Tensor of 1 and -1, got {type(target).__name__}")
    if input1.ndim not in (1, 2) or tuple(input1.shape) != tuple(input2.shape) or target.ndim != input1.ndim - 1 \
            or input1.ndim == 2 and target.shape[0] != input1.shape[0]:
        raise ShapeError(f"{op}: expected input1 and input2 of one shape (N, D) or (D,) and a target of shape "
                         f"(N,) or (), got {tuple(input1.shape)}, {tuple(input2.shape)} and {tuple(target.shape)}")
    dim = input1.ndim - 1
    dot = (input1 * input2).sum(dim)
    cos = dot / (((input1 * input1).sum(dim) + 1e-12) * ((input2 * input2).sum(dim) + 1e-12)).sqrt()
    pos = binary.where(target == 1, 1 - cos, 0.0)
    neg = binary.where(target == -1, (cos - margin).clamp(min=0), 0.0)
    return _reduce(pos + neg, reduction)
