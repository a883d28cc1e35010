"""epilogue_relu_fusion (ember/graph/passes/epilogue_relu.py): a Conv or Linear whose only user is a
ReLU runs as one call, in inference and training graphs, with the values of eager ember and PyTorch
(NaN kept); never where a backward replays the pair or where the layer's output is used elsewhere."""
import os

import numpy as np
import pytest

import ember
from ember.graph import passes

os.environ.setdefault("KERAS_BACKEND", "torch")  # the Keras reference runs on PyTorch


def _net():
    ember.manual_seed(0)
    return ember.nn.Sequential(ember.nn.Conv2d(2, 6, 3, padding=1), ember.nn.ReLU(), ember.nn.MaxPool2d(2),
                               ember.nn.Conv2d(6, 4, 3, stride=2, padding=1), ember.nn.ReLU()).double()


def _calls(graph):
    return [(n.name.split(".")[-1], n.attrs.get("relu")) for n in graph.nodes if n.op == "call"]


def test_inference_graph_fuses_each_conv_relu_pair_with_eager_and_torch_values():
    torch = pytest.importorskip("torch")
    net = _net()
    x = np.random.default_rng(0).standard_normal((3, 2, 9, 9))
    x[0, 0, 4, 4] = np.nan                       # NaN passes ReLU as NaN
    compiled = ember.compile(net)
    with ember.no_grad():
        eager = net(ember.tensor(x)).numpy()
        compiled(ember.tensor(x))
        got = compiled(ember.tensor(x)).numpy()
    assert _calls(compiled.last.graph).count(("Conv", True)) == 2
    assert "Relu" not in [name for name, _ in _calls(compiled.last.graph)]
    assert compiled.source().count("relu=True") == 2
    np.testing.assert_allclose(got, eager, rtol=1e-12, atol=1e-12)
    ref = torch.nn.Sequential(torch.nn.Conv2d(2, 6, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                              torch.nn.Conv2d(6, 4, 3, stride=2, padding=1), torch.nn.ReLU()).double()
    ref.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in net.state_dict().items()})
    with torch.no_grad():
        np.testing.assert_allclose(got, ref(torch.tensor(x)).numpy(), rtol=1e-10, atol=1e-12)
    assert np.isnan(got).any() and np.array_equal(np.isnan(got), np.isnan(eager))


def _train(compiled):
    net = _net()
    opt = ember.optim.SGD(net.parameters(), lr=0.01)

    def step(x):
        opt.zero_grad()
        loss = net(x).sum()
        loss.backward()
        opt.step()
        return loss
    run = ember.compile(step) if compiled else step
    rng = np.random.default_rng(0)
    losses = [float(run(ember.tensor(rng.standard_normal((2, 2, 9, 9))))) for _ in range(3)]
    return run, losses, [(p.detach().numpy(), p.grad.numpy()) for p in net.parameters()]


def test_training_graph_fuses_where_the_backward_is_recorded_with_eager_values():
    # ReLU's backward reads its output and the convolution's backward reads its inputs, both recorded
    # as ops: the pair fuses in a training step too, and the step equals eager's.
    compiled, losses, params = _train(compiled=True)
    _, eager_losses, eager_params = _train(compiled=False)
    assert _calls(compiled.last.graph).count(("Conv", True)) == 2
    assert "relu=True" in compiled.source()
    np.testing.assert_allclose(losses, eager_losses, rtol=1e-12)
    assert len(set(losses)) == 3
    for (w, g), (w_ref, g_ref) in zip(params, eager_params):
        np.testing.assert_allclose(w, w_ref, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(g, g_ref, rtol=1e-12, atol=1e-12)


def test_conv_output_used_twice_is_not_fused():
    conv = ember.nn.Conv2d(2, 3, 3)
    x = ember.randn(1, 2, 6, 6)
    with ember.no_grad():
        g = passes.epilogue_relu_fusion(ember.graph.trace(lambda v: conv(v).relu() + conv(v).sum(), x))
        single = passes.epilogue_relu_fusion(ember.graph.trace(lambda v: (lambda y: (y.relu(), y))(conv(v)), x))
    assert ("Conv", True) in _calls(g)          # each conv call has one user there
    assert ("Conv", True) not in _calls(single)  # the convolution's output is returned too


def test_fused_conv_has_no_backward():
    from ember.ops.conv import Conv
    c = Conv()
    c.attrs = {"relu": True}
    with pytest.raises(ember.errors.AutogradError, match="no backward"):
        c.backward(None)


def _mlp(lib):
    return lib.nn.Sequential(lib.nn.Linear(5, 8), lib.nn.ReLU(), lib.nn.Linear(8, 6), lib.nn.ReLU(),
                             lib.nn.Linear(6, 3)).double()


def test_linear_relu_pairs_fuse_in_inference_and_training_with_torch_values():
    torch = pytest.importorskip("torch")
    ember.manual_seed(0)
    net, ref = _mlp(ember), _mlp(torch)
    ref.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in net.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((4, 7, 5))  # leading dims: one GEMM over 28 rows
    x[0, 0, 0] = np.nan
    infer = ember.compile(net)
    with ember.no_grad():
        infer(ember.tensor(x))
        got = infer(ember.tensor(x)).numpy()
    assert _calls(infer.last.graph).count(("Linear", True)) == 2
    assert "Relu" not in [name for name, _ in _calls(infer.last.graph)]
    with torch.no_grad():
        want = ref(torch.tensor(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert np.array_equal(np.isnan(got), np.isnan(want))

    x = x[1:]  # training: no NaN
    opt, topt = ember.optim.SGD(net.parameters(), lr=0.1), torch.optim.SGD(ref.parameters(), lr=0.1)

    def step(v):
        opt.zero_grad()
        loss = net(v).square().mean()
        loss.backward()
        opt.step()
        return loss
    train = ember.compile(step)
    for _ in range(3):
        loss = float(train(ember.tensor(x)))
        topt.zero_grad()
        tloss = ref(torch.tensor(x)).square().mean()
        tloss.backward()
        topt.step()
        assert loss == pytest.approx(tloss.item(), rel=1e-12)
    assert _calls(train.last.graph).count(("Linear", True)) == 2
    for p, q in zip(net.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_linear_output_used_twice_is_not_fused_and_a_fused_linear_has_no_backward():
    from ember.ops.dense import Linear
    lin = ember.nn.Linear(4, 3)
    with ember.no_grad():
        single = passes.epilogue_relu_fusion(ember.graph.trace(lambda v: (lambda y: (y.relu(), y))(lin(v)),
                                                               ember.randn(2, 4)))
    assert ("Linear", True) not in _calls(single)
    f = Linear()
    f.attrs = {"relu": True}
    with pytest.raises(ember.errors.AutogradError, match="no backward"):
        f.backward(None)


def test_fused_layers_lower_to_onnx_with_their_relu(tmp_path):
    """A graph after the fusion still exports: the ONNX lowering adds the ReLU a fused Conv or
    Linear carries (onnxruntime runs it to eager's values)."""
    ort = pytest.importorskip("onnxruntime")
    from ember.onnx.exporter import to_model
    ember.manual_seed(0)
    net = ember.nn.Sequential(ember.nn.Conv2d(1, 3, 3), ember.nn.ReLU(), ember.nn.Flatten(),
                              ember.nn.Linear(48, 5), ember.nn.ReLU()).eval()
    x = ember.randn(2, 1, 6, 6)
    with ember.no_grad():
        graph = passes.epilogue_relu_fusion(ember.graph.trace(net, x))
        want = net(x).numpy()
    assert ("Conv", True) in _calls(graph) and ("Linear", True) in _calls(graph)
    proto = to_model(graph, net.state_dict(keep_vars=True), False, 17)
    session = ort.InferenceSession(proto.SerializeToString())
    got = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    assert (want == 0).any() and (want > 0).any()


def test_keras_conv_relu_fuses_through_the_layout_permutes():
    """Keras's Conv2D(activation="relu") runs conv between channels-last permutes, the ReLU after
    them: the ReLU still moves into the convolution, in fit's compiled step, with Keras's values."""
    keras_ref = pytest.importorskip("keras")
    from ember import keras
    rng = np.random.default_rng(0)
    x, y = rng.random((16, 6, 6, 2)).astype("float32"), rng.integers(0, 3, 16)
    models = []
    for lib in (keras, keras_ref):
        lib.utils.set_random_seed(0)
        m = lib.Sequential([lib.Input(shape=(6, 6, 2)), lib.layers.Conv2D(4, 3, padding="same", activation="relu"),
                            lib.layers.Flatten(), lib.layers.Dense(3)])
        models.append(m)
    models[0].set_weights(models[1].get_weights())
    for m, lib in zip(models, (keras, keras_ref)):
        m.compile(optimizer=lib.optimizers.SGD(0.1), loss=lib.losses.SparseCategoricalCrossentropy(from_logits=True),
                  **({"jit_compile": True} if lib is keras else {}))
        m.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(models[0].get_weights(), models[1].get_weights()):
        np.testing.assert_allclose(a, np.asarray(b), rtol=1e-4, atol=1e-5)
    conv = ember.nn.Conv2d(2, 4, 3, padding=1)
    g = passes.epilogue_relu_fusion(ember.graph.trace(lambda v: conv(v.permute(0, 3, 1, 2)).permute(0, 2, 3, 1).relu(),
                                                      ember.randn(2, 6, 6, 2)))
    assert ("Conv", True) in _calls(g) and "Relu" not in [name for name, _ in _calls(g)]
