"""ember.onnx.export: every layer of the nn catalogue and every benchmark model exports, passes
onnx's full checker, and onnxruntime's outputs equal ember's at two batch sizes."""
import importlib.util
import io
import os

import numpy as np
import pytest

import ember
from ember import nn
from onnx_helpers import ember_outputs, onnx, run_ort
from ember.onnx.exporter import MIN_OPSET

_spec = importlib.util.spec_from_file_location(
    "onnx_test_bench_nn", os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks", "nn.py"))
bench = importlib.util.module_from_spec(_spec)   # benchmarks/nn.py, by path
_spec.loader.exec_module(bench)

RTOL, ATOL = 1e-4, 1e-5


class Attention(nn.Module):
    def __init__(self, **kw):
        super().__init__()
        self.mha = nn.MultiheadAttention(8, 2, batch_first=True, **kw)

    def forward(self, q, kv):
        return self.mha(q, kv, kv)


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16, batch_first=True), 2)

    def forward(self, tgt, memory):
        mask = nn.Transformer.generate_square_subsequent_mask(tgt.shape[1]) if hasattr(nn, "Transformer") else None
        return self.dec(tgt, memory, tgt_mask=mask)


class Recurrent(nn.Module):
    """An RNN layer's output and final state(s), all as outputs."""
    def __init__(self, layer):
        super().__init__()
        self.rnn = layer

    def forward(self, x):
        out, state = self.rnn(x)
        return (out,) + (tuple(state) if isinstance(state, (tuple, list)) else (state,))


def _f(*shape):
    return lambda n: (ember.randn(n, *shape),)


ACTIVATIONS = ["ReLU", "ReLU6", "GELU", "SiLU", "Mish", "Softplus", "LeakyReLU", "ELU", "SELU", "CELU", "Hardtanh",
               "Hardsigmoid", "Hardswish", "LogSigmoid", "Softsign", "Tanhshrink", "Tanh", "Sigmoid", "GLU", "PReLU"]

CATALOGUE = {
    "Linear": (lambda: nn.Linear(5, 3), _f(5)),
    "Linear-3d": (lambda: nn.Linear(5, 3), _f(4, 5)),
    "Conv1d": (lambda: nn.Conv1d(3, 4, 3, stride=2, padding=1), _f(3, 9)),
    "Conv2d": (lambda: nn.Conv2d(3, 4, 3, padding=1), _f(3, 8, 8)),
    "Conv2d-groups-dilation": (lambda: nn.Conv2d(4, 6, 3, stride=2, groups=2, dilation=2), _f(4, 9, 9)),
    "ConvTranspose2d": (lambda: nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1, output_padding=1), _f(3, 5, 5)),
    "MaxPool1d": (lambda: nn.MaxPool1d(2), _f(3, 8)),
    "MaxPool2d": (lambda: nn.MaxPool2d(3, stride=2, padding=1), _f(3, 9, 9)),
    "MaxPool2d-ceil": (lambda: nn.MaxPool2d(2, ceil_mode=True), _f(3, 7, 7)),
    "AvgPool1d": (lambda: nn.AvgPool1d(2), _f(3, 8)),
    "AvgPool2d": (lambda: nn.AvgPool2d(3, stride=2, padding=1), _f(3, 8, 8)),
    "AdaptiveAvgPool1d": (lambda: nn.AdaptiveAvgPool1d(3), _f(3, 8)),
    "AdaptiveAvgPool2d": (lambda: nn.AdaptiveAvgPool2d((2, 3)), _f(3, 8, 7)),
    "BatchNorm1d": (lambda: _stats(nn.BatchNorm1d(3)), _f(3)),
    "BatchNorm2d": (lambda: _stats(nn.BatchNorm2d(3)), _f(3, 5, 5)),
    "LayerNorm": (lambda: nn.LayerNorm(5), _f(3, 5)),
    "GroupNorm": (lambda: nn.GroupNorm(2, 4), _f(4, 5, 5)),
    "Embedding": (lambda: nn.Embedding(10, 4), lambda n: (ember.randint(0, 10, (n, 6)),)),
    "RNN": (lambda: Recurrent(nn.RNN(5, 6, num_layers=2, bidirectional=True, batch_first=True)), _f(7, 5)),
    # sequence-first: dim 0 (the dynamic one) is the sequence
    "RNN-relu": (lambda: Recurrent(nn.RNN(5, 6, nonlinearity="relu")), _f(2, 5)),
    "LSTM": (lambda: Recurrent(nn.LSTM(5, 6, num_layers=2, bidirectional=True, batch_first=True)), _f(7, 5)),
    "LSTM-seq-first": (lambda: Recurrent(nn.LSTM(5, 6)), _f(2, 5)),
    "GRU": (lambda: Recurrent(nn.GRU(5, 6, num_layers=2, bidirectional=True, batch_first=True)), _f(7, 5)),
    "MultiheadAttention": (lambda: Attention(), lambda n: (ember.randn(n, 5, 8), ember.randn(n, 6, 8))),
    "TransformerEncoder": (lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 2),
                           _f(5, 8)),
    "TransformerDecoder": (Decoder, lambda n: (ember.randn(n, 5, 8), ember.randn(n, 6, 8))),
    "Dropout": (lambda: nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5)), _f(4)),
    "Softmax": (lambda: nn.Softmax(dim=-1), _f(4)),
    "LogSoftmax": (lambda: nn.LogSoftmax(dim=1), _f(4)),
    "Softmin": (lambda: nn.Softmin(dim=1), _f(4)),
    **{name: (lambda name=name: getattr(nn, name)(), _f(4, 6)) for name in ACTIVATIONS},
}


def _stats(bn):
    """A batch norm with running statistics that are not the initial zeros and ones."""
    bn.running_mean.copy_(ember.randn(bn.num_features))
    bn.running_var.copy_(ember.rand(bn.num_features) + 0.5)
    return bn


def check_export(model, make_inputs, sizes=(2, 5), opset=None):
    model.eval()
    buf = io.BytesIO()
    proto = ember.onnx.export(model, make_inputs(3), buf, opset_version=opset)
    onnx.checker.check_model(onnx.load_from_string(buf.getvalue()), full_check=True)
    for n in sizes:
        args = make_inputs(n)
        want = ember_outputs(model, args)
        got = run_ort(proto, [a.numpy() for a in args])
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.shape == w.shape
            np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL)
    return proto


@pytest.mark.parametrize("name", sorted(CATALOGUE))
def test_layer_exports(name):
    ember.manual_seed(0)
    build, make_inputs = CATALOGUE[name]
    check_export(build(), make_inputs)


@pytest.mark.parametrize("workload", bench.WORKLOADS)
def test_benchmark_models_export(workload):
    model, batch, _ = bench.build(ember, workload)
    check_export(model, lambda n: (batch(n)[0],), sizes=(1, 4))


@pytest.mark.parametrize("opset", [MIN_OPSET, onnx.defs.onnx_opset_version()])
def test_opsets(opset):
    model, batch, _ = bench.build(ember, "cnn")
    proto = check_export(model, lambda n: (batch(n)[0],), sizes=(2,), opset=opset)
    assert proto.opset_import[0].version == opset


def test_weights_are_named_initializers_and_batch_is_dynamic():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    proto = ember.onnx.export(model, ember.randn(3, 4), io.BytesIO(), input_names=["x"], output_names=["y"])
    names = {t.name for t in proto.graph.initializer}
    assert {"0.weight", "0.bias", "2.weight", "2.bias"} <= names
    assert proto.opset_import[0].version == ember.onnx.DEFAULT_OPSET
    dim0 = proto.graph.input[0].type.tensor_type.shape.dim[0]
    assert proto.graph.input[0].name == "x" and dim0.dim_param == "batch"
    assert proto.graph.output[0].name == "y"
    assert model.training  # export switched to eval for the trace, and back


def test_file_path_written(tmp_path):
    model = nn.Linear(3, 2)
    ember.onnx.export(model, ember.randn(2, 3), tmp_path / "m.onnx")
    loaded = onnx.load(str(tmp_path / "m.onnx"))
    onnx.checker.check_model(loaded, full_check=True)
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    np.testing.assert_allclose(run_ort(loaded, [x])[0], ember_outputs(model, (ember.tensor(x),))[0], rtol=RTOL, atol=ATOL)


class Sorts(nn.Module):
    def forward(self, x):
        return ember.sort(x, dim=-1)[0]


def test_missing_lowering_names_primitive_and_module(tmp_path):
    model = nn.Sequential(nn.Linear(4, 4), Sorts())
    with pytest.raises(ember.onnx.UnsupportedError, match=r"sort\.Sort.*1 \(Sorts\)"):
        ember.onnx.export(model, ember.randn(2, 4), tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_bad_arguments():
    with pytest.raises(ember.onnx.OnnxError, match="example input 0"):
        ember.onnx.export(nn.Linear(2, 2), np.zeros((2, 2)), io.BytesIO())
    with pytest.raises(ember.onnx.OnnxError, match="opset_version=7"):
        ember.onnx.export(nn.Linear(2, 2), ember.randn(2, 2), io.BytesIO(), opset_version=7)


# --- Keras models: model.export(path, format="onnx") ---------------------------------------------

def _keras():
    from ember import keras
    return keras


def _keras_check(model, inputs_for, tmp_path, sizes=(2, 5)):
    path = tmp_path / "k.onnx"
    model.export(str(path), format="onnx")
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    for n in sizes:
        structure = inputs_for(n)
        flat = structure if isinstance(structure, list) else [structure]
        want = _call(model, structure)
        got = run_ort(proto, [x.numpy() for x in flat])
        assert len(got) == len(want)
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=RTOL, atol=ATOL)


def _call(model, structure):
    model.eval()
    with ember.no_grad():
        out = model(structure)
    return [o.numpy() for o in (out if isinstance(out, (list, tuple)) else [out])]


def test_keras_sequential(tmp_path):
    keras = _keras()
    ember.manual_seed(0)
    model = keras.Sequential([keras.Input(shape=(8, 8, 1)), keras.layers.Conv2D(4, 3, activation="relu"),
                              keras.layers.MaxPooling2D(2), keras.layers.BatchNormalization(), keras.layers.Flatten(),
                              keras.layers.Dropout(0.3), keras.layers.Dense(5, activation="softmax")])
    _keras_check(model, lambda n: ember.randn(n, 8, 8, 1), tmp_path)


def test_keras_functional_two_inputs_two_outputs(tmp_path):
    keras = _keras()
    ember.manual_seed(0)
    a, b = keras.Input(shape=(6,)), keras.Input(shape=(5, 3))
    h = keras.layers.Concatenate()([keras.layers.Dense(4, activation="tanh")(a), keras.layers.LSTM(4)(b)])
    out1 = keras.layers.Dense(3, activation="softmax", name="cls")(h)
    out2 = keras.layers.Dense(1, name="reg")(keras.layers.LayerNormalization()(h))
    model = keras.Model([a, b], [out1, out2])
    _keras_check(model, lambda n: [ember.randn(n, 6), ember.randn(n, 5, 3)], tmp_path)


def test_keras_subclassed(tmp_path):
    keras = _keras()

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.embed = keras.layers.Embedding(20, 8)
            self.gru = keras.layers.GRU(6, return_sequences=True)
            self.pool = keras.layers.GlobalAveragePooling1D()
            self.out = keras.layers.Dense(2)

        def call(self, x):
            return self.out(self.pool(self.gru(self.embed(x))))

    ember.manual_seed(0)
    model = Net()
    model(ember.randint(0, 20, (2, 7)))
    _keras_check(model, lambda n: ember.randint(0, 20, (n, 7)), tmp_path)


def test_keras_export_refuses_other_formats(tmp_path):
    keras = _keras()
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
    with pytest.raises(ember.errors.ArgumentError, match="format='tf_saved_model'"):
        model.export(str(tmp_path / "m"), format="tf_saved_model")


class _Tagger(nn.Module):
    def __init__(self, kind):
        super().__init__()
        self.embed, self.rnn = nn.Embedding(7, 4), getattr(nn, kind)(4, 5, bidirectional=True)

    def forward(self, idx):
        return self.rnn(self.embed(idx))[0]


@pytest.mark.parametrize("kind", ["LSTM", "GRU", "RNN"])
def test_a_recurrence_reading_a_looked_up_table_lowers_to_gather(kind):
    """A graph traced with autograd on, as a training step is, folds an embedding lookup into the
    recurrence (the projected table and the index): its lowering gathers the table's rows, and
    onnxruntime gives ember's outputs."""
    from ember.graph import passes
    from ember.onnx.exporter import DEFAULT_OPSET, to_model
    ember.manual_seed(0)
    model = _Tagger(kind)
    compiled = ember.compile(model, optimize=False, dynamic_batch=False)
    idx = ember.randint(0, 7, (9, 2))
    want = compiled(idx).detach().numpy()
    graph = passes.default_pipeline(compiled.graph, fuse=False, plan_memory=False)
    calls = [n for n in graph.nodes if n.op == "call" and n.name.endswith("Recurrence")]
    at = {"LSTM": 5, "GRU": 4, "RNN": 3}[kind]  # the index's place among the recurrence's arguments
    assert len(calls) == 2 and all(n.args[at] is not None for n in calls)  # it reaches both directions
    proto = to_model(graph, model.state_dict(keep_vars=True), False, DEFAULT_OPSET)
    onnx.checker.check_model(proto, full_check=True)
    got = run_ort(proto, [idx.numpy()])
    np.testing.assert_allclose(got[0], want, rtol=1e-5, atol=1e-6)
