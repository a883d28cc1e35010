"""`CTCLoss`: the connectionist temporal classification loss as a module (`ember.nn.functional.ctc_loss`).

    >>> loss_fn = ember.nn.CTCLoss()
    >>> lp = ember.randn(5, 2, 4).log_softmax(2)
    >>> loss_fn(lp, ember.tensor([[1, 2], [3, 3]]), [5, 5], [2, 2]).shape
    ember.Size([])
"""
from ember.nn import functional as F
from ember.nn.layers.loss import _Loss

__all__ = ["CTCLoss"]


class CTCLoss(_Loss):
    """CTC loss with class `blank` for "no label"; `zero_infinity` turns impossible alignments' inf into 0."""

    def __init__(self, blank=0, reduction="mean", zero_infinity=False):
        super().__init__(None, None, reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return self._call(F.ctc_loss, log_probs, targets, input_lengths, target_lengths, self.blank,
                          self.reduction, self.zero_infinity)
