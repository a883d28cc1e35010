"""`ember.nn.functional`: the stateless math behind the layers, with PyTorch's names and
signatures. The kernels live in ember.ops (level 1); each kernel family lists what it
contributes here in FUNCTIONAL.

    >>> import ember.nn.functional as F
    >>> F.relu(ember.tensor([-1.0, 2.0]))
    tensor([0., 2.])
"""
from ember.ops import (activation, attention, conv, conv3d, dense, dropout, embedding_bag, grid, gumbel, loss,
                       loss_margin, norm, norm_instance, pool, pool3d, pool_variants, resample, softmax, threshold)
from ember.ops.arrange import pad
from ember.ops.mask import one_hot
from ember.ops import unary
from ember.ops.unary import sigmoid, tanh

_KERNELS = (activation, softmax, dense, dropout, conv, pool, norm, norm_instance, attention, loss, loss_margin,
            threshold, resample, pool_variants, embedding_bag, conv3d, pool3d, gumbel, grid)
from ember.ops import ctc  # the CTC loss
_KERNELS += (ctc,)
for _family in _KERNELS:
    globals().update({_name: getattr(_family, _name) for _name in _family.FUNCTIONAL.split()})
del _family


def relu(input, inplace=False):
    """max(x, 0); with `inplace`, written into `input` (PyTorch's `F.relu`)."""
    return input.relu_() if inplace else unary.relu(input)


def relu_(input):
    """`relu` written into `input`."""
    return input.relu_()
