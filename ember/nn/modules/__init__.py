"""`ember.nn.modules`: the module paths of `torch.nn.modules` (`from torch.nn.modules.loss import _Loss`),
so code that imports layers from there ports by changing `torch` to `ember`. Each submodule re-exports
the `ember.nn` layers that PyTorch keeps in its namesake."""
from ember.nn.modules import (  # noqa: F401
    activation, batchnorm, channelshuffle, container, conv, distance, dropout, flatten, fold, instancenorm,
    lazy, linear, loss, module, normalization, padding, pixelshuffle, pooling, rnn, sparse, transformer,
    upsampling)
from ember.nn import *  # noqa: F401,F403 - torch.nn.modules exports every layer too
