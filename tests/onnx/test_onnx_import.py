"""ember.onnx.load: files written by PyTorch's two ONNX exporters import as trainable modules whose
outputs equal PyTorch's; imported models fine-tune with keras fit, freeze, compile, and round-trip."""
import io

import numpy as np
import pytest

import ember
from ember import nn
from onnx_helpers import onnx

torch = pytest.importorskip("torch")
import onnx_torch_models as torch_models  # noqa: E402

RTOL, ATOL = 1e-4, 1e-5
MODELS = ("mlp", "cnn", "lstm", "transformer")
_FILES = {}


def torch_file(name, dynamo):
    """(torch model, input shape, ONNX bytes), exported once per session."""
    if (name, dynamo) not in _FILES:
        model, shape = torch_models.build(name)
        _FILES[name, dynamo] = (model, shape, torch_models.to_onnx(model, shape, dynamo))
    return _FILES[name, dynamo]


def _cases():
    for dynamo in (False, True):
        for name in MODELS:
            marks = [pytest.mark.slow] if dynamo else []  # the dynamo exporter takes 3-10 s a model
            yield pytest.param(name, dynamo, marks=marks, id=f"{name}-{'dynamo' if dynamo else 'torchscript'}")


@pytest.mark.parametrize("name,dynamo", list(_cases()))
def test_torch_export_imports_and_matches(name, dynamo):
    model, shape, data = torch_file(name, dynamo)
    imported = ember.onnx.load(data)
    assert imported.parameters() and all(p.requires_grad for p in imported.parameters())
    for n in (1, 5):
        x = np.random.default_rng(n).standard_normal((n,) + shape).astype(np.float32)
        with torch.no_grad():
            want = model(torch.from_numpy(x)).numpy()
        with ember.no_grad():
            got = imported(ember.tensor(x)).numpy()
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


def test_parameter_names_are_the_files():
    model, shape, data = torch_file("mlp", False)
    imported = ember.onnx.load(data)
    assert sorted(imported.state_dict()) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    np.testing.assert_array_equal(imported.state_dict()["0.weight"].numpy(), model[0].weight.detach().numpy())


def _digits_like(n=96, seed=0):
    """A learnable 4-class problem on 8x8 images: the class is the brightest quadrant."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n)
    x = rng.standard_normal((n, 1, 8, 8)).astype(np.float32) * 0.3
    for i, c in enumerate(y):
        r, col = divmod(int(c), 2)
        x[i, 0, r * 4:(r + 1) * 4, col * 4:(col + 1) * 4] += 1.5
    return x, y


def test_imported_cnn_fine_tunes_with_keras_fit():
    from ember import keras
    _, _, data = torch_file("cnn", False)
    body = ember.onnx.load(data)
    model = keras.Sequential([body])
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = _digits_like()
    history = model.fit(x, y, epochs=6, batch_size=32, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.7 * losses[0], losses


def test_frozen_import_trains_only_a_new_head():
    _, _, data = torch_file("cnn", False)
    body = ember.onnx.load(data, trainable=False)
    assert not any(p.requires_grad for p in body.parameters())
    head = nn.Linear(4, 4)
    before = {k: v.numpy().copy() for k, v in body.state_dict().items()}
    opt = ember.optim.SGD(head.parameters(), lr=0.1)
    x, y = _digits_like(32)
    for _ in range(3):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(head(body(ember.tensor(x))), ember.tensor(y))
        loss.backward()
        opt.step()
    assert all(np.array_equal(before[k], v.numpy()) for k, v in body.state_dict().items())
    assert head.weight.grad is not None


def test_imported_model_compiles():
    _, shape, data = torch_file("transformer", False)
    imported = ember.onnx.load(data).eval()
    fast = ember.compile(imported)
    for n in (2, 3):
        x = ember.randn(n, *shape)
        with ember.no_grad():
            want = imported(x).numpy()
        np.testing.assert_allclose(fast(x).numpy(), want, rtol=RTOL, atol=ATOL)


def test_round_trip_predicts_identically_and_trains(tmp_path):
    ember.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(4 * 4 * 4, 4)).eval()
    ember.onnx.export(model, ember.randn(2, 1, 8, 8), tmp_path / "m.onnx")
    again = ember.onnx.load(tmp_path / "m.onnx")
    x, y = _digits_like(64)
    with ember.no_grad():
        np.testing.assert_allclose(again(ember.tensor(x)).numpy(), model(ember.tensor(x)).numpy(), rtol=RTOL, atol=ATOL)
    names = set(dict(again.named_parameters()))
    assert names == {"0.weight", "0.bias", "1.weight", "1.bias", "5.weight", "5.bias"}
    assert {"1.running_mean", "1.running_var"} <= set(dict(again.named_buffers()))
    opt = ember.optim.Adam(again.parameters(), lr=1e-2)
    losses = []
    for _ in range(15):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(again(ember.tensor(x)), ember.tensor(y))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0], losses


def test_unsupported_ops_listed_in_one_error():
    h = onnx.helper
    nodes = [h.make_node("Relu", ["x"], ["a"]), h.make_node("Det", ["a"], ["b"]),
             h.make_node("MyOp", ["b"], ["c"], domain="com.example"), h.make_node("Det", ["c"], ["y"])]
    g = h.make_graph(nodes, "g", [h.make_tensor_value_info("x", 1, [2, 2])], [h.make_tensor_value_info("y", 1, [])])
    model = h.make_model(g, opset_imports=[h.make_opsetid("", 21), h.make_opsetid("com.example", 1)])
    with pytest.raises(ember.onnx.UnsupportedError, match=r"Det \(first at node 1.*com\.example\.MyOp"):
        ember.onnx.load(model.SerializeToString())


def test_supported_ops_is_the_import_table():
    assert ember.onnx.SUPPORTED_OPS == tuple(sorted(ember.onnx.IMPORTERS))
    assert len(ember.onnx.SUPPORTED_OPS) >= 120


def test_load_from_path_and_file_object(tmp_path):
    _, shape, data = torch_file("mlp", False)
    (tmp_path / "m.onnx").write_bytes(data)
    x = ember.randn(2, *shape)
    a = ember.onnx.load(tmp_path / "m.onnx")(x)
    b = ember.onnx.load(io.BytesIO(data))(x)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
