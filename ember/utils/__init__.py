"""Level 5: utilities in PyTorch's `torch.utils` places: `ember.utils.tensorboard` (SummaryWriter).

    >>> from ember.utils.tensorboard import SummaryWriter     # needs the `tensorboard` extra
"""
