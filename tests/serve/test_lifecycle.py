"""The process around the protocols: SIGTERM drains in-flight requests and exits 0, a slow inference
gets a clean timeout error, bad command lines fail with a message, ember.serve.Server from Python."""
import socket
import subprocess
import sys
import threading
import time

import httpx
import numpy as np
import pytest
import tritonclient.http as triton

import ember
import ember.onnx
from tests.serve.conftest import ENV, ROOT, make_net, net_predict


def test_sigterm_drains_in_flight_requests_and_exits_0(model_dir, serve):
    d, models = model_dir
    s = serve(d / "net.ember", "--batch-timeout-ms", "3000", "--max-batch-size", "64")
    # A slow client that has sent its headers but not its body: the batcher waits (up to 3 s) for it,
    # so the requests below are in flight when SIGTERM arrives.
    slow = socket.create_connection(("127.0.0.1", s.port))
    slow.sendall(b"POST /v1/models/net:predict HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    xs = np.random.default_rng(2).standard_normal((6, 2, 5)).astype(np.float32)
    answers = {}

    def ask(i):
        r = httpx.post(s.url + "/v1/models/net:predict", json={"instances": xs[i].tolist()}, timeout=30)
        answers[i] = (r.status_code, r.json())
    threads = [threading.Thread(target=ask, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    s.wait_for(lambda: 'ember_serve_inferences_in_flight{model="net"} 6.0' in httpx.get(s.url + "/metrics").text,
               "six requests in flight")
    s.proc.send_signal(15)
    assert not answers  # still waiting in the batcher
    for t in threads:
        t.join(30)
    slow.close()
    assert s.proc.wait(30) == 0
    assert sorted(answers) == list(range(6))
    for i, (status, body) in answers.items():
        assert status == 200, body
        np.testing.assert_allclose(body["predictions"], net_predict(models["net"], xs[i]), rtol=1e-5, atol=1e-6)
    assert "ember serve: stopped" in s.text()
    with pytest.raises(httpx.TransportError):
        httpx.get(s.url + "/v2/health/live", timeout=5)


def test_a_slow_inference_gets_a_clean_timeout(model_dir, serve):
    d, _ = model_dir
    s = serve(d / "cnn.ember", "--request-timeout-s", "0.000001")
    x = np.zeros((1, 8, 8, 1)).tolist()
    with httpx.Client(base_url=s.url, timeout=30) as client:
        r = client.post("/v1/models/cnn:predict", json={"instances": x})
        assert r.status_code == 504 and "did not answer within" in r.json()["error"]
        r = client.post("/v2/models/cnn/infer", json={"inputs": [{"name": "input", "shape": [1, 8, 8, 1],
                                                                   "datatype": "FP32", "data": [0.0] * 64}]})
        assert r.status_code == 504 and "--request-timeout-s" in r.json()["error"]
        assert client.get("/v1/models/cnn/metadata").status_code == 200
    assert "Traceback" not in s.text()


def _ember(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "ember.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=120, env=ENV, cwd=cwd)


def test_help_lists_serve_and_its_options():
    assert "serve" in _ember("--help").stdout
    out = _ember("serve", "--help").stdout
    for option in ("--name", "--host", "--port", "--max-batch-size", "--batch-timeout-ms", "--max-body-mb",
                   "--request-timeout-s", "--model-config", "127.0.0.1"):
        assert option in out


def test_bad_command_lines_fail_with_a_message(tmp_path, capsys):
    from ember.cli.main import main
    ember.save({"w": ember.ones(2)}, tmp_path / "weights.ember")
    (tmp_path / "empty").mkdir()
    cases = [(["https://example.com/model.ember"], "local paths only"),
             ([tmp_path / "missing.ember"], "no such model file"),
             ([tmp_path / "weights.ember"], "not a model"),
             ([tmp_path / "empty"], "numbered version folders"),
             ([], "give a model PATH"),
             (["--model-config", tmp_path / "none.json"], "model config"),
             ([tmp_path / "weights.ember", "--max-batch-size", "0"], "max_batch_size >= 1")]
    for args, message in cases:
        with pytest.raises(SystemExit) as exit_info:
            main(["serve", *map(str, args), "--port", "0"])
        assert exit_info.value.code == 2 and message in capsys.readouterr().err, args


def test_onnx_files_without_onnx_import_get_a_clear_error(tmp_path, monkeypatch):
    from ember.serve import loading
    from ember.serve.errors import ModelLoadError
    monkeypatch.setattr(loading, "ember_onnx", None)
    path = tmp_path / "model.onnx"
    path.write_bytes(b"\x08\x07")
    assert loading.kind_of(str(path)) == "onnx"
    with pytest.raises(ModelLoadError, match="needs ember.onnx.load"):
        loading.load(str(path), "m")


def test_server_from_python(tmp_path):
    from ember.serve import Server
    net = make_net(tmp_path / "net.ember")
    server = Server(tmp_path / "net.ember", name="mlp", port=0)
    thread = threading.Thread(target=server.run)
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if server.port and httpx.get(f"http://127.0.0.1:{server.port}/v2/health/ready").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        x = np.ones((1, 5), np.float32)
        r = httpx.post(f"http://127.0.0.1:{server.port}/v1/models/mlp:predict", json={"instances": x.tolist()})
        np.testing.assert_allclose(r.json()["predictions"], net_predict(net, x), rtol=1e-5, atol=1e-6)
    finally:
        server.stop()
        thread.join(30)
    assert not thread.is_alive()


def test_an_onnx_file_is_served_with_both_protocols(tmp_path, serve):
    """An .onnx file (here one ember exported) is loaded through ember.onnx.load and answers as a model file."""
    ember.manual_seed(0)
    net = ember.nn.Sequential(ember.nn.Linear(5, 8), ember.nn.Tanh(), ember.nn.Linear(8, 3))
    x = np.random.default_rng(4).standard_normal((4, 5)).astype(np.float32)
    ember.onnx.export(net, ember.tensor(x), str(tmp_path / "tiny.onnx"))
    expected = net(ember.tensor(x)).detach().numpy()
    s = serve(tmp_path / "tiny.onnx", "--name", "tiny")
    r = httpx.post(s.url + "/v1/models/tiny:predict", json={"instances": x.tolist()}, timeout=30)
    assert r.status_code == 200, r.text
    np.testing.assert_allclose(r.json()["predictions"], expected, rtol=1e-5, atol=1e-6)
    client = triton.InferenceServerClient(s.url.removeprefix("http://"))
    meta = client.get_model_metadata("tiny")
    infer_input = triton.InferInput(meta["inputs"][0]["name"], list(x.shape), "FP32")
    infer_input.set_data_from_numpy(x)
    out = client.infer("tiny", [infer_input]).as_numpy(meta["outputs"][0]["name"])
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
