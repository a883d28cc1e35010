"""`ember.nn.modules`: the module paths of `torch.nn.modules` (`from torch.nn.modules.loss import _Loss`),
so code that imports layers from there ports by changing `torch` to `ember`. Each submodule re-exports
the `ember.nn` layers PyTorch keeps in it."""
from ember.nn.modules import activation, batchnorm, container, conv, dropout, flatten, linear, loss, module, normalization, pooling, rnn, sparse, transformer
from ember.nn import *  # noqa: F401,F403 - torch.nn.modules exports every layer too
