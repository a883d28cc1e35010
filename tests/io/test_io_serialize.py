"""ember.save / ember.load: dtypes, nested structures, metadata, versions, refusals, atomicity."""
import json
import os
import pathlib
import re
import struct

import numpy as np
import pytest
import safetensors
import safetensors.numpy

import ember
import ember.io
from ember.io import serialize
from ember.io.atomic import atomic_write


def _same(a, b):
    assert type(a) is type(b), (a, b)
    if isinstance(a, ember.Tensor):
        assert a.dtype == b.dtype and tuple(a.shape) == tuple(b.shape)
        assert np.array_equal(a.numpy(), b.numpy(), equal_nan=True)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int8", "int16", "int32", "int64",
                                   "float16", "bfloat16", "float32", "float64"])
def test_every_dtype_round_trips(tmp_path, dtype):
    dt = getattr(ember, dtype)
    rng = np.random.default_rng(0)
    base = rng.standard_normal((3, 5)) * 50
    t = ember.tensor(base).to(dt)
    for x in (t, t[:, 1:4], t.transpose(0, 1), ember.zeros(0, 3, dtype=dt), t[0, 0]):  # views, empty, 0-d
        ember.io.save(x, tmp_path / "t.ember")
        _same(x.contiguous(), ember.io.load(tmp_path / "t.ember"))


def test_nested_structures(tmp_path):
    obj = {"a": [ember.randn(2), (1, 2.5, None, "s", True)], 3: {"x": ember.arange(4)},
           (1, "k"): [], "$tag": float("inf"), "nan": float("nan"), "big": 2 ** 100,
           "np": np.arange(5, dtype=np.uint32), "dt": ember.float64, "empty": {}}
    ember.io.save(obj, tmp_path / "o.ember")
    _same(obj, ember.io.load(tmp_path / "o.ember"))


def test_requires_grad_is_kept(tmp_path):
    p = ember.nn.Parameter(ember.randn(3))
    ember.io.save({"p": p}, tmp_path / "p.ember")
    assert ember.io.load(tmp_path / "p.ember")["p"].requires_grad


def test_metadata_record(tmp_path):
    ember.manual_seed(1234)
    ember.io.save(ember.ones(1), tmp_path / "m.ember")
    h = ember.io.header(tmp_path / "m.ember")
    assert h["format"] == ember.io.FORMAT and h["ember_version"] == ember.__version__
    assert h["repro"]["seed"] == 1234 and h["repro"]["numpy"] == np.__version__
    assert h["repro"]["cpu_count"] == os.cpu_count() and re.match(r"\d{4}-\d\d-\d\dT", h["created"])


def test_state_dict_round_trip_loads_into_module(tmp_path):
    net = ember.nn.Sequential(ember.nn.Linear(4, 3), ember.nn.BatchNorm1d(3))
    ember.io.save(net.state_dict(), tmp_path / "sd.ember")
    other = ember.nn.Sequential(ember.nn.Linear(4, 3), ember.nn.BatchNorm1d(3))
    other.load_state_dict(ember.io.load(tmp_path / "sd.ember"))
    for (k, a), (_, b) in zip(net.state_dict().items(), other.state_dict().items()):
        assert np.array_equal(a.numpy(), b.numpy()), k


def test_unsupported_objects_are_refused(tmp_path):
    for bad in (lambda x: x, object(), {"f": print}, np.array(["s"]), {"model": ember.nn.Linear(2, 2)}):
        with pytest.raises(ember.io.FileError, match="save"):
            ember.io.save(bad, tmp_path / "bad.ember")
    assert not os.path.exists(tmp_path / "bad.ember")
    # a whole module (as torch.save(model, f)) is stored as a model file, by registered class, never pickled
    ember.io.save(ember.nn.Linear(2, 2), tmp_path / "whole.ember")
    assert ember.io.header(tmp_path / "whole.ember")["kind"] == "model"


def _rewrite_header(path, change):
    meta, arrays = serialize.read_raw(path)
    doc = json.loads(meta["ember"])
    change(doc)
    safetensors.numpy.save_file(dict(arrays), str(path), metadata={"ember": json.dumps(doc)})


def test_newer_format_is_refused(tmp_path):
    path = tmp_path / "new.ember"
    ember.io.save({"a": 1}, path)
    _rewrite_header(path, lambda d: d.update(format=ember.io.FORMAT + 1))
    with pytest.raises(ember.io.FileError, match=f"format {ember.io.FORMAT + 1}, newer.*upgrade ember"):
        ember.io.load(path)


def test_older_format_is_migrated(tmp_path, monkeypatch):
    path = tmp_path / "old.ember"
    ember.io.save({"w": ember.ones(2)}, path)
    _rewrite_header(path, lambda d: d.update(format=ember.io.FORMAT - 1))
    with pytest.raises(ember.io.FileError, match="cannot migrate"):
        ember.io.load(path)

    def upgrade(doc):  # a fabricated older layout that kept the structure under "tree"
        doc["structure"] = doc.pop("tree")
        return doc
    _rewrite_header(path, lambda d: d.update(tree=d.pop("structure")))
    monkeypatch.setitem(serialize.MIGRATIONS, ember.io.FORMAT - 1, upgrade)
    assert np.array_equal(ember.io.load(path)["w"].numpy(), np.ones(2, np.float32))
    assert ember.io.header(path)["format"] == ember.io.FORMAT


def test_files_that_are_not_ember_files(tmp_path):
    plain = tmp_path / "plain.safetensors"
    safetensors.numpy.save_file({"a": np.ones(2, np.float32)}, str(plain))
    with pytest.raises(ember.io.FileError, match="not an ember file.*load_torch_safetensors"):
        ember.io.load(plain)
    text = tmp_path / "text.ember"
    text.write_text("hello, this is not a tensor file at all")
    with pytest.raises(ember.io.FileError):
        ember.io.load(text)
    with pytest.raises(ember.io.FileError, match="cannot read"):
        ember.io.load(tmp_path / "missing.ember")


def test_malformed_files_are_rejected_quickly(tmp_path):
    good = tmp_path / "good.ember"
    ember.io.save({"w": ember.randn(4, 3), "n": [1, 2], "i": ember.arange(3)}, good)
    data = good.read_bytes()
    n = struct.unpack("<Q", data[:8])[0]
    head = data[8:8 + n].decode()
    variants = [data[:k] for k in range(0, len(data), max(1, len(data) // 150))]
    variants += [struct.pack("<Q", v) + data[8:] for v in (2 ** 63, 2 ** 40, n + 1, 0, 1)]
    variants += [data[:8] + data[8:8 + n].replace(b'"F32"', b'"X99"') + data[8 + n:],
                 data[:8] + data[8:8 + n].replace(b'"shape":[4,3]', b'"shape":[4,-3]') + data[8 + n:],
                 data[:8] + data[8:8 + n].replace(b'"shape":[4,3]', b'"shape":[4,4]') + data[8 + n:],
                 data[:8] + data[8:8 + n].replace(b'"shape":[4,3]', b'"shape":[99999999999,99999999999]')
                 + data[8 + n:]]
    for pos in range(8, 8 + n, max(1, n // 100)):  # one corrupted byte in the header
        variants.append(data[:pos] + bytes([data[pos] ^ 0x5A]) + data[pos + 1:])
    structure_hacks = ['{\\"$tensor\\": \\"nope\\"}', '{\\"$os.system\\": \\"ls\\"}', '{\\"$dict\\": 5}']
    for hack in structure_hacks:
        new = re.sub(r'\\"structure\\": \{.*?\}\}', '\\\\"structure\\\\": ' + hack.replace("\\", "\\\\") + "}",
                     head, count=1)
        if new != head:
            blob = new.encode()
            variants.append(struct.pack("<Q", len(blob)) + blob + data[8 + n:])
    assert len(variants) > 250
    bad = tmp_path / "bad.ember"
    for v in variants:
        if v == data:
            continue
        bad.write_bytes(v)
        try:
            ember.io.load(bad)
        except ember.EmberError:
            pass


def test_atomic_write_keeps_old_file_on_error(tmp_path, monkeypatch):
    path = tmp_path / "keep.ember"
    ember.io.save({"v": ember.ones(3)}, path)
    before = path.read_bytes()

    def boom(fd):
        raise OSError("disk on fire")
    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError, match="disk on fire"):
        ember.io.save({"v": ember.zeros(3)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["keep.ember"]
    with pytest.raises(ember.io.FileError):  # an encoding error happens before any file is touched
        ember.io.save({"v": ember.zeros(3), "f": print}, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["keep.ember"]
    atomic_write(path, b"new")
    assert path.read_bytes() == b"new" and os.listdir(tmp_path) == ["keep.ember"]


def test_no_code_execution_on_load_paths():
    root = pathlib.Path(ember.io.__file__).parent
    for f in root.glob("*.py"):
        src = f.read_text()
        bad = re.findall(r"\bimport (?:pickle|marshal|importlib)\b|\b(?:pickle|marshal)\.\w+|\beval\(|\bexec\("
                         r"|allow_pickle=True|__import__|import_module", src)
        assert not bad, f"{f.name} uses {bad}"
