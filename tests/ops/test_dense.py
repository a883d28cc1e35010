"""linear, bilinear and embedding beyond the registry: errors that name the shapes, the
embedding options that change its gradient on purpose (padding_idx, scale_grad_by_freq,
max_norm) against PyTorch, and the vector measures on edge cases."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def test_linear_with_many_batch_dims_matches_torch():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((6, 5)), rng.standard_normal(6)
    ex, ew, eb = (ember.tensor(a, requires_grad=True) for a in (x, w, b))
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ey, ty = F.linear(ex, ew, eb), TF.linear(tx, tw, tb)
    np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), rtol=1e-12)
    up = rng.standard_normal(ty.shape)
    ey.backward(ember.tensor(up))
    ty.backward(torch.tensor(up))
    for e, t in ((ex, tx), (ew, tw), (eb, tb)):
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_linear_errors_name_both_shapes():
    with pytest.raises(ember.ShapeError, match=r"input of shape \(32, 785\) and weight of shape \(10, 784\)"):
        F.linear(ember.randn(32, 785), ember.randn(10, 784))
    with pytest.raises(ember.ShapeError, match=r"bias of shape \(3,\)"):
        F.linear(ember.randn(2, 4), ember.randn(5, 4), ember.randn(3))
    with pytest.raises(ember.DTypeError, match="float64"):
        F.linear(ember.randn(2, 4), ember.randn(5, 4, dtype=ember.float64))


def test_bilinear_errors_name_the_shapes():
    with pytest.raises(ember.ShapeError, match=r"input1 of shape \(2, 3\), input2 of shape \(2, 4\)"):
        F.bilinear(ember.randn(2, 3), ember.randn(2, 4), ember.randn(5, 3, 3))


def _embedding_pair(idx, w, **kwargs):
    ew, tw = ember.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    ey = F.embedding(ember.tensor(idx), ew, **kwargs)
    ty = TF.embedding(torch.tensor(idx), tw, **kwargs)
    np.testing.assert_allclose(ey.detach().numpy(), ty.detach().numpy(), rtol=1e-12)
    up = np.random.default_rng(3).standard_normal(tuple(ty.shape))
    ey.backward(ember.tensor(up))
    ty.backward(torch.tensor(up))
    np.testing.assert_allclose(ew.grad.numpy(), tw.grad.numpy(), rtol=1e-10, atol=1e-12)
    return ew, tw


@pytest.mark.parametrize("kwargs", [{"padding_idx": 1}, {"padding_idx": -2}, {"scale_grad_by_freq": True},
                                    {"padding_idx": 0, "scale_grad_by_freq": True}])
def test_embedding_gradient_options_match_torch(kwargs):
    idx = np.array([[0, 1, 1, 3], [2, 1, 0, 0]])
    ew, _ = _embedding_pair(idx, np.random.default_rng(0).standard_normal((5, 3)), **kwargs)
    pad = kwargs.get("padding_idx")
    if pad is not None:
        assert not ew.grad.numpy()[pad].any(), "the padding row must get no gradient"


@pytest.mark.parametrize("norm_type", [2.0, 1.0])
def test_embedding_max_norm_renormalizes_used_rows_like_torch(norm_type):
    w = np.random.default_rng(1).standard_normal((6, 4)) * 3
    idx = np.array([0, 2, 2, 5])
    ew, tw = _embedding_pair(idx, w, max_norm=1.5, norm_type=norm_type)
    np.testing.assert_allclose(ew.detach().numpy(), tw.detach().numpy(), rtol=1e-12)
    np.testing.assert_array_equal(ew.detach().numpy()[[1, 3, 4]], w[[1, 3, 4]])  # rows not used stay


def test_embedding_index_errors_name_the_index_and_size():
    w = ember.randn(10, 3)
    with pytest.raises(ember.IndexOutOfRangeError, match=r"index 12 .*num_embeddings=10"):
        F.embedding(ember.tensor([1, 12]), w)
    with pytest.raises(ember.IndexOutOfRangeError, match=r"index -1 .*num_embeddings=10"):
        F.embedding(ember.tensor([-1]), w)
    with pytest.raises(ember.DTypeError, match="int64"):
        F.embedding(ember.tensor([1.0]), w)
    with pytest.raises(ember.ArgumentError, match="padding_idx=10"):
        F.embedding(ember.tensor([1]), w, padding_idx=10)


def test_embedding_double_backward_through_the_gradient():
    w = ember.randn(4, 2, dtype=ember.float64, requires_grad=True)
    idx = ember.tensor([0, 3, 3])
    assert ember.autograd.gradgradcheck(lambda t: F.embedding(idx, t), (w,))


def test_normalize_and_cosine_similarity_on_zero_vectors_match_torch():
    a = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 2.0]])
    np.testing.assert_allclose(F.normalize(ember.tensor(a)).numpy(), TF.normalize(torch.tensor(a)).numpy())
    np.testing.assert_allclose(ember.cosine_similarity(ember.tensor(a), ember.tensor(a + 1)).numpy(),
                               torch.cosine_similarity(torch.tensor(a), torch.tensor(a + 1)).numpy(), rtol=1e-12)
    d = ember.pairwise_distance(ember.tensor(a), ember.tensor(a), keepdim=True)
    np.testing.assert_allclose(d.numpy(), TF.pairwise_distance(torch.tensor(a), torch.tensor(a), keepdim=True))
