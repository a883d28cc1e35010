"""Keras models: the functional API, subclassing, the one fit loop's inputs, saving and loading."""
import numpy as np
import pytest

import ember
from ember import keras
from ember.errors import ArgumentError, ShapeError
from ember.io import FileError

L = keras.layers


def two_task_data(n=256, seed=0):
    rng = np.random.default_rng(seed)
    xa = rng.standard_normal((n, 4)).astype(np.float32)
    xb = rng.standard_normal((n, 3)).astype(np.float32)
    labels = (xa[:, 0] > 0).astype(np.int64) + (xb[:, 0] > 0)
    target = (xa.sum(1, keepdims=True) + xb[:, :1]).astype(np.float32)
    return xa, xb, labels, target


def two_input_model():
    a, b = keras.Input(shape=(4,), name="a"), keras.Input(shape=(3,), name="b")
    h = L.Dense(16, activation="relu", name="mix_a")(a) + L.Dense(16, name="mix_b")(b)
    cls = L.Dense(3, activation="softmax", name="cls")(h)
    reg = L.Dense(1, name="reg")(h)
    return keras.Model([a, b], [cls, reg], name="two_task")


def test_functional_two_inputs_two_outputs_both_losses_fall():
    keras.utils.set_random_seed(0)
    xa, xb, labels, target = two_task_data()
    model = two_input_model()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-2), loss=["sparse_categorical_crossentropy", "mse"],
                  loss_weights=[1.0, 0.5], metrics={"cls": ["accuracy"]})
    hist = model.fit({"a": xa, "b": xb}, {"cls": labels, "reg": target}, epochs=8, batch_size=32, verbose=0).history
    assert set(hist) == {"loss", "cls_loss", "reg_loss", "cls_accuracy"}
    assert hist["cls_loss"][-1] < 0.6 * hist["cls_loss"][0]
    assert hist["reg_loss"][-1] < 0.3 * hist["reg_loss"][0]
    np.testing.assert_allclose(hist["loss"][-1], hist["cls_loss"][-1] + 0.5 * hist["reg_loss"][-1], rtol=1e-5)
    assert hist["cls_accuracy"][-1] > 0.8


def test_functional_outputs_match_the_layers_run_by_hand():
    keras.utils.set_random_seed(1)
    model = two_input_model()
    xa, xb, _, _ = two_task_data(8)
    cls, reg = model.predict([xa, xb], verbose=0)
    w = {layer.name: layer for layer in model.layers}
    h = np.maximum(xa @ w["mix_a"].kernel.detach().numpy() + w["mix_a"].bias.detach().numpy(), 0) + \
        xb @ w["mix_b"].kernel.detach().numpy() + w["mix_b"].bias.detach().numpy()
    logits = h @ w["cls"].kernel.detach().numpy() + w["cls"].bias.detach().numpy()
    expected = np.exp(logits - logits.max(1, keepdims=True))
    np.testing.assert_allclose(cls, expected / expected.sum(1, keepdims=True), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(reg, h @ w["reg"].kernel.detach().numpy() + w["reg"].bias.detach().numpy(),
                               rtol=1e-5, atol=1e-5)
    assert [t.shape for t in model.outputs] == [(None, 3), (None, 1)]


def test_shared_layer_is_one_set_of_weights_with_summed_gradients():
    x1, x2 = keras.Input(shape=(5,)), keras.Input(shape=(5,))
    shared = L.Dense(2, use_bias=False)
    model = keras.Model([x1, x2], shared(x1) + shared(x2))
    assert len(model.weights) == 1 and len(shared._inbound_nodes) == 2
    a, b = ember.randn(3, 5), ember.randn(3, 5)
    model([a, b]).sum().backward()
    np.testing.assert_allclose(shared.kernel.grad.numpy(), np.repeat((a + b).sum(0).numpy()[:, None], 2, 1),
                               rtol=1e-5)


def test_symbolic_shapes_unknown_dims_and_errors():
    seq = keras.Input(shape=(None, 6))
    pooled = L.Dense(4)(seq)
    assert pooled.shape == (None, None, 4)
    assert (pooled[:, 0] * 2.0).shape == (None, 4)
    other = keras.Input(shape=(6,))
    with pytest.raises(ArgumentError, match="not among the model's inputs"):
        keras.Model(other, L.Dense(2)(seq))
    model = keras.Model(other, L.Dense(2)(other))
    with pytest.raises(ShapeError, match=r"expects shape \(None, 6\), got \(2, 5\)"):
        model(ember.randn(2, 5))
    with pytest.raises(ArgumentError, match="no truth value"):
        bool(other)


def test_nested_model_as_a_layer():
    inner_in = keras.Input(shape=(4,))
    inner = keras.Model(inner_in, L.Dense(3, activation="relu")(inner_in), name="inner")
    x = keras.Input(shape=(4,))
    outer = keras.Model(x, L.Dense(1)(inner(x)), name="outer")
    out = outer(ember.ones(2, 4))
    assert tuple(out.shape) == (2, 1)
    assert len(list(outer.parameters())) == 4


def test_graph_is_the_ir():
    x = keras.Input(shape=(4,))
    model = keras.Model(x, L.Dense(2, activation="relu")(x))
    g = model.graph()
    assert isinstance(g, ember.graph.Graph)
    assert any(n.op == "parameter" for n in g.nodes)
    fast = ember.compile(model.eval())
    np.testing.assert_allclose(fast(ember.ones(3, 4)).numpy(), model.predict(np.ones((3, 4), np.float32), verbose=0),
                               rtol=1e-6)


@keras.saving.register_keras_serializable(package="tests")
class Scale(L.Layer):
    """A custom layer the Keras 3 way: build with add_weight, call, automatic config."""

    def __init__(self, init=1.5, **kwargs):
        super().__init__(**kwargs)
        self.init = init

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer=keras.initializers.Constant(self.init),
                                     name="scale")

    def call(self, inputs):
        return inputs * self.scale


@keras.saving.register_keras_serializable(package="tests")
class Subclassed(keras.Model):
    def __init__(self, hidden=8, **kwargs):
        super().__init__(**kwargs)
        self.hidden = L.Dense(hidden, activation="relu")
        self.scale = Scale(0.5)
        self.out = L.Dense(3, activation="softmax")

    def call(self, inputs, training=None):
        return self.out(self.scale(self.hidden(inputs)))


def _sequential():
    return keras.Sequential([keras.Input(shape=(4,)), L.Dense(8, activation="relu"), Scale(), L.Dropout(0.1),
                             L.Dense(3, activation="softmax")])


def _functional():
    x = keras.Input(shape=(4,))
    h = Scale(2.0)(L.Dense(8, activation="tanh")(x))
    return keras.Model(x, L.Dense(3, activation="softmax")(h[:, :8] - 0.5))


@pytest.mark.parametrize("make", [_sequential, _functional, lambda: Subclassed(hidden=6)],
                         ids=["sequential", "functional", "subclassed"])
def test_save_load_predict_identically_and_resume_training(make, tmp_path):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4)).astype(np.float32)
    y = rng.integers(0, 3, 64)
    model = make()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"], jit_compile=False)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    path = tmp_path / "model.ember"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded) is type(model)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.evaluate(x, y, verbose=0) == model.evaluate(x, y, verbose=0)
    # the optimizer state came along: one more epoch on each gives the same weights
    for m in (model, loaded):
        ember.manual_seed(5)
        m.fit(x, y, epochs=1, batch_size=16, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_config_round_trip_rebuilds_the_same_architecture():
    model = two_input_model()
    config = model.get_config()
    clone = type(model).from_config(config)
    clone.set_weights(model.get_weights())
    xa, xb, _, _ = two_task_data(5)
    for a, b in zip(model.predict([xa, xb], verbose=0), clone.predict([xa, xb], verbose=0)):
        np.testing.assert_array_equal(a, b)
    seq = _sequential()
    seq2 = keras.Sequential.from_config(seq.get_config())
    assert [type(l).__name__ for l in seq2.layers] == [type(l).__name__ for l in seq.layers]


def test_unregistered_custom_layer_needs_custom_objects(tmp_path):
    class Loose(L.Layer):
        def call(self, x):
            return x * 2

    x = keras.Input(shape=(3,))
    model = keras.Model(x, Loose()(L.Dense(2)(x)))
    model.save(tmp_path / "m.ember")
    with pytest.raises(FileError, match="register_keras_serializable"):
        keras.models.load_model(tmp_path / "m.ember")
    loaded = keras.models.load_model(tmp_path / "m.ember", custom_objects={"Loose": Loose})
    np.testing.assert_array_equal(loaded.predict(np.ones((2, 3), np.float32), verbose=0),
                                  model.predict(np.ones((2, 3), np.float32), verbose=0))


def test_weights_load_into_a_fresh_model_by_position(tmp_path):
    a, b = _sequential(), _sequential()
    a.save_weights(tmp_path / "w.ember")
    b.load_weights(tmp_path / "w.ember")
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    small = keras.Sequential([keras.Input(shape=(4,)), L.Dense(2)])
    with pytest.raises(FileError, match="does not fit"):
        small.load_weights(tmp_path / "w.ember")


def _model(jit=False, loss="sparse_categorical_crossentropy"):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(4,)), L.Dense(8, activation="relu"), L.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss=loss, metrics=["accuracy"],
                  jit_compile=jit)
    return model


def test_compiled_and_eager_steps_agree():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((96, 4)).astype(np.float32), rng.integers(0, 3, 96)
    eager, compiled = _model(False), _model(True)
    compiled.set_weights(eager.get_weights())
    h_e = eager.fit(x, y, epochs=3, batch_size=40, shuffle=False, verbose=0).history  # last batch smaller
    h_c = compiled.fit(x, y, epochs=3, batch_size=40, shuffle=False, verbose=0).history
    np.testing.assert_allclose(h_e["loss"], h_c["loss"], rtol=1e-5)
    for a, b in zip(eager.get_weights(), compiled.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)
    auto = _model("auto")
    auto.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert auto._jit_choice in (True, False)


def test_sample_weight_and_class_weight():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((32, 4)).astype(np.float32), rng.integers(0, 3, 32)
    model = _model()
    per_sample = -np.log(np.clip(model.predict(x, verbose=0)[np.arange(32), y], 1e-7, 1))
    weights = rng.uniform(0, 2, 32).astype(np.float32)
    weighted = model.evaluate(x, y, sample_weight=weights, batch_size=32, verbose=0)[0]
    np.testing.assert_allclose(weighted, (per_sample * weights).mean(), rtol=1e-5)
    a, b = _model(), _model()
    a.fit(x, y, class_weight={0: 1.0, 1: 2.0, 2: 0.5}, epochs=2, shuffle=False, verbose=0)
    b.fit(x, y, sample_weight=np.array([1.0, 2.0, 0.5], np.float32)[y], epochs=2, shuffle=False, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-6)
    c, d = _model(), _model()  # a class class_weight does not name weighs 1, as in Keras
    c.fit(x, y, class_weight={0: 1.0, 1: 2.0}, epochs=2, shuffle=False, verbose=0)
    d.fit(x, y, sample_weight=np.array([1.0, 2.0, 1.0], np.float32)[y], epochs=2, shuffle=False, verbose=0)
    for wc, wd in zip(c.get_weights(), d.get_weights()):
        np.testing.assert_allclose(wc, wd, rtol=1e-6)


def test_fit_takes_generators_loaders_and_validation():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((64, 4)).astype(np.float32), rng.integers(0, 3, 64)

    def batches():
        while True:
            for i in range(0, 64, 16):
                yield x[i:i + 16], y[i:i + 16]
    model = _model()
    hist = model.fit(batches(), steps_per_epoch=4, epochs=2, validation_data=(x, y), verbose=0).history
    assert set(hist) == {"loss", "accuracy", "val_loss", "val_accuracy"} and len(hist["loss"]) == 2
    loader = ember.data.DataLoader(ember.data.TensorDataset(ember.tensor(x), ember.tensor(y)), batch_size=16)
    hist = model.fit(loader, epochs=2, validation_data=loader, verbose=0).history
    assert len(hist["val_loss"]) == 2
    np.testing.assert_allclose(model.evaluate(loader, verbose=0)[0], model.evaluate(x, y, verbose=0)[0], rtol=1e-5)
    hist = model.fit(x, y, validation_split=0.25, epochs=1, verbose=0).history
    assert "val_accuracy" in hist
    assert model.predict(loader, verbose=0).shape == (64, 3)


def test_on_batch_methods():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 4)).astype(np.float32), rng.integers(0, 3, 16)
    model = _model()
    before = model.test_on_batch(x, y)
    for _ in range(20):
        model.train_on_batch(x, y)
    after = model.test_on_batch(x, y, return_dict=True)
    assert after["loss"] < before[0]
    np.testing.assert_allclose(model.predict_on_batch(x), model.predict(x, verbose=0), rtol=1e-6)


def test_regularizer_adds_to_the_loss():
    keras.utils.set_random_seed(0)
    x = np.ones((4, 3), np.float32)
    model = keras.Sequential([keras.Input(shape=(3,)), L.Dense(2, kernel_regularizer=keras.regularizers.L2(0.1),
                                                              use_bias=False)])
    model.compile(optimizer="sgd", loss="mse")
    kernel = model.layers[0].kernel.detach().numpy()
    y = np.zeros((4, 2), np.float32)
    expected = ((x @ kernel) ** 2).mean() + 0.1 * (kernel ** 2).sum()
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), expected, rtol=1e-5)


def test_misuse_reads_well():
    x, y = np.ones((10, 4), np.float32), np.zeros(10, np.int64)
    model = keras.Sequential([keras.Input(shape=(4,)), L.Dense(3, activation="softmax")])
    with pytest.raises(ArgumentError, match="compile"):
        model.fit(x, y)
    with pytest.raises(ArgumentError, match="unknown optimizer 'adamm'.*adam"):
        model.compile(optimizer="adamm", loss="mse")
    with pytest.raises(ArgumentError, match="unknown loss.*sparse_categorical_crossentropy"):
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy_")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(ShapeError, match="different lengths"):
        model.fit(x, y[:7], verbose=0)
    with pytest.raises(ShapeError, match="categorical_crossentropy"):
        model.fit(x, np.zeros((10, 3), np.float32), verbose=0)
    two = two_input_model()
    two.compile(optimizer="adam", loss="mse")
    with pytest.raises(ArgumentError, match="2 inputs"):
        two.predict(np.ones((2, 4), np.float32), verbose=0)


@keras.saving.register_keras_serializable(package="tests")
def squash(x, factor=1.0):
    return (x * factor).tanh()


def test_lambda_and_module_wrapper_save_and_load(tmp_path):
    x = keras.Input(shape=(5, 3))
    h = L.ModuleWrapper(ember.nn.Linear(3, 4))(x)
    h = L.Lambda(squash, arguments={"factor": 2.0})(h)
    model = keras.Model(x, L.GlobalAveragePooling1D()(h))
    data = np.random.default_rng(0).standard_normal((2, 5, 3)).astype(np.float32)
    model.save(tmp_path / "m.ember")
    loaded = keras.models.load_model(tmp_path / "m.ember")
    np.testing.assert_allclose(loaded.predict(data, verbose=0), model.predict(data, verbose=0), rtol=1e-6)
    unsaved = keras.Model(x, L.Lambda(lambda t: t * 2)(x))
    with pytest.raises(ArgumentError, match="cannot be saved"):
        unsaved.save(tmp_path / "n.ember")
    assert not (tmp_path / "n.ember").exists()


@keras.saving.register_keras_serializable(package="tests")
class RMSNorm(L.Layer):
    """A custom layer written the Keras 3 way with keras.ops."""

    def __init__(self, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = epsilon

    def build(self, input_shape):
        self.gain = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="gain")
        self.shift = self.add_weight(shape=(input_shape[-1],), initializer="zeros", trainable=False, name="shift")

    def call(self, inputs, training=None):
        ops = keras.ops
        scale = ops.rsqrt(ops.mean(ops.square(inputs), axis=-1, keepdims=True) + self.epsilon)
        return ops.add(ops.multiply(inputs * scale, self.gain), self.shift)


def test_custom_keras3_layer_with_ops_trains_saves_and_ops_work_symbolically(tmp_path):
    keras.utils.set_random_seed(0)
    x = keras.Input(shape=(6,))
    left, right = L.Dense(4)(x), L.Dense(4)(x)
    joined = keras.ops.concatenate([left, keras.ops.relu(right)], axis=-1)
    model = keras.Model(x, L.Dense(1)(RMSNorm()(joined)))
    norm = model.layers[-2]
    assert [w.shape for w in norm.trainable_weights] == [(8,)] and len(norm.non_trainable_weights) == 1
    data = np.random.default_rng(0).standard_normal((64, 6)).astype(np.float32)
    h = np.concatenate([data @ left._history[0].kernel.detach().numpy() + left._history[0].bias.detach().numpy(),
                        np.maximum(data @ right._history[0].kernel.detach().numpy(), 0)], 1)
    expected = h / np.sqrt((h ** 2).mean(-1, keepdims=True) + 1e-6)
    got = keras.Model(x, RMSNorm()(joined)).predict(data, verbose=0)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)
    model.compile(optimizer="adam", loss="mse")
    model.fit(data, data[:, :1], epochs=2, verbose=0)
    assert not np.allclose(norm.gain.detach().numpy(), 1)
    model.save(tmp_path / "m.ember")
    loaded = keras.models.load_model(tmp_path / "m.ember")
    np.testing.assert_array_equal(loaded.predict(data, verbose=0), model.predict(data, verbose=0))


def test_auto_jit_falls_back_to_eager_when_shapes_keep_changing(caplog):
    # A generator of ever-longer sequences: each new length is a retrace; past the limit, "auto" goes
    # on eagerly (and says so), while jit_compile=True raises.
    def batches():
        for length in range(2, 40):
            x = np.random.default_rng(length).standard_normal((4, length, 3)).astype(np.float32)
            yield x, x.sum(axis=(1, 2))[:, None]

    def model(jit):
        keras.utils.set_random_seed(0)
        inputs = keras.Input(shape=(None, 3))
        m = keras.Model(inputs, L.Dense(1)(L.GlobalAveragePooling1D()(L.Dense(4)(inputs))))
        m.compile(optimizer="sgd", loss="mse", jit_compile=jit)
        return m
    auto = model("auto")
    auto._jit_choice = True  # as if the first steps had measured compiled to be faster
    auto.fit(batches(), epochs=1, verbose=0)
    assert auto._jit_choice is False and "continues eagerly" in caplog.text
    with pytest.raises(ember.graph.RecompileError):
        model(True).fit(batches(), epochs=1, verbose=0)


def test_bad_data_reads_well():
    model = _model()
    x = np.ones((8, 4), np.float32)
    with pytest.raises(ArgumentError, match=r"labels must be class indices in \[0, 3\).*from 7 to 7"):
        model.fit(x, np.full(8, 7), verbose=0)
    with pytest.raises(ArgumentError, match="y has dtype <U1"):
        model.fit(x, np.array(["a"] * 8), verbose=0)
    with pytest.raises(ArgumentError, match="pad_sequences"):
        model.fit([[1.0, 2.0], [3.0]], np.zeros(2), verbose=0)
