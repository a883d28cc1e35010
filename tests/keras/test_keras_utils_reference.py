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
                          "standardize_dtype", "clear_session", "PyDataset", "Sequence"]}


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
