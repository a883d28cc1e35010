"""Muon, MultiOptimizer and OptimizerMap against Keras 3 (torch backend): the same model and weights in
both libraries, the same gradients given to `optimizer.apply` step by step, then a short `fit` on a
fixed dataset with the loss curves compared; the variable paths the selections read; OptimizerMap's
lookups and refusals; configs read by the other library."""
import numpy as np
import pytest

import ember
from ember import keras as ek
from ember.errors import ArgumentError
from ember.keras.optimizers.paths import assign_paths

RNG = np.random.default_rng(5)
X = RNG.integers(0, 7, size=(24, 3))
Y = RNG.standard_normal((24, 2)).astype("float32")
COVERS = {"keras.optimizers": ["Muon", "MultiOptimizer", "OptimizerMap"]}  # reached as k.optimizers.* below


def model_of(k):
    """An embedding (AdamW in Muon), a tall and a wide matrix (Muon), 1-d biases and an output layer."""
    return k.Sequential([k.Input((3,), dtype="int32"), k.layers.Embedding(7, 5), k.layers.Flatten(),
                         k.layers.Dense(4, activation="tanh", name="hidden"),
                         k.layers.Dense(6, activation="tanh", name="wide"), k.layers.Dense(2, name="out")])


def twin_models(real_keras):
    real_keras.utils.set_random_seed(1)
    ref = model_of(real_keras)
    ours = model_of(ek)
    ours.set_weights(ref.get_weights())
    assign_paths(ours)
    return ref, ours


def apply_steps(k, model, opt, grads):
    """`opt.apply` with each step's gradients; the weights after every step, as NumPy arrays."""
    import torch
    variables = model.trainable_variables if k is not ek else model.trainable_weights
    wrap = torch.tensor if k is not ek else ek.ops.convert_to_tensor
    out = []
    for step in grads:
        opt.apply([wrap(g) for g in step], variables)
        out.append([np.array(k.ops.convert_to_numpy(v.value if k is not ek else v)) for v in variables])
    return out


def assert_steps_match(got, want, rtol=2e-5, atol=2e-6):
    for step, (g_step, w_step) in enumerate(zip(got, want)):
        for i, (g, w) in enumerate(zip(g_step, w_step)):
            np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, err_msg=f"step {step}, variable {i}")


def random_grads(shapes, steps=3):
    return [[RNG.standard_normal(s).astype("float32") for s in shapes] for _ in range(steps)]


def test_variable_paths_match_keras(real_keras):
    ref, ours = twin_models(real_keras)
    assert [w.path for w in ours.trainable_weights] == [v.path for v in ref.trainable_variables]
    i = real_keras.Input((4,))
    inner = real_keras.Sequential([real_keras.layers.Dense(3, name="q")], name="sub")
    functional_ref = real_keras.Model(i, inner(i))
    j = ek.Input((4,))
    functional = ek.Model(j, ek.Sequential([ek.layers.Dense(3, name="q")], name="sub")(j))
    assign_paths(functional)
    assert [w.path for w in functional.trainable_weights] == [v.path for v in functional_ref.trainable_variables]


MUON = {"defaults": dict(exclude_layers=["out"]),
        "tuned": dict(learning_rate=0.02, exclude_layers=["out"], weight_decay=0.01, adam_weight_decay=0.02,
                      adam_lr_ratio=0.5, momentum=0.9, ns_steps=4),
        "plain": dict(learning_rate=0.01, nesterov=False, rms_rate=None, exclude_embeddings=False,
                      adam_weight_decay=None, clipnorm=0.5)}


@pytest.mark.parametrize("setting", sorted(MUON))
def test_muon_steps_match_keras(real_keras, setting):
    ref, ours = twin_models(real_keras)
    grads = random_grads([tuple(v.shape) for v in ref.trainable_variables])
    want = apply_steps(real_keras, ref, real_keras.optimizers.Muon(**MUON[setting]), grads)
    got = apply_steps(ek, ours, ek.optimizers.Muon(**MUON[setting]), grads)
    assert_steps_match(got, want, rtol=1e-4, atol=2e-6)


def fit_losses(k, model, optimizer):
    model.compile(optimizer=optimizer, loss="mse")
    return model.fit(X, Y, batch_size=8, epochs=3, shuffle=False, verbose=0).history["loss"]


def test_muon_fit_matches_keras(real_keras):
    ref, ours = twin_models(real_keras)
    want = fit_losses(real_keras, ref, real_keras.optimizers.Muon(learning_rate=0.05, exclude_layers=["out"]))
    got = fit_losses(ek, ours, ek.optimizers.Muon(learning_rate=0.05, exclude_layers=["out"]))
    np.testing.assert_allclose(got, want, rtol=1e-4)
    assert want[-1] < want[0]
    for g, w in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)


def optimizer_map(k):
    opt_map = k.optimizers.OptimizerMap(k.optimizers.SGD(0.1, momentum=0.9))
    opt_map["sequential/(hidden|wide)/.*"] = k.optimizers.Adam(0.01, global_clipnorm=1.0)
    opt_map["sequential/embedding/embeddings"] = k.optimizers.RMSprop(0.02)
    return opt_map


def selector(k):
    adam, sgd = k.optimizers.Adam(0.02), k.optimizers.SGD(0.05)
    return lambda variable: adam if "hidden" in variable.path else sgd


@pytest.mark.parametrize("make", [optimizer_map, selector], ids=["map", "function"])
def test_multi_optimizer_steps_match_keras(real_keras, make):
    ref, ours = twin_models(real_keras)
    grads = random_grads([tuple(v.shape) for v in ref.trainable_variables])
    ref_opt, our_opt = real_keras.optimizers.MultiOptimizer(make(real_keras)), ek.optimizers.MultiOptimizer(make(ek))
    want = apply_steps(real_keras, ref, ref_opt, grads)
    got = apply_steps(ek, ours, our_opt, grads)
    assert_steps_match(got, want)
    assert our_opt.iterations == int(ref_opt.iterations) == 3
    assert [type(o).__name__ for o in our_opt.optimizers] == [type(o).__name__ for o in ref_opt.optimizers]
    assert [o.iterations for o in our_opt.optimizers] == [int(o.iterations) for o in ref_opt.optimizers]
    for lib_opt in (ref_opt, our_opt):
        with pytest.raises(AttributeError):
            lib_opt.learning_rate


def test_multi_optimizer_fit_matches_keras(real_keras, tmp_path):
    ref, ours = twin_models(real_keras)
    want = fit_losses(real_keras, ref, real_keras.optimizers.MultiOptimizer(optimizer_map(real_keras)))
    got = fit_losses(ek, ours, ek.optimizers.MultiOptimizer(optimizer_map(ek)))
    np.testing.assert_allclose(got, want, rtol=1e-4)
    assert ours.optimizer.iterations == int(ref.optimizer.iterations) == 9
    ours.save(tmp_path / "multi.ember")  # the optimizer's config and every inner state come back
    loaded = ek.models.load_model(tmp_path / "multi.ember")
    assert [type(o).__name__ for o in loaded.optimizer.optimizers] == ["Adam", "RMSprop", "SGD"]
    assert [o.iterations for o in loaded.optimizer.optimizers] == [int(o.iterations) for o in ref.optimizer.optimizers]
    more_ref = ref.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0).history["loss"]
    more = loaded.fit(X, Y, batch_size=8, epochs=1, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(more, more_ref, rtol=1e-4)


def test_optimizer_map_lookups_as_keras(real_keras):
    maps = []
    for k in (real_keras, ek):
        m = k.optimizers.OptimizerMap(default_optimizer=k.optimizers.RMSprop())
        m["encoder/layer_0/dense"] = k.optimizers.Adam()
        m["encoder/.*"] = k.optimizers.SGD()
        m["decoder"] = k.optimizers.Adam()
        maps.append(m)
    for key in ("decoder", "encoder/layer_0/dense", "encoder/layer_0/attention/query", "decoder/layer_0/dense"):
        assert type(maps[1][key]).__name__ == type(maps[0][key]).__name__, key
    assert len(maps[1]) == len(maps[0]) == 3 and list(maps[1]) == list(maps[0])
    for k, m in zip((real_keras, ek), maps):
        m["enc.*"] = k.optimizers.Lion()
        with pytest.raises(ValueError, match="Multiple|several"):  # two patterns match
            m["encoder/x"]
        with pytest.raises(ValueError):
            m["decoder"] = k.optimizers.SGD()  # a repeated key
        with pytest.raises(ValueError):
            m["lso"] = k.optimizers.LossScaleOptimizer(k.optimizers.SGD())
        del m["enc.*"]
        assert type(m["encoder/x"]).__name__ == "SGD"
    with pytest.raises(ValueError, match="default_optimizer"):
        ek.optimizers.OptimizerMap("adam")


def test_configs_read_by_the_other_library(real_keras):
    ref = real_keras.optimizers.MultiOptimizer(optimizer_map(real_keras), name="multi")
    ours = ek.optimizers.deserialize(real_keras.optimizers.serialize(ref))
    assert ours.name == "multi"
    inner = ours._optimizer_map
    assert (type(inner["sequential/hidden/kernel"]), type(inner["other"])) == (ek.optimizers.Adam, ek.optimizers.SGD)
    assert inner["sequential/hidden/kernel"].global_clipnorm == 1.0
    back = real_keras.optimizers.deserialize(ek.optimizers.serialize(ours))
    assert back._optimizer_map["sequential/wide/bias"].get_config()["learning_rate"] == pytest.approx(0.01)
    muon = real_keras.optimizers.Muon(learning_rate=0.03, exclude_layers=["out"], ns_steps=3, rms_rate=None)
    ours = ek.optimizers.deserialize(real_keras.optimizers.serialize(muon))
    assert (ours.learning_rate, ours.exclude_layers, ours.ns_steps, ours.rms_rate) == (pytest.approx(0.03), ["out"],
                                                                                        3, None)
    back = real_keras.optimizers.deserialize(ek.optimizers.serialize(ours)).get_config()
    want = muon.get_config()
    for key in ek.optimizers.Muon().hyperparameters():
        assert back[key] == (pytest.approx(want[key]) if isinstance(want[key], float) else want[key]), key
    with pytest.raises(ValueError, match="function"):
        ek.optimizers.MultiOptimizer(selector(ek)).get_config()


def test_bad_arguments_are_ember_errors():
    with pytest.raises(ArgumentError, match="ns_steps"):
        ek.optimizers.Muon(ns_steps=-1)
    with pytest.raises(ValueError, match="exclude_layers"):
        ek.optimizers.Muon(exclude_layers=["("])
    with pytest.raises(ValueError, match="optimizer_map"):
        ek.optimizers.MultiOptimizer("adam")
    with pytest.raises(ValueError, match="no Keras path"):
        ek.optimizers.MultiOptimizer(optimizer_map(ek)).build([ember.zeros(2, 3, requires_grad=True)])
