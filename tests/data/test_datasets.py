"""Built-in datasets: synthetic generators, scikit-learn's toy sets, the character corpus."""
import sys

import numpy as np
import pytest

import ember
from ember.data import DataLoader, default_collate
from ember.data import transforms as T
from ember.data.datasets import (CharCorpus, MissingDataError, MissingExtraError, SupervisedDataset, load_breast_cancer,
                                 load_corpus_text, load_digits, load_iris, load_wine, make_blobs, make_moons,
                                 make_sequence_task, make_sine, make_spirals, split_indices)
from ember.errors import ArgumentError, IndexOutOfRangeError, ShapeError


# --- SupervisedDataset ---------------------------------------------------------------------------
def test_supervised_dataset_items_batches_and_transforms():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    y = np.array([0, 1, 0, 1, 1, 0])
    ds = SupervisedDataset(x, y)
    a, b = ds[-1]
    assert a.dtype == ember.float32 and b.dtype == ember.int64
    np.testing.assert_array_equal(a.numpy(), x[5])
    batch = ds.get_batch([4, 0, 2])
    collated = default_collate([ds[i] for i in [4, 0, 2]])
    for u, v in zip(batch, collated):
        assert u.dtype == v.dtype
        np.testing.assert_array_equal(u.numpy(), v.numpy())
    tf = SupervisedDataset(x, y, transform=T.Lambda(lambda t: t * 2), target_transform=T.OneHot(2))
    a, b = tf[1]
    np.testing.assert_array_equal(a.numpy(), 2 * x[1])
    np.testing.assert_array_equal(b.numpy(), [0.0, 1.0])
    assert tuple(tf.get_batch([0, 1])[1].shape) == (2, 2)
    with pytest.raises(IndexOutOfRangeError):
        ds[6]
    with pytest.raises(IndexOutOfRangeError):
        ds.get_batch([0, 6])
    with pytest.raises(ShapeError, match="first dimension"):
        SupervisedDataset(x, y[:3])


def test_split_indices_is_seeded_disjoint_and_stratified():
    labels = np.repeat(np.arange(3), [10, 20, 30])
    tr, te = split_indices(60, True, 0.2, 7, labels), split_indices(60, False, 0.2, 7, labels)
    assert len(tr) + len(te) == 60 and not set(tr) & set(te)
    assert np.bincount(labels[te]).tolist() == [2, 4, 6]
    np.testing.assert_array_equal(tr, split_indices(60, True, 0.2, 7, labels))
    assert not np.array_equal(te, split_indices(60, False, 0.2, 8, labels))
    with pytest.raises(ArgumentError):
        split_indices(10, True, 1.5)


# --- synthetic -----------------------------------------------------------------------------------
def test_make_moons_geometry_and_seeding():
    ds = make_moons(101, noise=0.0, seed=0)
    x, y = ds.data, ds.targets
    assert x.shape == (101, 2) and x.dtype == np.float32 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [50, 51]
    outer, inner = x[y == 0], x[y == 1]
    np.testing.assert_allclose(np.hypot(outer[:, 0], outer[:, 1]), 1.0, rtol=1e-5)
    np.testing.assert_allclose(np.hypot(inner[:, 0] - 1, inner[:, 1] - 0.5), 1.0, rtol=1e-5)
    a, b = make_moons(50, noise=0.1, seed=3), make_moons(50, noise=0.1, seed=3)
    np.testing.assert_array_equal(a.data, b.data)
    assert not np.array_equal(a.data, make_moons(50, noise=0.1, seed=4).data)
    with pytest.raises(ArgumentError, match="noise"):
        make_moons(10, noise=-1)


def test_make_spirals_classes_and_radius():
    ds = make_spirals(301, n_classes=4, noise=0.0, seed=1)
    assert ds.data.shape == (301, 2) and ds.data.dtype == np.float32
    assert sorted(np.bincount(ds.targets).tolist()) == [75, 75, 75, 76]
    r = np.hypot(ds.data[:, 0], ds.data[:, 1])
    assert r.min() >= 0 and r.max() <= 1 + 1e-6
    np.testing.assert_array_equal(make_spirals(30, seed=2).data, make_spirals(30, seed=2).data)
    with pytest.raises(ArgumentError, match="n_classes"):
        make_spirals(10, n_classes=1)


def test_make_blobs_points_sit_near_their_centers():
    ds = make_blobs(600, centers=3, n_features=4, cluster_std=0.5, seed=0)
    assert ds.data.shape == (600, 4) and ds.centers.shape == (3, 4)
    for k in range(3):
        pts = ds.data[ds.targets == k]
        assert len(pts) == 200
        np.testing.assert_allclose(pts.mean(0), ds.centers[k], atol=0.15)
        np.testing.assert_allclose(pts.std(0), 0.5, atol=0.1)
    fixed = make_blobs(4, centers=[[0, 0], [10, 10]], cluster_std=0.0, shuffle=False)
    np.testing.assert_array_equal(fixed.data, [[0, 0], [0, 0], [10, 10], [10, 10]])
    with pytest.raises(ArgumentError):
        make_blobs(4, centers=np.zeros(3))


def test_make_sine_regression():
    ds = make_sine(64, amplitude=2.0, frequency=3.0, phase=0.5, seed=0)
    x, y = ds[0]
    assert tuple(x.shape) == (1,) and y.dtype == ember.float32
    np.testing.assert_allclose(ds.targets, 2.0 * np.sin(3.0 * ds.data + 0.5), rtol=1e-5, atol=1e-6)
    assert ds.data.min() >= -np.pi and ds.data.max() <= np.pi
    noisy = make_sine(2000, noise=0.1, seed=0)
    assert 0.08 < float(np.std(noisy.targets - np.sin(noisy.data))) < 0.12
    with pytest.raises(ArgumentError):
        make_sine(10, x_range=(1, 0))


@pytest.mark.parametrize("task, fn", [("copy", lambda s: s), ("reverse", lambda s: s[:, ::-1]),
                                      ("sort", lambda s: np.sort(s, 1))])
def test_sequence_tasks(task, fn):
    ds = make_sequence_task(task, n_samples=50, seq_len=7, vocab_size=5, seed=0)
    assert ds.data.shape == (50, 7) and ds.data.dtype == np.int64
    assert ds.data.min() >= 1 and ds.data.max() <= 4  # 0 is padding
    np.testing.assert_array_equal(ds.targets, fn(ds.data))
    x, y = ds[3]
    assert x.dtype == ember.int64 and tuple(y.shape) == (7,)
    with pytest.raises(ArgumentError, match="task"):
        make_sequence_task("shuffle")


def test_synthetic_dataset_through_data_loader():
    ds = make_moons(100, seed=0)
    batches = list(DataLoader(ds, batch_size=32))
    assert [tuple(b[0].shape) for b in batches] == [(32, 2), (32, 2), (32, 2), (4, 2)]
    np.testing.assert_array_equal(batches[0][1].numpy(), ds.targets[:32])


# --- scikit-learn toy sets -----------------------------------------------------------------------
def test_missing_scikit_learn_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)  # `import sklearn` now raises ImportError
    with pytest.raises(MissingExtraError, match=r"pip install ember\[datasets\]"):
        load_digits()
    with pytest.raises(ImportError):  # still an ImportError for code that expects one
        load_iris()


def test_digits_images_labels_and_split():
    pytest.importorskip("sklearn", reason="scikit-learn is not installed (extra `datasets`)")
    full = load_digits()
    assert len(full) == 1797 and full.data.shape == (1797, 1, 8, 8) and full.data.dtype == np.float32
    assert full.data.min() == 0.0 and full.data.max() == 1.0
    assert set(full.targets.tolist()) == set(range(10)) and full.targets.dtype == np.int64
    x, y = full[0]
    assert tuple(x.shape) == (1, 8, 8) and x.dtype == ember.float32 and y.dtype == ember.int64
    train, test = load_digits(train=True), load_digits(train=False)
    assert len(train) + len(test) == 1797 and abs(len(test) - 0.2 * 1797) <= 10
    both = np.concatenate([train.data, test.data]).reshape(1797, -1)
    assert len(np.unique(both, axis=0)) == len(np.unique(full.data.reshape(1797, -1), axis=0))
    np.testing.assert_array_equal(load_digits(train=False).targets, test.targets)  # same seed, same split
    assert not np.array_equal(load_digits(train=False, seed=1).targets, test.targets)


@pytest.mark.parametrize("loader, n, d, k", [(load_iris, 150, 4, 3), (load_wine, 178, 13, 3),
                                             (load_breast_cancer, 569, 30, 2)])
def test_tabular_toy_sets(loader, n, d, k):
    pytest.importorskip("sklearn", reason="scikit-learn is not installed (extra `datasets`)")
    ds = loader()
    assert ds.data.shape == (n, d) and ds.data.dtype == np.float32 and ds.targets.dtype == np.int64
    assert len(ds.classes) == k and len(ds.feature_names) == d
    train = loader(train=True, test_fraction=0.3)
    test = loader(train=False, test_fraction=0.3)
    assert len(train) + len(test) == n
    for c in range(k):  # stratified: each class keeps its share in the test part
        share = np.mean(test.targets == c) - np.mean(ds.targets == c)
        assert abs(share) < 0.02


# --- character corpus ----------------------------------------------------------------------------
def test_shipped_corpus_windows_are_shifted_pairs():
    text = load_corpus_text()
    assert len(text) > 20_000 and text.isascii()
    ds = CharCorpus(seq_len=50, split="all")
    assert len(ds) == (len(text) - 51) // 50 + 1
    for i in (0, 7, len(ds) - 1):
        x, y = ds[i]
        assert x.dtype == ember.int64 and tuple(x.shape) == (50,)
        assert ds.vocab.decode(x) == text[50 * i:50 * i + 50]
        assert ds.vocab.decode(y) == text[50 * i + 1:50 * i + 51]


def test_corpus_split_stride_and_shared_vocab():
    text = "abcdefghij" * 10
    train = CharCorpus(seq_len=8, stride=3, split="train", val_fraction=0.2, text=text)
    val = CharCorpus(seq_len=8, split="val", val_fraction=0.2, text=text)
    assert train.text + val.text == text and len(train.text) == 80
    assert len(train) == (80 - 9) // 3 + 1 and len(val) == (20 - 9) // 8 + 1
    assert train.vocab == val.vocab and train.vocab.itos == sorted(set(text))
    x1, _ = train[1]
    assert train.vocab.decode(x1) == text[3:11]
    batch = train.get_batch([0, 1])
    np.testing.assert_array_equal(batch[0].numpy()[1], x1.numpy())
    np.testing.assert_array_equal(batch[1].numpy()[:, :-1], batch[0].numpy()[:, 1:])


def test_corpus_from_path_and_errors(tmp_path):
    p = tmp_path / "t.txt"
    p.write_text("hello world, hello corpus", encoding="utf-8")
    ds = CharCorpus(seq_len=4, split="all", path=p)
    assert ds.vocab.decode(ds[0][0]) == "hell"
    with pytest.raises(MissingDataError, match="no text file"):
        CharCorpus(path=tmp_path / "missing.txt")
    with pytest.raises(ArgumentError, match="needs at least"):
        CharCorpus(seq_len=100, text="short")
    with pytest.raises(ArgumentError, match="split"):
        CharCorpus(split="test")
    with pytest.raises(ArgumentError, match="not both"):
        CharCorpus(text="abc", path=p)
