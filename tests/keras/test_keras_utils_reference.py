"""More of keras.utils against Keras 3 (torch backend): custom objects and the serialization registry used
to read a saved model, Config, is_keras_tensor, get_source_inputs, standardize_dtype, clear_session's names,
and a PyDataset subclass trained by fit with the same loss curve."""
import numpy as np
import pytest

from ember import keras as ek

# reached as `k.utils.<name>` with k each library in turn
COVERS = {"keras.utils": ["get_custom_objects", "custom_object_scope", "CustomObjectScope", "get_registered_object",
                          "register_keras_serializable", "get_registered_name", "serialize_keras_object",
                          "deserialize_keras_object", "Config", "is_keras_tensor", "get_source_inputs",
                          "standardize_dtype", "clear_session", "PyDataset", "Sequence", "Progbar",
                          "is_interactive_logging_enabled", "disable_interactive_logging",
                          "enable_interactive_logging", "split_dataset"]}


def both(real_keras):
    return (real_keras, ek)


def test_custom_objects_and_scopes(real_keras):
    for k in both(real_keras):
        assert k.utils.get_custom_objects() == {} or isinstance(k.utils.get_custom_objects(), dict)
        with k.utils.custom_object_scope({"twice": lambda x: 2 * x}):
            assert k.utils.get_registered_object("twice")(3) == 6
            assert "twice" not in k.utils.get_custom_objects()  # scopes are kept apart from the global dict
        assert k.utils.get_registered_object("twice") is None
        with k.utils.CustomObjectScope({"a": 1, "b": 2}):
            assert k.utils.get_registered_object("a") == 1 and k.utils.get_registered_object("b") == 2
        k.utils.get_custom_objects()["thrice"] = 3
        assert k.utils.get_registered_object("thrice") == 3
        del k.utils.get_custom_objects()["thrice"]


def test_registered_custom_layer_round_trip(real_keras, tmp_path):
    """register_keras_serializable, get_registered_name/object, serialize/deserialize_keras_object:
    the same custom layer saved and read back in each library gives the same outputs."""
    outputs = []
    for k, suffix in ((real_keras, "keras"), (ek, "ember")):
        @k.utils.register_keras_serializable(package="cov")
        class Shift(k.layers.Layer):
            def __init__(self, amount=1.0, **kwargs):
                super().__init__(**kwargs)
                self.amount = amount

            def call(self, x):
                return x + self.amount

            def get_config(self):
                return {**super().get_config(), "amount": self.amount}
        assert k.utils.get_registered_name(Shift) == "cov>Shift"
        assert k.utils.get_registered_object("cov>Shift") is Shift
        layer = Shift(2.5)
        config = k.utils.serialize_keras_object(layer)
        again = k.utils.deserialize_keras_object(config)
        assert type(again) is Shift and again.amount == 2.5
        outputs.append(np.asarray(again(np.ones((2, 3), "float32"))))
    np.testing.assert_allclose(outputs[1], outputs[0])


def test_config(real_keras):
    for k in both(real_keras):
        c = k.utils.Config(lr=0.1, layers=3)
        c.units = 8
        assert c.lr == 0.1 and c["units"] == 8 and len(c) == 3 and "layers" in c
        c.freeze()
        assert c.frozen
        with pytest.raises(Exception):
            c.lr = 0.2
        c.unfreeze()
        c["lr"] = 0.3
        assert c.as_dict() == {"lr": 0.3, "layers": 3, "units": 8}
        assert sorted(c.keys()) == ["layers", "lr", "units"]


def test_keras_tensors_and_source_inputs(real_keras):
    shapes = []
    for k in both(real_keras):
        a, b = k.Input((3,), name="a"), k.Input((2,), name="b")
        y = k.layers.Dense(2)(a)
        z = k.layers.Dense(1)(k.layers.Concatenate()([y, b]))
        assert k.utils.is_keras_tensor(z) and not k.utils.is_keras_tensor(np.ones(2))
        shapes.append(sorted(tuple(t.shape) for t in k.utils.get_source_inputs(z)))
    assert shapes[0] == shapes[1]


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64", "uint8", "bool", "float16", None,
                                   np.float64, np.int32, float, int, bool])
def test_standardize_dtype(real_keras, dtype):
    assert ek.utils.standardize_dtype(dtype) == real_keras.utils.standardize_dtype(dtype)


def test_clear_session_resets_layer_names(real_keras):
    for k in both(real_keras):
        k.layers.Dense(1)
        k.utils.clear_session()
        assert k.layers.Dense(1).name == "dense" and k.layers.Dense(1).name == "dense_1"


def test_pydataset_in_fit(real_keras):
    """A PyDataset (and the Sequence alias) subclass as Keras's docs write it, trained with the same loss curve."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((20, 3)).astype("float32"), rng.standard_normal((20, 1)).astype("float32")

    def run(k, base):
        class Batches(base):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.epochs_seen = 0

            def __len__(self):
                return 4

            def __getitem__(self, i):
                return x[i * 5:(i + 1) * 5], y[i * 5:(i + 1) * 5]

            def on_epoch_end(self):
                self.epochs_seen += 1
        model = k.Sequential([k.Input((3,)), k.layers.Dense(1)])
        model.compile(optimizer=k.optimizers.SGD(0.1), loss="mse")
        data = Batches()
        return model, data
    (real, real_data), (ours, our_data) = run(real_keras, real_keras.utils.PyDataset), run(ek, ek.utils.PyDataset)
    ours.set_weights(real.get_weights())
    want = real.fit(real_data, epochs=3, verbose=0, shuffle=False).history["loss"]
    got = ours.fit(our_data, epochs=3, verbose=0, shuffle=False).history["loss"]
    np.testing.assert_allclose(got, want, rtol=1e-5)
    assert our_data.epochs_seen == 3  # Keras's documented contract (3.15's torch adapter does not call it)
    ours.fit(our_data, epochs=1, verbose=0)  # shuffled batch order: every batch still seen once per epoch
    assert our_data.epochs_seen == 4
    assert issubclass(ek.utils.Sequence, ek.utils.PyDataset) and real_keras.utils.Sequence is not None


def _progress(k, verbose):
    import contextlib
    import io
    import re
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        bar = k.utils.Progbar(4, verbose=verbose, stateful_metrics=["acc"])
        bar.update(1, values=[("loss", 1.0), ("acc", 0.5)])
        bar.add(1, values=[("loss", 3.0), ("acc", 0.25)])
        bar.update(4, values=[("loss", 2.0), ("acc", 0.75)], finalize=True)
    text = re.sub(r"\x1b\[[0-9;]*m|\x08", "", buf.getvalue())  # Keras's colours and backspaces
    return re.sub(r"\d+(us|ms|s)/step|\d+s", "T", text)  # timings


def test_progbar_averages_and_lines(real_keras):
    """verbose=2: the same final line (running means, stateful values as given); verbose=1: the same last draw."""
    assert _progress(ek, 2) == _progress(real_keras, 2) == "4/4 - T - T - loss: 2.0000 - acc: 0.7500\n"
    ours, want = _progress(ek, 1), _progress(real_keras, 1)
    assert ours.endswith("\n") and want.endswith("\n")
    assert ours.rsplit("\r", 1)[-1].split(" - ", 1)[1] == want.rsplit("\r", 1)[-1].split(" - ", 1)[1]


def test_interactive_logging_switch(real_keras):
    for k in (real_keras, ek):
        assert k.utils.is_interactive_logging_enabled()
        k.utils.disable_interactive_logging()
        try:
            assert not k.utils.is_interactive_logging_enabled()
            assert _progress(k, 2) == ""  # progress goes to the logger, not stdout
        finally:
            k.utils.enable_interactive_logging()
        assert k.utils.is_interactive_logging_enabled()


@pytest.mark.parametrize("sizes", [dict(left_size=0.7), dict(right_size=3, shuffle=True, seed=1),
                                   dict(left_size=4)])
def test_split_dataset(real_keras, sizes):
    """Keras's torch backend returns two Subsets of tuples of tensors; so does ember (the same sizes, all samples)."""
    x, y = np.arange(20, dtype="float32").reshape(10, 2), np.arange(10)
    for data in ((x, y), x):
        ref = real_keras.utils.split_dataset(data, **sizes)
        ours = ek.utils.split_dataset(data, **sizes)
        assert [len(p) for p in ours] == [len(p) for p in ref]
        rows = sorted(tuple(np.asarray(v).ravel().tolist()) for part in ours for item in part for v in item[:1])
        assert rows == sorted(tuple(r.tolist()) for r in x)
        assert len(ours[0][0]) == len(ref[0][0])


def test_model_to_dot_and_plot_model(real_keras, tmp_path):
    """The same graph: one node per layer labelled with its name and class, the same edges."""
    def build(k):
        a = k.Input((4,), name="a")
        h = k.layers.Dense(3, name="hidden")(a)
        return k.Model(a, k.layers.Dense(1, name="out")(h), name="net")

    def summary(dot):
        labels = {n.get_name(): str(n.get("label")) for n in dot.get_nodes() if n.get_name() not in ("node", "edge")}
        named = {key: next((name for name in ("hidden", "out", "a") if f">{name}<" in label or f"{name} (" in label
                            or label.startswith(f'"{name}')), None) for key, label in labels.items()}
        return sorted((named[e.get_source()], named[e.get_destination()]) for e in dot.get_edges())
    assert summary(ek.utils.model_to_dot(build(ek))) == summary(real_keras.utils.model_to_dot(build(real_keras)))
    ek.utils.plot_model(build(ek), to_file=str(tmp_path / "ours.png"))
    real_keras.utils.plot_model(build(real_keras), to_file=str(tmp_path / "keras.png"))
    assert (tmp_path / "ours.png").read_bytes()[:8] == (tmp_path / "keras.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
