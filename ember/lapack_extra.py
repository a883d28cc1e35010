"""PyTorch's LAPACK-style top-level functions: Householder QR (`geqrf`) and products with its Q
(`orgqr`, `ormqr`), the LU triple of older scripts (`lu`, `lu_solve`, `lu_unpack`), and randomized
low-rank SVD and PCA (`svd_lowrank`, `pca_lowrank`).

    >>> import ember
    >>> A = ember.tensor([[3.0, 1.0], [4.0, 2.0]], dtype=ember.float64)
    >>> a, tau = ember.geqrf(A)
    >>> bool(ember.allclose(ember.orgqr(a, tau) @ a.triu(), A))
    True

`orgqr` and `ormqr` are composites of ember ops, so they are differentiable; `geqrf` is not (as in
PyTorch), and the low-rank SVD and PCA give values only (as ember's `linalg.svd`).
"""
import numpy as np

from ember import linalg, linalg_lu
from ember.autograd.tensor import Tensor
from ember.errors import ArgumentError, AutogradError, DTypeError, ShapeError
from ember.ops import creation, registry
from ember.ops._util import const

__all__ = ["geqrf", "orgqr", "ormqr", "lu", "lu_solve", "lu_unpack", "svd_lowrank", "pca_lowrank", "lobpcg"]


def _matrix(op, name, A, floating=True):
    if not isinstance(A, Tensor):
        raise DTypeError(f"{op}: {name} must be a Tensor, got {type(A).__name__}")
    if A.ndim < 2:
        raise ShapeError(f"{op}: {name} must have at least 2 dims (a matrix or a batch), got shape {tuple(A.shape)}")
    if floating and A.dtype.name not in ("float32", "float64"):
        raise DTypeError(f"{op}: {name} must be float32 or float64, got {A.dtype}")
    return A


def geqrf(input):
    """LAPACK's QR: (a, tau) with R in a's upper triangle and the Householder vectors below it.
    Not differentiable (as in PyTorch)."""
    _matrix("geqrf", "input", input)
    if input.requires_grad:
        raise AutogradError("geqrf: the derivative of geqrf is not implemented (as in PyTorch); use "
                            "ember.linalg.qr, which is differentiable")
    a = input.numpy()
    m, n = a.shape[-2:]
    if a.size == 0:  # nothing to factor: empty a and tau of the batch's shape, as PyTorch
        return const(a.copy(), input), const(np.empty(a.shape[:-2] + (min(m, n),), dtype=a.dtype), input)
    flat = a.reshape(-1, m, n)
    hs = np.empty_like(flat)
    taus = np.empty((flat.shape[0], min(m, n)), dtype=a.dtype)
    for i, mat in enumerate(flat):
        h, t = np.linalg.qr(mat, mode="raw")
        hs[i], taus[i] = h.T, t
    return const(hs.reshape(a.shape), input), const(taus.reshape(a.shape[:-2] + (min(m, n),)), input)


def _check_tau(op, A, tau, others=()):
    """tau (and `others`) must be tensors of input's dtype, as PyTorch checks before any work."""
    for name, t in (("tau", tau),) + tuple(others):
        if not isinstance(t, Tensor):
            raise DTypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
        if t.dtype is not A.dtype:
            raise DTypeError(f"{op}: {name} of dtype {t.dtype} must have input's dtype {A.dtype}")
    if tau.ndim < 1:
        raise ShapeError(f"{op}: tau must have at least 1 dim, got shape {tuple(tau.shape)}")


def _reflect(op, A, tau, Q):
    """H_1 H_2 ... H_k Q, with H_i = I - tau_i v_i v_i^T and v_i read from A's i-th column."""
    m, k = A.shape[-2], tau.shape[-1]
    if k > A.shape[-1] or k > m:
        raise ShapeError(f"{op}: tau has {k} reflectors; input of shape {tuple(A.shape)} holds at most "
                         f"{min(A.shape[-2:])}")
    if tuple(tau.shape[:-1]) != tuple(A.shape[:-2]):
        raise ShapeError(f"{op}: tau's batch dims {tuple(tau.shape[:-1])} must equal input's {tuple(A.shape[:-2])}")
    below = A.tril(-1)
    for i in range(k - 1, -1, -1):
        unit = const(np.eye(m, 1, -i, dtype=A.dtype.np)[:, 0], A)
        v = (below[..., :, i] + unit).unsqueeze(-1)                              # (..., m, 1)
        Q = Q - tau[..., i].unsqueeze(-1).unsqueeze(-1) * (v @ (v.mT @ Q))
    return Q


def orgqr(input, tau):
    """The first n columns of Q = H_1 ... H_k from `geqrf`'s (a, tau)."""
    _matrix("orgqr", "input", input)
    _check_tau("orgqr", input, tau)
    m, n = input.shape[-2:]
    if n > m:
        raise ShapeError(f"orgqr: input must have at least as many rows as columns, got shape {tuple(input.shape)}")
    eye = creation.eye(m, n, dtype=input.dtype).expand(*input.shape)
    return _reflect("orgqr", input, tau, eye)


def ormqr(input, tau, other, left=True, transpose=False):
    """`other` multiplied by Q (m x m) from `geqrf`'s (a, tau): Q @ other (left), other @ Q (left=False);
    Q^T with `transpose`."""
    _matrix("ormqr", "input", input)
    _matrix("ormqr", "other", other)
    _check_tau("ormqr", input, tau, (("other", other),))
    m = input.shape[-2]
    if other.shape[-2 if left else -1] != m:
        raise ShapeError(f"ormqr: other of shape {tuple(other.shape)} must have {m} "
                         f"{'rows' if left else 'columns'} (input's rows)")
    eye = creation.eye(m, dtype=input.dtype).expand(*input.shape[:-2], m, m)
    Q = _reflect("ormqr", input, tau, eye)
    Q = Q.mT if transpose else Q
    return Q @ other if left else other @ Q


def lu(A, pivot=True, get_infos=False):
    """(LU, pivots), with `get_infos` also the LAPACK infos: `linalg.lu_factor(_ex)`'s result."""
    _matrix("lu", "A", A)
    if get_infos:
        return tuple(linalg_lu.lu_factor_ex(A, pivot=pivot))
    return tuple(linalg_lu.lu_factor(A, pivot=pivot))


def lu_solve(b, LU_data, LU_pivots):
    """X with A X = b, A given by `lu`'s (LU_data, LU_pivots)."""
    _check_lu("lu_solve", LU_data, LU_pivots)
    _matrix("lu_solve", "b", b)
    n = LU_data.shape[-1]
    if LU_data.shape[-2] != n:
        raise ShapeError(f"lu_solve: LU_data must be square, got shape {tuple(LU_data.shape)}")
    if b.shape[-2] != n or b.dtype is not LU_data.dtype:
        raise ShapeError(f"lu_solve: b of shape {tuple(b.shape)} and dtype {b.dtype} must have {n} rows and "
                         f"LU_data's dtype {LU_data.dtype}")
    return linalg_lu.lu_solve(LU_data, LU_pivots, b)


def _check_lu(op, LU, pivots):
    _matrix(op, "LU_data", LU)
    if not isinstance(pivots, Tensor) or pivots.dtype.name not in ("int32", "int64"):
        raise DTypeError(f"{op}: LU_pivots must be an int32 tensor, got {getattr(pivots, 'dtype', type(pivots).__name__)}")
    m, n = LU.shape[-2:]
    if tuple(pivots.shape) != tuple(LU.shape[:-2]) + (min(m, n),):
        raise ShapeError(f"{op}: LU_pivots of shape {tuple(pivots.shape)} do not match LU_data of shape "
                         f"{tuple(LU.shape)} (expected {tuple(LU.shape[:-2]) + (min(m, n),)})")
    p = pivots.numpy()
    if p.size and (p.min() < 1 or p.max() > m):
        raise ArgumentError(f"{op}: LU_pivots must be 1-based row numbers in [1, {m}]")


def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """(P, L, U) from `lu`'s result; a part not asked for is an empty tensor, as in PyTorch."""
    _check_lu("lu_unpack", LU_data, LU_pivots)
    P, L, U = linalg_lu._unpack(LU_data, LU_pivots)
    empty = creation.empty(0, dtype=LU_data.dtype)
    return (P if unpack_pivots else empty, L if unpack_data else empty, U if unpack_data else empty)


def _check_q(op, q, A):
    m, n = A.shape[-2:]
    if isinstance(q, bool) or not isinstance(q, int) or not 0 <= q <= min(m, n):
        raise ArgumentError(f"{op}: q must be an int in [0, {min(m, n)}] for input of shape {tuple(A.shape)}, "
                            f"got {q!r}")
    return q


def svd_lowrank(A, q=6, niter=2, M=None):
    """A rank-q approximate SVD (U, S, V) by randomized subspace iteration (Halko et al., 2009); exact
    for matrices of rank at most q. `M` is subtracted from `A` first. Draws from ember's generator."""
    _matrix("svd_lowrank", "A", A)
    q = _check_q("svd_lowrank", 6 if q is None else q, A)
    if isinstance(niter, bool) or not isinstance(niter, int) or niter < 0:
        raise ArgumentError(f"svd_lowrank: niter must be a non-negative int, got {niter!r}")
    X = A if M is None else A - M
    m, n = X.shape[-2:]
    flip = m < n  # work on the tall orientation
    X = X.mT if flip else X
    R = creation.randn(*X.shape[:-2], X.shape[-1], q, dtype=X.dtype, device=X.device)
    Q = linalg.qr(X @ R).Q
    for _ in range(niter):
        Q = linalg.qr(X.mT @ Q).Q
        Q = linalg.qr(X @ Q).Q
    U, S, Vh = linalg.svd(Q.mT @ X, full_matrices=False)
    U, V = Q @ U, Vh.mT
    return (V, S, U) if flip else (U, S, V)


def pca_lowrank(A, q=None, center=True, niter=2):
    """PCA of A's rows: `svd_lowrank` of A minus its column means (with `center`); q defaults to
    min(6, m, n)."""
    _matrix("pca_lowrank", "A", A)
    m, n = A.shape[-2:]
    q = min(6, m, n) if q is None else q
    X = A - A.mean(-2, keepdim=True) if center else A
    return svd_lowrank(X, q, niter=niter)



def _b_orthonormal(S, B):
    """Columns spanning S's range, orthonormal in the B inner product (near-dependent directions dropped)."""
    gram = S.T @ (B @ S)
    w, v = np.linalg.eigh((gram + gram.T) / 2)
    keep = w > w.max() * 1e-12 if w.size else w > 0
    return S @ (v[:, keep] / np.sqrt(w[keep]))


def _lobpcg(a, b, x, k, ik, niter, tol, largest):
    """Knyazev's locally optimal block preconditioned conjugate gradient, on arrays."""
    sign = 1.0 if largest else -1.0
    p = None
    norm_a, norm_b = np.linalg.norm(a, 2), np.linalg.norm(b, 2)
    for _ in range(niter + 1):
        blocks = [x] if p is None else [x, p]
        if _ > 0:
            blocks.insert(1, w)
        s = _b_orthonormal(np.concatenate(blocks, 1), b)
        evals, evecs = np.linalg.eigh(s.T @ a @ s)
        order = np.argsort(-sign * evals)[:x.shape[1]]
        new_x = s @ evecs[:, order]
        theta = evals[order]
        r = a @ new_x - (b @ new_x) * theta
        p = new_x - x @ (x.T @ (b @ new_x)) if _ > 0 else None
        x = new_x
        err = np.linalg.norm(r, axis=0) / ((norm_a + np.abs(theta) * norm_b) * np.linalg.norm(x, axis=0))
        if (err[:k] < tol).all():
            break
        w = r if ik is None else ik @ r
    return theta[:k], x[:, :k]


def lobpcg(A, k=None, B=None, X=None, n=None, iK=None, niter=None, tol=None, largest=None, method=None,
           tracker=None, ortho_iparams=None, ortho_fparams=None, ortho_bparams=None):
    """The k largest (or smallest, `largest=False`) eigenpairs of the symmetric positive definite problem
    A x = e B x (B = I by default) by LOBPCG: a block of n >= k vectors (X, or random from ember's
    generator), preconditioner iK, at most `niter` iterations (default 1000) until the relative residual
    is below `tol` (default sqrt of the dtype's eps). Values only (a tensor that requires grad is refused)."""
    op = "lobpcg"
    _matrix(op, "A", A)
    if any(isinstance(t, Tensor) and t.requires_grad for t in (A, B, X, iK)):
        raise AutogradError(f"{op}: ember's lobpcg gives values only; detach() the inputs")
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ShapeError(f"{op}: A must be one square matrix, got shape {tuple(A.shape)}")
    if method not in (None, "basic", "ortho") or tracker is not None or any(
            v is not None for v in (ortho_iparams, ortho_fparams, ortho_bparams)):
        raise ArgumentError(f"{op}: method must be 'basic' or 'ortho' (one algorithm serves both here); tracker and "
                            f"the ortho_* parameters are not supported")
    m = A.shape[0]
    k = (X.shape[-1] if X is not None else 1) if k is None else k
    n = (X.shape[-1] if X is not None else k) if n is None else n
    if not 0 < k <= n or m < 3 * n:
        raise ArgumentError(f"{op}: needs 0 < k <= n and A's rows ({m}) at least 3 x n (n={n}, k={k})")
    a = A.numpy()
    b = np.eye(m, dtype=a.dtype) if B is None else _matrix(op, "B", B).numpy()
    ik = None if iK is None else _matrix(op, "iK", iK).numpy()
    for name, t in (("B", b), ("iK", ik)):
        if t is not None and t.shape != a.shape:
            raise ShapeError(f"{op}: {name} must have A's shape {a.shape}, got {t.shape}")
    x = _matrix(op, "X", X).numpy() if X is not None else creation.randn(m, n, dtype=A.dtype).numpy()
    if x.shape != (m, n):
        raise ShapeError(f"{op}: X must be ({m}, {n}), got {x.shape}")
    tol = float(np.finfo(a.dtype).eps) ** 0.5 if tol is None else tol
    e, v = _lobpcg(a, b, x, k, ik, 1000 if niter is None else niter, tol, True if largest is None else largest)
    return const(e.astype(a.dtype), A), const(v.astype(a.dtype), A)


globals().update({_n: registry.guard(_n, globals()[_n]) for _n in __all__})  # bad arguments: ember errors
