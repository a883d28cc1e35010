"""Hostile files: over a thousand malformed ember files, each built to be invalid, are all refused with
an ember error, quickly, without allocating much more than the file's size, and without running code
(a canary file that the payloads try to create never appears)."""
import json
import random
import struct
import time
import tracemalloc

import pytest

import ember

CANARY_CMD = "touch {canary}"


def _split(data):
    n = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8:8 + n]), data[8 + n:]


def _pack(header, body):
    blob = json.dumps(header).encode()
    return struct.pack("<Q", len(blob)) + blob + body


def _with_meta(header, body, change):
    header = json.loads(json.dumps(header))
    meta = json.loads(header["__metadata__"]["ember"])
    change(meta)
    header["__metadata__"]["ember"] = json.dumps(meta)
    return _pack(header, body)


def _variants(data, canary):
    header, body = _split(data)
    names = [k for k in header if k != "__metadata__"]
    rng = random.Random(0)
    out = []
    # truncated anywhere
    out += [data[:k] for k in range(0, len(data), max(1, len(data) // 400))]
    # header length larger than the file, absurd, or cutting the JSON
    n = len(data) - 8 - len(body)
    out += [struct.pack("<Q", v) + data[8:] for v in
            [len(data), len(data) * 2, 2 ** 31, 2 ** 40, 2 ** 63, 2 ** 64 - 1] + list(range(1, n, max(1, n // 60)))]
    # invalid JSON in the header: random bytes, cut strings, unbalanced braces
    for _ in range(250):
        blob = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
        out.append(struct.pack("<Q", len(blob)) + blob + body)
    text = json.dumps(header)
    for k in range(1, len(text), max(1, len(text) // 80)):
        blob = (text[:k] + "}" * 0).encode()
        out.append(struct.pack("<Q", len(blob)) + blob + body)

    def tensors(change):
        h = json.loads(json.dumps(header))
        change(h)
        return _pack(h, body)
    first = names[0]
    size = header[first]["data_offsets"][1] - header[first]["data_offsets"][0]
    # duplicate or overlapping tensors, offsets outside the file
    for a, b in [(0, size // 2), (size // 2, size + 4), (-8, size), (0, 2 ** 40), (len(body), len(body) + 4),
                 (size, 0), (2 ** 63, 2 ** 63 + 4)]:
        out.append(tensors(lambda h, a=a, b=b: h[first].update(data_offsets=[a, b])))
    for other in names[1:]:
        out.append(tensors(lambda h, o=other: h[o].update(data_offsets=h[first]["data_offsets"])))
    # dtype and shape inconsistent with the byte length; negative, overflowing shapes; unknown dtypes
    for shape in ([size], [size, size], [-1, 4], [2 ** 62, 2 ** 62], [2 ** 64], [0], [1.5], ["3"], None, [[2]]):
        out.append(tensors(lambda h, s=shape: h[first].update(shape=s)))
    for dt in ("X99", "F128", "", "U1", "object", "O", None, 3):
        out.append(tensors(lambda h, d=dt: h[first].update(dtype=d)))
    for k in range(150):  # random shapes whose byte size cannot match
        dims = [rng.randrange(-3, 50) for _ in range(rng.randrange(1, 4))]
        if dims and all(d >= 0 for d in dims) and 4 * eval_prod(dims) == size:
            dims.append(2)
        out.append(tensors(lambda h, s=dims: h[first].update(shape=s)))
    # the structure and architecture naming code: unregistered classes, Python paths, tags
    payload = CANARY_CMD.format(canary=canary)
    for cls in ("os.system", "builtins.eval", "builtins.exec", "subprocess.Popen", "posix.system",
                "ember.io.registry.register", "__import__", "pickle.loads", "numpy.load", "", None, 5):
        out.append(_with_meta(header, body, lambda m, c=cls: m["architecture"]["spec"].update(
            {"class": c, "config": {"command": payload}})))
        out.append(_with_meta(header, body, lambda m, c=cls: m["architecture"]["spec"]["children"][0][1].update(
            {"class": c, "config": {"args": [payload]}})))
    for tag in ("$os.system", "$eval", "$pickle", "$module", "$tensor", "$dict", "$tuple"):
        out.append(_with_meta(header, body, lambda m, t=tag: m.update(structure={t: payload})))
    for fmt in (2, 10 ** 9, -1, "1", None):
        out.append(_with_meta(header, body, lambda m, f=fmt: m.update(format=f)))
    for kind in ("pickle", "", None, 7):
        out.append(_with_meta(header, body, lambda m, k=kind: m.update(kind=k)))
    out.append(_with_meta(header, body, lambda m: m.update(structure={"weights": {"x": {"$tensor": "t99"}}})))
    deep = '{"$dict": [["k", ' * 5000 + "{}" + "]]}" * 5000  # nested past any recursion limit
    h = json.loads(json.dumps(header))
    meta = json.loads(h["__metadata__"]["ember"])
    meta["structure"] = "DEEP"
    h["__metadata__"]["ember"] = json.dumps(meta).replace('"DEEP"', deep)
    out.append(_pack(h, body))
    return out


def eval_prod(dims):
    p = 1
    for d in dims:
        p *= d
    return p


def _load_any(path):
    """A model file goes through load_model; whatever the loader, only ember errors may come out."""
    return ember.io.load_model(path)


def test_a_thousand_hostile_files_are_refused(tmp_path):
    model = ember.nn.Sequential(ember.nn.Linear(4, 3), ember.nn.ReLU(), ember.nn.Linear(3, 2))
    good = tmp_path / "good.ember"
    ember.io.save_model(model, good)
    canary = tmp_path / "canary"
    data = good.read_bytes()
    variants = [v for v in _variants(data, canary) if v != data]
    assert len(variants) >= 1000
    bad = tmp_path / "bad.ember"
    slowest = 0.0
    for i, v in enumerate(variants):
        bad.write_bytes(v)
        tracemalloc.start()
        t0 = time.perf_counter()
        with pytest.raises(ember.EmberError):
            _load_any(bad)
        slowest = max(slowest, time.perf_counter() - t0)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < len(v) + (4 << 20), f"variant {i}: {peak} bytes allocated for a {len(v)}-byte file"
        assert not canary.exists(), f"variant {i} ran code"
    assert slowest < 0.5
    assert ember.io.load_model(good)(ember.ones(1, 4)).shape == (1, 2)  # the good file still loads
