"""Dropout layers: random zeroing in training mode, the identity in eval mode
(`model.eval()`). The masks come from ember's default generator (`ember.manual_seed`).

    >>> drop = ember.nn.Dropout(p=0.2)
    >>> drop.eval()(ember.ones(3)).tolist()
    [1.0, 1.0, 1.0]
"""
import numbers

from ember.autograd.tensor import Tensor
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.nn import functional as F
from ember.nn.module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout"]


class _DropoutNd(Module):
    """What the dropout layers share: `p` (checked here) and `inplace`."""
    ranks = None  # input ranks accepted, for the channel-wise layers

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not isinstance(p, numbers.Real) or isinstance(p, bool) or not 0.0 <= p <= 1.0:
            raise ArgumentError(f"{type(self).__name__}: dropout probability has to be between 0 and 1, "
                                f"but got {p!r}")
        self.p, self.inplace = p, inplace

    def _check(self, input):
        if not isinstance(input, Tensor):
            raise DTypeError(f"{self._get_name()}({self.extra_repr()}): expected a Tensor input, "
                             f"got {type(input).__name__}")
        if self.ranks and input.ndim not in self.ranks:
            want = " or ".join(f"{r}-d" for r in self.ranks)
            raise ShapeError(f"{self._get_name()}({self.extra_repr()}): input of shape {tuple(input.shape)}: "
                             f"expected a {want} input ({self.layout})")
        return input

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability `p` in training, scaling the rest by 1/(1-p)."""

    def forward(self, input):
        return F.dropout(self._check(input), self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Zero whole channels of (N, C, L) or (C, L) inputs with probability `p` in training."""
    ranks, layout = (2, 3), "(C, L) or (N, C, L)"

    def forward(self, input):
        return F.dropout1d(self._check(input), self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zero whole channels of (N, C, H, W) inputs with probability `p` in training."""
    # Other ranks are checked (and warned about, as in PyTorch) by F.dropout2d.

    def forward(self, input):
        return F.dropout2d(self._check(input), self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) inputs with probability `p` in training."""
    ranks, layout = (4, 5), "(C, D, H, W) or (N, C, D, H, W)"

    def forward(self, input):
        return F.dropout3d(self._check(input), self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Dropout that keeps the mean and variance of SELU activations."""

    def forward(self, input):
        return F.alpha_dropout(self._check(input), self.p, self.training, self.inplace)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels (dim 1)."""

    def forward(self, input):
        return F.feature_alpha_dropout(self._check(input), self.p, self.training, self.inplace)
