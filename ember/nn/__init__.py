"""Level 4: `ember.nn`, PyTorch's module API: `Module`, `Parameter`, containers, layers,
losses, `functional`, `init` and `utils`.

    >>> model = ember.nn.Sequential(ember.nn.Linear(4, 8), ember.nn.ReLU(), ember.nn.Linear(8, 2))
    >>> model(ember.randn(3, 4)).shape
    ember.Size([3, 2])
"""
from ember.nn.parameter import Buffer, Parameter
from ember.nn.module import Module
from ember.nn.containers import *  # noqa: F401,F403  (each file lists its classes in __all__)
from ember.nn.layers.activation import *  # noqa: F401,F403
from ember.nn.layers.linear import *  # noqa: F401,F403
from ember.nn.layers.embedding import *  # noqa: F401,F403
from ember.nn.layers.dropout import *  # noqa: F401,F403
from ember.nn.layers.conv import *  # noqa: F401,F403
from ember.nn.layers.pool import *  # noqa: F401,F403
from ember.nn.layers.norm import *  # noqa: F401,F403
from ember.nn.layers.loss import *  # noqa: F401,F403
from ember.nn.layers.rnn import *  # noqa: F401,F403
from ember.nn.layers.attention import *  # noqa: F401,F403
from ember.nn.layers.transformer import *  # noqa: F401,F403
from ember.nn.layers.padding import *  # noqa: F401,F403
from ember.nn.layers.distance import *  # noqa: F401,F403
from ember.nn.layers.norm_instance import *  # noqa: F401,F403
from ember.nn.layers.resample import *  # noqa: F401,F403
from ember.nn.layers.pool_variants import *  # noqa: F401,F403
from ember.nn.layers.lazy import *  # noqa: F401,F403
from ember.nn.layers.data_parallel import *  # noqa: F401,F403
from ember.nn.layers.loss_margin import *  # noqa: F401,F403
from ember.nn.layers.loss_ctc import *  # noqa: F401,F403
from ember.nn import functional, init, utils
from ember.nn import modules  # torch.nn.modules' import paths
from ember.nn import parallel  # noqa: E402  (DistributedDataParallel; needs ember.distributed, level 2)
