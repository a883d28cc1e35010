"""File readers: IDX (MNIST), CSV, .npy/.npz and ImageFolder, on files the tests write themselves."""
import gzip
import struct
import sys

import numpy as np
import pytest

import ember
from ember.data import DataLoader
from ember.data import transforms as T
from ember.data.datasets import (MNIST, CSVDataset, DataFileError, FashionMNIST, ImageFolder, MissingDataError,
                                 MissingExtraError, NpyDataset, NpzDataset, read_idx)
from ember.errors import ArgumentError

rng = np.random.default_rng(0)
_CODES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(np.int16): 0x0B, np.dtype(np.int32): 0x0C,
          np.dtype(np.float32): 0x0D, np.dtype(np.float64): 0x0E}


def idx_bytes(arr):
    header = struct.pack(">BBBB", 0, 0, _CODES[arr.dtype], arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def write_idx(path, arr, gz=False):
    data = idx_bytes(arr)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


# --- read_idx ------------------------------------------------------------------------------------
@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_images_and_labels(tmp_path, gz):
    images = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=5, dtype=np.uint8)
    a = read_idx(write_idx(tmp_path / "images", images, gz))
    b = read_idx(write_idx(tmp_path / "labels", labels, gz))
    assert a.dtype == np.uint8 and a.shape == (5, 28, 28) and b.shape == (5,)
    np.testing.assert_array_equal(a, images)
    np.testing.assert_array_equal(b, labels)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.float32, np.float64])
def test_read_idx_big_endian_types(tmp_path, dtype):
    arr = (rng.normal(size=(3, 4)) * 100).astype(dtype)
    out = read_idx(write_idx(tmp_path / "x.idx", arr))
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative
    np.testing.assert_array_equal(out, arr)


def test_read_idx_rejects_damaged_files(tmp_path):
    good = idx_bytes(rng.integers(0, 256, size=(4, 3, 3), dtype=np.uint8))
    cases = {
        "truncated": (good[:-5], r"truncated.*\(4, 3, 3\)"),
        "extra": (good + b"\x00\x00", "extra bytes"),
        "magic": (b"\x01" + good[1:], "bad magic number"),
        "code": (good[:2] + b"\x07" + good[3:], "unknown IDX type code 0x07"),
        "header": (good[:9], "truncated header"),
        "tiny": (good[:3], "too short"),
        "dims": (good[:3] + b"\x00", "0 dims"),
        "count": (good[:4] + struct.pack(">I", 5) + good[8:], "truncated"),  # header claims 5 images, file has 4
    }
    for name, (data, msg) in cases.items():
        path = tmp_path / f"{name}-idx3-ubyte"
        path.write_bytes(data)
        with pytest.raises(DataFileError, match=msg) as e:
            read_idx(path)
        assert str(path) in str(e.value), name
    bad_gz = tmp_path / "cut.gz"
    bad_gz.write_bytes(gzip.compress(good)[:-10])
    with pytest.raises(DataFileError, match="gzip"):
        read_idx(bad_gz)
    with pytest.raises(MissingDataError, match="no file"):
        read_idx(tmp_path / "nothing")
    with pytest.raises(ValueError):  # DataFileError is a ValueError too
        read_idx(tmp_path / "magic-idx3-ubyte")


# --- MNIST ---------------------------------------------------------------------------------------
def _mnist_root(root, n_train=6, n_test=3, gz=False):
    root.mkdir(parents=True, exist_ok=True)
    out = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        suffix = ".gz" if gz else ""
        write_idx(root / f"{split}-images-idx3-ubyte{suffix}", images, gz)
        write_idx(root / f"{split}-labels-idx1-ubyte{suffix}", labels, gz)
        out[split] = images, labels
    return out


@pytest.mark.parametrize("layout, gz", [("", False), ("raw", True), ("MNIST/raw", False)])
def test_mnist_reads_the_standard_files(tmp_path, layout, gz):
    written = _mnist_root(tmp_path / layout if layout else tmp_path, gz=gz)
    train, test = MNIST(tmp_path), MNIST(tmp_path, train=False)
    assert len(train) == 6 and len(test) == 3
    img, label = train[2]
    assert isinstance(img, np.ndarray) and img.dtype == np.uint8 and img.shape == (28, 28)
    np.testing.assert_array_equal(img, written["train"][0][2])
    assert label.dtype == ember.int64 and label.item() == written["train"][1][2]
    np.testing.assert_array_equal(test.targets, written["t10k"][1].astype(np.int64))
    assert train.classes[0] == "0 - zero"


def test_mnist_with_to_tensor_and_loader(tmp_path):
    written = _mnist_root(tmp_path)
    ds = MNIST(tmp_path, transform=T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))]))
    x, y = next(iter(DataLoader(ds, batch_size=4)))
    assert tuple(x.shape) == (4, 1, 28, 28) and x.dtype == ember.float32 and y.dtype == ember.int64
    expected = (written["train"][0][:4, None].astype(np.float32) / 255 - 0.1307) / 0.3081
    np.testing.assert_allclose(x.numpy(), expected, rtol=1e-4, atol=1e-5)
    raw = next(iter(DataLoader(MNIST(tmp_path), batch_size=4)))[0]  # no transform: the uint8 images
    assert raw.dtype == ember.uint8
    np.testing.assert_array_equal(raw.numpy(), written["train"][0][:4])


def test_mnist_missing_and_mismatched_files(tmp_path):
    with pytest.raises(MissingDataError) as e:
        MNIST(tmp_path)
    msg = str(e.value)
    for name in ("train-images-idx3-ubyte", "t10k-labels-idx1-ubyte", str(tmp_path), "downloads nothing"):
        assert name in msg
    with pytest.raises(FileNotFoundError):
        FashionMNIST(tmp_path, train=False)
    _mnist_root(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(5, np.uint8))
    with pytest.raises(DataFileError, match=r"\(6, 28, 28\).*\(5,\)"):
        MNIST(tmp_path)


def test_fashion_mnist_classes(tmp_path):
    _mnist_root(tmp_path / "FashionMNIST" / "raw")
    ds = FashionMNIST(tmp_path, train=False)
    assert len(ds) == 3 and ds.classes[9] == "Ankle boot" and ds.class_to_idx["Bag"] == 8


# --- CSV -----------------------------------------------------------------------------------------
def test_csv_header_text_labels_and_column_choice(tmp_path):
    p = tmp_path / "iris.csv"
    p.write_text("sepal,petal,species\n1.5,0.2,setosa\n6.1,2.3,virginica\n5.0,1.0,setosa\n")
    ds = CSVDataset(p, target="species")
    assert ds.classes == ["setosa", "virginica"] and ds.targets.tolist() == [0, 1, 0]
    np.testing.assert_array_equal(ds.data, np.array([[1.5, 0.2], [6.1, 2.3], [5.0, 1.0]], np.float32))
    assert ds.feature_names == ["sepal", "petal"] and ds.data.dtype == np.float32
    with pytest.raises(DataFileError, match=r"line 2, column 2 \('species'\): 'setosa' is not a number"):
        CSVDataset(p, target=0)
    p.write_text("sepal,petal,width\n1.5,0.2,1\n6.1,2.3,2\n5.0,1.0,3\n")
    by_index = CSVDataset(p, target=0, header=True)
    assert by_index.targets.dtype == np.float32 and by_index.targets.tolist() == pytest.approx([1.5, 6.1, 5.0])
    x, y = by_index[1]
    assert x.dtype == ember.float32 and y.dtype == ember.float32
    with pytest.raises(ArgumentError, match="no column named 'label'"):
        CSVDataset(p, target="label")
    with pytest.raises(ArgumentError, match="index"):
        CSVDataset(p, target=3)


def test_csv_without_header_integer_targets_and_delimiter(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("1;2;0\n3;4;2\n\n5;6;1\n")
    ds = CSVDataset(p, delimiter=";")
    assert len(ds) == 3 and ds.columns is None
    assert ds.targets.dtype == np.int64 and ds.targets.tolist() == [0, 2, 1]
    np.testing.assert_array_equal(ds.data, [[1, 2], [3, 4], [5, 6]])
    none = CSVDataset(p, delimiter=";", target=None)
    assert none.data.shape == (3, 3)


def test_csv_errors(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,y\n1,2,0\n3,x,1\n")
    with pytest.raises(DataFileError, match=r"line 3, column 1 \('b'\): 'x' is not a number"):
        CSVDataset(bad)
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("1,2,0\n3,1\n")
    with pytest.raises(DataFileError, match="row 2 has 2 fields"):
        CSVDataset(ragged)
    with pytest.raises(MissingDataError):
        CSVDataset(tmp_path / "none.csv")


# --- npy / npz -----------------------------------------------------------------------------------
def test_npy_and_npz_datasets(tmp_path):
    x = rng.normal(size=(5, 3)).astype(np.float32)
    y = np.arange(5)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    np.savez(tmp_path / "d.npz", features=x, labels=y)
    for ds in (NpyDataset(tmp_path / "x.npy", tmp_path / "y.npy"),
               NpyDataset(tmp_path / "x.npy", tmp_path / "y.npy", mmap=False),
               NpzDataset(tmp_path / "d.npz", data_key="features", target_key="labels")):
        a, b = ds[4]
        np.testing.assert_array_equal(a.numpy(), x[4])
        assert b.item() == 4
        np.testing.assert_array_equal(ds.get_batch([3, 1])[0].numpy(), x[[3, 1]])
    with pytest.raises(ArgumentError, match="no array 'x'"):
        NpzDataset(tmp_path / "d.npz")
    with pytest.raises(MissingDataError):
        NpyDataset(tmp_path / "x.npy", tmp_path / "nope.npy")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(DataFileError, match="pickles"):
        NpyDataset(tmp_path / "obj.npy", tmp_path / "y.npy")


# --- ImageFolder ---------------------------------------------------------------------------------
def test_image_folder_classes_samples_and_pixels(tmp_path):
    Image = pytest.importorskip("PIL.Image", reason="Pillow is not installed (extra `images`)")
    pixels = {}
    for cls, names in (("dog", ["b.png", "a.png"]), ("cat", ["x.png"])):
        (tmp_path / cls).mkdir()
        for n in names:
            a = rng.integers(0, 256, size=(4, 5, 3), dtype=np.uint8)
            Image.fromarray(a).save(tmp_path / cls / n)
            pixels[(cls, n)] = a
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    ds = ImageFolder(tmp_path, transform=T.ToTensor())
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    assert [(p.split("/")[-1], t) for p, t in ds.samples] == [("x.png", 0), ("a.png", 1), ("b.png", 1)]
    assert ds.targets == [0, 1, 1] and ds.imgs is ds.samples and len(ds) == 3
    x, y = ds[1]
    assert y.item() == 1 and tuple(x.shape) == (3, 4, 5)
    np.testing.assert_allclose(x.numpy(), pixels[("dog", "a.png")].transpose(2, 0, 1) / np.float32(255), rtol=1e-6)
    plain = ImageFolder(tmp_path)[0][0]
    assert plain.mode == "RGB" and plain.size == (5, 4)
    batch = next(iter(DataLoader(ds, batch_size=3)))
    assert tuple(batch[0].shape) == (3, 3, 4, 5) and batch[1].tolist() == [0, 1, 1]


def test_image_folder_errors(tmp_path, monkeypatch):
    pytest.importorskip("PIL.Image", reason="Pillow is not installed (extra `images`)")
    with pytest.raises(MissingDataError, match="no folder"):
        ImageFolder(tmp_path / "none")
    with pytest.raises(MissingDataError, match="no sub-folders"):
        ImageFolder(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(MissingDataError, match=r"no valid file for classes \['empty'\]"):
        ImageFolder(tmp_path)


def test_image_folder_without_pillow_names_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "a.png").write_bytes(b"")
    with pytest.raises(MissingExtraError, match=r"pip install ember\[images\]"):
        ImageFolder(tmp_path)
