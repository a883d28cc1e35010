"""Datasets: TensorDataset, ArrayDataset (in memory and memory-mapped), ConcatDataset, Subset, random_split."""
import pickle

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import ember
from ember.data import (ArrayDataset, ChainDataset, ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset,
                        random_split)


def test_tensor_dataset_items_and_batch():
    x, y = np.arange(12.0, dtype=np.float32).reshape(4, 3), np.arange(4)
    ds, ref = TensorDataset(ember.tensor(x), ember.tensor(y)), tud.TensorDataset(torch.tensor(x), torch.tensor(y))
    assert len(ds) == len(ref) == 4
    for i in range(4):
        np.testing.assert_array_equal(ds[i][0].numpy(), ref[i][0].numpy())
        assert ds[i][1].item() == ref[i][1].item()
    bx, by = ds.get_batch([2, 0])
    np.testing.assert_array_equal(bx.numpy(), x[[2, 0]])
    np.testing.assert_array_equal(by.numpy(), [2, 0])
    with pytest.raises(ember.ShapeError, match="first dimensions"):
        TensorDataset(ember.zeros(3, 2), ember.zeros(4))


def test_array_dataset_items_are_rows_and_batches_gather():
    x, y = np.random.rand(10, 2, 3).astype(np.float32), np.arange(10)
    ds = ArrayDataset(x, y)
    a, b = ds[-1]
    np.testing.assert_array_equal(a, x[9])
    assert b == 9
    bx, by = ds.get_batch([5, 1, 5])
    assert isinstance(bx, ember.Tensor) and bx.dtype == ember.float32 and tuple(bx.shape) == (3, 2, 3)
    np.testing.assert_array_equal(bx.numpy(), x[[5, 1, 5]])
    with pytest.raises(ember.IndexOutOfRangeError, match="out of range"):
        ds[10]
    with pytest.raises(ember.IndexOutOfRangeError):
        ds.get_batch([3, 10])


def test_from_npy_memory_maps_lazily(tmp_path):
    x = np.random.rand(50, 4).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", np.arange(50))
    ds = ArrayDataset.from_npy(tmp_path / "x.npy", tmp_path / "y.npy")
    assert isinstance(ds.arrays[0], np.memmap)
    row = ds[7][0]
    assert type(row) is np.ndarray and not isinstance(row, np.memmap)  # copied off the file
    np.testing.assert_array_equal(row, x[7])
    np.testing.assert_array_equal(ds.get_batch([3, 4])[0].numpy(), x[3:5])
    back = pickle.loads(pickle.dumps(ds))  # spawned workers get the file name, not the content
    assert isinstance(back.arrays[0], np.memmap)
    assert len(pickle.dumps(ds)) < x.nbytes
    np.testing.assert_array_equal(back[7][0], x[7])
    loaded = ArrayDataset.from_npy(tmp_path / "x.npy", mmap=False)
    assert not isinstance(loaded.arrays[0], np.memmap)


def test_concat_and_add():
    a, b = ArrayDataset(np.arange(3)), ArrayDataset(np.arange(10, 15))
    c = a + b
    assert isinstance(c, ConcatDataset) and len(c) == 8
    ref = tud.ConcatDataset([list(range(3)), list(range(10, 15))])
    assert [c[i][0] for i in range(8)] == [ref[i] for i in range(8)]
    assert c[-1][0] == 14
    with pytest.raises(ember.ArgumentError):
        ConcatDataset([])


def test_subset_and_chain():
    base = ArrayDataset(np.arange(10) * 10)
    s = Subset(base, [4, 2, 7])
    assert len(s) == 3 and s[1][0] == 20
    np.testing.assert_array_equal(s.get_batch([0, 2])[0].numpy(), [40, 70])

    class Stream(IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n))

    assert list(Stream(2) + Stream(3)) == [0, 1, 0, 1, 2]
    assert list(ChainDataset([Stream(1), Stream(2)])) == [0, 0, 1]


def test_random_split_is_a_seeded_partition():
    ds = ArrayDataset(np.arange(103))
    parts = random_split(ds, [0.5, 0.3, 0.2], generator=ember.Generator().manual_seed(1))
    ref = tud.random_split(range(103), [0.5, 0.3, 0.2], generator=torch.Generator().manual_seed(1))
    assert [len(p) for p in parts] == [len(r) for r in ref] == [52, 31, 20]
    flat = sorted(i for p in parts for i in p.indices)
    assert flat == list(range(103))
    again = random_split(ds, [0.5, 0.3, 0.2], generator=ember.Generator().manual_seed(1))
    assert [p.indices for p in parts] == [p.indices for p in again]
    other = random_split(ds, [0.5, 0.3, 0.2], generator=ember.Generator().manual_seed(2))
    assert [p.indices for p in parts] != [p.indices for p in other]
    assert [len(p) for p in random_split(ds, [100, 3])] == [100, 3]
    with pytest.raises(ember.ArgumentError, match="sum of lengths"):
        random_split(ds, [50, 50])


def test_base_dataset_needs_getitem():
    with pytest.raises(NotImplementedError):
        Dataset()[0]
