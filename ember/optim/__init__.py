"""Level 4: `ember.optim`, PyTorch's optimizers and learning-rate schedulers.

    >>> import ember
    >>> w = ember.zeros(3, requires_grad=True)
    >>> opt = ember.optim.Adam([w], lr=0.1)
    >>> sched = ember.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
    >>> for _ in range(3):
    ...     opt.zero_grad()
    ...     ((w - 1) ** 2).sum().backward()
    ...     opt.step()
    ...     sched.step()
"""
from ember.optim.optimizer import Optimizer
from ember.optim.sgd import SGD
from ember.optim.adam import Adam, AdamW
from ember.optim.rmsprop import RMSprop
from ember.optim.adagrad import Adagrad
from ember.optim.adadelta import Adadelta
from ember.optim.adamax import Adamax
from ember.optim.nadam import NAdam
from ember.optim.radam import RAdam
from ember.optim.rprop import Rprop
from ember.optim.asgd import ASGD
from ember.optim.adafactor import Adafactor
from ember.optim.lbfgs import LBFGS
from ember.optim.sparse_adam import SparseAdam
from ember.optim.muon import Muon
from ember.optim import lr_scheduler, swa_utils

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam",
           "RAdam", "Rprop", "ASGD", "Adafactor", "LBFGS", "SparseAdam", "Muon", "lr_scheduler"]
