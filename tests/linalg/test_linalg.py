"""ember.linalg against torch.linalg: values, shapes and dtypes in float32 and float64, and input
gradients (float64) wherever both libraries differentiate the function."""
import math

import numpy as np
import pytest
import torch

import ember
from ember.errors import ArgumentError, AutogradError, ShapeError

RNG = np.random.default_rng(0)
A = RNG.standard_normal((4, 4))
SPD = A @ A.T + 4 * np.eye(4)
TALL = RNG.standard_normal((5, 3))
WIDE = RNG.standard_normal((3, 5))
BATCH = RNG.standard_normal((2, 3, 3)) + 3 * np.eye(3)
VEC = RNG.standard_normal(4)
B = RNG.standard_normal((4, 2))
LOWER = np.tril(A) + 4 * np.eye(4)

# name, args (arrays become tensors; lists of arrays become lists of tensors), kwargs, differentiable
CASES = [
    ("norm", (A,), {}, True), ("norm", (A, "fro"), {}, True), ("norm", (A, "nuc"), {}, True),
    ("norm", (A, math.inf), {}, True), ("norm", (VEC, 3), {}, True), ("norm", (BATCH,), {"dim": (1, 2)}, True),
    ("norm", (A, 1), {"dim": 0, "keepdim": True}, True), ("norm", (BATCH, -1), {"dim": (-2, -1)}, True),
    ("vector_norm", (A,), {}, True), ("vector_norm", (A, 1), {"dim": 1}, True),
    ("vector_norm", (A, math.inf), {"dim": (0, 1)}, True), ("vector_norm", (A, 0.5), {"keepdim": True}, True),
    ("matrix_norm", (A,), {}, True), ("matrix_norm", (A, "nuc"), {}, True), ("matrix_norm", (A, 2), {}, True),
    ("matrix_norm", (A, -2), {}, True), ("matrix_norm", (BATCH, 1), {"keepdim": True}, True),
    ("matrix_norm", (BATCH, -math.inf), {"dim": (0, 2)}, True),
    ("inv", (SPD,), {}, True), ("inv", (BATCH,), {}, True),
    ("solve", (SPD, B), {}, True), ("solve", (SPD, VEC), {}, True), ("solve", (BATCH, BATCH[0]), {}, True),
    ("solve", (SPD, B.T), {"left": False}, True),
    ("solve_triangular", (LOWER, B), {"upper": False}, True),
    ("solve_triangular", (LOWER.T, B), {"upper": True, "unitriangular": True}, True),
    ("det", (A,), {}, True), ("det", (BATCH,), {}, True), ("slogdet", (A,), {}, True),
    ("eigvalsh", (SPD,), {}, True), ("eigvalsh", (BATCH @ BATCH.transpose(0, 2, 1),), {"UPLO": "U"}, True),
    ("svdvals", (TALL,), {}, True), ("svdvals", (WIDE,), {}, True), ("svdvals", (BATCH,), {}, True),
    ("cholesky", (SPD,), {}, True), ("cholesky", (SPD,), {"upper": True}, True),
    ("pinv", (TALL,), {}, True), ("pinv", (WIDE,), {}, True), ("pinv", (SPD,), {"rtol": 0.5}, False),
    ("matrix_rank", (TALL,), {}, False), ("matrix_rank", (np.outer(VEC, VEC),), {}, False),
    ("matrix_rank", (A,), {"atol": 1.0, "rtol": 0.0}, False),
    ("cross", (TALL, TALL[::-1].copy()), {}, True), ("cross", (TALL[:3].copy(), TALL[:1].copy()), {"dim": 1}, True),
    ("matmul", (A, B), {}, True), ("multi_dot", ([A, B, B.T],), {}, True), ("multi_dot", ([VEC, A, VEC],), {}, True),
    ("matrix_power", (A, 3), {}, True), ("matrix_power", (SPD, -2), {}, True), ("matrix_exp", (A / 4,), {}, True),
    ("vecdot", (A, B[:, 0]), {}, True), ("diagonal", (BATCH,), {"offset": 1}, True),
    ("cond", (A,), {}, True), ("vander", (VEC,), {"N": 3}, True),
    ("cond", (SPD, "fro"), {}, False),  # torch 2.13 cannot differentiate it (its inv_ex output is changed in place)
    ("inv_ex", (SPD,), {}, True), ("cholesky_ex", (SPD,), {}, True),
]


def convert(lib, x, dtype, grad):
    if isinstance(x, np.ndarray):
        t = lib.tensor(x.astype(dtype))
        return t.requires_grad_() if grad else t
    if isinstance(x, list):
        return [convert(lib, v, dtype, grad) for v in x]
    return x


def leaves(args):
    out = []
    for a in args:
        out.extend(a if isinstance(a, list) else [a])
    return [a for a in out if hasattr(a, "requires_grad") and a.requires_grad]


def outputs(out):
    return list(out) if isinstance(out, tuple) else [out]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_values_and_gradients_as_torch(case, dtype):
    name, args, kwargs, differentiable = case
    grad = differentiable and dtype == "float64"
    t_args = [convert(torch, a, dtype, grad) for a in args]
    e_args = [convert(ember, a, dtype, grad) for a in args]
    t_out, e_out = outputs(getattr(torch.linalg, name)(*t_args, **kwargs)), \
        outputs(getattr(ember.linalg, name)(*e_args, **kwargs))
    assert len(t_out) == len(e_out)
    tol = 1e-9 if dtype == "float64" else 2e-5
    for t, e in zip(t_out, e_out):
        assert tuple(e.shape) == tuple(t.shape) and str(e.dtype)[6:] == str(t.dtype)[6:], (e, t)
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=tol * 10, atol=tol)
    if grad:
        weights = [np.random.default_rng(i).standard_normal(tuple(t.shape)) for i, t in enumerate(t_out)]
        sum(((t * torch.tensor(w)).sum() for t, w in zip(t_out, weights) if t.dtype.is_floating_point)).backward()
        sum(((e * ember.tensor(w)).sum() for e, w in zip(e_out, weights) if e.dtype.is_floating_point)).backward()
        for t, e in zip(leaves(t_args), leaves(e_args)):
            np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_values_vectors_and_gradients_as_torch(uplo):
    sym = BATCH @ BATCH.transpose(0, 2, 1)
    t = torch.tensor(sym, requires_grad=True)
    e = ember.tensor(sym, requires_grad=True)
    tw, tv = torch.linalg.eigh(t, UPLO=uplo)
    ew, ev = ember.linalg.eigh(e, UPLO=uplo)
    np.testing.assert_allclose(ew.detach().numpy(), tw.detach().numpy(), rtol=1e-10)
    # eigenvectors are unique up to sign: compare |v| and a sign-invariant loss's gradient
    np.testing.assert_allclose(np.abs(ev.detach().numpy()), np.abs(tv.detach().numpy()), atol=1e-10)
    w1 = np.random.default_rng(1).standard_normal(sym.shape)
    w2 = np.random.default_rng(2).standard_normal(sym.shape[:-1])
    ((tv ** 2) * torch.tensor(w1)).sum().add((tw * torch.tensor(w2)).sum()).backward()
    ((ev ** 2) * ember.tensor(w1)).sum().add((ew * ember.tensor(w2)).sum()).backward()
    np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-7, atol=1e-9)


def test_decompositions_reconstruct_their_input_as_torch():
    for full in (True, False):
        tu, ts, tvh = torch.linalg.svd(torch.tensor(TALL), full_matrices=full)
        eu, es, evh = ember.linalg.svd(ember.tensor(TALL), full_matrices=full)
        assert [tuple(x.shape) for x in (eu, es, evh)] == [tuple(x.shape) for x in (tu, ts, tvh)]
        np.testing.assert_allclose(es.numpy(), ts.numpy(), rtol=1e-12)
        k = es.shape[0]
        np.testing.assert_allclose((eu.numpy()[:, :k] * es.numpy()) @ evh.numpy()[:k], TALL, atol=1e-12)
    for mode in ("reduced", "complete", "r"):
        tq, tr = torch.linalg.qr(torch.tensor(TALL), mode=mode)
        eq, er = ember.linalg.qr(ember.tensor(TALL), mode=mode)
        assert tuple(eq.shape) == tuple(tq.shape) and tuple(er.shape) == tuple(tr.shape)
        np.testing.assert_allclose(np.abs(er.numpy()), np.abs(tr.numpy()), atol=1e-12)
        if mode != "r":
            np.testing.assert_allclose(eq.numpy() @ er.numpy(), TALL, atol=1e-12)


@pytest.mark.parametrize("driver", [None, "gelsy", "gelsd", "gelss", "gels"])
def test_lstsq_as_torch(driver):
    tb, eb = torch.tensor(RNG.standard_normal((5, 2))), None
    eb = ember.tensor(tb.numpy())
    ta, ea = torch.tensor(TALL, requires_grad=True), ember.tensor(TALL, requires_grad=True)
    t, e = torch.linalg.lstsq(ta, tb, driver=driver), ember.linalg.lstsq(ea, eb, driver=driver)
    for field in ("solution", "residuals", "rank", "singular_values"):
        tv, ev = getattr(t, field), getattr(e, field)
        assert tuple(ev.shape) == tuple(tv.shape), field
        np.testing.assert_allclose(ev.detach().numpy(), tv.detach().numpy(), rtol=1e-9, atol=1e-10)
    t.solution.sum().backward()
    e.solution.sum().backward()
    np.testing.assert_allclose(ea.grad.numpy(), ta.grad.numpy(), rtol=1e-8, atol=1e-10)


def test_errors_name_the_function_and_the_problem():
    with pytest.raises(ShapeError, match="linalg.solve"):
        ember.linalg.solve(ember.eye(3), ember.ones(4))
    with pytest.raises(ShapeError, match="square"):
        ember.linalg.eigh(ember.ones(2, 3))
    with pytest.raises(ArgumentError, match="UPLO"):
        ember.linalg.eigh(ember.eye(2), UPLO="X")
    with pytest.raises(ArgumentError, match="ord"):
        ember.linalg.matrix_norm(ember.eye(2), ord=3)
    with pytest.raises(ShapeError, match="1-D or 2-D"):
        ember.linalg.norm(ember.ones(2, 2, 2), ord=1)
    with pytest.raises(ArgumentError, match="driver"):
        ember.linalg.lstsq(ember.eye(2), ember.eye(2), driver="gelsx")
    with pytest.raises(AutogradError, match="full-rank"):
        ember.linalg.pinv(ember.tensor(np.outer(VEC, VEC), requires_grad=True))
    with pytest.raises(AutogradError):
        ember.linalg.svd(ember.tensor(A, requires_grad=True))


@pytest.mark.parametrize("shape", [(4, 4), (5, 3), (3, 5), (2, 4, 4)])
def test_lu_factorization_as_torch(shape):
    a = RNG.standard_normal(shape)
    for name in ("lu_factor", "lu_factor_ex", "lu"):
        t, e = getattr(torch.linalg, name)(torch.tensor(a)), getattr(ember.linalg, name)(ember.tensor(a))
        for tv, ev in zip(t, e):
            assert tuple(ev.shape) == tuple(tv.shape) and str(ev.dtype)[6:] == str(tv.dtype)[6:], name
            np.testing.assert_allclose(ev.numpy(), tv.numpy(), rtol=1e-10, atol=1e-12, err_msg=name)
    with pytest.raises(AutogradError, match="LU"):
        ember.linalg.lu_factor(ember.tensor(a, requires_grad=True))


@pytest.mark.parametrize("left,adjoint", [(True, False), (True, True), (False, False)])
def test_lu_solve_as_torch(left, adjoint):
    a, b = SPD[None].repeat(2, 0), RNG.standard_normal((2, 4, 3) if left else (2, 3, 4))
    t = torch.linalg.lu_solve(*torch.linalg.lu_factor(torch.tensor(a)), torch.tensor(b), left=left, adjoint=adjoint)
    e = ember.linalg.lu_solve(*ember.linalg.lu_factor(ember.tensor(a)), ember.tensor(b), left=left, adjoint=adjoint)
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-9, atol=1e-10)


def test_tensor_inverse_solve_and_solve_ex_with_gradients_as_torch():
    a = RNG.standard_normal((2, 3, 6)) + np.eye(6).reshape(6, 6)[:, :].reshape(2, 3, 6) * 3
    b = RNG.standard_normal((2, 3))
    for name, args, kwargs in (("tensorinv", (a,), {"ind": 2}), ("tensorsolve", (a.reshape(2, 3, 2, 3), b), {}),
                               ("tensorsolve", (a.reshape(2, 3, 2, 3).transpose(2, 3, 0, 1).copy(), b),
                                {"dims": (0, 1)}),
                               ("solve_ex", (SPD, B), {})):
        ta = [torch.tensor(x, requires_grad=True) for x in args]
        ea = [ember.tensor(x, requires_grad=True) for x in args]
        t, e = outputs(getattr(torch.linalg, name)(*ta, **kwargs)), outputs(getattr(ember.linalg, name)(*ea, **kwargs))
        for tv, ev in zip(t, e):
            assert tuple(ev.shape) == tuple(tv.shape), name
            np.testing.assert_allclose(ev.detach().numpy(), tv.detach().numpy(), rtol=1e-9, atol=1e-10, err_msg=name)
        w = RNG.standard_normal(tuple(t[0].shape))
        (t[0] * torch.tensor(w)).sum().backward()
        (e[0] * ember.tensor(w)).sum().backward()
        for tv, ev in zip(ta, ea):
            np.testing.assert_allclose(ev.grad.numpy(), tv.grad.numpy(), rtol=1e-8, atol=1e-10, err_msg=name)
