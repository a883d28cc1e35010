"""scaled_dot_product_attention beyond the registry: masks of every kind against PyTorch, rows
with nothing to attend, grouped-query attention, dropout through ember's generator, errors."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional
rng = np.random.default_rng(0)


def _both(*arrays, grad=True):
    e = [ember.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    t = [torch.tensor(a, requires_grad=grad and a.dtype.kind == "f") for a in arrays]
    return e, t


def _compare(e_out, t_out, e_in, t_in, tol=1e-10):
    np.testing.assert_allclose(e_out.detach().numpy(), t_out.detach().numpy(), rtol=tol, atol=tol)
    up = rng.standard_normal(tuple(t_out.shape)).astype(t_out.detach().numpy().dtype)
    e_out.backward(ember.tensor(up))
    t_out.backward(torch.tensor(up))
    for e, t in zip(e_in, t_in):
        if t.requires_grad:
            np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=tol * 10, atol=tol * 10)


@pytest.mark.parametrize("kind", ["bool", "float", "causal", "none"])
def test_masks_match_torch(kind):
    q, k, v = rng.standard_normal((2, 3, 4, 8)), rng.standard_normal((2, 3, 6, 8)), rng.standard_normal((2, 3, 6, 5))
    mask = {"bool": rng.random((4, 6)) < 0.6, "float": rng.standard_normal((2, 1, 4, 6)),
            "causal": None, "none": None}[kind]
    mask = None if mask is None else mask | np.eye(4, 6, dtype=bool) if mask.dtype == bool else mask
    (eq, ek, ev), (tq, tk, tv) = _both(q, k, v)
    em = None if mask is None else ember.tensor(mask)
    tm = None if mask is None else torch.tensor(mask)
    causal = kind == "causal"
    _compare(F.scaled_dot_product_attention(eq, ek, ev, em, is_causal=causal),
             TF.scaled_dot_product_attention(tq, tk, tv, tm, is_causal=causal), (eq, ek, ev), (tq, tk, tv))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fully_masked_rows_give_zeros_as_torch(dtype):
    q, k, v = (rng.standard_normal((1, 2, 3, 4)).astype(dtype) for _ in range(3))
    bool_mask = np.ones((3, 3), bool)
    bool_mask[1] = False
    float_mask = np.where(bool_mask, 0.0, -np.inf).astype(dtype)
    for mask in (bool_mask, float_mask):
        (eq, ek, ev), (tq, tk, tv) = _both(q, k, v)
        e = F.scaled_dot_product_attention(eq, ek, ev, ember.tensor(mask))
        t = TF.scaled_dot_product_attention(tq, tk, tv, torch.tensor(mask))
        assert not np.isnan(e.detach().numpy()).any()
        assert (e.detach().numpy()[:, :, 1] == 0).all()
        _compare(e, t, (eq, ek, ev), (tq, tk, tv), tol=1e-4 if dtype == "float32" else 1e-10)


def test_grouped_query_attention_and_scale_match_torch():
    q, k, v = rng.standard_normal((2, 6, 3, 4)), rng.standard_normal((2, 2, 5, 4)), rng.standard_normal((2, 2, 5, 4))
    (eq, ek, ev), (tq, tk, tv) = _both(q, k, v)
    _compare(F.scaled_dot_product_attention(eq, ek, ev, enable_gqa=True, scale=0.7),
             TF.scaled_dot_product_attention(tq, tk, tv, enable_gqa=True, scale=0.7), (eq, ek, ev), (tq, tk, tv))


def test_attention_gradcheck_with_masked_row():
    mask = ember.tensor(np.array([[True, False, True], [False, False, False]]))
    leaves = [ember.tensor(rng.standard_normal(s), requires_grad=True) for s in ((2, 4), (3, 4), (3, 2))]
    fn = lambda q, k, v: F.scaled_dot_product_attention(q, k, v, mask)  # noqa: E731
    assert ember.autograd.gradcheck(fn, leaves)
    assert ember.autograd.gradgradcheck(fn, leaves)


def test_dropout_is_seeded_and_unbiased():
    q, k = ember.randn(1, 64, 8), ember.randn(1, 64, 8)
    v = ember.ones(1, 64, 8)
    ember.manual_seed(3)
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    ember.manual_seed(3)
    b = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert bool((a == b).all())
    plain = F.scaled_dot_product_attention(q, k, v)
    assert not bool((a == plain).all())
    assert abs(a.mean().item() - 1.0) < 0.1  # weights rescaled by 1/(1-p): the mean is kept
    assert F.scaled_dot_product_attention(q, k, v, dropout_p=1.0).abs().sum().item() == 0


def test_attention_errors():
    q = ember.randn(2, 3, 4)
    with pytest.raises(ember.ShapeError, match=r"\(2, 3, 4\), \(2, 5, 3\)"):
        F.scaled_dot_product_attention(q, ember.randn(2, 5, 3), ember.randn(2, 5, 4))
    with pytest.raises(ember.ArgumentError, match="not both"):
        F.scaled_dot_product_attention(q, q, q, ember.ones(3, 3, dtype=ember.bool), is_causal=True)
    with pytest.raises(ember.ShapeError, match="attn_mask of shape"):
        F.scaled_dot_product_attention(q, q, q, ember.ones(4, 3, dtype=ember.bool))
    with pytest.raises(ember.DTypeError, match="attn_mask"):
        F.scaled_dot_product_attention(q, q, q, ember.ones(3, 3, dtype=ember.int64))
    with pytest.raises(ember.ShapeError, match="multiple"):
        F.scaled_dot_product_attention(ember.randn(1, 3, 2, 4), ember.randn(1, 2, 2, 4), ember.randn(1, 2, 2, 4),
                                       enable_gqa=True)
    with pytest.raises(ember.ArgumentError, match="dropout_p"):
        F.scaled_dot_product_attention(q, q, q, dropout_p=1.5)
