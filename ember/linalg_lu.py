"""LU factorization for `ember.linalg` (`lu_factor`, `lu_factor_ex`, `lu`, `lu_solve`) and the tensor forms
`tensorinv`, `tensorsolve`, `solve_ex`, with PyTorch's conventions: partial pivoting by the largest
absolute value in the column (LAPACK getrf's choice), pivots 1-based int32, A = P L U.

The LU functions give values only (their input may not require grad); `tensorinv`, `tensorsolve` and
`solve_ex` are differentiable.

    >>> import ember
    >>> LU, piv = ember.linalg.lu_factor(ember.tensor([[1.0, 2.0], [3.0, 4.0]]))
    >>> piv
    tensor([2, 2], dtype=ember.int32)
"""
import math
from collections import namedtuple

import numpy as np

from ember.autograd import grad_mode
from ember.backend import dtypes
from ember.errors import ArgumentError, AutogradError, ShapeError
from ember.ops._util import const
from ember.ops.creation import zeros
from ember.ops.linalg_decomp import linalg_solve
from ember.ops.linalg_more import inverse

__all__ = ["lu_factor", "lu_factor_ex", "lu", "lu_solve", "tensorinv", "tensorsolve", "solve_ex"]

LUFactorResult = namedtuple("linalg_lu_factor", ("LU", "pivots"))
LUFactorExResult = namedtuple("linalg_lu_factor_ex", ("LU", "pivots", "info"))
LUResult = namedtuple("linalg_lu", ("P", "L", "U"))
SolveExResult = namedtuple("linalg_solve_ex", ("result", "info"))


def _values_only(op, *tensors):
    if grad_mode.is_grad_enabled() and any(t.requires_grad for t in tensors):
        raise AutogradError(f"linalg.{op}: gradients through the LU factorization are not supported; call it on a "
                            f"detached tensor (linalg.solve is differentiable)")


def _getrf(a):
    """In-place LU of one (m, n) matrix with partial pivoting; 0-based pivot rows."""
    m, n = a.shape
    pivots = np.zeros(min(m, n), np.int64)
    for j in range(min(m, n)):
        p = j + int(np.argmax(np.abs(a[j:, j])))
        pivots[j] = p
        if p != j:
            a[[j, p]] = a[[p, j]]
        if a[j, j] != 0:
            a[j + 1:, j] /= a[j, j]
        a[j + 1:, j + 1:] -= np.outer(a[j + 1:, j], a[j, j + 1:])
    return pivots


def lu_factor(A, *, pivot=True):
    """(LU, pivots): L (unit diagonal, below) and U packed in one matrix; row i was swapped with pivots[i] - 1."""
    return LUFactorResult(*lu_factor_ex(A, pivot=pivot)[:2])


def lu_factor_ex(A, *, pivot=True, check_errors=False):
    if A.ndim < 2 or not A.is_floating_point():
        raise ShapeError(f"linalg.lu_factor: expected a floating (batch of) matrix, got {tuple(A.shape)} {A.dtype}")
    if not pivot:
        raise ArgumentError("linalg.lu_factor: pivot=False is supported by PyTorch on CUDA only; ember neither")
    _values_only("lu_factor", A)
    a = A.detach().numpy()
    lu = np.array(a, dtype=a.dtype, copy=True).reshape(math.prod(a.shape[:-2]), *a.shape[-2:])  # -1 fails at size 0
    piv = np.stack([_getrf(m) for m in lu]) if lu.shape[0] else np.zeros((0, min(a.shape[-2:])), np.int64)
    batch = a.shape[:-2]
    return LUFactorExResult(const(lu.reshape(a.shape), A),
                            const((piv + 1).astype(np.int32).reshape(batch + (piv.shape[-1],)), A),
                            zeros(*batch, dtype=dtypes.int32, device=A.device))


def _permutation(piv, m):
    """The row order (0-based) that the pivot swaps produce."""
    order = np.arange(m)
    for i, p in enumerate(piv):
        order[[i, p]] = order[[p, i]]
    return order


def lu(A, *, pivot=True):
    """(P, L, U) with A = P L U: P a permutation matrix, L unit lower triangular, U upper triangular."""
    return LUResult(*_unpack(*lu_factor(A, pivot=pivot)))


def lu_solve(LU, pivots, B, *, left=True, adjoint=False):
    """X with A X = B (X A = B with left=False; A^T with adjoint) from `lu_factor`'s result."""
    _values_only("lu_solve", LU, B)
    P, L, U = _unpack(LU, pivots)
    A = (P @ L @ U).detach()
    A = A.mT if adjoint else A
    return linalg_solve(A, B.detach(), left=left)


def _unpack(LU, pivots):
    a, p = LU.numpy(), pivots.numpy().astype(np.int64) - 1
    m, n = a.shape[-2:]
    k = min(m, n)
    low = np.tril(a[..., :, :k], -1) + np.eye(m, k, dtype=a.dtype)
    up = np.triu(a[..., :k, :])
    flat_p = p.reshape(-1, k)
    perms = np.stack([np.eye(m, dtype=a.dtype)[:, _permutation(row, m)] for row in flat_p]) if flat_p.shape[0] \
        else np.zeros((0, m, m), a.dtype)
    return const(perms.reshape(a.shape[:-2] + (m, m)), LU), const(low, LU), const(up, LU)


def tensorinv(A, ind=2):
    """The inverse of A read as a (prod(shape[:ind]), prod(shape[ind:])) matrix, shaped shape[ind:] + shape[:ind]."""
    rows, cols = math.prod(A.shape[:ind]), math.prod(A.shape[ind:])
    if rows != cols:
        raise ShapeError(f"linalg.tensorinv: the first {ind} dims of {tuple(A.shape)} hold {rows} elements and the "
                         f"rest {cols}; they must be equal")
    return inverse(A.reshape(rows, cols)).reshape(*A.shape[ind:], *A.shape[:ind])


def tensorsolve(A, B, dims=None):
    """X with tensordot(A, X, X.ndim) = B."""
    if dims is not None:
        moved = [d % A.ndim for d in dims]
        A = A.permute(*[d for d in range(A.ndim) if d not in moved], *moved)
    x_shape = tuple(A.shape[B.ndim:])
    if tuple(A.shape[:B.ndim]) != tuple(B.shape) or math.prod(x_shape) != B.numel():
        raise ShapeError(f"linalg.tensorsolve: A of shape {tuple(A.shape)} must start with B's shape "
                         f"{tuple(B.shape)} and end with as many elements")
    return linalg_solve(A.reshape(B.numel(), -1), B.reshape(-1)).reshape(*x_shape)


def solve_ex(A, B, *, left=True, check_errors=False):
    """(result, info) with info 0 for each solved system (ember raises for singular A)."""
    return SolveExResult(linalg_solve(A, B, left=left), zeros(*A.shape[:-2], dtype=dtypes.int32, device=A.device))
