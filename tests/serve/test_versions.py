"""TF-Serving base folders: versions on request, hot swap under load with no failed request, a
broken new version logged while the old keeps serving, readiness only once a version is loaded."""
import threading

import httpx
import numpy as np

from tests.serve.conftest import make_cnn, make_net, net_predict


def infer_cnn(client, x, version=None):
    path = "/v2/models/digits" + (f"/versions/{version}" if version else "") + "/infer"
    r = client.post(path, json={"inputs": [{"name": "input", "shape": list(x.shape), "datatype": "FP32",
                                            "data": x.reshape(-1).tolist()}]})
    return r


def test_hot_swap_under_load_and_a_broken_version(tmp_path, serve):
    base = tmp_path / "digits"
    (base / "1").mkdir(parents=True)
    models = {1: make_cnn(base / "1" / "model.ember", seed=0)}
    s = serve(base, "--name", "digits", "--poll-s", "0.1", "--max-batch-size", "8")
    rng = np.random.default_rng(0)
    xs = rng.random((64, 8, 8, 1), dtype=np.float32)
    results, failures, stop = [], [], threading.Event()

    def client_loop(k):
        with httpx.Client(base_url=s.url, timeout=30) as client:
            i = k
            while not stop.is_set():
                x = xs[i % len(xs)][None]
                r = infer_cnn(client, x)
                if r.status_code != 200:
                    failures.append((r.status_code, r.text))
                else:
                    body = r.json()
                    results.append((i % len(xs), int(body["model_version"]), np.array(body["outputs"][0]["data"])))
                i += 8
    threads = [threading.Thread(target=client_loop, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    try:
        s.wait_for(lambda: len(results) >= 40, "requests to version 1")
        (base / "2").mkdir()
        models[2] = make_cnn(base / "2" / "model.ember", seed=5)
        s.wait_for(lambda: any(v == 2 for _, v, _ in results[-20:]), "version 2 serving")
        n = len(results)
        s.wait_for(lambda: len(results) >= n + 40, "requests to version 2")
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    assert not failures, failures[:5]
    expect = {v: m.predict(xs, verbose=0) for v, m in models.items()}
    assert {v for _, v, _ in results} == {1, 2}
    for i, v, out in results:
        np.testing.assert_allclose(out, expect[v][i], rtol=1e-5, atol=1e-6)
    last_v1 = max(k for k, (_, v, _) in enumerate(results) if v == 1)
    assert all(v == 2 for _, v, _ in results[last_v1 + 20:])  # once swapped, it stays swapped

    # a broken version 3: logged, reported, and version 2 keeps serving
    (base / "3").mkdir()
    (base / "3" / "model.ember").write_bytes(b"not a model file")
    s.wait_for(lambda: "version 3 failed to load" in s.text(), "the load failure in the log")
    with httpx.Client(base_url=s.url, timeout=30) as client:
        status = client.get("/v1/models/digits").json()["model_version_status"]
        by_version = {st["version"]: st for st in status}
        assert by_version["3"]["state"] == "END" and by_version["3"]["status"]["error_code"] == "UNKNOWN"
        assert "model file" in by_version["3"]["status"]["error_message"]
        assert by_version["2"]["state"] == "AVAILABLE"
        r = infer_cnn(client, xs[:2])
        assert r.status_code == 200 and r.json()["model_version"] == "2"
        np.testing.assert_allclose(np.array(r.json()["outputs"][0]["data"]).reshape(2, 10), expect[2][:2],
                                   rtol=1e-5, atol=1e-6)
        # a specific version on request, both protocols
        r = infer_cnn(client, xs[:2], version=1)
        np.testing.assert_allclose(np.array(r.json()["outputs"][0]["data"]).reshape(2, 10), expect[1][:2],
                                   rtol=1e-5, atol=1e-6)
        r = client.post("/v1/models/digits/versions/1:predict", json={"instances": xs[:2].tolist()})
        np.testing.assert_allclose(r.json()["predictions"], expect[1][:2], rtol=1e-5, atol=1e-6)
        r = client.post("/v1/models/digits/versions/3:predict", json={"instances": xs[:2].tolist()})
        assert r.status_code == 503 and "version 3" in r.json()["error"]
        assert client.get("/v2/models/digits").json()["versions"] == ["1", "2", "3"]


def test_ready_only_once_a_version_has_loaded(tmp_path, serve):
    base = tmp_path / "net"
    (base / "1").mkdir(parents=True)     # a version folder with no model file yet
    s = serve(base, "--poll-s", "0.1", ready=False)
    with httpx.Client(base_url=s.url, timeout=30) as client:
        s.wait_for(lambda: client.get("/v2/health/live").status_code == 200, "liveness")
        assert client.get("/v2/health/ready").status_code == 400
        assert client.get("/v2/models/net/ready").status_code == 400
        assert client.get("/v1/models/net").json() == {"model_version_status": []}
        r = client.post("/v1/models/net:predict", json={"instances": [[0.0] * 5]})
        assert r.status_code == 503 and "no version ready" in r.json()["error"]
        net = make_net(base / "1" / "model.ember")
        s.wait_for(lambda: client.get("/v2/health/ready").status_code == 200, "readiness")
        x = np.random.default_rng(1).standard_normal((2, 5)).astype(np.float32)
        r = client.post("/v1/models/net:predict", json={"instances": x.tolist()})
        np.testing.assert_allclose(r.json()["predictions"], net_predict(net, x), rtol=1e-5, atol=1e-6)
