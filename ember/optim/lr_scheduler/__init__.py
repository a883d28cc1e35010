"""`ember.optim.lr_scheduler`: PyTorch's learning-rate schedulers, with its names and numbers.

    >>> import ember
    >>> from ember.optim import lr_scheduler
    >>> opt = ember.optim.SGD([ember.zeros(1, requires_grad=True)], lr=0.1)
    >>> sched = lr_scheduler.MultiStepLR(opt, milestones=[2, 4], gamma=0.1)
    >>> for epoch in range(5):
    ...     opt.step()      # after a training epoch
    ...     sched.step()
"""
from ember.optim.lr_scheduler.base import LRScheduler
from ember.optim.lr_scheduler.basic import (ConstantLR, ExponentialLR, LambdaLR, LinearLR, MultiplicativeLR,
                                            MultiStepLR, PolynomialLR, StepLR)
from ember.optim.lr_scheduler.cosine import CosineAnnealingLR, CosineAnnealingWarmRestarts
from ember.optim.lr_scheduler.cyclic import CyclicLR, OneCycleLR
from ember.optim.lr_scheduler.compose import ChainedScheduler, ReduceLROnPlateau, SequentialLR

__all__ = ["LRScheduler", "LambdaLR", "MultiplicativeLR", "StepLR", "MultiStepLR", "ConstantLR", "LinearLR",
           "ExponentialLR", "PolynomialLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "CyclicLR",
           "OneCycleLR", "SequentialLR", "ChainedScheduler", "ReduceLROnPlateau"]
