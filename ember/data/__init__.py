"""ember.data: datasets, samplers and the DataLoader (PyTorch's `torch.utils.data`).

    >>> import numpy as np
    >>> from ember.data import ArrayDataset, DataLoader
    >>> ds = ArrayDataset(np.random.rand(100, 8).astype(np.float32), np.arange(100))
    >>> x, y = next(iter(DataLoader(ds, batch_size=32, shuffle=True)))
    >>> tuple(x.shape), tuple(y.shape)
    ((32, 8), (32,))
"""
from ember.data._worker import DataLoaderError, WorkerInfo, get_worker_info
from ember.data.collate import default_collate, default_convert
from ember.data.dataset import (ArrayDataset, ChainDataset, ConcatDataset, Dataset, IterableDataset, Subset,
                                TensorDataset, random_split)
from ember.data.loader import DataLoader
from ember.data.sampler import (BatchSampler, DistributedSampler, RandomSampler, Sampler, SequentialSampler,
                                SubsetRandomSampler, WeightedRandomSampler)
from ember.data import datasets, transforms
from ember.data.text import CharVocab, Vocab, WordVocab
from ember.data.stack import StackDataset

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "ChainDataset", "Subset",
           "ArrayDataset", "random_split",
           "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler", "DistributedSampler",
           "default_collate", "default_convert",
           "DataLoader", "DataLoaderError", "WorkerInfo", "get_worker_info",
           "datasets", "transforms", "Vocab", "CharVocab", "WordVocab", "StackDataset"]
