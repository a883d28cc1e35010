"""`ember.linalg`, PyTorch's `torch.linalg` on ember's ops: norms, inverses and solves, determinants,
decompositions, least squares, pseudo-inverse and rank. Gradients where PyTorch has them, except `svd`
and `qr` (values only: their input may not require grad) and the rank-deficient forms of `pinv`/`lstsq`.
ember has no complex dtype, so `eig`, `eigvals` (complex results) are not here.

    >>> import ember
    >>> A = ember.tensor([[4.0, 1.0], [1.0, 3.0]])
    >>> ember.linalg.solve(A, ember.tensor([1.0, 2.0]))
    tensor([0.0909, 0.6364])
    >>> ember.linalg.eigvalsh(A)
    tensor([2.3820, 4.6180])
"""
import functools
import math
from collections import namedtuple

import numpy as np

from ember.autograd import grad_mode
from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.errors import ArgumentError, ShapeError
from ember.ops import linalg_more
from ember.ops._util import const
from ember.ops.creation import eye, zeros
from ember.ops.diag import diagonal as _diagonal
from ember.ops.linalg import matmul
from ember.ops.linalg_decomp import linalg_eigh as eigh, linalg_eigvalsh as eigvalsh, linalg_solve as solve, \
    linalg_svdvals as svdvals, pinv_full_rank, square
from ember.linalg_lu import lu, lu_factor, lu_factor_ex, lu_solve, solve_ex, tensorinv, tensorsolve
from ember.ops.join import stack
from ember.ops.shape import broadcast_tensors, movedim

__all__ = ["norm", "vector_norm", "matrix_norm", "inv", "inv_ex", "solve", "solve_triangular", "det", "slogdet",
           "eigh", "eigvalsh", "svd", "svdvals", "qr", "cholesky", "cholesky_ex", "lstsq", "pinv", "matrix_rank",
           "cross", "matmul", "multi_dot", "matrix_power", "matrix_exp", "vecdot", "diagonal", "cond", "vander",
           "lu", "lu_factor", "lu_factor_ex", "lu_solve", "solve_ex", "tensorinv", "tensorsolve"]

SVDResult = namedtuple("linalg_svd", ("U", "S", "Vh"))
QRResult = namedtuple("linalg_qr", ("Q", "R"))
LstsqResult = namedtuple("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))
InvExResult = namedtuple("linalg_inv_ex", ("inverse", "info"))
CholeskyExResult = namedtuple("linalg_cholesky_ex", ("L", "info"))

det, slogdet, matrix_power, matrix_exp = linalg_more.det, linalg_more.slogdet, linalg_more.matrix_power, \
    linalg_more.matrix_exp


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The `ord`-norm of x over `dim` (None: all elements, flattened)."""
    if isinstance(ord, str):
        raise ArgumentError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    return x.norm(float(ord), dim, keepdim, dtype=dtype)


def _matrix_dims(A, dim, op):
    if not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise ArgumentError(f"{op}: dim must be a pair of dims, got {dim!r}")
    d = tuple(k % A.ndim for k in dim)
    if d[0] == d[1] or A.ndim < 2:
        raise ShapeError(f"{op}: dims {tuple(dim)} must name two different dims of a tensor of shape "
                         f"{tuple(A.shape)}")
    return d


_MATRIX_NORMS = {  # ord -> norm of a batch of matrices over its last two dims
    "nuc": lambda m: svdvals(m).sum(-1),
    2: lambda m: svdvals(m).amax(-1), -2: lambda m: svdvals(m).amin(-1),
    math.inf: lambda m: m.abs().sum(-1).amax(-1), -math.inf: lambda m: m.abs().sum(-1).amin(-1),
    1: lambda m: m.abs().sum(-2).amax(-1), -1: lambda m: m.abs().sum(-2).amin(-1),
}


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """The matrix norm over `dim`: 'fro', 'nuc', 2, -2 (singular values), inf, -inf (row sums), 1, -1
    (column sums)."""
    d = _matrix_dims(A, dim, "linalg.matrix_norm")
    if dtype is not None:
        A = A.to(dtype)
    if ord == "fro":
        return A.norm(2.0, d, keepdim)
    if ord not in _MATRIX_NORMS:
        raise ArgumentError(f"linalg.matrix_norm: ord must be 'fro', 'nuc', 2, -2, inf, -inf, 1 or -1, got {ord!r}")
    out = _MATRIX_NORMS[ord](movedim(A, d, (-2, -1)))
    if keepdim:
        for k in sorted(d):
            out = out.unsqueeze(k)
    return out


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """A vector norm (1-D input, an int `dim`, or no `ord` and no `dim`: all elements) or a matrix norm
    (2-D input with `ord`, or a pair of dims)."""
    if isinstance(dim, int) or (isinstance(dim, (tuple, list)) and len(dim) == 1):
        return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
    if dim is None:
        if ord is None:
            return vector_norm(A, 2, None, keepdim, dtype=dtype)
        if A.ndim == 1:
            return vector_norm(A, ord, None, keepdim, dtype=dtype)
        if A.ndim != 2:
            raise ShapeError(f"linalg.norm: with ord={ord!r} and no dim the input must be 1-D or 2-D, got "
                             f"shape {tuple(A.shape)}")
        dim = (-2, -1)
    return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)


def inv(A):
    """The inverse of a (batch of) square matrix."""
    return linalg_more.inverse(A)


def inv_ex(A, *, check_errors=False):
    """(inverse, info) with info 0 for each invertible matrix (ember raises for singular ones)."""
    return InvExResult(inv(A), zeros(*A.shape[:-2], dtype=dtypes.int32, device=A.device))


def cholesky(A, *, upper=False):
    """The Cholesky factor of a symmetric positive-definite matrix (lower, or upper with `upper=True`)."""
    return linalg_more.cholesky(A, upper=upper)


def cholesky_ex(A, *, upper=False, check_errors=False):
    return CholeskyExResult(cholesky(A, upper=upper), zeros(*A.shape[:-2], dtype=dtypes.int32, device=A.device))


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """X with A X = B (X A = B with `left=False`) for a triangular A (only its `upper`/lower triangle is read)."""
    square("linalg.solve_triangular", A)
    T = A.triu() if upper else A.tril()
    if unitriangular:
        ones = eye(A.shape[-1], dtype=A.dtype, device=A.device)
        T = T * (1 - ones) + ones
    return solve(T, B, left=left)


def svd(A, full_matrices=True):
    """(U, S, Vh) with A = U diag(S) Vh. Values only: A may not require grad."""
    u, s, v = linalg_more.svd(A, some=not full_matrices)
    return SVDResult(u, s, v.mT)


def qr(A, mode="reduced"):
    """(Q, R): 'reduced', 'complete', or 'r' (R only; Q empty). Values only."""
    if mode not in ("reduced", "complete", "r"):
        raise ArgumentError(f"linalg.qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    q, r = linalg_more.qr(A, some=mode != "complete")
    return QRResult(zeros(0, dtype=A.dtype, device=A.device) if mode == "r" else q, r)


def _rank_tolerance(s, atol, rtol, shape):
    """PyTorch's cutoff: max(atol, rtol * largest singular value); rtol defaults to eps * max(m, n)
    when neither is given, else to 0."""
    if rtol is None:
        rtol = np.finfo(s.dtype).eps * max(shape[-2:]) if atol is None else 0.0
    atol = 0.0 if atol is None else atol
    top = s.max(-1, keepdims=True) if s.shape[-1] else np.zeros(s.shape[:-1] + (1,), s.dtype)
    return np.maximum(np.asarray(atol, s.dtype), np.asarray(rtol, s.dtype) * top)


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False):
    """The number of singular values above the tolerance (see `pinv`), int64."""
    if not isinstance(A, Tensor) or A.ndim < 2:
        raise ShapeError(f"linalg.matrix_rank: expected a (batch of) matrix, got {getattr(A, 'shape', A)}")
    s = np.linalg.svd(A.detach().numpy(), compute_uv=False)
    return const((s > _rank_tolerance(s, atol, rtol, A.shape)).sum(-1).astype(np.int64), A)


def _full_rank(A):
    return bool((matrix_rank(A).numpy() == min(A.shape[-2:])).all())


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    """The Moore-Penrose pseudo-inverse; differentiable for full-rank A ((A^T A)^-1 A^T or A^T (A A^T)^-1)."""
    if not isinstance(A, Tensor) or A.ndim < 2:
        raise ShapeError(f"linalg.pinv: expected a (batch of) matrix, got {getattr(A, 'shape', A)}")
    needs_grad = grad_mode.is_grad_enabled() and A.requires_grad
    if needs_grad and atol is None and rtol is None:
        return pinv_full_rank(A)
    a = A.detach().numpy()
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    keep = s > _rank_tolerance(s, atol, rtol, A.shape)
    s_inv = np.where(keep, 1 / np.where(keep, s, 1), 0).astype(a.dtype)
    return const(np.swapaxes(vh, -1, -2) @ (s_inv[..., None] * np.swapaxes(u, -1, -2)), A)


def lstsq(A, B, rcond=None, *, driver=None):
    """(solution, residuals, rank, singular_values) of min ||A X - B||, as PyTorch's CPU drivers report
    them ('gelsy' by default: rank only; 'gelsd'/'gelss' add singular values and residuals; 'gels': neither).
    Differentiable for full-rank A."""
    if driver not in (None, "gels", "gelsy", "gelsd", "gelss"):
        raise ArgumentError(f"linalg.lstsq: driver must be 'gels', 'gelsy', 'gelsd' or 'gelss', got {driver!r}")
    if not isinstance(A, Tensor) or A.ndim < 2 or not isinstance(B, Tensor):
        raise ShapeError("linalg.lstsq: A must be a (batch of) matrix and B a Tensor")
    vector = B.ndim == A.ndim - 1
    rhs = B.unsqueeze(-1) if vector else B
    m, n = A.shape[-2:]
    rank = matrix_rank(A, rtol=rcond if rcond is not None else None)
    if _full_rank(A):
        At = A.mT
        x = solve(At @ A, At @ rhs) if m >= n else At @ solve(A @ At, rhs)
    else:
        x = pinv(A, rtol=rcond) @ rhs
    empty = zeros(0, dtype=A.dtype, device=A.device)
    full = bool((rank.numpy() == min(m, n)).all())
    residuals = ((A @ x - rhs) ** 2).sum(-2) if driver in ("gelsd", "gelss", "gels") and m > n and full else empty
    values = svdvals(A.detach()) if driver in ("gelsd", "gelss") else empty
    x = x.squeeze(-1) if vector else x
    return LstsqResult(x, residuals.squeeze(-1) if vector and residuals.numel() else residuals,
                       empty.long() if driver == "gels" else rank, values)


def cross(input, other, *, dim=-1):
    """The cross product of 3-vectors along `dim` (inputs of one rank broadcast)."""
    if input.ndim != other.ndim:
        raise ShapeError(f"linalg.cross: inputs must have the same number of dims, got {tuple(input.shape)} and "
                         f"{tuple(other.shape)}")
    a, b = broadcast_tensors(input, other)
    return linalg_more.cross(a, b, dim=dim % a.ndim)


def multi_dot(tensors):
    """The product of the matrices in order; the first may be a row vector, the last a column vector."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise ArgumentError(f"linalg.multi_dot: expected at least 2 tensors, got {len(tensors)}")
    first, last = tensors[0].ndim == 1, tensors[-1].ndim == 1
    for i, t in enumerate(tensors):
        if t.ndim != 2 and not ((i == 0 or i == len(tensors) - 1) and t.ndim == 1):
            raise ShapeError(f"linalg.multi_dot: tensor {i} has shape {tuple(t.shape)}; expected 2-D (1-D "
                             f"allowed for the first and last)")
    mats = [tensors[0].unsqueeze(0) if first else tensors[0]] + tensors[1:-1] + \
        [tensors[-1].unsqueeze(-1) if last else tensors[-1]]
    out = functools.reduce(matmul, mats)
    if last:
        out = out.squeeze(-1)
    return out.squeeze(0) if first else out


def vecdot(x, y, *, dim=-1):
    """The dot product of vectors along `dim` (inputs broadcast)."""
    return (x * y).sum(dim)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The diagonal of each matrix (torch.linalg.diagonal's defaults: the last two dims)."""
    return _diagonal(A, offset, dim1, dim2)


def cond(A, p=None):
    """The condition number in the `p` norm (None or 2: ratio of extreme singular values)."""
    if p is None or p == 2:
        s = svdvals(A)
        return s.amax(-1) / s.amin(-1)
    if p == -2:
        s = svdvals(A)
        return s.amin(-1) / s.amax(-1)
    square("linalg.cond", A)
    return matrix_norm(A, p) * matrix_norm(inv(A), p)


def vander(x, *, N=None):
    """The Vandermonde matrix [x^0, x^1, ..., x^(N-1)] along a new last dim (increasing powers)."""
    N = x.shape[-1] if N is None else N
    if N < 1:
        raise ArgumentError(f"linalg.vander: N must be positive, got {N}")
    return stack([x ** k if k else x * 0 + 1 for k in range(N)], -1)
