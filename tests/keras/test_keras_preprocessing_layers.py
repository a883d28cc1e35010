"""keras.layers' numeric and image preprocessing layers and small extras against Keras 3 (torch backend):
Normalization (given and adapted, inverted), Discretization, CategoryEncoding, Resizing, CenterCrop, Pipeline,
InputSpec checks in a custom layer, TorchModuleWrapper around the module that replaces PyTorch's, and
ReversibleEmbedding."""
import numpy as np
import pytest

import ember
from ember import keras as ek

RNG = np.random.default_rng(5)
IMG = RNG.uniform(0, 255, (2, 9, 12, 3)).astype("float32")
FEATS = RNG.standard_normal((20, 4)).astype("float32") * 3 + 1

# name -> (function of the keras module making the layer, input)
CASES = {
    "Normalization": (lambda k: k.layers.Normalization(mean=[1.0, 2.0, 0.0, -1.0], variance=[4.0, 1.0, 0.25, 9.0]),
                      FEATS),
    "Normalization_invert": (lambda k: k.layers.Normalization(axis=None, mean=2.0, variance=4.0, invert=True),
                             FEATS),
    "Discretization": (lambda k: k.layers.Discretization(bin_boundaries=[-1.0, 0.5, 2.0]), FEATS),
    "Discretization_one_hot": (lambda k: k.layers.Discretization(bin_boundaries=[0.0, 1.0], output_mode="one_hot"),
                               FEATS[:, 0]),
    "CategoryEncoding": (lambda k: k.layers.CategoryEncoding(6), np.array([[0, 2, 2], [5, 1, 0]])),
    "CategoryEncoding_one_hot": (lambda k: k.layers.CategoryEncoding(6, output_mode="one_hot"), np.array([3, 0, 5])),
    "CategoryEncoding_count": (lambda k: k.layers.CategoryEncoding(6, output_mode="count"),
                               np.array([[0, 2, 2], [5, 5, 5]])),
    "Resizing": (lambda k: k.layers.Resizing(5, 7), IMG),
    "Resizing_nearest": (lambda k: k.layers.Resizing(18, 6, interpolation="nearest"), IMG),
    "Resizing_crop": (lambda k: k.layers.Resizing(4, 4, crop_to_aspect_ratio=True), IMG),
    "CenterCrop": (lambda k: k.layers.CenterCrop(5, 6), IMG),
    "CenterCrop_upscale": (lambda k: k.layers.CenterCrop(12, 12), IMG),
    "Pipeline": (lambda k: k.layers.Pipeline([k.layers.Rescaling(1 / 255.0), k.layers.CenterCrop(6, 6)]), IMG),
}
COVERS = {"keras.layers": ["Normalization", "Discretization", "CategoryEncoding", "Resizing", "CenterCrop",
                           "Pipeline", "InputSpec", "TorchModuleWrapper", "ReversibleEmbedding"]}


def as_np(v):
    v = v.detach() if hasattr(v, "detach") else v
    return np.asarray(v.cpu() if hasattr(v, "cpu") else v, dtype=np.float64)


@pytest.mark.parametrize("name", sorted(CASES))
def test_preprocessing_layer_matches_keras(real_keras, name):
    make, x = CASES[name]
    want, got = make(real_keras)(x), make(ek)(x)
    assert tuple(got.shape) == tuple(want.shape)
    np.testing.assert_allclose(as_np(got), as_np(want), rtol=1e-5, atol=1e-4)


def test_normalization_adapt_matches_keras(real_keras):
    for axis in (-1, None, (1,)):
        layers = [k.layers.Normalization(axis=axis) for k in (real_keras, ek)]
        for layer in layers:
            layer.adapt(FEATS)
        np.testing.assert_allclose(as_np(layers[1](FEATS)), as_np(layers[0](FEATS)), rtol=1e-4, atol=1e-5)


def test_input_spec_is_checked_as_keras_checks_it(real_keras):
    for k in (real_keras, ek):
        class Sequence3D(k.layers.Layer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.input_spec = k.layers.InputSpec(ndim=3, axes={-1: 4})

            def call(self, x):
                return x * 2
        layer = Sequence3D()
        np.testing.assert_allclose(as_np(layer(np.ones((2, 5, 4), "float32"))), 2.0)
        with pytest.raises(Exception):
            layer(np.ones((2, 4), "float32"))
        with pytest.raises(Exception):
            layer(np.ones((2, 5, 3), "float32"))
    spec, ref = ek.layers.InputSpec(shape=(None, 3), dtype="float32"), real_keras.layers.InputSpec(
        shape=(None, 3), dtype="float32")
    assert (spec.ndim, spec.shape, spec.dtype) == (ref.ndim, tuple(ref.shape), ref.dtype)


def test_torch_module_wrapper(real_keras):
    """Keras wraps torch.nn.Linear; the ported code wraps ember.nn.Linear: the same outputs, trained weights."""
    import torch
    torch.manual_seed(0)
    linear = torch.nn.Linear(4, 3)
    ours_module = ember.nn.Linear(4, 3)
    with ember.no_grad():
        ours_module.weight.copy_(ember.tensor(linear.weight.detach().numpy()))
        ours_module.bias.copy_(ember.tensor(linear.bias.detach().numpy()))
    real = real_keras.Sequential([real_keras.Input((4,)), real_keras.layers.TorchModuleWrapper(linear)])
    ours = ek.Sequential([ek.Input((4,)), ek.layers.TorchModuleWrapper(ours_module)])
    np.testing.assert_allclose(ours.predict(FEATS, verbose=0), real.predict(FEATS, verbose=0), rtol=1e-5, atol=1e-5)
    assert len(ours.trainable_weights) == len(real.trainable_weights) == 2


@pytest.mark.parametrize("tie", [True, False])
def test_reversible_embedding(real_keras, tie):
    layers = [k.layers.ReversibleEmbedding(10, 4, tie_weights=tie, logit_soft_cap=None if tie else 2.0)
              for k in (real_keras, ek)]
    ids = np.array([[1, 2, 9], [0, 3, 3]])
    layers[0](ids)
    layers[1](ids)
    assert [tuple(w.shape) for w in layers[1].get_weights()] == [tuple(w.shape) for w in layers[0].get_weights()]
    layers[1].set_weights([as_np(w).astype("float32") for w in layers[0].get_weights()])
    feats = RNG.standard_normal((2, 3, 4)).astype("float32")
    np.testing.assert_allclose(as_np(layers[1](ids)), as_np(layers[0](ids)), rtol=1e-6)
    np.testing.assert_allclose(as_np(layers[1](feats, reverse=True)), as_np(layers[0](feats, reverse=True)),
                               rtol=1e-5, atol=1e-6)
