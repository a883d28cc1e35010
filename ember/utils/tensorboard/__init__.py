"""Level 5: TensorBoard event files with PyTorch's `SummaryWriter` (needs the `tensorboard` extra).

    >>> from ember.utils.tensorboard import SummaryWriter
    >>> w = SummaryWriter("runs/demo"); w.add_scalar("loss", 0.5, 1); w.close()    # doctest: +SKIP
"""
from ember.utils.tensorboard.writer import SummaryWriter

__all__ = ["SummaryWriter"]
