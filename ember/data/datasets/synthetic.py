"""Seeded synthetic datasets for quick experiments (NumPy only).

Each `make_*` returns a `SupervisedDataset`; `ds.data` and `ds.targets` are
the NumPy arrays. The same `seed` gives the same data on every run,
independent of ember's default generator.

    >>> from ember.data.datasets import make_moons
    >>> ds = make_moons(200, noise=0.1, seed=0)
    >>> ds.data.shape, ds.data.dtype, sorted(set(ds.targets.tolist()))
    ((200, 2), dtype('float32'), [0, 1])
"""
import numbers

import numpy as np

from ember.data.datasets.base import SupervisedDataset
from ember.errors import ArgumentError

__all__ = ["make_moons", "make_spirals", "make_blobs", "make_sine", "make_sequence_task"]


def _count(name, arg, value, low=1):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < low:
        raise ArgumentError(f"{name}: {arg} must be an int >= {low}, got {value!r}")
    return int(value)


def _nonneg(name, arg, value):
    if not isinstance(value, numbers.Real) or value < 0:
        raise ArgumentError(f"{name}: {arg} must be a number >= 0, got {value!r}")
    return float(value)


def _finish(x, y, rng, shuffle, classes=None, **kw):
    if shuffle:
        perm = rng.permutation(len(x))
        x, y = x[perm], y[perm]
    return SupervisedDataset(np.ascontiguousarray(x), np.ascontiguousarray(y), classes=classes, **kw)


def make_moons(n_samples=100, noise=0.0, shuffle=True, seed=0, transform=None, target_transform=None):
    """Two interleaving half circles (scikit-learn's construction): float32 (n, 2), labels 0/1."""
    n = _count("make_moons", "n_samples", n_samples, 2)
    noise = _nonneg("make_moons", "noise", noise)
    rng = np.random.default_rng(seed)
    n_out, n_in = n // 2, n - n // 2
    outer = np.linspace(0, np.pi, n_out)
    inner = np.linspace(0, np.pi, n_in)
    x = np.concatenate([np.stack([np.cos(outer), np.sin(outer)], 1),
                        np.stack([1 - np.cos(inner), 1 - np.sin(inner) - 0.5], 1)])
    y = np.concatenate([np.zeros(n_out, np.int64), np.ones(n_in, np.int64)])
    x = x + rng.normal(scale=noise, size=x.shape) if noise else x
    return _finish(x.astype(np.float32), y, rng, shuffle, ["0", "1"], transform=transform,
                   target_transform=target_transform)


def make_spirals(n_samples=300, n_classes=3, noise=0.2, turns=1.0, shuffle=True, seed=0,
                 transform=None, target_transform=None):
    """`n_classes` interleaved spiral arms in the plane: float32 (n, 2), labels 0..n_classes-1.

    Arm k has radius growing 0 -> 1 and angle `k * 2pi / n_classes + 2pi * turns * r`,
    with Gaussian `noise` on the angle.
    """
    n = _count("make_spirals", "n_samples", n_samples)
    k = _count("make_spirals", "n_classes", n_classes, 2)
    noise = _nonneg("make_spirals", "noise", noise)
    rng = np.random.default_rng(seed)
    y = np.arange(n, dtype=np.int64) % k
    y.sort()
    counts = np.bincount(y, minlength=k)
    r = np.concatenate([np.linspace(0.0, 1.0, c) for c in counts])
    t = y * (2 * np.pi / k) + 2 * np.pi * float(turns) * r + rng.normal(scale=noise, size=n)
    x = np.stack([r * np.sin(t), r * np.cos(t)], 1)
    return _finish(x.astype(np.float32), y, rng, shuffle, [str(c) for c in range(k)], transform=transform,
                   target_transform=target_transform)


def make_blobs(n_samples=100, centers=3, n_features=2, cluster_std=1.0, center_box=(-10.0, 10.0),
               shuffle=True, seed=0, transform=None, target_transform=None):
    """Gaussian blobs: float32 (n, n_features), labels = the blob.

    `centers` is a count (drawn uniformly in `center_box`) or an array
    (n_centers, n_features); `cluster_std` is one number or one per center.
    Samples are spread over the centers as evenly as possible.
    """
    n = _count("make_blobs", "n_samples", n_samples)
    rng = np.random.default_rng(seed)
    if isinstance(centers, numbers.Integral):
        d = _count("make_blobs", "n_features", n_features)
        c = rng.uniform(center_box[0], center_box[1], size=(_count("make_blobs", "centers", centers), d))
    else:
        c = np.asarray(centers, dtype=np.float64)
        if c.ndim != 2 or len(c) == 0:
            raise ArgumentError(f"make_blobs: centers must be an int or an array (n_centers, n_features), "
                                f"got shape {c.shape}")
    std = np.broadcast_to(np.asarray(cluster_std, dtype=np.float64), (len(c),))
    if (std < 0).any():
        raise ArgumentError(f"make_blobs: cluster_std must be >= 0, got {cluster_std}")
    y = np.arange(n, dtype=np.int64) % len(c)
    y.sort()
    x = c[y] + rng.normal(size=(n, c.shape[1])) * std[y, None]
    ds = _finish(x.astype(np.float32), y, rng, shuffle, [str(i) for i in range(len(c))], transform=transform,
                 target_transform=target_transform)
    ds.centers = c.astype(np.float32)
    return ds


def make_sine(n_samples=200, x_range=(-np.pi, np.pi), amplitude=1.0, frequency=1.0, phase=0.0, noise=0.0,
              seed=0, transform=None, target_transform=None):
    """Regression on `y = amplitude * sin(frequency * x + phase) + noise`: float32 x (n, 1), y (n, 1).

    The x are drawn uniformly in `x_range`.
    """
    n = _count("make_sine", "n_samples", n_samples)
    noise = _nonneg("make_sine", "noise", noise)
    lo, hi = x_range
    if not lo < hi:
        raise ArgumentError(f"make_sine: x_range must be (low, high) with low < high, got {x_range}")
    rng = np.random.default_rng(seed)
    x = rng.uniform(lo, hi, size=(n, 1))
    y = amplitude * np.sin(frequency * x + phase) + (rng.normal(scale=noise, size=(n, 1)) if noise else 0.0)
    return SupervisedDataset(x.astype(np.float32), y.astype(np.float32), transform, target_transform)


def make_sequence_task(task="copy", n_samples=1000, seq_len=10, vocab_size=10, seed=0,
                       transform=None, target_transform=None):
    """Sequence-to-sequence toy tasks over tokens 1..vocab_size-1 (0 is left for padding).

    `task="copy"`: the target is the input; `"reverse"`: the input reversed;
    `"sort"`: the input sorted. Inputs and targets are int64 (n, seq_len).

        >>> ds = make_sequence_task("reverse", n_samples=2, seq_len=4)
        >>> bool((ds.targets == ds.data[:, ::-1]).all())
        True
    """
    tasks = {"copy": lambda s: s, "reverse": lambda s: s[:, ::-1], "sort": lambda s: np.sort(s, axis=1)}
    if task not in tasks:
        raise ArgumentError(f"make_sequence_task: task must be one of {sorted(tasks)}, got {task!r}")
    n = _count("make_sequence_task", "n_samples", n_samples)
    length = _count("make_sequence_task", "seq_len", seq_len)
    v = _count("make_sequence_task", "vocab_size", vocab_size, 2)
    rng = np.random.default_rng(seed)
    src = rng.integers(1, v, size=(n, length), dtype=np.int64)
    ds = SupervisedDataset(src, np.ascontiguousarray(tasks[task](src)), transform, target_transform)
    ds.vocab_size, ds.pad_index = v, 0
    return ds
