"""conv_relu_fusion (ember/graph/passes/conv_relu.py): a Conv whose only user is a ReLU runs as one
call in inference graphs, with the values of eager ember and PyTorch (NaN kept); never where a
backward replays the pair or where the convolution's output is used elsewhere."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.graph import passes


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
        g = passes.conv_relu_fusion(ember.graph.trace(lambda v: conv(v).relu() + conv(v).sum(), x))
        single = passes.conv_relu_fusion(ember.graph.trace(lambda v: (lambda y: (y.relu(), y))(conv(v)), x))
    assert ("Conv", True) in _calls(g)          # each conv call has one user there
    assert ("Conv", True) not in _calls(single)  # the convolution's output is returned too


def test_fused_conv_has_no_backward():
    from ember.ops.conv import Conv
    c = Conv()
    c.attrs = {"relu": True}
    with pytest.raises(ember.errors.AutogradError, match="no backward"):
        c.backward(None)
