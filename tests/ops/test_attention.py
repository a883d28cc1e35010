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


def _path(out):
    return type(out.grad_fn).__name__


def test_one_primitive_where_it_applies_and_the_composite_elsewhere():
    q = ember.randn(2, 3, 4, requires_grad=True)
    assert _path(F.scaled_dot_product_attention(q, q, q, is_causal=True)) == "Attention"
    assert _path(F.scaled_dot_product_attention(q, q, q, ember.randn(3, 3))) == "Attention"
    assert _path(F.scaled_dot_product_attention(q, q, q, dropout_p=0.3)) != "Attention"
    assert _path(F.scaled_dot_product_attention(q, ember.randn(1, 3, 4), ember.randn(1, 3, 4))) != "Attention"
    assert _path(F.scaled_dot_product_attention(q, q, q, ember.randn(3, 3, requires_grad=True))) != "Attention"
    h = q.detach().to(ember.float16).requires_grad_()
    assert _path(F.scaled_dot_product_attention(h, h, h)) != "Attention"


@pytest.mark.parametrize("kind", ["causal", "float-dead-row", "bool-broadcast", "none"])
@pytest.mark.parametrize("dtype,tol", [("float32", 2e-5), ("float64", 1e-12)])
def test_primitive_matches_composite_and_torch(kind, dtype, tol):
    from ember.ops.attention import Attention, _attention_composite
    q, k, v = (rng.standard_normal((2, 3, 6, 8)).astype(dtype) * 3 for _ in range(3))
    mask = None
    if kind == "float-dead-row":
        mask = np.triu(np.full((6, 6), -np.inf), 1).astype(dtype)
        mask[2] = -np.inf
    elif kind == "bool-broadcast":
        mask = rng.random((2, 1, 6, 6)) < 0.5
        mask[..., 0] = True
    attrs = {"scale": 0.3, "causal": kind == "causal", "masked": kind != "none"}
    extra = [] if mask is None else [ember.tensor(mask)]
    runs = []
    for fn in (lambda *a: Attention.apply(*a, **attrs), lambda *a: _attention_composite(*a, **attrs)[0]):
        leaves = [ember.tensor(a, requires_grad=True) for a in (q, k, v)]
        out = fn(*leaves, *extra)
        out.backward(ember.tensor(np.ones(tuple(out.shape), dtype)))
        runs.append([out.detach().numpy()] + [x.grad.numpy() for x in leaves])
    (tq, tk, tv) = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    tm = None if mask is None else torch.tensor(mask)
    t_out = TF.scaled_dot_product_attention(tq, tk, tv, tm, is_causal=kind == "causal", scale=0.3)
    t_out.backward(torch.ones_like(t_out))
    ref = [t_out.detach().numpy(), tq.grad.numpy(), tk.grad.numpy(), tv.grad.numpy()]
    for fused, comp, t in zip(*runs, ref):
        np.testing.assert_allclose(fused, comp, rtol=tol, atol=tol)
        np.testing.assert_allclose(fused, t, rtol=tol * 10, atol=tol * 10)


def test_primitive_double_backward_matches_torch():
    q, k, v = (rng.standard_normal((2, 4, 5)) for _ in range(3))
    (eq, ek, ev), (tq, tk, tv) = _both(q, k, v)
    e_out = F.scaled_dot_product_attention(eq, ek, ev, is_causal=True)
    t_out = TF.scaled_dot_product_attention(tq, tk, tv, is_causal=True)
    assert _path(e_out) == "Attention"
    e_g = ember.autograd.grad((e_out * e_out).sum(), [eq, ek], create_graph=True)
    t_g = torch.autograd.grad((t_out * t_out).sum(), [tq, tk], create_graph=True)
    (e_g[0].sum() + (e_g[1] * e_g[1]).sum()).backward()
    (t_g[0].sum() + (t_g[1] * t_g[1]).sum()).backward()
    for e, t in ((eq, tq), (ek, tk), (ev, tv)):
        np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("L,S,mask_shape,kind", [
    (6, 9, (9,), "float"), (6, 9, (9,), "bool"), (5, 7, (3, 5, 7), "float"), (5, 7, (3, 1, 7), "bool"),
    (6, 4, None, "causal"), (4, 7, None, "causal"), (1, 3, (1, 3), "float")])
@pytest.mark.parametrize("dtype,tol", [("float32", 2e-5), ("float64", 1e-12)])
def test_primitive_queries_and_keys_of_different_lengths_and_mask_ranks(L, S, mask_shape, kind, dtype, tol):
    # the primitive holds the scores transposed (keys by queries): L != S and masks of every rank
    # check that every mask lands on the right (query, key) pair
    q = rng.standard_normal((3, L, 4)).astype(dtype) * 2
    k, v = (rng.standard_normal((3, S, 4)).astype(dtype) * 2 for _ in range(2))
    mask = None
    if kind == "bool":
        mask = rng.random(mask_shape) < 0.6
        mask[..., 0] = True
    elif kind == "float":
        mask = (rng.standard_normal(mask_shape) * 2).astype(dtype)
    (eq, ek, ev), (tq, tk, tv) = _both(q, k, v)
    em, tm = (None, None) if mask is None else (ember.tensor(mask), torch.tensor(mask))
    e_out = F.scaled_dot_product_attention(eq, ek, ev, em, is_causal=kind == "causal")
    t_out = TF.scaled_dot_product_attention(tq, tk, tv, tm, is_causal=kind == "causal")
    assert _path(e_out) == "Attention"
    _compare(e_out, t_out, (eq, ek, ev), (tq, tk, tv), tol=tol)


@pytest.mark.parametrize("mask_shape,kind", [(None, "none"), (None, "causal"), ((7,), "bool"), ((4, 1, 5, 7), "float"),
                                             ((4, 2, 5, 7), "bool"), ((1, 2, 5, 7), "float"), ((5, 7), "bool")])
def test_batch_split_between_threads_gives_one_threads_results(mask_shape, kind, monkeypatch, split_threads):
    # the primitive runs its batch (axis 0) in parts on ember's threads (threads.parallel), each part's
    # mask rows its own where the mask has a batch axis: forward and gradients are one thread's, bit for bit
    from ember.backend import threads
    q = rng.standard_normal((4, 2, 5, 3)).astype("float32")
    k, v = (rng.standard_normal((4, 2, 7, 3)).astype("float32") for _ in range(2))
    mask = None if kind in ("none", "causal") else (rng.random(mask_shape) < 0.6 if kind == "bool" else
                                                    rng.standard_normal(mask_shape).astype("float32"))
    if kind == "bool":
        mask[..., 0] = True
    results = {}
    for count in (1, 2, 3):
        monkeypatch.setattr(threads, "get_num_threads", lambda: count)
        eq, ek, ev = (ember.tensor(a, requires_grad=True) for a in (q, k, v))
        out = F.scaled_dot_product_attention(eq, ek, ev, None if mask is None else ember.tensor(mask),
                                             is_causal=kind == "causal")
        assert _path(out) == "Attention"
        (out * out).sum().backward()
        results[count] = [out.detach().numpy()] + [t.grad.numpy() for t in (eq, ek, ev)]
    for count in (2, 3):
        for got, want in zip(results[count], results[1]):
            np.testing.assert_array_equal(got, want)
    assert 2 in split_threads and 3 in split_threads
