"""The four benchmark models (benchmarks/nn.py) survive a round trip through a file: their state dicts
with ember.save/load, and their traced graphs with save_model/load_model, predicting identically."""
import importlib.util
import pathlib

import numpy as np
import pytest

import ember

SPEC = importlib.util.spec_from_file_location(
    "bench_nn", pathlib.Path(__file__).resolve().parents[2] / "benchmarks" / "nn.py")
bench = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(bench)


@pytest.mark.parametrize("workload", bench.WORKLOADS)
def test_benchmark_model_round_trips(tmp_path, workload):
    ember.manual_seed(0)
    model, batch, _ = bench.build(ember, workload)
    model.eval()
    x = batch(3)[0]
    with ember.no_grad():
        expected = model(x).numpy()

    ember.save(model.state_dict(), tmp_path / "weights.safetensors")
    ember.manual_seed(1)
    fresh, _, _ = bench.build(ember, workload)
    fresh.load_state_dict(ember.load(tmp_path / "weights.safetensors"))
    fresh.eval()
    with ember.no_grad():
        np.testing.assert_array_equal(fresh(x).numpy(), expected)

    ember.io.save_model(model, tmp_path / "model.ember", example_inputs=(x,))
    loaded = ember.io.load_model(tmp_path / "model.ember")
    np.testing.assert_allclose(loaded(x).detach().numpy(), expected, rtol=1e-6, atol=1e-6)


def test_a_loaded_graph_model_trains_like_the_original(tmp_path):
    ember.manual_seed(0)
    model, batch, loss_fn = bench.build(ember, "mlp")
    x, y = batch(16)
    ember.io.save_model(model, tmp_path / "mlp.ember", example_inputs=(x,))
    loaded = ember.io.load_model(tmp_path / "mlp.ember")
    runs = []
    for m in (model, loaded):
        opt = ember.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
        for _ in range(5):
            opt.zero_grad()
            loss = loss_fn(m(x), y)
            loss.backward()
            opt.step()
        runs.append({k: v.detach().numpy().copy() for k, v in m.state_dict().items()})
    assert runs[0].keys() == runs[1].keys()
    for k in runs[0]:
        np.testing.assert_allclose(runs[1][k], runs[0][k], rtol=1e-6, atol=1e-7, err_msg=k)
