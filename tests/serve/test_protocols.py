"""Both protocols against the real clients: tritonclient.http (KServe v2) and httpx (TF Serving REST),
outputs equal to model.predict, metadata equal to the models' signatures."""
import httpx
import numpy as np
import pytest

from tests.serve.conftest import net_predict

tritonclient = pytest.importorskip("tritonclient.http")


def inputs_for(name, rng, n):
    if name == "cnn":
        return {"input": rng.random((n, 8, 8, 1), dtype=np.float32)}
    if name == "two":
        return {"numbers": rng.standard_normal((n, 4)).astype(np.float32), "tokens": rng.integers(0, 20, (n, 6))}
    return {"input_0": rng.standard_normal((n, 5)).astype(np.float32)}


def expected(server, name, x):
    model = server.models[name]
    if name == "net":
        return {"output_0": net_predict(model, x["input_0"])}
    if name == "cnn":
        return {"output": model.predict(x["input"], verbose=0)}
    cls, reg = model.predict([x["numbers"], x["tokens"]], verbose=0)
    return {"cls": cls, "reg": reg}


@pytest.mark.parametrize("binary", [True, False])
@pytest.mark.parametrize("name", ["cnn", "two", "net"])
def test_tritonclient_infer_equals_predict(server, rng, name, binary):
    client = tritonclient.InferenceServerClient(f"127.0.0.1:{server.port}")
    assert client.is_server_live() and client.is_server_ready() and client.is_model_ready(name)
    x = inputs_for(name, rng, 3)
    meta = client.get_model_metadata(name)
    dtypes = {i["name"]: i["datatype"] for i in meta["inputs"]}
    inputs = []
    for key, value in x.items():
        t = tritonclient.InferInput(key, list(value.shape), dtypes[key])
        t.set_data_from_numpy(value, binary_data=binary)
        inputs.append(t)
    want = expected(server, name, x)
    outputs = [tritonclient.InferRequestedOutput(k, binary_data=binary) for k in want]
    result = client.infer(name, inputs, outputs=outputs, request_id="r1")
    assert result.get_response()["id"] == "r1"
    for key, value in want.items():
        np.testing.assert_allclose(result.as_numpy(key), value, rtol=1e-5, atol=1e-6)
    default = client.infer(name, inputs)  # no outputs named: all of them, binary (tritonclient's default)
    for key, value in want.items():
        np.testing.assert_allclose(default.as_numpy(key), value, rtol=1e-5, atol=1e-6)


def test_tritonclient_requested_output_subset_and_version(server, rng):
    client = tritonclient.InferenceServerClient(f"127.0.0.1:{server.port}")
    x = inputs_for("two", rng, 2)
    inputs = [tritonclient.InferInput("numbers", [2, 4], "FP32"), tritonclient.InferInput("tokens", [2, 6], "INT64")]
    inputs[0].set_data_from_numpy(x["numbers"])
    inputs[1].set_data_from_numpy(x["tokens"])
    result = client.infer("two", inputs, model_version="1", outputs=[tritonclient.InferRequestedOutput("reg")])
    assert [o["name"] for o in result.get_response()["outputs"]] == ["reg"]
    np.testing.assert_allclose(result.as_numpy("reg"), expected(server, "two", x)["reg"], rtol=1e-5, atol=1e-6)


def test_v2_metadata_matches_the_models(server):
    client = tritonclient.InferenceServerClient(f"127.0.0.1:{server.port}")
    assert client.get_server_metadata()["name"] == "ember"
    two = client.get_model_metadata("two")
    assert two["versions"] == ["1"] and two["platform"] == "ember_keras_model"
    assert two["inputs"] == [{"name": "numbers", "datatype": "FP32", "shape": [-1, 4]},
                             {"name": "tokens", "datatype": "INT64", "shape": [-1, 6]}]
    assert two["outputs"] == [{"name": "cls", "datatype": "FP32", "shape": [-1, 3]},
                              {"name": "reg", "datatype": "FP32", "shape": [-1, 1]}]
    cnn = client.get_model_metadata("cnn")
    assert cnn["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1, 8, 8, 1]}]
    assert cnn["outputs"] == [{"name": "output", "datatype": "FP32", "shape": [-1, 10]}]
    net = client.get_model_metadata("net")
    assert net["inputs"] == [{"name": "input_0", "datatype": "FP32", "shape": [-1, 5]}]
    assert net["outputs"] == [{"name": "output_0", "datatype": "FP32", "shape": [-1, 3]}]


@pytest.mark.parametrize("name", ["cnn", "two", "net"])
def test_tfserving_row_and_columnar_equal_predict(server, rng, name):
    x = inputs_for(name, rng, 4)
    want = expected(server, name, x)
    single = len(x) == 1
    columnar = {"inputs": next(iter(x.values())).tolist() if single else {k: v.tolist() for k, v in x.items()}}
    rows = [next(iter(x.values()))[i].tolist() if single else {k: v[i].tolist() for k, v in x.items()}
            for i in range(4)]
    with httpx.Client(base_url=server.url) as client:
        r = client.post(f"/v1/models/{name}:predict", json=columnar)
        assert r.status_code == 200, r.text
        out = r.json()["outputs"]
        got = {k: np.array(v) for k, v in out.items()} if isinstance(out, dict) else {next(iter(want)): np.array(out)}
        r = client.post(f"/v1/models/{name}/versions/1:predict", json={"instances": rows})
        assert r.status_code == 200, r.text
        preds = r.json()["predictions"]
    for key, value in want.items():
        np.testing.assert_allclose(got[key], value, rtol=1e-5, atol=1e-6)
        by_row = np.array([p[key] for p in preds]) if isinstance(preds[0], dict) else np.array(preds)
        np.testing.assert_allclose(by_row, value, rtol=1e-5, atol=1e-6)


def test_tfserving_status_and_metadata(server):
    with httpx.Client(base_url=server.url) as client:
        assert client.get("/v1/models/cnn").json() == {"model_version_status": [
            {"version": "1", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}]}
        assert client.get("/v1/models/cnn/versions/1").status_code == 200
        meta = client.get("/v1/models/two/metadata").json()
    assert meta["model_spec"] == {"name": "two", "signature_name": "", "version": "1"}
    sig = meta["metadata"]["signature_def"]["signature_def"]["serving_default"]
    assert sig["method_name"] == "tensorflow/serving/predict"
    assert {k: (v["dtype"], [d["size"] for d in v["tensor_shape"]["dim"]]) for k, v in sig["inputs"].items()} == \
        {"numbers": ("DT_FLOAT", ["-1", "4"]), "tokens": ("DT_INT64", ["-1", "6"])}
    assert {k: (v["dtype"], [d["size"] for d in v["tensor_shape"]["dim"]]) for k, v in sig["outputs"].items()} == \
        {"cls": ("DT_FLOAT", ["-1", "3"]), "reg": ("DT_FLOAT", ["-1", "1"])}
    model = server.models["two"]
    assert list(sig["outputs"]) == list(model.output_names) and list(sig["inputs"]) == model._input_names


def test_metrics_and_access_log(server, rng):
    from prometheus_client.parser import text_string_to_metric_families
    with httpx.Client(base_url=server.url) as client:
        client.post("/v1/models/net:predict", json={"instances": rng.standard_normal((2, 5)).tolist()})
        client.post("/v1/models/net:predict", json={"instances": "nope"})
        text = client.get("/metrics").text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    requests = {(s.labels["endpoint"], s.labels["status"]): s.value for s in families["ember_serve_requests"].samples
                if s.name.endswith("_total")}
    assert requests[("tfserving_predict", "200")] >= 1 and requests[("tfserving_predict", "400")] >= 1
    loaded = {(s.labels["model"], s.labels["version"]): s.value for s in families["ember_serve_model_version_loaded"].samples}
    assert loaded == {("cnn", "1"): 1.0, ("two", "1"): 1.0, ("net", "1"): 1.0}
    sizes = [s for s in families["ember_serve_batch_size"].samples if s.name.endswith("_count")]
    assert sum(s.value for s in sizes) >= 1
    assert any(s.name.endswith("_bucket") for s in families["ember_serve_request_seconds"].samples)
    server.wait_for(lambda: '"POST /v1/models/net:predict" 400' in server.text(), "the access-log line")
