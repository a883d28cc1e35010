"""Keras's 'same' padding in convolutions against Keras 3 (torch backend), values and gradients: at stride 1
(even kernels pad one more after, dilation widens the pads) the convolution pads itself, strided with
equal pads it takes them as ints, strided with unequal pads a pad op runs first. Eager and compiled."""
import numpy as np
import pytest

import ember
from ember import keras as ek

CASES = {  # name: (layer arguments, input shape without the batch)
    "odd-stride1": (dict(filters=3, kernel_size=3), (6, 5, 2)),
    "even-stride1": (dict(filters=2, kernel_size=(2, 4)), (5, 6, 3)),
    "dilated": (dict(filters=2, kernel_size=3, dilation_rate=2), (7, 6, 1)),
    "strided-equal-pads": (dict(filters=2, kernel_size=3, strides=2), (5, 7, 2)),
    "strided-unequal-pads": (dict(filters=2, kernel_size=3, strides=2), (6, 6, 2)),
    "conv1d-even": (dict(filters=2, kernel_size=4), (9, 3)),
}


def layer_for(k, name):
    kwargs, shape = CASES[name]
    conv = k.layers.Conv1D if len(shape) == 2 else k.layers.Conv2D
    return conv(padding="same", **kwargs), shape


def keras_values_and_grads(real_keras, name, x):
    import torch
    layer, _ = layer_for(real_keras, name)
    xt = torch.tensor(x, requires_grad=True)
    y = layer(xt)
    weight = torch.tensor(np.random.default_rng(2).standard_normal(tuple(y.shape)).astype("float32"))
    (y * weight).sum().backward()
    return layer, y.detach().numpy(), weight.numpy(), xt.grad.numpy(), layer.kernel.value.grad.numpy()


@pytest.mark.parametrize("compiled", [False, True])
@pytest.mark.parametrize("name", sorted(CASES))
def test_same_padding_matches_keras(real_keras, name, compiled):
    _, shape = CASES[name]
    x = np.random.default_rng(1).standard_normal((3,) + shape).astype("float32")
    real, y_real, weight, gx_real, gk_real = keras_values_and_grads(real_keras, name, x)
    ours, _ = layer_for(ek, name)
    ours(ember.tensor(x))  # builds it
    ours.set_weights([w.detach().cpu().numpy() for w in (real.kernel.value, real.bias.value)])

    xe = ember.tensor(x, requires_grad=True)

    def step(wb):
        xe.grad = None
        ours.kernel.grad = None
        y = ours(xe)
        (y * wb).sum().backward()
        return y
    # compiled, the input is state (its gradient written back), and the second call replays the graph
    run = ember.compile(step, state={"x": xe}) if compiled else step
    for _ in range(2 if compiled else 1):
        y = run(ember.tensor(weight))
    if compiled:  # a separate pad op (a copy of x, and of its gradient) only where TensorFlow's pads differ
        assert ("P_Pad" in run.source()) == (name == "strided-unequal-pads")
    np.testing.assert_allclose(y.detach().numpy(), y_real, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(xe.grad.numpy(), gx_real, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours.kernel.grad.numpy(), gk_real, rtol=1e-5, atol=1e-5)
