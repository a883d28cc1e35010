"""`gumbel_softmax` and `pdist` (composites).

    >>> import ember.nn.functional as F
    >>> y = F.gumbel_softmax(ember.zeros(2, 5), tau=0.5, hard=True)
    >>> y.sum(-1).tolist()
    [1.0, 1.0]
"""
import numbers

import numpy as np

from ember.autograd.tensor import Tensor
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.ops import unary
from ember.ops._util import const
from ember.ops.creation import empty
from ember.ops.fill import exponential_
from ember.ops.softmax import softmax

__all__ = []
METHODS = ""
INPLACE = ""
FUNCTIONAL = "gumbel_softmax pdist"


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """Samples from the Gumbel-softmax distribution: `softmax((logits + g) / tau)` with Gumbel noise g;
    `hard=True` returns one-hot samples whose gradient is the soft sample's (straight-through)."""
    op = "gumbel_softmax"
    if not isinstance(logits, Tensor) or not logits.is_floating_point():
        raise DTypeError(f"{op}: logits must be a floating point tensor, got "
                         f"{getattr(logits, 'dtype', type(logits).__name__)}")
    if isinstance(tau, bool) or not isinstance(tau, numbers.Real) or tau <= 0:
        raise ArgumentError(f"{op}: tau must be a positive number, got {tau!r}")
    noise = -unary.log(exponential_(empty(tuple(logits.shape), dtype=logits.dtype, device=logits.device)))
    soft = softmax((logits + noise) / tau, dim)
    if not hard:
        return soft
    index = soft.argmax(dim, keepdim=True)
    one_hot = soft.detach() * 0
    one_hot = one_hot.scatter(dim, index, 1.0)
    return one_hot - soft.detach() + soft


def pdist(input, p=2):
    """The p-norm distances between the rows of an (N, M) input: the N(N-1)/2 pairs i < j, in order."""
    op = "pdist"
    if not isinstance(input, Tensor) or input.ndim != 2:
        raise ShapeError(f"{op}: expected a 2-d input, got {getattr(input, 'shape', type(input).__name__)}")
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or p < 0:
        raise ArgumentError(f"{op}: p must be a non-negative number, got {p!r}")
    i, j = np.triu_indices(input.shape[0], 1)
    diff = input[const(i, input)] - input[const(j, input)]
    return diff.norm(p, dim=1) if len(i) else input.new_zeros(0)
