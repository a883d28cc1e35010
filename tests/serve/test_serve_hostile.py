"""Malformed and hostile requests: each gets a 4xx with a message naming the problem, never a 5xx,
and the server answers normally afterwards."""
import json
import socket

import httpx
import numpy as np
import pytest

from tests.serve.conftest import net_predict, start_models_server

CNN = "/v1/models/cnn:predict"
TWO = "/v1/models/two:predict"
NET_V2 = "/v2/models/net/infer"
TWO_V2 = "/v2/models/two/infer"
GOOD_TWO = {"numbers": [[0.0] * 4], "tokens": [[1] * 6]}


def v2(name="input_0", shape=(1, 5), datatype="FP32", data=None, **extra):
    t = {"name": name, "shape": list(shape), "datatype": datatype, "data": [0.5] * 5 if data is None else data}
    t.update(extra)
    return {"inputs": [t]}


# (method, path, body: bytes, dict/list (sent as JSON) or None, extra headers)
RAW_BODIES = [b"", b"{", b"[1, 2]", b"null", b'"text"', b"42", b'{"instances": }', b'{"instances": [1,]}',
              b'{"instances": [[NaN]]}', b'{"instances": [[Infinity]]}', b'{"instances": [[-Infinity]]}',
              b'{"instances": [[1e999]]}', b"\xff\xfe{}", b"[" * 100000, b'{"instances": [[0.0]]} trailing',
              b"{'instances': [[1]]}", b'{"instances": [[1]], "instances": "x"', b"\x00" * 64]
CASES = [("POST", path, body, {}) for path in (CNN, NET_V2) for body in RAW_BODIES]
good = json.dumps({"inputs": {"numbers": [[0.5] * 4], "tokens": [[1] * 6]}}).encode()
CASES += [("POST", TWO, good[:cut], {}) for cut in (1, 5, 12, 20, 31, 40, 55, len(good) - 1)]  # truncated
CASES += [("POST", path, doc, {}) for path, doc in [
    (CNN, {"instances": [[[[0.0]] * 8] * 8], "inputs": [1]}),                 # both formats
    (CNN, {"signature_name": "serving_default"}),                             # neither
    (CNN, {"instances": [], "extra": 1}),                                     # unknown key
    (CNN, {"instances": [[[[0.0]] * 8] * 8], "signature_name": "other"}),     # unknown signature
    (CNN, {"instances": []}),                                                 # empty
    (CNN, {"instances": "abc"}),
    (CNN, {"instances": [[1, 2, 3]]}),                                        # wrong shape
    (CNN, {"instances": [[[[0.0]] * 8] * 7]}),
    (CNN, {"instances": [[[0.0] * 8] * 8]}),                                  # wrong rank
    (CNN, {"instances": [[[[0.0, 1.0]] * 8] * 8]}),
    (CNN, {"inputs": 3.0}),                                                   # a scalar
    (CNN, {"instances": [[[["a"]] * 8] * 8]}),                                # strings
    (CNN, {"instances": [[[[None]] * 8] * 8]}),                               # null
    (CNN, {"instances": [[[[{"b64": "AAAA"}]] * 8] * 8]}),                    # objects
    (CNN, {"instances": [[[[0.0]] * 8] * 8, [[[0.0]] * 8] * 7]}),             # ragged
    (CNN, {"instances": [[[[0.0]] * 8] * 8, "x"]}),
    (CNN, {"instances": [[[[1e300]] * 8] * 8]}),                              # out of float32 range
    (CNN, {"inputs": {"image": [[[[0.0]] * 8] * 8]}}),                        # wrong name
    (TWO, {"inputs": {"numbers": [[0.0] * 4]}}),                              # missing input
    (TWO, {"inputs": {**GOOD_TWO, "extra": [[1]]}}),                          # unknown input
    (TWO, {"inputs": [[0.0] * 4]}),                                           # unnamed, two inputs
    (TWO, {"inputs": {"numbers": [[0.0] * 4], "tokens": [[1.5] * 6]}}),       # float for int64
    (TWO, {"inputs": {"numbers": [[0.0] * 4], "tokens": [[2 ** 70] * 6]}}),   # does not fit int64
    (TWO, {"inputs": {"numbers": [[0.0] * 4], "tokens": [[1] * 6] * 2}}),     # batch sizes differ
    (TWO, {"inputs": {"numbers": [[0.0] * 4], "tokens": [[99] * 6]}}),        # index out of the embedding
    (TWO, {"instances": [{"numbers": [0.0] * 4}]}),                           # row missing a name
    (TWO, {"instances": [[0.0] * 4]}),                                        # row not an object
    (TWO, {"instances": [{"numbers": [0.0] * 4, "tokens": [1] * 6, "x": 1}]}),
    (NET_V2, {"inputs": []}),
    (NET_V2, {"inputs": "x"}),
    (NET_V2, {"inputs": [1, 2]}),
    (NET_V2, {"id": "a"}),
    (NET_V2, {**v2(), "bogus": 1}),
    (NET_V2, v2(name="nope")),
    (NET_V2, {"inputs": v2()["inputs"] * 2}),                                 # duplicate input
    (NET_V2, v2(datatype="FP33")),
    (NET_V2, v2(datatype="BYTES", data=["a"] * 5)),
    (NET_V2, v2(datatype="FP64")),                                            # not the model's dtype
    (NET_V2, v2(datatype="INT64", data=[1] * 5)),
    (NET_V2, v2(shape=(1, -5))),
    (NET_V2, v2(shape="1,5")),
    (NET_V2, v2(shape=(1.0, 5))),
    (NET_V2, v2(shape=(True, 5))),
    (NET_V2, v2(shape=(10 ** 9, 10 ** 9))),                                   # huge declared shape
    (NET_V2, v2(shape=(2 ** 62, 2 ** 62, 2 ** 62))),
    (NET_V2, v2(shape=(1, 6))),                                               # shape vs data
    (NET_V2, v2(shape=(5, 1))),                                               # right size, wrong shape
    (NET_V2, v2(shape=(0, 5), data=[])),                                      # empty batch
    (NET_V2, v2(shape=(), data=[1.0])),
    (NET_V2, v2(data=["x"] * 5)),
    (NET_V2, v2(data=[[1, 2], [3]])),
    (NET_V2, v2(data=None, parameters={"binary_data_size": 20}) | {"inputs": [{"name": "input_0", "shape": [1, 5],
                                                                               "datatype": "FP32",
                                                                               "parameters": {"binary_data_size": 20}}]}),
    (NET_V2, {"inputs": [{"name": "input_0", "shape": [1, 5], "datatype": "FP32"}]}),   # no data
    (NET_V2, {**v2(), "outputs": [{"name": "nope"}]}),
    (NET_V2, {**v2(), "outputs": "all"}),
    (NET_V2, {**v2(), "parameters": "x"}),
    (TWO_V2, {"inputs": [{"name": "numbers", "shape": [1, 4], "datatype": "FP32", "data": [0] * 4}]}),
]]
CASES += [("POST", NET_V2, json.dumps(v2()).encode() + b"\x00" * 8, {"Inference-Header-Content-Length": "99999"}),
          ("POST", NET_V2, json.dumps(v2()).encode(), {"Inference-Header-Content-Length": "abc"}),
          ("POST", NET_V2, json.dumps(v2()).encode() + b"\x00" * 8,                       # unclaimed bytes
           {"Inference-Header-Content-Length": str(len(json.dumps(v2())))}),
          ("POST", NET_V2, json.dumps(v2()).encode(), {"Content-Encoding": "gzip"})]
CASES += [(method, path, None, {}) for method, path in [
    ("POST", "/v1/models/nope:predict"), ("POST", "/v1/models/cnn/versions/7:predict"),
    ("POST", "/v1/models/cnn/versions/abc:predict"), ("POST", "/v1/models/cnn/versions/-1:predict"),
    ("GET", "/v1/models/nope"), ("GET", "/v1/models/cnn/versions/9"), ("GET", "/v1/models/cnn/versions/1e3/metadata"),
    ("GET", "/v2/models/nope"), ("POST", "/v2/models/nope/infer"), ("POST", "/v2/models/cnn/versions/9/infer"),
    ("GET", "/v2/models/cnn/versions/x/ready"), ("POST", "/v1/models/cnn:classify"), ("GET", "/v3"),
    ("GET", "/"), ("GET", "/v1/models"),
    ("GET", CNN), ("DELETE", "/v1/models/cnn"), ("PUT", NET_V2), ("POST", "/v2/health/live"),
    ("PATCH", "/metrics"), ("POST", "/v1/models/cnn/metadata"), ("DELETE", "/v2/models/net"),
    ("POST", "/v1/models/..%2F..%2Fetc%2Fpasswd:predict"), ("GET", "/v1/models/%2e%2e%2f%2e%2e%2fetc/metadata"),
    ("POST", "/v2/models/..%2Fcnn/infer"), ("GET", "/v1/models/cnn%00/metadata"), ("GET", "/v1/models/" + "a" * 5000),
    ("POST", "/v1/models/%E2%98%83:predict"), ("GET", "/v2/models/cnn%0Aevil/ready"),
    ("GET", "/v1/models/%2Fetc%2Fpasswd"), ("POST", "/v2/models/file:%2F%2F%2Fetc%2Fpasswd/infer"),
    ("GET", "/v2/models/http:%2F%2Fexample.com%2Fm"),
]]


def _send(client, method, path, body, headers):
    if isinstance(body, (dict, list)):
        return client.request(method, path, json=body, headers=headers)
    return client.request(method, path, content=body, headers=headers)


@pytest.fixture(scope="module")
def small_server(model_dir, tmp_path_factory):
    s = start_models_server(model_dir, tmp_path_factory.mktemp("log"), "--max-body-mb", "1")
    yield s
    assert s.stop() == 0


def _raw(port, data, read=True):
    """Status line and body of a raw HTTP exchange (for bodies httpx will not send as we want)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(data)
        chunks = []
        while read:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks) and b'"}' in chunks[-1]:
                break
    text = b"".join(chunks).decode("latin-1")
    return int(text.split()[1]), text.split("\r\n\r\n", 1)[1]


def test_at_least_100_bad_requests_get_4xx_with_a_message(small_server):
    assert len(CASES) >= 100
    bad = []
    with httpx.Client(base_url=small_server.url, timeout=30) as client:
        for method, path, body, headers in CASES:
            r = _send(client, method, path, body, headers)
            message = r.json().get("error") if r.headers.get("content-type") == "application/json" else None
            if not 400 <= r.status_code < 500 or not message:
                bad.append((method, path, str(body)[:80], r.status_code, r.text[:200]))
    assert not bad, "\n".join(map(str, bad))


def test_oversize_bodies_get_413_before_being_read(small_server):
    big = 5 * 2 ** 20
    # declared larger than the limit: refused on the headers, the body is never sent
    status, body = _raw(small_server.port, f"POST {CNN} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                           f"Content-Length: {50 * 2 ** 30}\r\n\r\n{{".encode())
    assert status == 413 and "limit" in json.loads(body)["error"]
    # chunked, no length: refused once the streamed part passes the limit
    with httpx.Client(base_url=small_server.url, timeout=30) as client:
        def chunks():
            for _ in range(big // 65536):
                yield b" " * 65536
        r = client.post(NET_V2, content=chunks())
        assert r.status_code == 413 and "limit" in r.json()["error"]
        r = client.post(NET_V2, content=b" " * (2 * 2 ** 20))
        assert r.status_code == 413


def test_the_server_answers_normally_afterwards(small_server, rng):
    x = rng.standard_normal((3, 5)).astype(np.float32)
    with httpx.Client(base_url=small_server.url, timeout=30) as client:
        r = client.post("/v1/models/net:predict", json={"instances": x.tolist()})
        assert r.status_code == 200
        np.testing.assert_allclose(r.json()["predictions"], net_predict(small_server.models["net"], x), rtol=1e-5,
                                   atol=1e-6)
        metrics = client.get("/metrics").text
    assert small_server.proc.poll() is None
    statuses = [line for line in metrics.splitlines() if line.startswith("ember_serve_requests_total")]
    assert not [s for s in statuses if 'status="5' in s], statuses
    assert "Traceback" not in small_server.text()
