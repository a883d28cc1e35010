"""Samplers: orders, statistics, and DistributedSampler's partition against PyTorch's."""
import collections

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import ember
from ember.data import (BatchSampler, DistributedSampler, RandomSampler, SequentialSampler, SubsetRandomSampler,
                        WeightedRandomSampler)


def test_sequential_and_batch_match_torch():
    for drop_last in (False, True):
        ours = list(BatchSampler(SequentialSampler(range(10)), 3, drop_last))
        ref = list(tud.BatchSampler(tud.SequentialSampler(range(10)), 3, drop_last))
        assert ours == ref
        assert len(BatchSampler(SequentialSampler(range(10)), 3, drop_last)) == len(ref)
    with pytest.raises(ember.ArgumentError, match="batch_size"):
        BatchSampler(range(3), 0, False)


def test_random_sampler_is_a_seeded_permutation():
    g = ember.Generator().manual_seed(3)
    a = list(RandomSampler(range(50), generator=g))
    b = list(RandomSampler(range(50), generator=g))
    assert sorted(a) == sorted(b) == list(range(50)) and a != b  # a new permutation per pass
    ember.manual_seed(0)
    c = list(RandomSampler(range(50)))
    ember.manual_seed(0)
    assert list(RandomSampler(range(50))) == c


def test_random_sampler_num_samples_and_replacement():
    s = list(RandomSampler(range(10), num_samples=25, generator=ember.Generator().manual_seed(0)))
    counts = collections.Counter(s)
    assert len(s) == 25 and all(counts[i] in (2, 3) for i in range(10))  # two full passes + 5
    draws = list(RandomSampler(range(4), replacement=True, num_samples=40000,
                               generator=ember.Generator().manual_seed(0)))
    freq = np.bincount(draws, minlength=4) / 40000
    np.testing.assert_allclose(freq, 0.25, atol=0.01)
    with pytest.raises(ember.ArgumentError, match="num_samples"):
        RandomSampler(range(4), num_samples=0)


def test_weighted_sampler_frequencies():
    w = [1.0, 2.0, 0.0, 7.0]
    s = list(WeightedRandomSampler(w, 50000, generator=ember.Generator().manual_seed(0)))
    ref = list(tud.WeightedRandomSampler(w, 50000, generator=torch.Generator().manual_seed(0)))
    np.testing.assert_allclose(np.bincount(s, minlength=4) / 50000, [0.1, 0.2, 0.0, 0.7], atol=0.01)
    np.testing.assert_allclose(np.bincount(s, minlength=4) / 50000, np.bincount(ref, minlength=4) / 50000, atol=0.015)
    no_rep = list(WeightedRandomSampler(w, 3, replacement=False, generator=ember.Generator().manual_seed(0)))
    assert sorted(no_rep) == [0, 1, 3]
    with pytest.raises(ember.ArgumentError, match="non-zero"):
        WeightedRandomSampler(w, 4, replacement=False)
    with pytest.raises(ember.ArgumentError, match="non-negative"):
        WeightedRandomSampler([1.0, -1.0], 2)


def test_subset_random_sampler():
    idx = [3, 9, 27, 81]
    out = list(SubsetRandomSampler(idx, generator=ember.Generator().manual_seed(0)))
    assert sorted(out) == idx and len(SubsetRandomSampler(idx)) == 4


@pytest.mark.parametrize("n,replicas,drop_last", [(10, 3, False), (10, 3, True), (12, 4, False), (2, 4, False),
                                                  (11, 2, True)])
def test_distributed_sampler_without_shuffle_matches_torch(n, replicas, drop_last):
    for rank in range(replicas):
        ours = DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        ref = tud.DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(ref) and len(ours) == len(ref)


@pytest.mark.parametrize("n,replicas,drop_last", [(10, 3, False), (10, 3, True), (101, 4, False)])
def test_distributed_sampler_shuffled_partition(n, replicas, drop_last):
    def parts(cls, seed, epoch):
        out = []
        for rank in range(replicas):
            s = cls(range(n), num_replicas=replicas, rank=rank, shuffle=True, seed=seed, drop_last=drop_last)
            s.set_epoch(epoch)
            out.append(list(s))
        return out

    ours, ref = parts(DistributedSampler, 5, 0), parts(tud.DistributedSampler, 5, 0)
    assert [len(p) for p in ours] == [len(p) for p in ref]  # same shard sizes as torch
    flat, flat_ref = sum(ours, []), sum(ref, [])
    # Same multiset shape as torch: every index once, plus the same number of padding repeats (or drops).
    assert len(set(flat)) == len(set(flat_ref)) and len(flat) == len(flat_ref)
    assert sorted(collections.Counter(flat).values()) == sorted(collections.Counter(flat_ref).values())
    assert ours == parts(DistributedSampler, 5, 0)  # every rank computes the same permutation
    assert ours != parts(DistributedSampler, 5, 1)  # set_epoch reshuffles


def test_distributed_sampler_needs_rank():
    with pytest.raises(ember.ArgumentError, match="rank"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
