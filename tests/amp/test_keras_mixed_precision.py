"""keras.mixed_precision against Keras 3 (torch backend): the policies' dtypes on layers, outputs and
weights, the same outputs for the same weights, LossScaleOptimizer's scale and step counting, and fit
under "mixed_float16" (which wraps the optimizer, as Keras's compile does)."""
import os

import numpy as np
import pytest

import ember
from ember import keras

os.environ.setdefault("KERAS_BACKEND", "torch")
real = pytest.importorskip("keras")


@pytest.fixture
def policy():
    """Set a global policy in both libraries for one test; float32 afterwards."""
    def set_both(name):
        keras.mixed_precision.set_global_policy(name)
        real.mixed_precision.set_global_policy(name)
    yield set_both
    set_both("float32")


def _dtype(t):
    return str(t.dtype).replace("torch.", "").replace("ember.", "")


LAYERS = {  # name: (make(lib), input shape, input dtype)
    "dense": (lambda k: k.layers.Dense(5, activation="relu"), (3, 4), "float32"),
    "conv2d": (lambda k: k.layers.Conv2D(3, 3, padding="same"), (2, 6, 6, 2), "float32"),
    "layer_norm": (lambda k: k.layers.LayerNormalization(), (3, 4), "float32"),
    "embedding": (lambda k: k.layers.Embedding(7, 3), (2, 5), "int64"),
    "softmax_float32": (lambda k: k.layers.Activation("softmax", dtype="float32"), (3, 4), "float16"),
    "lstm": (lambda k: k.layers.LSTM(3), (2, 4, 3), "float32"),
}


@pytest.mark.parametrize("mode", ["mixed_float16", "mixed_bfloat16"])
@pytest.mark.parametrize("name", list(LAYERS))
def test_layers_compute_in_the_policy_dtype_like_keras(policy, mode, name):
    policy(mode)
    make, shape, in_dtype = LAYERS[name]
    rng = np.random.default_rng(0)
    x = rng.integers(0, 7, shape) if in_dtype == "int64" else rng.standard_normal(shape).astype(in_dtype)
    ours, theirs = make(keras), make(real)
    out = ours(ember.tensor(x))
    ref = theirs(x)
    for attr in ("compute_dtype", "variable_dtype", "dtype"):
        assert getattr(ours, attr) == getattr(theirs, attr), attr
    assert repr(ours.dtype_policy) == repr(theirs.dtype_policy)
    assert _dtype(out) == _dtype(ref)
    assert [_dtype(w) for w in ours.weights] == [w.dtype for w in theirs.weights]
    if ours.weights:  # the same weights give the same outputs, to the compute dtype's precision
        for w, v in zip(theirs.weights, ours.weights):
            w.assign(v.detach().numpy())
        ref = theirs(x)
        tol = 2e-2 if mode == "mixed_bfloat16" else 3e-3
        np.testing.assert_allclose(out.detach().float().numpy(), np.asarray(ref.detach().cpu().float()),
                                   rtol=tol, atol=tol)


def test_batch_normalization_keeps_float32_statistics(policy):
    policy("mixed_float16")
    ours, theirs = keras.layers.BatchNormalization(), real.layers.BatchNormalization()
    x = np.random.default_rng(0).standard_normal((8, 3)).astype("float32")
    out, ref = ours(ember.tensor(x), training=True), theirs(x, training=True)
    assert _dtype(out) == _dtype(ref) == "float16"
    assert ours.running_mean.dtype == ember.float32 if hasattr(ours, "running_mean") else True
    np.testing.assert_allclose(out.float().detach().numpy(), ref.detach().float().numpy(), rtol=3e-3, atol=3e-3)


def test_policy_objects_and_errors():
    p = keras.mixed_precision.Policy("mixed_bfloat16")
    q = real.mixed_precision.Policy("mixed_bfloat16")
    assert (p.name, p.compute_dtype, p.variable_dtype) == (q.name, q.compute_dtype, q.variable_dtype)
    assert keras.mixed_precision.global_policy().name == "float32"
    with pytest.raises(ember.ArgumentError, match="mixed_float16"):
        keras.mixed_precision.set_global_policy("float16")  # float16 weights: not supported
    with pytest.raises(ember.ArgumentError, match="unknown"):
        keras.mixed_precision.Policy("mixed_int8")


def test_loss_scale_optimizer_matches_keras():
    ours = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1), dynamic_growth_steps=2)
    theirs = real.optimizers.LossScaleOptimizer(real.optimizers.SGD(0.1), dynamic_growth_steps=2)
    v = ember.nn.Parameter(ember.ones(3))
    w = real.Variable(np.ones(3, "float32"))
    theirs.build([w])
    grads = [[1.0, 2.0, 3.0], [np.inf, 1.0, 1.0], [1.0, 1.0, 1.0], [2.0, 2.0, 2.0], [np.nan, 0.0, 0.0], [1.0, 0.5, 0.0]]
    for g in grads:
        g = np.asarray(g, "float32") * 1000.0
        ours.apply_gradients([(ember.tensor(g), v)])
        theirs.apply_gradients([(real.ops.convert_to_tensor(g), w)])
        assert ours.dynamic_scale == float(theirs.dynamic_scale)
        assert ours.iterations == int(theirs.iterations)       # skipped steps are not counted
        assert ours.step_counter == int(theirs.step_counter)
        np.testing.assert_allclose(v.detach().numpy(), w.numpy(), rtol=1e-6)


def _classifier(lib):
    lib.utils.set_random_seed(0)
    return lib.Sequential([lib.Input((6,)), lib.layers.Dense(32, activation="relu"), lib.layers.Dense(3),
                           lib.layers.Activation("softmax", dtype="float32")])


def test_fit_under_mixed_float16_wraps_the_optimizer_and_trains(policy):
    policy("mixed_float16")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 6)).astype("float32")
    y = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 0.5)
    ours, theirs = _classifier(keras), _classifier(real)
    for m in (ours, theirs):
        m.compile(optimizer=(keras if m is ours else real).optimizers.Adam(1e-2),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    assert type(ours.optimizer).__name__ == type(theirs.optimizer).__name__ == "LossScaleOptimizer"
    ours.optimizer.inner_optimizer  # the Adam it wraps
    h = ours.fit(x, y, epochs=6, batch_size=16, verbose=0)  # jit_compile="auto": traced once, then eager
    g = theirs.fit(x, y, epochs=6, batch_size=16, verbose=0)
    assert h.history["accuracy"][-1] > 0.8 and g.history["accuracy"][-1] > 0.8
    assert ours.optimizer.iterations == int(theirs.optimizer.iterations) == 48  # no overflow at 2**15
    assert ours.optimizer.dynamic_scale == float(theirs.optimizer.dynamic_scale)
    assert ours.predict(x[:4], verbose=0).dtype == np.float32  # the float32 softmax layer
    assert all(p.dtype == ember.float32 for p in ours.parameters())


def test_fit_recovers_from_overflow(policy):
    """A huge initial scale overflows float16 gradients: the steps are skipped and the scale halves
    until the gradients are finite, and then the model trains; the same skips as Keras."""
    policy("mixed_float16")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((128, 6)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    ours, theirs = _classifier(keras), _classifier(real)
    for m, lib in ((ours, keras), (theirs, real)):
        opt = lib.optimizers.LossScaleOptimizer(lib.optimizers.SGD(0.1), initial_scale=2.0 ** 32)
        m.compile(optimizer=opt, loss="sparse_categorical_crossentropy", metrics=["accuracy"], jit_compile=False)
    h = ours.fit(x, y, epochs=5, batch_size=16, verbose=0)
    theirs.fit(x, y, epochs=5, batch_size=16, verbose=0)
    skipped = 40 - ours.optimizer.iterations
    assert skipped > 5 and ours.optimizer.dynamic_scale < 2.0 ** 32
    assert skipped == 40 - int(theirs.optimizer.iterations)
    assert h.history["accuracy"][-1] > 0.8
    assert all(bool(ember.isfinite(p).all()) for p in ours.parameters())


def test_compiled_fit_under_a_mixed_policy_equals_eager(policy):
    """The layers' casts are recorded by the tracer: a compiled training step gives the eager losses."""
    policy("mixed_bfloat16")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 6)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    losses = []
    for jit in (False, True):
        model = _classifier(keras)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", jit_compile=jit)
        losses.append(model.fit(x, y, epochs=2, batch_size=16, verbose=0, shuffle=False).history["loss"])
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-6)
    assert "P_Cast" in list(model._compiled_steps.values())[0].source()
