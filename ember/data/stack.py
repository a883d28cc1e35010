"""StackDataset, as PyTorch's `torch.utils.data.StackDataset`: several datasets of one length read side by
side, each sample a tuple (datasets given positionally) or a dict (given by keyword).

    >>> from ember.data import StackDataset, TensorDataset
    >>> import ember
    >>> ds = StackDataset(x=ember.arange(3), y=ember.arange(3) * 10)
    >>> ds[1]
    {'x': tensor(1), 'y': tensor(10)}
"""
from ember.data.dataset import Dataset
from ember.errors import ArgumentError

__all__ = ["StackDataset"]


class StackDataset(Dataset):
    """`StackDataset(a, b)[i] == (a[i], b[i])`; `StackDataset(x=a, y=b)[i] == {"x": a[i], "y": b[i]}`."""

    def __init__(self, *args, **kwargs):
        if args and kwargs:
            raise ArgumentError("StackDataset: give the datasets either positionally (tuple samples) or by keyword "
                                "(dict samples), not both")
        if not args and not kwargs:
            raise ArgumentError("StackDataset: at least one dataset is needed")
        self.datasets = args if args else kwargs
        parts = args if args else tuple(kwargs.values())
        lengths = [len(d) for d in parts]
        if len(set(lengths)) != 1:
            raise ArgumentError(f"StackDataset: the datasets must have one length, got lengths {lengths}")
        self._length = lengths[0]

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {key: d[index] for key, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __len__(self):
        return self._length
