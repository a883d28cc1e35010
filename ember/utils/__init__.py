"""Level 5: utilities in PyTorch's `torch.utils` places: `ember.utils.data` (the names of `ember.data`)
and `ember.utils.tensorboard` (SummaryWriter).

    >>> from ember.utils.data import DataLoader, TensorDataset
    >>> from ember.utils.tensorboard import SummaryWriter     # doctest: +SKIP  (needs the `tensorboard` extra)
"""
from ember.utils import data
