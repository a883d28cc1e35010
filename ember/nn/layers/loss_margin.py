"""Margin, ranking and likelihood loss layers: the losses of `ember.nn.functional` as modules, with
PyTorch's arguments.

    >>> loss_fn = ember.nn.TripletMarginLoss(margin=0.5)
    >>> loss_fn(ember.randn(4, 8), ember.randn(4, 8), ember.randn(4, 8)).shape
    ember.Size([])
"""
from ember.nn import functional as F
from ember.nn.layers.distance import PairwiseDistance
from ember.nn.layers.loss import NLLLoss, _Loss, _WeightedLoss

__all__ = ["MarginRankingLoss", "HingeEmbeddingLoss", "SoftMarginLoss", "MultiLabelSoftMarginLoss",
           "MultiMarginLoss", "MultiLabelMarginLoss", "TripletMarginLoss", "TripletMarginWithDistanceLoss",
           "PoissonNLLLoss", "GaussianNLLLoss", "NLLLoss2d"]


class MarginRankingLoss(_Loss):
    """`max(0, -y * (x1 - x2) + margin)`: `y = 1` says x1 should rank higher."""

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return self._call(F.margin_ranking_loss, input1, input2, target, margin=self.margin, reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    """`x` where `y = 1`, `max(0, margin - x)` where `y = -1`."""

    def __init__(self, margin=1.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input, target):
        return self._call(F.hinge_embedding_loss, input, target, margin=self.margin, reduction=self.reduction)


class SoftMarginLoss(_Loss):
    """`log(1 + exp(-y * x))` for targets of 1 and -1."""

    def forward(self, input, target):
        return self._call(F.soft_margin_loss, input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """Per-class binary cross entropy of logits, averaged over the classes."""

    def forward(self, input, target):
        return self._call(F.multilabel_soft_margin_loss, input, target, weight=self.weight, reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge loss over class-index targets, with `p` 1 or 2."""

    def __init__(self, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.p, self.margin = p, margin

    def forward(self, input, target):
        return self._call(F.multi_margin_loss, input, target, p=self.p, margin=self.margin, weight=self.weight,
                          reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    """Multi-label hinge loss; `target` lists class indices, ended by -1."""

    def forward(self, input, target):
        return self._call(F.multilabel_margin_loss, input, target, reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """`max(0, d(a, p) - d(a, n) + margin)` with the p-norm distance."""

    def __init__(self, margin=1.0, p=2.0, eps=1e-6, swap=False, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor, positive, negative):
        return self._call(F.triplet_margin_loss, anchor, positive, negative, margin=self.margin, p=self.p,
                          eps=self.eps, swap=self.swap, reduction=self.reduction)


class TripletMarginWithDistanceLoss(_Loss):
    """`TripletMarginLoss` with any `distance_function`."""

    def __init__(self, *, distance_function=None, margin=1.0, swap=False, reduction="mean"):
        super().__init__(reduction=reduction)
        self.distance_function = distance_function if distance_function is not None else PairwiseDistance()
        self.margin, self.swap = margin, swap

    def forward(self, anchor, positive, negative):
        return self._call(F.triplet_margin_with_distance_loss, anchor, positive, negative,
                          distance_function=self.distance_function, margin=self.margin, swap=self.swap,
                          reduction=self.reduction)


class PoissonNLLLoss(_Loss):
    """Poisson negative log likelihood of rates (or log rates, `log_input=True`)."""

    def __init__(self, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input, target):
        return self._call(F.poisson_nll_loss, log_input, target, log_input=self.log_input, full=self.full,
                          eps=self.eps, reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """Gaussian negative log likelihood of a mean and a variance."""

    def __init__(self, *, full=False, eps=1e-6, reduction="mean"):
        super().__init__(reduction=reduction)
        self.full, self.eps = full, eps

    def forward(self, input, target, var):
        return self._call(F.gaussian_nll_loss, input, target, var, full=self.full, eps=self.eps,
                          reduction=self.reduction)


class NLLLoss2d(NLLLoss):
    """PyTorch's deprecated name for `NLLLoss` on (N, C, H, W) inputs."""
