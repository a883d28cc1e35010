"""Table-driven differential tests: each listed name of keras.ops, keras.activations, keras.losses,
keras.metrics, keras.regularizers, keras.initializers and keras.optimizers is called the same way on
Keras 3 (torch backend) and on ember.keras, and the values compared."""
import numpy as np
import pytest

from ember import keras as ek

RNG = np.random.default_rng(0)
X = RNG.uniform(0.1, 0.9, (3, 4)).astype("float32")
Y = RNG.uniform(0.1, 0.9, (3, 4)).astype("float32")

OPS_UNARY = ["abs", "absolute", "all", "amax", "amin", "any", "argmax", "argmin", "argsort", "ceil", "convert_to_numpy",
             "convert_to_tensor", "cos", "cumprod", "cumsum", "elu", "erf", "exp", "expm1", "flip", "floor", "gelu",
             "isfinite", "isinf", "isnan", "leaky_relu", "log", "log1p", "log2", "log_sigmoid", "log_softmax",
             "logical_not", "logsumexp", "max", "mean", "min", "ndim", "negative", "norm", "normalize", "ones_like",
             "prod", "reciprocal", "relu", "relu6", "round", "rsqrt", "selu", "shape", "sigmoid", "sign", "silu",
             "sin", "size", "softmax", "softplus", "sort", "sqrt", "square", "squeeze", "stack", "std", "sum",
             "swish", "tan", "tanh", "transpose", "var", "zeros_like"]
OPS_BINARY = ["add", "divide", "equal", "floor_divide", "greater", "greater_equal", "less", "less_equal",
              "logical_and", "logical_or", "logical_xor", "maximum", "minimum", "mod", "multiply", "not_equal",
              "power", "subtract", "take", "take_along_axis", "true_divide"]
# name -> a function of (ops, x, y) calling it as Keras code would
OPS_CALLS = {
    "arange": lambda o, x, y: o.arange(1, 9, 2), "broadcast_to": lambda o, x, y: o.broadcast_to(x[0], (3, 4)),
    "cast": lambda o, x, y: o.cast(x * 10, "int32"), "clip": lambda o, x, y: o.clip(x, 0.3, 0.6),
    "concatenate": lambda o, x, y: o.concatenate([x, y], axis=1), "dot": lambda o, x, y: o.dot(x, o.transpose(y)),
    "einsum": lambda o, x, y: o.einsum("ij,kj->ik", x, y), "expand_dims": lambda o, x, y: o.expand_dims(x, 1),
    "eye": lambda o, x, y: o.eye(3), "full": lambda o, x, y: o.full((2, 3), 1.5),
    "full_like": lambda o, x, y: o.full_like(x, 2.0), "identity": lambda o, x, y: o.identity(3),
    "linspace": lambda o, x, y: o.linspace(0.0, 1.0, 5), "matmul": lambda o, x, y: o.matmul(x, o.transpose(y)),
    "moveaxis": lambda o, x, y: o.moveaxis(x, 0, 1), "one_hot": lambda o, x, y: o.one_hot(o.argmax(x, axis=1), 4),
    "ones": lambda o, x, y: o.ones((2, 3)), "repeat": lambda o, x, y: o.repeat(x, 2, axis=1),
    "reshape": lambda o, x, y: o.reshape(x, (4, 3)), "split": lambda o, x, y: o.split(x, 2, axis=1),
    "stop_gradient": lambda o, x, y: o.stop_gradient(x), "swapaxes": lambda o, x, y: o.swapaxes(x, 0, 1),
    "tile": lambda o, x, y: o.tile(x, (2, 1)), "top_k": lambda o, x, y: o.top_k(x, 2),
    "zeros": lambda o, x, y: o.zeros((2, 2)), "mean": lambda o, x, y: o.mean(x, axis=1, keepdims=True),
    "sum": lambda o, x, y: o.sum(x, axis=0), "max": lambda o, x, y: o.max(x, axis=-1),
    "softmax": lambda o, x, y: o.softmax(x, axis=0), "argmax": lambda o, x, y: o.argmax(x, axis=1),
}
ACTIVATIONS = ["elu", "gelu", "leaky_relu", "linear", "log_softmax", "relu", "selu", "sigmoid", "silu", "softmax",
               "softplus", "swish", "tanh", "celu", "exponential", "glu", "hard_sigmoid", "hard_silu", "hard_swish",
               "hard_tanh", "log_sigmoid", "mish", "relu6", "soft_shrink", "hard_shrink", "softsign", "tanh_shrink",
               "squareplus", "sparse_plus", "sparse_sigmoid"]
LOSSES = ["BinaryCrossentropy", "CategoricalCrossentropy", "CategoricalHinge", "CosineSimilarity", "Hinge", "Huber",
          "KLDivergence", "LogCosh", "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredError",
          "MeanSquaredLogarithmicError", "Poisson", "SquaredHinge", "binary_crossentropy", "categorical_crossentropy",
          "categorical_hinge", "cosine_similarity", "hinge", "huber", "kl_divergence", "log_cosh",
          "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
          "mean_squared_logarithmic_error", "poisson", "squared_hinge"]
SPARSE_LOSSES = ["SparseCategoricalCrossentropy", "sparse_categorical_crossentropy"]
METRICS = ["AUC", "Accuracy", "BinaryAccuracy", "BinaryCrossentropy", "CategoricalAccuracy", "CategoricalCrossentropy",
           "CategoricalHinge", "CosineSimilarity", "FalseNegatives", "FalsePositives", "Hinge", "KLDivergence",
           "LogCoshError", "Mean", "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredError",
           "MeanSquaredLogarithmicError", "Poisson", "Precision", "Recall", "RootMeanSquaredError", "SquaredHinge",
           "Sum", "TrueNegatives", "TruePositives"]
SPARSE_METRICS = ["SparseCategoricalAccuracy", "SparseCategoricalCrossentropy"]

METRIC_FUNCTIONS = ["binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
                    "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "binary_crossentropy",
                    "categorical_crossentropy", "sparse_categorical_crossentropy", "hinge", "squared_hinge",
                    "categorical_hinge", "huber", "kl_divergence", "log_cosh", "mean_absolute_error",
                    "mean_absolute_percentage_error", "mean_squared_error", "mean_squared_logarithmic_error",
                    "poisson"]

COVERS = {"keras.ops": OPS_UNARY + OPS_BINARY + list(OPS_CALLS),
          "keras.activations": ACTIVATIONS + ["get", "serialize", "threshold"],
          "keras.losses": LOSSES + SPARSE_LOSSES + ["get"],
          "keras.metrics": METRICS + SPARSE_METRICS + METRIC_FUNCTIONS + ["get"],
          "keras.regularizers": ["L1", "L2", "L1L2", "l1", "l2", "l1_l2", "get"],
          "keras.initializers": ["Zeros", "Ones", "Constant", "Identity", "zeros", "ones", "constant", "identity",
                                 "RandomNormal", "RandomUniform", "TruncatedNormal", "GlorotNormal", "GlorotUniform",
                                 "HeNormal", "HeUniform", "LecunNormal", "LecunUniform", "Orthogonal",
                                 "VarianceScaling", "glorot_uniform", "he_normal", "get"],
          "keras.optimizers": ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "get"]}


def as_np(v):
    if isinstance(v, (list, tuple)):
        return [as_np(a) for a in v]
    if hasattr(v, "detach"):
        v = v.detach()
    if hasattr(v, "cpu"):
        v = v.cpu()
    return np.asarray(v.numpy() if hasattr(v, "numpy") else v)


def assert_same(got, want, rtol=1e-5, atol=1e-6):
    got, want = as_np(got), as_np(want)
    if isinstance(want, list):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert_same(g, w, rtol, atol)
        return
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64), rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", OPS_UNARY + OPS_BINARY)
def test_ops_elementwise_and_reductions(real_keras, name):
    args = (X,) if name in OPS_UNARY else (X, Y)
    want = getattr(real_keras.ops, name)(*args)
    got = getattr(ek.ops, name)(*[ek.ops.convert_to_tensor(a) for a in args])
    assert_same(got, want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", sorted(OPS_CALLS))
def test_ops_with_arguments(real_keras, name):
    want = OPS_CALLS[name](real_keras.ops, real_keras.ops.convert_to_tensor(X), real_keras.ops.convert_to_tensor(Y))
    got = OPS_CALLS[name](ek.ops, ek.ops.convert_to_tensor(X), ek.ops.convert_to_tensor(Y))
    assert_same(got, want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activations(real_keras, name):
    z = (X - 0.5) * 6
    assert_same(ek.activations.get(name)(ek.ops.convert_to_tensor(z)), real_keras.activations.get(name)(z))
    assert_same(getattr(ek.activations, name)(ek.ops.convert_to_tensor(z)), getattr(real_keras.activations, name)(z))
    fn = real_keras.activations.get(name)
    assert ek.activations.serialize(ek.activations.get(name)) in (real_keras.activations.serialize(fn), name)


def test_threshold_activation(real_keras):
    z = (X - 0.5) * 6
    assert_same(ek.activations.threshold(ek.ops.convert_to_tensor(z), 0.5, -1.0),
                real_keras.activations.threshold(z, 0.5, -1.0))


def loss_data(sparse):
    y_pred = RNG.uniform(0.05, 0.95, (6, 4)).astype("float32")
    if sparse:
        return RNG.integers(0, 4, 6), y_pred / y_pred.sum(1, keepdims=True)
    return (RNG.random((6, 4)) > 0.5).astype("float32"), y_pred


@pytest.mark.parametrize("name", LOSSES + SPARSE_LOSSES)
def test_losses(real_keras, name):
    y_true, y_pred = loss_data(name in SPARSE_LOSSES)
    ref, ours = getattr(real_keras.losses, name), getattr(ek.losses, name)
    t, p = ek.ops.convert_to_tensor(y_true), ek.ops.convert_to_tensor(y_pred)
    if isinstance(ref, type):
        assert_same(ours()(t, p), ref()(y_true, y_pred), rtol=1e-5)
        sw = RNG.random(6).astype("float32")
        assert_same(ours()(t, p, sample_weight=ek.ops.convert_to_tensor(sw)), ref()(y_true, y_pred, sample_weight=sw))
    else:
        assert_same(ours(t, p), ref(y_true, y_pred), rtol=1e-5)
    if isinstance(ref, type):  # by class name, get() gives the class in both (by function name Keras gives the function)
        assert_same(ek.losses.get(name)(t, p), real_keras.losses.get(name)(y_true, y_pred), rtol=1e-5)


@pytest.mark.parametrize("name", METRICS + SPARSE_METRICS)
def test_metrics_over_two_batches(real_keras, name):
    y_true, y_pred = loss_data(name in SPARSE_METRICS)
    ref, ours = getattr(real_keras.metrics, name)(), getattr(ek.metrics, name)()
    sw = RNG.random(6).astype("float32")
    for m in (ref, ours):
        if name in ("Mean", "Sum"):
            m.update_state(y_pred[:3])
            m.update_state(y_pred[3:], sample_weight=sw[3:, None])
        else:
            m.update_state(y_true[:3], y_pred[:3])
            m.update_state(y_true[3:], y_pred[3:], sample_weight=sw[3:])
    assert_same(ours.result(), ref.result(), rtol=1e-5)
    ours.reset_state()
    ref.reset_state()
    assert_same(ours.result(), ref.result())
    assert type(ek.metrics.get(name)).__name__ == type(real_keras.metrics.get(name)).__name__


@pytest.mark.parametrize("make", [lambda r: r.L1(0.01), lambda r: r.L2(0.02), lambda r: r.L1L2(0.01, 0.03),
                                  lambda r: r.l1(0.1), lambda r: r.l2(), lambda r: r.l1_l2(0.1, 0.2),
                                  lambda r: r.get("l2")])
def test_regularizers(real_keras, make):
    assert_same(make(ek.regularizers)(ek.ops.convert_to_tensor(X)), make(real_keras.regularizers)(X))


@pytest.mark.parametrize("name", ["Zeros", "Ones", "Identity", "zeros", "ones", "identity"])
def test_deterministic_initializers(real_keras, name):
    assert_same(ek.initializers.get(name)((4, 4)), getattr(real_keras.initializers, name)()((4, 4)))
    assert_same(ek.initializers.Constant(0.3)((2, 3)), real_keras.initializers.Constant(0.3)((2, 3)))
    assert_same(ek.initializers.constant(0.3)((2, 3)), real_keras.initializers.constant(0.3)((2, 3)))


@pytest.mark.parametrize("name", ["RandomNormal", "RandomUniform", "TruncatedNormal", "GlorotNormal", "GlorotUniform",
                                  "HeNormal", "HeUniform", "LecunNormal", "LecunUniform", "Orthogonal",
                                  "VarianceScaling", "glorot_uniform", "he_normal"])
def test_random_initializers_have_keras_statistics(real_keras, name):
    """Different generators, so the same distribution: mean, spread and range agree."""
    shape = (120, 80)
    want = as_np(getattr(real_keras.initializers, name)(seed=1)(shape))
    got = as_np(getattr(ek.initializers, name)(seed=1)(shape))
    assert got.shape == want.shape
    np.testing.assert_array_equal(as_np(getattr(ek.initializers, name)(seed=1)(shape)), got)  # seeded: repeatable
    assert abs(got.mean() - want.mean()) < 0.1 * want.std() + 1e-3
    np.testing.assert_allclose(got.std(), want.std(), rtol=0.05)
    np.testing.assert_allclose(np.abs(got).max(), np.abs(want).max(), rtol=0.35)


OPTIMIZERS = {"SGD": dict(learning_rate=0.1, momentum=0.9, nesterov=True), "Adam": dict(learning_rate=0.01),
              "AdamW": dict(learning_rate=0.01, weight_decay=0.1), "RMSprop": dict(learning_rate=0.01, rho=0.8),
              "Adagrad": dict(learning_rate=0.1), "Adadelta": dict(learning_rate=1.0),
              "Adamax": dict(learning_rate=0.02), "Nadam": dict(learning_rate=0.02)}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizers_first_steps(real_keras, name):
    import torch
    w0 = RNG.standard_normal((3, 2)).astype("float32")
    grads = [RNG.standard_normal((3, 2)).astype("float32") for _ in range(3)]
    ref_var = real_keras.Variable(w0)
    ref = getattr(real_keras.optimizers, name)(**OPTIMIZERS[name])
    ours_var = ek.layers.Dense(1).add_weight(shape=(3, 2))
    import ember
    with ember.no_grad():
        ours_var.copy_(ember.tensor(w0))
    ours = getattr(ek.optimizers, name)(**OPTIMIZERS[name])
    for g in grads:
        ref.apply([torch.tensor(g)], [ref_var])
        ours.apply([ember.tensor(g)], [ours_var])
        assert_same(ours_var, ref_var.value, rtol=1e-5, atol=1e-6)
    assert type(ek.optimizers.get(name.lower())).__name__ == type(real_keras.optimizers.get(name.lower())).__name__


@pytest.mark.parametrize("name", METRIC_FUNCTIONS)
def test_metric_functions_per_sample(real_keras, name):
    y_true, y_pred = loss_data(name.startswith("sparse"))
    kwargs = {"k": 2} if "top_k" in name else {}
    want = getattr(real_keras.metrics, name)(y_true, y_pred, **kwargs)
    got = getattr(ek.metrics, name)(y_true, y_pred, **kwargs)
    assert_same(np.asarray(as_np(got), dtype=np.float64), np.asarray(as_np(want), dtype=np.float64), rtol=1e-5)
