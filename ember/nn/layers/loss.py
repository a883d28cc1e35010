"""Loss layers: the losses of `ember.nn.functional` as modules, with PyTorch's arguments;
`weight` and `pos_weight` are buffers (in `state_dict()`, moved by `.to()`), as in PyTorch.

    >>> loss_fn = ember.nn.CrossEntropyLoss(label_smoothing=0.1)
    >>> loss_fn(ember.randn(4, 3), ember.tensor([0, 2, 1, 0])).shape
    ember.Size([])
"""
from ember.errors import DTypeError, IndexOutOfRangeError, ShapeError
from ember.nn import functional as F
from ember.nn.module import Module
from ember.ops.loss import reduction_mode

__all__ = ["CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "SmoothL1Loss", "HuberLoss", "BCELoss",
           "BCEWithLogitsLoss", "KLDivLoss", "CosineEmbeddingLoss"]


class _Loss(Module):
    """Holds `reduction` (from `reduction=` or the deprecated `size_average=`/`reduce=`)."""
    allowed = ("none", "mean", "sum")

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        self.reduction = reduction_mode(type(self).__name__, reduction, size_average, reduce, self.allowed)

    def _call(self, fn, *args, **kwargs):
        """`fn(...)`, with a shape, dtype or index error naming this layer."""
        try:
            return fn(*args, **kwargs)
        except (ShapeError, DTypeError, IndexOutOfRangeError) as e:
            raise type(e)(f"{type(self).__name__}: {e}") from None


class _WeightedLoss(_Loss):
    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class CrossEntropyLoss(_WeightedLoss):
    """Cross entropy of logits (N, C) or (N, C, d1, ...) against class indices or probabilities.

        >>> ember.nn.CrossEntropyLoss()(ember.tensor([[0.0, 0.0]]), ember.tensor([0]))
        tensor(0.6931)
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                 label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):
        return self._call(F.cross_entropy, input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction, label_smoothing=self.label_smoothing)


class NLLLoss(_WeightedLoss):
    """Negative log likelihood of log-probabilities (N, C) or (N, C, d1, ...) at class indices.

        >>> ember.nn.NLLLoss()(ember.tensor([[-0.5, -2.0]]), ember.tensor([1]))
        tensor(2.)
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return self._call(F.nll_loss, input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)


class MSELoss(_Loss):
    """Mean squared error.

        >>> ember.nn.MSELoss()(ember.tensor([1.0, 3.0]), ember.tensor([1.0, 1.0]))
        tensor(2.)
    """

    def forward(self, input, target):
        return self._call(F.mse_loss, input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error."""

    def forward(self, input, target):
        return self._call(F.l1_loss, input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """Squared error below `beta` (divided by `beta`), absolute error above."""

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return self._call(F.smooth_l1_loss, input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """Squared error below `delta`, `delta`-scaled absolute error above."""

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return self._call(F.huber_loss, input, target, reduction=self.reduction, delta=self.delta)


class BCELoss(_WeightedLoss):
    """Binary cross entropy of probabilities in [0, 1].

        >>> ember.nn.BCELoss()(ember.tensor([0.5]), ember.tensor([1.0]))
        tensor(0.6931)
    """

    def forward(self, input, target):
        return self._call(F.binary_cross_entropy, input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross entropy of `sigmoid(input)`, computed stably from the logits; `pos_weight`
    weighs the positive examples of each class (the last dim)."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return self._call(F.binary_cross_entropy_with_logits, input, target, self.weight,
                          pos_weight=self.pos_weight, reduction=self.reduction)


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence of log-probabilities `input` from `target`; use
    `reduction='batchmean'` for the mathematical KL divergence."""
    allowed = ("none", "mean", "sum", "batchmean")

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return self._call(F.kl_div, input, target, reduction=self.reduction, log_target=self.log_target)


class CosineEmbeddingLoss(_Loss):
    """`1 - cos(x1, x2)` for target 1, `max(0, cos(x1, x2) - margin)` for target -1."""

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return self._call(F.cosine_embedding_loss, input1, input2, target, margin=self.margin,
                          reduction=self.reduction)
