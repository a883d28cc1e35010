"""The graph IR in TensorBoard's Graphs dashboard: GraphDefs read back by EventAccumulator."""
import numpy as np
import pytest

import ember
from ember import keras, nn

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402

from ember.utils.tensorboard import SummaryWriter  # noqa: E402


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(4, 8), nn.ReLU())
        self.head = nn.Linear(8, 2)
        self.bn = nn.BatchNorm1d(8)

    def forward(self, x):
        return self.head(self.bn(self.encoder(x)))


def graph_of(path):
    acc = EventAccumulator(str(path))
    acc.Reload()
    return acc.Graph()


def test_add_graph_has_module_scopes_op_types_shapes_and_dtypes(tmp_path):
    net = Net()
    running = net.bn.running_mean.numpy().copy()
    with SummaryWriter(tmp_path) as w:
        w.add_graph(net, ember.randn(3, 4))
    np.testing.assert_array_equal(net.bn.running_mean.numpy(), running)   # the trace's writes were undone
    g = graph_of(tmp_path)
    nodes = {n.name: n for n in g.node}
    linear = [n for n in g.node if n.op == "linear"]
    assert sorted(n.name.rsplit("/", 1)[0] for n in linear) == ["Net/encoder/0", "Net/head"]
    assert any(n.name.startswith("Net/encoder/1/relu") for n in g.node)
    assert "Net/encoder/0/weight" in nodes and nodes["Net/encoder/0/weight"].op == "Parameter"
    head = next(n for n in linear if n.name.startswith("Net/head/"))
    assert [d.size for d in head.attr["_output_shapes"].list.shape[0].dim] == [3, 2]
    assert head.attr["dtype"].type == 1  # DT_FLOAT
    assert "Net/head/weight" in head.input and "Net/head/bias" in head.input
    x = nodes["input/input0"]
    assert [d.size for d in x.attr["_output_shapes"].list.shape[0].dim] == [-1, 4]  # the dynamic batch dim
    for n in g.node:  # every edge points at a node of the graph
        assert all(i in nodes for i in n.input)


def test_keras_callback_graph_separates_forward_and_backward(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.random((32, 4)).astype("float32"), rng.integers(0, 2, 32)
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(8, activation="relu", name="hidden"),
                              keras.layers.Dense(2, name="out")])
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  jit_compile=True)
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, callbacks=[keras.callbacks.TensorBoard(tmp_path)])
    g = graph_of(tmp_path / "train")
    forward = [n for n in g.node if n.name.startswith("Sequential/hidden/")]
    backward = [n for n in g.node if n.name.startswith("gradients/Sequential/hidden/")]
    assert {n.op for n in forward} >= {"matmul", "fused", "Parameter"}  # bias add and relu fused
    # dense's and relu's backward are recorded at primitive level (inside the gradients/ scope, as TensorFlow
    # shows them); relu's gradient is computed from relu's output
    assert {n.op for n in backward} >= {"matmul", "relugrad"}
    act = next(n for n in forward if n.op == "fused")
    act_grad = next(n for n in backward if n.op == "relugrad")
    assert act.name in act_grad.input   # the backward node reads its forward op's output
