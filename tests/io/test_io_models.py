"""State dicts of every layer type, whole models (registered classes and traced graphs), optimizer state."""
import numpy as np
import pytest

import ember
import ember.io
from ember import nn


def _out(m, *xs):
    y = m(*xs)
    y = y[0] if isinstance(y, tuple) else y
    return y.detach().numpy()


LAYERS = [
    (lambda: nn.Linear(5, 4), (3, 5)),
    (lambda: nn.Conv1d(2, 3, 3, padding=1), (2, 2, 7)),
    (lambda: nn.Conv2d(2, 3, 3, stride=2), (2, 2, 7, 7)),
    (lambda: nn.ConvTranspose2d(2, 3, 3, stride=2), (2, 2, 4, 4)),
    (lambda: nn.BatchNorm1d(4), (6, 4)),
    (lambda: nn.BatchNorm2d(3), (2, 3, 4, 4)),
    (lambda: nn.LayerNorm(5), (3, 5)),
    (lambda: nn.GroupNorm(2, 4), (2, 4, 3)),
    (lambda: nn.Embedding(10, 4), None),
    (lambda: nn.LSTM(4, 5, num_layers=2), (3, 2, 4)),
    (lambda: nn.GRU(4, 5, bidirectional=True), (3, 2, 4)),
    (lambda: nn.RNN(4, 5), (3, 2, 4)),
    (lambda: nn.MultiheadAttention(8, 2), None),
    (lambda: nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0), (3, 2, 8)),
]


def _inputs(make, shape):
    if shape is not None:
        return (ember.randn(*shape),)
    m = make()
    if isinstance(m, nn.Embedding):
        return (ember.randint(0, 10, (3, 4)),)
    q = ember.randn(3, 2, 8)
    return (q, q, q)


@pytest.mark.parametrize("make,shape", LAYERS, ids=lambda v: "" if not callable(v) else type(v()).__name__)
def test_every_layer_state_dict_round_trips(tmp_path, make, shape):
    ember.manual_seed(0)
    a = make()
    xs = _inputs(make, shape)
    a.train()
    a(*xs)  # moves BatchNorm running statistics away from their initial values
    a.eval()
    ember.io.save(a.state_dict(), tmp_path / "l.ember")
    ember.manual_seed(1)
    b = make().eval()
    b.load_state_dict(ember.io.load(tmp_path / "l.ember"))
    assert np.array_equal(_out(a, *xs), _out(b, *xs))
    # the same layer as a whole model file (built-in layers are registered by name)
    ember.io.save_model(a, tmp_path / "m.ember")
    c = ember.io.load_model(tmp_path / "m.ember")
    assert type(c) is type(a) and not c.training
    assert np.array_equal(_out(a, *xs), _out(c, *xs))


def test_sequential_of_builtin_layers(tmp_path):
    net = nn.Sequential(nn.Conv2d(1, 4, 3, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(4 * 3 * 3, 10), nn.Dropout(0.3))
    net.eval()
    x = ember.randn(5, 1, 8, 8)
    ember.io.save_model(net, tmp_path / "net.ember")
    got = ember.io.load_model(tmp_path / "net.ember")
    assert repr(got) == repr(net) and got[0].bias is None
    assert np.array_equal(net(x).detach().numpy(), got(x).detach().numpy())
    holder = nn.Sequential(nn.ModuleList([nn.Linear(2, 2)]), nn.ModuleDict({"act": nn.GELU()}))
    ember.io.save_model(holder, tmp_path / "h.ember")
    assert repr(ember.io.load_model(tmp_path / "h.ember")) == repr(holder)


@ember.io.register("tests_io.Scaled")
class Scaled(nn.Module):
    """A custom layer whose arguments are recorded from attributes of the same names."""

    def __init__(self, features, scale=2.0, bias=True):
        super().__init__()
        self.features, self.scale = features, scale
        self.lin = nn.Linear(features, features, bias=bias)
        self.bias = nn.Parameter(ember.zeros(features)) if bias else None

    def forward(self, x):
        y = self.lin(x) * self.scale
        return y if self.bias is None else y + self.bias


@ember.io.register("tests_io.Block")
class Block(nn.Module):
    """A custom layer that states its arguments with get_config()."""

    def __init__(self, sizes):
        super().__init__()
        self.sizes = list(sizes)
        self.layers = nn.Sequential(*[nn.Linear(a, b) for a, b in zip(sizes, sizes[1:])])

    def get_config(self):
        return {"sizes": tuple(self.sizes)}

    def forward(self, x):
        return self.layers(x).relu()


def test_registered_custom_modules(tmp_path):
    net = nn.Sequential(Scaled(4, scale=0.5, bias=False), Block((4, 6, 3)))
    with ember.no_grad():
        net[1].layers[0].bias.fill_(0.25)
    x = ember.randn(2, 4)
    ember.io.save_model(net, tmp_path / "c.ember")
    got = ember.io.load_model(tmp_path / "c.ember")
    assert isinstance(got[0], Scaled) and got[0].scale == 0.5 and got[0].bias is None
    assert isinstance(got[1], Block) and got[1].sizes == [4, 6, 3]
    assert np.array_equal(net(x).detach().numpy(), got(x).detach().numpy())


def test_unregistered_and_unknown_classes(tmp_path):
    class Loose(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2)

        def forward(self, x):
            return self.lin(x)
    with pytest.raises(ember.io.RegistryError, match="Loose is not registered"):
        ember.io.save_model(Loose(), tmp_path / "x.ember")
    ember.io.save_model(Scaled(3), tmp_path / "s.ember")
    raw, arrays = ember.io.serialize.read_raw(tmp_path / "s.ember")
    import json
    import safetensors.numpy
    for name in ("os.system", "tests_io.Nope"):
        doc = json.loads(raw["ember"])
        doc["architecture"]["spec"]["class"] = name
        safetensors.numpy.save_file(dict(arrays), str(tmp_path / "bad.ember"), metadata={"ember": json.dumps(doc)})
        with pytest.raises(ember.io.RegistryError, match=f"{name!r} is not registered.*tests_io.Scaled.*"):
            ember.io.load_model(tmp_path / "bad.ember")
    assert "ember.nn.Linear" in ember.io.registered() and "tests_io.Block" in ember.io.registered()
    with pytest.raises(ember.io.RegistryError, match="already taken"):
        ember.io.register("tests_io.Scaled")(Loose)
    ember.io.save(ember.ones(2), tmp_path / "plain.ember")
    with pytest.raises(ember.io.FileError, match="not a model"):
        ember.io.load_model(tmp_path / "plain.ember")


def test_unrecordable_arguments_are_refused(tmp_path):
    @ember.io.register("tests_io.Hidden")
    class Hidden(nn.Module):
        def __init__(self, n):
            super().__init__()
            self.lin = nn.Linear(n, n)
    with pytest.raises(ember.io.RegistryError, match="argument 'n' of Hidden.*get_config"):
        ember.io.save_model(Hidden(3), tmp_path / "h.ember")
    assert not (tmp_path / "h.ember").exists()


class MLP(nn.Module):  # not registered: a graph file does not need the class
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 8)
        self.bn = nn.BatchNorm1d(8)
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc2(self.bn(self.fc1(x)).tanh()).softmax(-1)


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 3, 3)
        self.fc = nn.Linear(3 * 4 * 4, 5)

    def forward(self, x):
        return self.fc(self.conv(x).relu().flatten(1))


# interpret runs reshapes with the traced batch size, so the CNN is checked at that size
GRAPH_MODELS = [(MLP, (6,), 7), (CNN, (1, 6, 6), 2)]


@pytest.mark.parametrize("cls,shape,batch", GRAPH_MODELS)
def test_traced_graph_model_predicts_without_its_class(tmp_path, cls, shape, batch):
    net = cls()
    net.train()
    net(ember.randn(4, *shape))
    net.eval()
    x = ember.randn(batch, *shape)
    ember.io.save_model(net, tmp_path / "g.ember", example_inputs=(ember.randn(2, *shape),))
    got = ember.io.load_model(tmp_path / "g.ember")
    assert isinstance(got, ember.io.GraphModule)
    assert np.array_equal(net(x).detach().numpy(), got(x).detach().numpy())  # another batch size too
    assert set(got.state_dict()) == set(net.state_dict())
    assert {n for n, _ in got.named_parameters()} == {n for n, _ in net.named_parameters()}
    ember.io.save_model(got, tmp_path / "g2.ember")  # a loaded graph model saves again
    assert np.array_equal(ember.io.load_model(tmp_path / "g2.ember")(x).detach().numpy(), got(x).detach().numpy())


def _train(model, opt, steps, seed):
    g = ember.Generator().manual_seed(seed)
    for _ in range(steps):
        x = ember.randn(8, 4, generator=g)
        y = ember.randn(8, 2, generator=g)
        opt.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        opt.step()


def test_adam_resumed_from_file_is_bit_identical(tmp_path):
    ember.manual_seed(0)
    ref = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
    ember.io.save_model(ref, tmp_path / "init.ember")
    opt = ember.optim.Adam(ref.parameters(), lr=1e-2, betas=(0.8, 0.95), weight_decay=1e-3)
    _train(ref, opt, 5, seed=1)
    ember.io.save_model(ref, tmp_path / "mid.ember", optimizer=opt)
    ember.io.save(opt.state_dict(), tmp_path / "opt.ember")
    _train(ref, opt, 5, seed=2)

    model = ember.io.load_model(tmp_path / "mid.ember")
    opt2 = ember.optim.Adam(model.parameters(), lr=0.5)
    opt2.load_state_dict(ember.io.load_optimizer_state(tmp_path / "mid.ember"))
    assert opt2.param_groups[0]["betas"] == (0.8, 0.95)
    _train(model, opt2, 5, seed=2)
    for (k, a), (_, b) in zip(ref.state_dict().items(), model.state_dict().items()):
        assert np.array_equal(a.numpy(), b.numpy()), k
    assert sorted(ember.io.load(tmp_path / "opt.ember")["state"]) == [0, 1, 2, 3]  # int keys survive
