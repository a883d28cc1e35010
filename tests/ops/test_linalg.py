"""Linear algebra against PyTorch: matmul over every rank combination, einsum equations,
tensordot, diagonals, gradients of gradients, and the error messages."""
import numpy as np
import pytest

import ember
from ember.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")


def _pair(*shapes, dtype="float64", seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(-2, 2, s).astype(dtype) for s in shapes]
    e = [ember.from_numpy(a.copy()).requires_grad_() for a in arrays]
    t = [torch.from_numpy(a.copy()).requires_grad_() for a in arrays]
    return e, t


def _check_against_torch(e_fn, t_fn, e_in, t_in, atol=1e-10):
    e_out, t_out = e_fn(*e_in), t_fn(*t_in)
    assert tuple(e_out.shape) == tuple(t_out.shape)
    np.testing.assert_allclose(e_out.detach().numpy(), t_out.detach().numpy(), atol=atol, rtol=1e-7)
    cot = np.random.default_rng(1).standard_normal(tuple(t_out.shape))
    e_g = ember.autograd.grad(e_out, e_in, ember.from_numpy(cot.astype(e_out.dtype.name)), allow_unused=True)
    t_g = torch.autograd.grad(t_out, t_in, torch.from_numpy(cot.astype(str(t_out.dtype)[6:])), allow_unused=True)
    for x, eg, tg in zip(e_in, e_g, t_g):
        assert tuple(eg.shape) == tuple(x.shape), "a gradient must have its input's shape"
        np.testing.assert_allclose(eg.numpy(), tg.numpy(), atol=atol * 10, rtol=1e-6)


MATMUL_SHAPES = [
    ((4,), (4,)), ((3,), (3, 4)), ((3, 4), (4,)), ((3, 4), (4, 5)),
    ((3,), (2, 3, 4)), ((2, 3, 4), (4,)), ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)),
    ((2, 3, 4), (2, 4, 5)), ((1, 3, 4), (2, 4, 5)), ((2, 1, 3, 4), (3, 4, 5)),
    ((2, 1, 3, 4), (1, 5, 4, 2)), ((4,), (2, 3, 4, 5)), ((2, 3, 4, 5), (5,)),
    ((0, 3), (3, 2)), ((2, 0), (0, 3)), ((2, 0, 3), (3,)),
]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES, ids=[f"{a}@{b}" for a, b in MATMUL_SHAPES])
def test_matmul_matches_torch(sa, sb):
    e, t = _pair(sa, sb)
    _check_against_torch(ember.matmul, torch.matmul, e, t)


@pytest.mark.parametrize("sa,sb", [((4,), (4,)), ((3,), (2, 3, 4)), ((2, 3, 4), (4,)), ((2, 3, 4), (4, 5)),
                                   ((2, 1, 3, 4), (3, 4, 5))])
def test_matmul_gradgradcheck(sa, sb):
    e, _ = _pair(sa, sb)
    assert gradcheck(ember.matmul, e)
    assert gradgradcheck(ember.matmul, e)


def test_matmul_float32_and_noncontiguous():
    e, t = _pair((5, 3), (4, 5), dtype="float32")
    _check_against_torch(lambda a, b: ember.matmul(a.T, b.T), lambda a, b: torch.matmul(a.T, b.T), e, t, atol=1e-5)
    e, t = _pair((2, 4, 3), (4, 5), dtype="float32")
    _check_against_torch(lambda a, b: ember.matmul(a.mT, b), lambda a, b: torch.matmul(a.mT, b), e, t, atol=1e-5)


def test_matmul_only_computes_the_gradients_needed():
    a = ember.ones(3, 4, requires_grad=True)
    b = ember.ones(4, 2)
    ember.matmul(a, b).sum().backward()
    assert b.grad is None and a.grad.shape == (3, 4)


@pytest.mark.parametrize("dtype", ["int64", "int32"])
def test_integer_matmul(dtype):
    a = np.arange(6).reshape(2, 3).astype(dtype)
    b = np.arange(12).reshape(3, 4).astype(dtype)
    out = ember.matmul(ember.from_numpy(a), ember.from_numpy(b))
    assert out.dtype.name == dtype
    np.testing.assert_array_equal(out.numpy(), torch.matmul(torch.from_numpy(a), torch.from_numpy(b)).numpy())


def test_bfloat16_matmul_keeps_its_dtype():
    a = ember.ones(2, 3, dtype=ember.bfloat16)
    out = ember.matmul(a, ember.ones(3, 2, dtype=ember.bfloat16))
    assert out.dtype == ember.bfloat16 and float(out.float().sum()) == 12.0


def test_matmul_error_names_op_and_both_shapes():
    with pytest.raises(ember.ShapeError) as err:
        ember.matmul(ember.ones(32, 785), ember.ones(784, 10))
    assert str(err.value) == ("matmul: shapes (32, 785) and (784, 10) are not aligned: "
                              "785 (dim 1 of the first) != 784 (dim 0 of the second)")
    with pytest.raises(ember.ShapeError, match=r"batch dims of shapes \(2, 3, 4\) and \(5, 4, 2\)"):
        ember.matmul(ember.ones(2, 3, 4), ember.ones(5, 4, 2))
    with pytest.raises(ember.ShapeError, match="at least 1 dimension"):
        ember.matmul(ember.ones(()), ember.ones(3))
    with pytest.raises(ember.DTypeError, match="bool"):
        ember.matmul(ember.ones(2, 2, dtype=ember.bool), ember.ones(2, 2, dtype=ember.bool))
    with pytest.raises(ember.DTypeError, match="float32 and float64"):
        ember.matmul(ember.ones(2, 2), ember.ones(2, 2, dtype=ember.float64))
    with pytest.raises(ember.DTypeError, match="must be a Tensor"):
        ember.matmul(ember.ones(2, 2), np.ones((2, 2)))
    with pytest.raises(ember.AllocationError):
        ember.matmul(ember.ones(1 << 24, 1), ember.ones(1, 1 << 24))


def test_mm_bmm_mv_dot_outer_match_torch():
    cases = [("mm", (3, 4), (4, 5)), ("bmm", (2, 3, 4), (2, 4, 5)), ("mv", (3, 4), (4,)),
             ("dot", (5,), (5,)), ("vdot", (5,), (5,)), ("outer", (3,), (4,)), ("inner", (2, 3, 4), (5, 4))]
    for name, sa, sb in cases:
        e, t = _pair(sa, sb)
        _check_against_torch(getattr(ember, name), getattr(torch, name), e, t)


def test_restricted_products_reject_other_ranks():
    with pytest.raises(ember.ShapeError, match=r"mm: expected two 2-D tensors, got shapes \(3,\) and \(3, 4\)"):
        ember.mm(ember.ones(3), ember.ones(3, 4))
    with pytest.raises(ember.ShapeError, match=r"mm: shapes \(2, 3\) and \(4, 4\) are not aligned"):
        ember.mm(ember.ones(2, 3), ember.ones(4, 4))
    with pytest.raises(ember.ShapeError, match="bmm: batch sizes differ"):
        ember.bmm(ember.ones(2, 3, 3), ember.ones(1, 3, 4))
    with pytest.raises(ember.ShapeError, match="bmm: expected two 3-D tensors"):
        ember.bmm(ember.ones(3, 3), ember.ones(3, 3))
    with pytest.raises(ember.ShapeError, match="mv: expected a 2-D and a 1-D tensor"):
        ember.mv(ember.ones(3, 4), ember.ones(4, 1))
    with pytest.raises(ember.ShapeError, match=r"dot: expected 1-D tensors of the same size, got shapes \(3,\) and"):
        ember.dot(ember.ones(3), ember.ones(4))
    with pytest.raises(ember.ShapeError, match="outer: expected two 1-D tensors"):
        ember.outer(ember.ones(3, 1), ember.ones(4))


def test_tensor_methods():
    a, b = ember.ones(2, 3), ember.ones(3, 4)
    assert a.matmul(b).shape == (2, 4) and a.mm(b).shape == (2, 4)
    assert ember.ones(3).dot(ember.ones(3)).item() == 3.0
    m = ember.ones(2, 4)
    m.addmm_(a, b, beta=0.5)
    np.testing.assert_allclose(m.numpy(), np.full((2, 4), 3.5))
    assert ember.eye(3).trace().item() == 3.0


def test_matmul_operator():
    a, b = ember.ones(2, 3), ember.ones(3, 4)
    assert (a @ b).shape == (2, 4)
    assert (ember.ones(3) @ b).shape == (4,)
    assert b.__rmatmul__(a).shape == (2, 4)


@pytest.mark.parametrize("fn,kw", [("addmm", {}), ("addmm", {"beta": 0.5, "alpha": -2.0})])
def test_addmm_matches_torch(fn, kw):
    e, t = _pair((5,), (3, 4), (4, 5))
    _check_against_torch(lambda *x: ember.addmm(*x, **kw), lambda *x: torch.addmm(*x, **kw), e, t)


def test_addmm_beta_zero_ignores_nan_in_input():
    out = ember.addmm(ember.full((2, 2), float("nan")), ember.ones(2, 3), ember.ones(3, 2), beta=0)
    assert np.all(out.numpy() == 3.0)


TENSORDOT = [((2, 3, 4), (3, 4, 5), 2), ((2, 3), (3, 4), 1), ((2, 3), (4,), 0),
             ((3, 4, 5), (4, 3, 2), ([1, 0], [0, 1])), ((3, 4, 5), (5, 4), ([-1, 1], [0, 1]))]


@pytest.mark.parametrize("sa,sb,dims", TENSORDOT)
def test_tensordot_matches_torch(sa, sb, dims):
    e, t = _pair(sa, sb)
    _check_against_torch(lambda a, b: ember.tensordot(a, b, dims), lambda a, b: torch.tensordot(a, b, dims), e, t)


def test_tensordot_errors():
    with pytest.raises(ember.ShapeError, match=r"dim 1 of the first \(size 3\) does not match dim 0"):
        ember.tensordot(ember.ones(2, 3), ember.ones(4, 5), dims=([1], [0]))
    with pytest.raises(ember.ArgumentError, match="name 2 dims of the first tensor but 1"):
        ember.tensordot(ember.ones(2, 3), ember.ones(3, 5), dims=([0, 1], [0]))
    with pytest.raises(ember.ArgumentError, match=r"dims=3 must be in \[0, 2\]"):
        ember.tensordot(ember.ones(2, 3), ember.ones(3, 5), dims=3)


EINSUM = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),                     # matmul
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),            # batch matmul
    ("i,j->ij", [(3,), (4,)]),                           # outer
    ("ij->ji", [(3, 4)]),                                # transpose
    ("ii->", [(3, 3)]),                                  # trace
    ("ii", [(3, 3)]),                                    # trace, implicit
    ("ii->i", [(3, 3)]),                                 # diagonal
    ("iij->j", [(3, 3, 2)]),                             # trace over two dims of three
    ("iii->i", [(3, 3, 3)]),                             # a three-way diagonal
    ("ij->i", [(3, 4)]),                                 # sum over an index
    ("ij->", [(3, 4)]),                                  # sum of all
    ("ij,ij->ij", [(3, 4), (3, 4)]),                     # elementwise product
    ("ij,ij", [(3, 4), (3, 4)]),                         # implicit: a scalar
    ("ij,jk", [(3, 4), (4, 2)]),                         # implicit: ik
    ("ba", [(2, 3)]),                                    # implicit output is sorted: ab, a transpose
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),   # ellipsis with broadcasting
    ("...ij->...ji", [(2, 3, 4)]),                       # ellipsis transpose
    ("b...i,b...i->b...", [(2, 3, 4), (2, 4)]),          # ellipsis in the middle, different ranks
    ("...ij->ij", [(2, 3, 4)]),                          # ellipsis summed away
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),          # three operands
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),   # attention scores
    ("ij,jk->ik", [(3, 1), (4, 2)]),                     # a size-1 letter broadcasts
    ("ii,i->i", [(3, 3), (3,)]),                         # diagonal times a vector
    ("i,i,i->", [(4,), (4,), (4,)]),
    ("ij,jk->ik", [(0, 3), (3, 2)]),                     # empty
]


@pytest.mark.parametrize("eq,shapes", EINSUM, ids=[e for e, _ in EINSUM])
def test_einsum_matches_torch(eq, shapes):
    e, t = _pair(*shapes)
    _check_against_torch(lambda *x: ember.einsum(eq, *x), lambda *x: torch.einsum(eq, *x), e, t)


@pytest.mark.parametrize("eq,shapes", [EINSUM[i] for i in (0, 1, 4, 6, 7, 9, 15, 19, 21, 22)],
                         ids=[EINSUM[i][0] for i in (0, 1, 4, 6, 7, 9, 15, 19, 21, 22)])
def test_einsum_gradgradcheck(eq, shapes):
    e, _ = _pair(*shapes)
    fn = lambda *x: ember.einsum(eq, *x)  # noqa: E731
    assert gradcheck(fn, e)
    assert gradgradcheck(fn, e)


def test_einsum_takes_a_list_and_returns_no_view_of_its_input():
    a = ember.ones(2, 3)
    assert ember.einsum("ij,jk->ik", [a, ember.ones(3, 4)]).shape == (2, 4)
    t = ember.einsum("ij->ji", a)
    assert not np.shares_memory(t.numpy(), a.numpy())
    assert not np.shares_memory(ember.einsum("ij", a).numpy(), a.numpy())


def test_einsum_errors():
    with pytest.raises(ember.ArgumentError, match="has 2 operands but 1 tensors"):
        ember.einsum("ij,jk->ik", ember.ones(2, 3))
    with pytest.raises(ember.ShapeError, match=r"operand 0 has shape \(2, 3\) \(rank 2\) but its subscripts 'ijk'"):
        ember.einsum("ijk->i", ember.ones(2, 3))
    with pytest.raises(ember.ShapeError, match=r"subscript 'j' has size 4 in operand 1 \(shape \(4, 4\)\) but 3"):
        ember.einsum("ij,jk->ik", ember.ones(2, 3), ember.ones(4, 4))
    with pytest.raises(ember.ShapeError, match="repeated in operand 0"):
        ember.einsum("ii->i", ember.ones(2, 3))
    with pytest.raises(ember.ArgumentError, match="output subscript 'k' .* appears in no operand"):
        ember.einsum("ij->k", ember.ones(2, 3))
    with pytest.raises(ember.ArgumentError, match="appears more than once"):
        ember.einsum("ij->ii", ember.ones(2, 3))
    with pytest.raises(ember.ArgumentError, match="invalid equation"):
        ember.einsum("i1->i", ember.ones(2, 3))
    with pytest.raises(ember.ArgumentError, match="sublist format"):
        ember.einsum(ember.ones(2), [0])
    with pytest.raises(ember.DTypeError, match="same dtype"):
        ember.einsum("i,i", ember.ones(2), ember.ones(2, dtype=ember.float64))


@pytest.mark.parametrize("args", [(0, 0, 1), (1, 0, 1), (-1, 0, 1), (2, 2, 0), (5, 0, 1)])
def test_diagonal_matches_torch_and_is_a_view(args):
    e, t = _pair((3, 4, 4))
    _check_against_torch(lambda x: ember.diagonal(x, *args), lambda x: torch.diagonal(x, *args), e, t)
    x = ember.arange(16.0).reshape(4, 4)
    d = x.diagonal(1)
    assert np.shares_memory(d.numpy(), x.numpy())
    np.testing.assert_array_equal(d.numpy(), [1.0, 6.0, 11.0])


def test_diag_embed_trace_and_diagonal_scatter_match_torch():
    e, t = _pair((2, 3))
    _check_against_torch(lambda x: ember.diag_embed(x, 1, 0, 2), lambda x: torch.diag_embed(x, 1, 0, 2), e, t)
    e, t = _pair((3, 5))
    _check_against_torch(ember.trace, torch.trace, e, t)
    e, t = _pair((3, 4), (3,))
    _check_against_torch(lambda x, s: ember.diagonal_scatter(x, s, 1), lambda x, s: torch.diagonal_scatter(x, s, 1),
                         e, t)
    e, _ = _pair((3, 3))
    assert gradgradcheck(lambda x: ember.diagonal(x).sum() * ember.trace(x), e)
    with pytest.raises(ember.ShapeError, match="trace: expected a 2-D tensor"):
        ember.trace(ember.ones(3))
    with pytest.raises(ember.ArgumentError, match="two different dims"):
        ember.diagonal(ember.ones(3, 3), 0, 1, 1)
