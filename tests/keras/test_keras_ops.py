"""keras.ops against NumPy, with tensors, NumPy arrays and Python numbers as inputs."""
import numpy as np
import pytest

import ember
from ember.keras import ops

rng = np.random.default_rng(0)
A = rng.standard_normal((3, 4))
B = rng.standard_normal((3, 4))
P = rng.uniform(0.1, 2.0, (3, 4))


def _np(x):
    return ops.convert_to_numpy(x)


@pytest.mark.parametrize("wrap", [np.asarray, ember.tensor], ids=["numpy", "tensor"])
def test_elementwise_and_binary(wrap):
    a, b, p = wrap(A), wrap(B), wrap(P)
    cases = [
        (ops.add(a, b), A + B), (ops.subtract(a, 2.0), A - 2), (ops.subtract(2.0, a), 2 - A),
        (ops.multiply(a, b), A * B), (ops.divide(a, p), A / P), (ops.negative(a), -A), (ops.abs(a), np.abs(A)),
        (ops.square(a), A ** 2), (ops.sqrt(p), np.sqrt(P)), (ops.exp(a), np.exp(A)), (ops.log(p), np.log(P)),
        (ops.power(p, 1.5), P ** 1.5), (ops.maximum(a, b), np.maximum(A, B)), (ops.minimum(a, 0.0), np.minimum(A, 0)),
        (ops.equal(a, a), np.ones_like(A, bool)), (ops.greater(a, b), A > B), (ops.less_equal(a, 0), A <= 0),
        (ops.tanh(a), np.tanh(A)), (ops.relu(a), np.maximum(A, 0)), (ops.sigmoid(a), 1 / (1 + np.exp(-A))),
        (ops.clip(a, -0.5, 0.5), np.clip(A, -0.5, 0.5)), (ops.where(a > 0, a, b), np.where(A > 0, A, B)),
        (ops.where(A > 0, 1.0, 0.0), (A > 0).astype(float)), (ops.matmul(a, ops.transpose(b)), A @ B.T),
        (ops.floor(a), np.floor(A)), (ops.sign(a), np.sign(A)), (ops.mod(p, 0.7), np.mod(P, 0.7)),
        (ops.logical_and(a > 0, b > 0), (A > 0) & (B > 0)), (ops.logical_not(a > 0), ~(A > 0)),
    ]
    for got, want in cases:
        np.testing.assert_allclose(_np(got), want, rtol=1e-6, atol=1e-7)


def test_reductions():
    cases = [
        (ops.sum(A), A.sum()), (ops.sum(A, axis=1), A.sum(1)), (ops.sum(A, axis=(0, 1), keepdims=True),
                                                                 A.sum((0, 1), keepdims=True)),
        (ops.mean(A, axis=0, keepdims=True), A.mean(0, keepdims=True)), (ops.mean([1, 2, 4]), 7 / 3),
        (ops.max(A), A.max()), (ops.max(A, axis=1), A.max(1)), (ops.min(A, axis=0, keepdims=True),
                                                                 A.min(0, keepdims=True)),
        (ops.argmax(A, axis=1), A.argmax(1)), (ops.argmin(A, axis=0), A.argmin(0)), (ops.argmax(A), A.argmax()),
        (ops.std(A, axis=1), A.std(1)), (ops.var(A), A.var()), (ops.prod(P, axis=1), P.prod(1)),
        (ops.prod(P), P.prod()), (ops.cumsum(A, axis=1), A.cumsum(1)), (ops.cumsum(A), A.cumsum()),
        (ops.logsumexp(A, axis=1), np.log(np.exp(A).sum(1))), (ops.norm(A), np.linalg.norm(A)),
        (ops.norm(A, axis=1), np.linalg.norm(A, axis=1)), (ops.any(A > 2), (A > 2).any()),
        (ops.all(A > -5, axis=1), (A > -5).all(1)),
    ]
    for got, want in cases:
        np.testing.assert_allclose(_np(got), want, rtol=1e-6, atol=1e-7)


def test_activations():
    e = np.exp(A - A.max(-1, keepdims=True))
    soft = e / e.sum(-1, keepdims=True)
    np.testing.assert_allclose(_np(ops.softmax(A)), soft, rtol=1e-6)
    np.testing.assert_allclose(_np(ops.softmax(A, axis=0)), np.exp(A) / np.exp(A).sum(0), rtol=1e-6)
    np.testing.assert_allclose(_np(ops.log_softmax(A)), np.log(soft), rtol=1e-6)
    tanh_gelu = 0.5 * A * (1 + np.tanh(np.sqrt(2 / np.pi) * (A + 0.044715 * A ** 3)))
    np.testing.assert_allclose(_np(ops.gelu(A)), tanh_gelu, rtol=1e-6)  # Keras's default: approximate=True
    from math import erf
    exact = 0.5 * A * (1 + np.vectorize(erf)(A / np.sqrt(2)))
    np.testing.assert_allclose(_np(ops.gelu(A, approximate=False)), exact, rtol=1e-6)
    np.testing.assert_allclose(_np(ops.leaky_relu(A)), np.where(A > 0, A, 0.2 * A))
    np.testing.assert_allclose(_np(ops.softplus(A)), np.log1p(np.exp(A)), rtol=1e-6)
    np.testing.assert_allclose(_np(ops.silu(A)), A / (1 + np.exp(-A)), rtol=1e-6)
    np.testing.assert_allclose(_np(ops.normalize(A)), A / np.linalg.norm(A, axis=-1, keepdims=True), rtol=1e-6)


def test_shapes():
    x = np.arange(24.0).reshape(2, 3, 4)
    cases = [
        (ops.reshape(x, (4, 6)), x.reshape(4, 6)), (ops.reshape(x, (-1,)), x.reshape(-1)),
        (ops.transpose(x), x.transpose()), (ops.transpose(x, axes=(1, 0, 2)), x.transpose(1, 0, 2)),
        (ops.expand_dims(x, 1), x[:, None]), (ops.expand_dims(x, -1), x[..., None]),
        (ops.expand_dims(x, (0, 2)), np.expand_dims(x, (0, 2))),
        (ops.squeeze(x[:, :1]), x[:, 0]), (ops.squeeze(x[:1, :, :1], axis=0), x[0, :, :1]),
        (ops.concatenate([x, x], axis=1), np.concatenate([x, x], 1)), (ops.stack([A, B], axis=1), np.stack([A, B], 1)),
        (ops.tile(A, (2, 1)), np.tile(A, (2, 1))), (ops.tile(A, 2), np.tile(A, 2)),
        (ops.repeat(A, 2, axis=0), np.repeat(A, 2, 0)), (ops.repeat(A, 3), np.repeat(A, 3)),
        (ops.flip(A, axis=1), np.flip(A, 1)), (ops.broadcast_to(A[:1], (3, 4)), np.broadcast_to(A[:1], (3, 4))),
        (ops.moveaxis(x, 0, -1), np.moveaxis(x, 0, -1)), (ops.swapaxes(x, 0, 2), np.swapaxes(x, 0, 2)),
        (ops.take(A, [0, 2], axis=1), np.take(A, [0, 2], 1)), (ops.take(A, [[1, 5]]), np.take(A, [[1, 5]])),
        (ops.take_along_axis(A, np.argsort(A, 1), axis=1), np.take_along_axis(A, np.argsort(A, 1), 1)),
        (ops.sort(A, axis=1), np.sort(A, 1)), (ops.argsort(A, axis=0), np.argsort(A, 0, kind="stable")),
    ]
    for got, want in cases:
        np.testing.assert_allclose(_np(got), want)
    parts = ops.split(np.arange(6.0), 3)
    assert [p.tolist() for p in parts] == [[0, 1], [2, 3], [4, 5]]
    parts = ops.split(np.arange(6.0), [1, 4])
    assert [p.tolist() for p in parts] == [[0], [1, 2, 3], [4, 5]]
    values, indices = ops.top_k(A, 2)
    np.testing.assert_allclose(_np(values), -np.sort(-A, 1)[:, :2])
    np.testing.assert_array_equal(_np(indices), np.argsort(-A, 1)[:, :2])
    assert ops.shape(x) == (2, 3, 4) and ops.ndim(x) == 3 and ops.size(x) == 24


def test_creation_and_conversion():
    assert ops.convert_to_tensor(1.5).dtype == ember.float32
    assert ops.convert_to_tensor(np.ones(2)).dtype == ember.float64
    assert ops.convert_to_tensor([1, 2], dtype="float32").dtype == ember.float32
    assert ops.cast(A, "float32").dtype == ember.float32 and ops.cast(A, np.int32).dtype == ember.int32
    np.testing.assert_array_equal(_np(ops.zeros((2, 3))), np.zeros((2, 3)))
    np.testing.assert_array_equal(_np(ops.ones(3, dtype="int32")), np.ones(3, np.int32))
    np.testing.assert_array_equal(_np(ops.full((2,), 7.0)), [7.0, 7.0])
    np.testing.assert_array_equal(_np(ops.zeros_like(A)), np.zeros_like(A))
    np.testing.assert_array_equal(_np(ops.arange(5)), np.arange(5))
    np.testing.assert_allclose(_np(ops.arange(1.0, 2.0, 0.25)), np.arange(1.0, 2.0, 0.25))
    np.testing.assert_allclose(_np(ops.linspace(0, 1, 5)), np.linspace(0, 1, 5))
    np.testing.assert_array_equal(_np(ops.eye(3)), np.eye(3))
    hot = ops.one_hot(np.array([1, 0, 2]), 3)
    assert hot.dtype == ember.float32
    np.testing.assert_array_equal(_np(hot), np.eye(3)[[1, 0, 2]])
    np.testing.assert_array_equal(_np(ops.one_hot([1, 0], 3, axis=0)), np.eye(3)[[1, 0]].T)
    assert isinstance(ops.convert_to_numpy(ember.ones(2)), np.ndarray)
    rows, cols = ops.where(A > 1)
    np.testing.assert_array_equal(_np(rows), np.nonzero(A > 1)[0])
    np.testing.assert_array_equal(_np(cols), np.nonzero(A > 1)[1])


def test_ops_are_differentiable():
    x = ember.tensor(A, requires_grad=True)
    ops.sum(ops.square(ops.tanh(x)) * 0.5).backward()
    np.testing.assert_allclose(x.grad.numpy(), np.tanh(A) * (1 - np.tanh(A) ** 2), rtol=1e-6)
