"""`keras.utils.get_file` and `keras.datasets` against a loopback HTTP server serving small files the
tests write (no network): downloads land in $KERAS_HOME/datasets, checksums are verified, and each
loader returns what Keras 3's own loader returns for the same file (shapes, dtypes, values)."""
import gzip
import hashlib
import http.server
import io
import os
import pickle
import tarfile
import threading

import numpy as np
import pytest

from ember import keras as ek
from ember.errors import DownloadError
from ember.keras.datasets import _sources

COVERS = {"keras.utils": ["get_file"],
          "keras.datasets": ["mnist", "fashion_mnist", "cifar10", "cifar100", "imdb", "reuters", "boston_housing",
                             "california_housing"]}


class Server:
    """A static file server on 127.0.0.1 (a free port) that counts the requests it answers."""

    def __init__(self, root):
        self.requests = []
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, directory=str(root), **kwargs)

            def do_GET(self):
                server.requests.append(self.path)
                super().do_GET()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    s = Server(root)
    s.root = root
    yield s
    s.close()


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    return home


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_get_file_downloads_once_verifies_and_caches(server, keras_home):
    (server.root / "data.bin").write_bytes(b"ember" * 1000)
    digest = sha256(server.root / "data.bin")
    path = ek.utils.get_file("data.bin", origin=server.url + "data.bin", file_hash=digest)
    assert path == str(keras_home / "datasets" / "data.bin")
    assert open(path, "rb").read() == b"ember" * 1000
    again = ek.utils.get_file("data.bin", origin=server.url + "data.bin", file_hash=digest)
    assert again == path and len(server.requests) == 1      # the cached copy passes its checksum
    md5 = hashlib.md5(b"ember" * 1000).hexdigest()
    assert ek.utils.get_file("data.bin", origin=server.url + "data.bin", md5_hash=md5) == path
    assert len(server.requests) == 1


def test_get_file_wrong_checksum_keeps_nothing(server, keras_home):
    (server.root / "data.bin").write_bytes(b"tampered")
    with pytest.raises(DownloadError, match="wrong checksum"):
        ek.utils.get_file("data.bin", origin=server.url + "data.bin", file_hash="0" * 64)
    assert os.listdir(keras_home / "datasets") == []


def test_get_file_offline_names_the_file_and_where_to_put_it(server, keras_home):
    url = server.url + "mnist.npz"
    server.close()
    with pytest.raises(DownloadError) as info:
        ek.utils.get_file("mnist.npz", origin=url)
    message = str(info.value)
    assert "mnist.npz" in message and str(keras_home / "datasets" / "mnist.npz") in message


def test_get_file_extracts_archives(server, keras_home, tmp_path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        data = b"inside"
        info = tarfile.TarInfo("folder/a.txt")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    (server.root / "pack.tar.gz").write_bytes(buf.getvalue())
    folder = ek.utils.get_file("pack.tar.gz", origin=server.url + "pack.tar.gz", extract=True)
    assert open(os.path.join(folder, "folder", "a.txt"), "rb").read() == b"inside"


# -- the datasets, each written small in Keras's file format ------------------------------------------------
def write_npz(path, **arrays):
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def ragged(rng, n, vocab):
    out = np.empty(n, dtype=object)
    out[:] = [[int(w) for w in rng.integers(1, vocab, rng.integers(3, 12))] for _ in range(n)]
    return out


def cifar_tar(path, top, parts, label_key, rng):
    with tarfile.open(path, "w:gz") as tar:
        for name, n in parts:
            batch = {b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                     label_key.encode(): [int(v) for v in rng.integers(0, 10, n)]}
            if label_key == "fine_labels":
                batch[b"coarse_labels"] = [int(v) for v in rng.integers(0, 20, n)]
            data = pickle.dumps(batch)
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def idx_gz(path, array, header):
    with gzip.open(path, "wb") as f:
        f.write(b"\0" * header + array.tobytes())


def build_files(root, rng):
    """{source key: file name in root} for every dataset file, small, in Keras's formats."""
    write_npz(root / "mnist.npz", x_train=rng.integers(0, 256, (12, 28, 28), dtype=np.uint8),
              y_train=rng.integers(0, 10, 12, dtype=np.uint8), x_test=rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
              y_test=rng.integers(0, 10, 5, dtype=np.uint8))
    write_npz(root / "imdb.npz", x_train=ragged(rng, 20, 60), y_train=rng.integers(0, 2, 20),
              x_test=ragged(rng, 10, 60), y_test=rng.integers(0, 2, 10))
    write_npz(root / "reuters.npz", x=ragged(rng, 30, 80), y=rng.integers(0, 46, 30))
    write_npz(root / "boston_housing.npz", x=rng.standard_normal((50, 13)), y=rng.standard_normal(50))
    write_npz(root / "california_housing.npz", x=rng.standard_normal((700, 8)).astype("float32"),
              y=rng.standard_normal(700).astype("float32"))
    cifar_tar(root / "cifar-10-batches-py-target", "cifar-10-batches-py",
              [(f"data_batch_{i}", 4) for i in range(1, 6)] + [("test_batch", 3)], "labels", rng)
    cifar_tar(root / "cifar-100-python-target", "cifar-100-python", [("train", 6), ("test", 3)], "fine_labels", rng)
    for split, n in (("train", 7), ("t10k", 3)):
        idx_gz(root / f"{split}-labels-idx1-ubyte.gz", rng.integers(0, 10, n, dtype=np.uint8), 8)
        idx_gz(root / f"{split}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), 16)


LOADERS = [("mnist", "mnist.npz", {}), ("imdb", "imdb.npz", {}), ("imdb", "imdb.npz", dict(num_words=30, maxlen=9)),
           ("reuters", "reuters.npz", dict(num_words=40, skip_top=2)), ("boston_housing", "boston_housing.npz", {}),
           ("california_housing", "california_housing.npz", dict(version="small")),
           ("cifar10", "cifar-10-batches-py-target", {}), ("cifar100", "cifar-100-python-target", {}),
           ("cifar100", "cifar-100-python-target", dict(label_mode="coarse")), ("fashion_mnist", None, {})]


@pytest.mark.parametrize("name,key,kwargs", LOADERS)
def test_dataset_matches_keras_on_the_same_file(real_keras, server, keras_home, monkeypatch, tmp_path, name, key,
                                                 kwargs):
    build_files(server.root, np.random.default_rng(0))
    for k in _sources.SOURCES:
        if (server.root / k).exists():
            monkeypatch.setitem(_sources.SOURCES, k, (server.url + k, sha256(server.root / k)))
    ours = getattr(ek.datasets, name).load_data(**kwargs)
    assert server.requests, "the loader downloaded its file from the server"

    # Keras's own loader, reading the files ember downloaded (its get_file pointed at them)
    import importlib
    module = importlib.import_module(f"keras.src.datasets.{name}")
    cache = keras_home / "datasets"

    def keras_get_file(fname=None, origin=None, **kw):
        base = os.path.basename(origin)
        if "cifar" in base:
            return str(cache / (fname + "_extracted"))
        sub = kw.get("cache_subdir")
        return str(keras_home / sub / base) if sub else str(cache / base)
    monkeypatch.setattr(module, "get_file", keras_get_file)
    theirs = module.load_data(**kwargs) if name != "cifar10" else cifar10_by_keras_batches(cache)
    for (a, b), (c, d) in [(ours[0], theirs[0]), (ours[1], theirs[1])]:
        for got, want in ((a, c), (b, d)):
            assert got.shape == want.shape and got.dtype == want.dtype, (name, got.shape, want.shape, got.dtype,
                                                                         want.dtype)
            if got.dtype == object:
                assert [list(s) for s in got] == [list(s) for s in want]
            else:
                np.testing.assert_array_equal(got, want)


def cifar10_by_keras_batches(cache):
    """Keras's cifar10.load_data assumes 10000 images per batch file; for the small stand-in, its own
    `load_batch` reads each batch and the arrays are assembled as its load_data does."""
    from keras.src.datasets.cifar import load_batch
    folder = cache / "cifar-10-batches-py-target_extracted" / "cifar-10-batches-py"
    batches = [load_batch(str(folder / f"data_batch_{i}")) for i in range(1, 6)]
    x_train = np.concatenate([b[0] for b in batches]).astype("uint8").transpose(0, 2, 3, 1)
    y_train = np.concatenate([np.asarray(b[1], "uint8") for b in batches]).reshape(-1, 1)
    x_test, y_test = load_batch(str(folder / "test_batch"))
    return (x_train, y_train), (x_test.transpose(0, 2, 3, 1), np.reshape(y_test, (-1, 1)))
