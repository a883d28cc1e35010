"""torch.utils.data names against PyTorch: Dataset/IterableDataset subclasses, ChainDataset, Subset,
StackDataset, samplers (RandomSampler with and without replacement, SubsetRandomSampler, a custom
Sampler) and get_worker_info, each through the DataLoader as scripts use them."""
import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import ember
import ember.utils.data as edata

COVERS = {"torch.utils.data": ["Dataset", "IterableDataset", "ChainDataset", "Subset", "StackDataset", "Sampler",
                               "RandomSampler", "SubsetRandomSampler", "get_worker_info"]}


def squares(lib, base):
    class Squares(base.Dataset):
        def __len__(self):
            return 10

        def __getitem__(self, i):
            return lib.tensor(float(i * i)), i
    return Squares()


def counter(lib, base, start, stop):
    class Count(base.IterableDataset):
        def __iter__(self):
            return iter(lib.tensor(i) for i in range(start, stop))
    return Count()


def as_lists(batches):
    return [[np.asarray(x).tolist() for x in (b if isinstance(b, (list, tuple)) else [b])] for b in batches]


def test_map_and_iterable_datasets_chain_and_subset_as_torch():
    seen = []
    for lib, base in ((torch, tdata), (ember, edata)):
        ds = squares(lib, base)
        sub = base.Subset(ds, [7, 2, 5])
        chain = base.ChainDataset([counter(lib, base, 0, 3), counter(lib, base, 10, 12)])
        stack_t = base.StackDataset(ds, sub.dataset)
        stack_d = base.StackDataset(a=ds, b=ds)
        seen.append((as_lists(base.DataLoader(sub, batch_size=2)), [int(x) for x in chain],
                     [float(stack_t[3][1][0]), stack_d[4]["b"][1]], len(stack_t),
                     as_lists(base.DataLoader(stack_d, batch_size=4))[0][:0]))
        with pytest.raises(ValueError):
            base.StackDataset(ds, a=ds)
        with pytest.raises(ValueError):
            base.StackDataset(ds, sub)
    assert seen[0] == seen[1]


def test_dict_samples_collate_as_torch():
    out = []
    for lib, base in ((torch, tdata), (ember, edata)):
        ds = base.StackDataset(x=lib.arange(6.0), y=lib.arange(6) * 10)
        batch = next(iter(base.DataLoader(ds, batch_size=4)))
        out.append({k: v.tolist() for k, v in batch.items()})
    assert out[0] == out[1]


class EveryOther:
    """A Sampler subclass body shared by both libraries: even indices, then odd ones."""

    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(list(range(0, self.n, 2)) + list(range(1, self.n, 2)))

    def __len__(self):
        return self.n


def test_samplers_as_torch():
    orders = []
    for lib, base in ((torch, tdata), (ember, edata)):
        custom = type("EveryOther", (EveryOther, base.Sampler), {})(7)
        orders.append(list(custom))
        g = lib.Generator().manual_seed(0)
        perm = list(base.RandomSampler(range(9), generator=g))
        assert sorted(perm) == list(range(9))
        draws = list(base.RandomSampler(range(5), replacement=True, num_samples=40, generator=g))
        assert len(draws) == 40 and set(draws) <= set(range(5))
        sub = list(base.SubsetRandomSampler([3, 8, 1], generator=g))
        assert sorted(sub) == [1, 3, 8] and len(base.SubsetRandomSampler([3, 8, 1])) == 3
        loader = base.DataLoader(squares(lib, base), batch_size=3, sampler=custom)
        orders.append(as_lists(loader))
    assert orders[0] == orders[2] and orders[1] == orders[3]


def worker_ids(lib, base):
    class Ids(base.IterableDataset):
        def __iter__(self):
            info = base.get_worker_info()
            return iter([lib.tensor([info.id, info.num_workers])])
    return sorted(tuple(b[0].tolist()) for b in base.DataLoader(Ids(), batch_size=1, num_workers=2))


def test_get_worker_info_in_workers_as_torch():
    assert tdata.get_worker_info() is None and edata.get_worker_info() is None
    assert worker_ids(torch, tdata) == worker_ids(ember, edata) == [(0, 2), (1, 2)]
