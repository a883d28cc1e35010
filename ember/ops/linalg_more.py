"""More linear algebra with PyTorch's names: `inverse`, `slogdet`, `det`, `logdet`, `cholesky`,
`matrix_power`, `matrix_exp` (all differentiable), `qr`, `svd` (values only: their input may
not require grad), `pinverse` (differentiable), and composites `cross`, `kron`,
`cdist`, `dist`, `renorm`, `chain_matmul`, `addr`, `addbmm`, `ger`. Batched over leading dims where PyTorch is.

    >>> import ember
    >>> ember.det(ember.tensor([[2.0, 1.0], [1.0, 3.0]]))
    tensor(5.)
"""
import functools
import math
from collections import namedtuple

import numpy as np

from ember.autograd import grad_mode
from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.errors import ArgumentError, AutogradError, DTypeError, ShapeError
from ember.autograd.checks import broadcast_shapes, normalize_dim
from ember.ops import binary, unary
from ember.ops._args import need_number, same_dtype
from ember.backend import dtypes
from ember.ops._util import common, const
from ember.ops.join import cat
from ember.ops.linalg import ignored, matmul, outer
from ember.ops.registry import Sample, register

__all__ = ["inverse", "slogdet", "det", "logdet", "cholesky", "matrix_power", "matrix_exp", "qr", "svd", "pinverse",
           "cross", "kron", "cdist", "dist", "renorm", "chain_matmul", "addr", "addbmm", "ger"]
METHODS = ("inverse slogdet det logdet cholesky matrix_power matrix_exp qr svd pinverse cross kron dist renorm addr "
           "addbmm ger")
INPLACE = "renorm addr addbmm"

SlogdetResult = namedtuple("slogdet", ("sign", "logabsdet"))
QRResult = namedtuple("qr", ("Q", "R"))
SVDResult = namedtuple("svd", ("U", "S", "V"))


# LAPACK's dtypes: PyTorch's CPU factorizations refuse float16/bfloat16 as well as integers.
LAPACK = ("float32", "float64")


def _matrix(op, a, lapack=True):
    """A (batch of) matrices: 2 or more dims, and a dtype LAPACK takes (`lapack`) or any float."""
    if not isinstance(a, Tensor) or a.ndim < 2:
        got = f"shape {tuple(a.shape)}" if isinstance(a, Tensor) else type(a).__name__
        raise ShapeError(f"{op}: expected a tensor of 2 or more dims, got {got}")
    if not a.is_floating_point() or (lapack and a.dtype.name not in LAPACK):
        want = "float32 or float64" if lapack else "a floating point dtype"
        raise DTypeError(f"{op}: expected {want}, got {a.dtype}")


def _square(op, a, lapack=True):
    _matrix(op, a, lapack)
    if a.shape[-1] != a.shape[-2]:
        raise ShapeError(f"{op}: expected a (batch of) square matrix, got {tuple(a.shape)}")


def _lapack(op, fn, *args, **kwargs):
    """`fn(*args)` of np.linalg, its refusal (a singular matrix, a failed factorization) as an ember error."""
    try:
        return fn(*args, **kwargs)
    except np.linalg.LinAlgError as e:
        raise ArgumentError(f"{op}: {e} (input shape {tuple(np.shape(args[0]))})") from None


class Inverse(Function):
    save_inputs = False

    def forward(self, a):
        self.y = _lapack("inverse", self.xp.linalg.inv, a)
        return self.y

    def backward(self, g):
        inv = self.output(self.y).mT
        return -(inv @ g @ inv)


class Slogdet(Function):
    materialize_grads = False  # the sign carries no gradient: used alone, the input gets none (as PyTorch)

    def forward(self, a):
        with np.errstate(all="ignore"):
            sign, logabs = self.xp.linalg.slogdet(a)
        # a NaN on the LU diagonal: PyTorch's sign is the product of the diagonal's signs, 0 with a NaN among
        # them (NumPy's says 1); an inf alone keeps its sign and an inf log in both
        sign = self.xp.where(self.xp.isnan(logabs), 0, sign)
        return sign.astype(a.dtype), logabs.astype(a.dtype)

    def backward(self, g_sign, g_logabs):
        if g_logabs is None:
            return None
        # (A^T)^-1, as PyTorch factors A^T: with a large entry, inv(A)^T loses the small cofactors that LU of
        # A^T (pivoting on the other axis) keeps
        return g_logabs.unsqueeze(-1).unsqueeze(-1) * inverse(self.inputs[0].mT)


class Cholesky(Function):
    """The lower factor L of A = L L^T; backward: L^-T Phi(L^T gL) L^-1, symmetrized (Murray, 2016)."""
    save_inputs = False

    def forward(self, a):
        self.y = _lapack("cholesky", self.xp.linalg.cholesky, a)
        return self.y

    def backward(self, g):
        low = self.output(self.y)
        inv = inverse(low)
        phi = (low.mT @ g).tril()
        phi = phi - 0.5 * phi.diagonal(0, -2, -1).diag_embed()
        ga = inv.mT @ phi @ inv
        return 0.5 * (ga + ga.mT)


def _well_conditioned(make, *batch):
    return make(*batch, 3, 3) + 3 * np.eye(3, dtype=make.dtype)


def _spd(make, *batch):
    a = make(*batch, 3, 3)
    return a @ np.swapaxes(a, -1, -2) + 3 * np.eye(3, dtype=make.dtype)


@register("inverse", lambda make: [Sample((_well_conditioned(make),), name="2d"),
                                   Sample((_well_conditioned(make, 2),), name="batched")], Inverse)
def inverse(input):
    """The matrix inverse (batched over leading dims)."""
    _square("inverse", input)
    return Inverse.apply(input)


@register("slogdet", lambda make: [Sample((_well_conditioned(make),), name="2d"),
                                   Sample((_well_conditioned(make, 2),), name="batched")], Slogdet)
def slogdet(input):
    """`(sign, logabsdet)` of the determinant."""
    _square("slogdet", input)
    return SlogdetResult(*Slogdet.apply(input))


@register("det", lambda make: [Sample((_well_conditioned(make),), name="2d"),
                               Sample((_well_conditioned(make, 2),), name="batched")])
def det(input):
    """The determinant, from `slogdet` (its gradient is det * A^-T)."""
    sign, logabs = slogdet(input)
    return sign * unary.exp(logabs)


@register("logdet", lambda make: [Sample((_spd(make),), name="spd")])
def logdet(input):
    """`log(det(A))`: NaN for a negative determinant, -inf for zero."""
    sign, logabs = slogdet(input)
    return binary.where(sign < 0, float("nan"), logabs)


@register("cholesky", lambda make: [Sample((_spd(make),), name="spd"), Sample((_spd(make, 2),), name="batched"),
                                    Sample((_spd(make),), {"upper": True}, "upper")], Cholesky)
def cholesky(input, upper=False):
    """The Cholesky factor of a symmetric positive-definite matrix: lower, or upper with `upper=True`.

    The factor is taken of the symmetric part `(A + A^T) / 2` (A itself for the symmetric matrices it is
    defined on), so the gradient is PyTorch's symmetric one and agrees with finite differences."""
    _square("cholesky", input)
    low = Cholesky.apply((input + input.mT) / 2)
    return low.mT if upper else low


@register("matrix_power", lambda make: [Sample((_well_conditioned(make), 3), name="3"),
                                        Sample((_well_conditioned(make, 2), 0), name="0"),
                                        Sample((_well_conditioned(make), -2), name="-2")])
def matrix_power(input, n):
    """The matrix to the integer power `n` (negative: of its inverse), by repeated squaring."""
    if not isinstance(n, int) or isinstance(n, bool):
        raise DTypeError(f"matrix_power: n must be an int, got {type(n).__name__}")
    if not isinstance(input, Tensor) or input.ndim < 2 or input.shape[-1] != input.shape[-2]:
        got = f"shape {tuple(input.shape)}" if isinstance(input, Tensor) else type(input).__name__
        raise ShapeError(f"matrix_power: expected a (batch of) square matrix, got {got}")
    base = inverse(input) if n < 0 else input
    n = abs(n)
    result = None
    while n:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    if result is None:
        eye = const(np.broadcast_to(np.eye(input.shape[-1], dtype=input.dtype.np), tuple(input.shape)).copy(), input)
        # the identity whatever the input holds (NaN too), with a zero gradient to it, as PyTorch
        return binary.where(const(np.zeros(tuple(input.shape), bool), input), input, eye)
    return result


@register("matrix_exp", lambda make: [Sample((make(3, 3),), name="2d"), Sample((make(2, 3, 3) * 2,), name="batched")])
def matrix_exp(input):
    """The matrix exponential, by scaling and squaring a degree-18 Taylor polynomial (differentiable)."""
    _square("matrix_exp", input, lapack=False)
    bad = ~np.isfinite(input.detach().numpy()).all(axis=(-2, -1), keepdims=True)
    if bad.any():  # a matrix holding inf or NaN has a NaN exponential, as PyTorch's; the others their own
        mask = const(np.broadcast_to(bad, tuple(input.shape)), input)
        return binary.where(mask, math.nan, _expm(binary.where(mask, 0.0, input)))
    return _expm(input)


def _expm(input):
    norm = float(input.detach().abs().sum(-2).amax()) if input.numel() else 0.0
    squarings = max(0, int(math.ceil(math.log2(norm))) + 1) if norm > 0.5 else 0
    a = input / (2 ** squarings)
    eye = const(np.broadcast_to(np.eye(input.shape[-1], dtype=input.dtype.np), tuple(input.shape)).copy(), input)
    term, total = eye, eye
    for k in range(1, 19):
        term = term @ a / k
        total = total + term
    for _ in range(squarings):
        total = total @ total
    return total


def _no_grad_needed(op, *tensors):
    if grad_mode.is_grad_enabled() and any(t.requires_grad for t in tensors):
        raise AutogradError(f"{op}: gradients through {op} are not supported; call it on a detached tensor "
                            f"(or inside ember.no_grad())")


def qr(input, some=True):
    """`(Q, R)` with Q orthonormal and R upper triangular (`some=False`: the complete Q)."""
    _matrix("qr", input)
    _no_grad_needed("qr", input)
    q, r = _lapack("qr", np.linalg.qr, input.detach().numpy(), mode="reduced" if some else "complete")
    return QRResult(const(q, input), const(r, input))


def svd(input, some=True, compute_uv=True):
    """`(U, S, V)` with input = U diag(S) V^T (torch.svd's convention: V, not V^T)."""
    _matrix("svd", input)
    _no_grad_needed("svd", input)
    a = _finite("svd", input.detach().numpy())
    if not compute_uv:
        s = _lapack("svd", np.linalg.svd, a, compute_uv=False)
        shape = tuple(a.shape[:-2])
        return SVDResult(const(np.zeros(shape + (a.shape[-2], a.shape[-2]), a.dtype), input),
                         const(s.astype(a.dtype, copy=False), input),
                         const(np.zeros(shape + (a.shape[-1], a.shape[-1]), a.dtype), input))
    u, s, vh = _lapack("svd", np.linalg.svd, a, full_matrices=not some)  # (NumPy computes a bfloat16 input in float64)
    return SVDResult(*(const(np.ascontiguousarray(x).astype(a.dtype, copy=False), input)
                       for x in (u, s, np.swapaxes(vh, -1, -2))))


class Pinverse(Function):
    """The pseudo-inverse from the singular values above max(0, rcond * the largest), PyTorch's rule (a NaN
    or large rcond keeps none: zeros). Backward: the gradient of a pseudo-inverse of constant rank, P = A+:
    -P^T G P^T + (I - A P) G^T P P^T + P^T P G^T (I - P A), as PyTorch's."""

    def forward(self, a, rcond=1e-15):
        xp = self.xp
        if a.size == 0:
            self.p = xp.zeros(a.shape[:-2] + (a.shape[-1], a.shape[-2]), a.dtype)
            return self.p
        u, s, vh = _lapack("pinverse", xp.linalg.svd, a, full_matrices=False)
        with np.errstate(invalid="ignore", over="ignore"):
            keep = s > xp.maximum(rcond * s.max(-1, keepdims=True), 0)
        s_inv = xp.where(keep, 1 / xp.where(keep, s, 1), 0).astype(a.dtype)
        self.p = xp.swapaxes(vh, -1, -2) @ (s_inv[..., None] * xp.swapaxes(u, -1, -2))
        return self.p

    def backward(self, g):
        a = self.inputs[0]
        p = self.output(self.p)
        pt, gt = p.mT, g.mT
        x = gt @ p @ pt
        y = pt @ p @ gt
        return -(pt @ g @ pt) + (x - a @ (p @ x)) + (y - (y @ p) @ a)


def _rank_one(make):
    return make(4, 1) @ make(1, 3)


@register("pinverse", lambda make: [Sample((make(4, 3),), name="tall"), Sample((make(2, 3, 5),), name="wide-batched"),
                                    Sample((_rank_one(make), 1e-6), name="rank-deficient"),
                                    Sample((make(3, 3), 2.0), name="none-kept")], Pinverse)
def pinverse(input, rcond=1e-15):
    """The Moore-Penrose pseudo-inverse, from the singular values above `rcond` times the largest
    (differentiable where its rank does not change, as PyTorch).

        >>> ember.pinverse(ember.tensor([[2.0, 0.0], [0.0, 0.0]]))
        tensor([[0.5000, 0.0000],
                [0.0000, 0.0000]])
    """
    _matrix("pinverse", input)
    rcond = need_number("pinverse", "rcond", rcond)
    _finite("pinverse", input.detach().numpy())
    return Pinverse.apply(input, rcond=float(rcond))


def _finite(op, a):
    """The SVD does not converge on NaN or inf: refused, as PyTorch does."""
    if not np.isfinite(a).all():
        raise ArgumentError(f"{op}: the input holds NaN or inf; the SVD does not converge on it")
    return a


@register("cross", lambda make: [Sample((make(4, 3), make(4, 3)), {"dim": 1}, "dim1"),
                                 Sample((make(3, 2), make(3, 2)), {"dim": 0}, "dim0")])
def cross(input, other, dim=None):
    """The cross product of 3-vectors along `dim` (default: the first dim of size 3, as torch.cross)."""
    same_dtype("cross", input=input, other=other)
    if input.ndim == 0 or input.ndim != other.ndim:
        raise ShapeError(f"cross: inputs must have the same number of dims (at least 1), got {tuple(input.shape)} and "
                         f"{tuple(other.shape)}")
    shape = broadcast_shapes("cross", tuple(input.shape), tuple(other.shape))
    input, other = input.expand(shape), other.expand(shape)
    if dim is not None:
        dim = normalize_dim(dim, len(shape), "cross")
    else:
        sizes = [i for i, s in enumerate(input.shape) if s == 3]
        if not sizes:
            raise ShapeError(f"cross: no dim of size 3 in shape {tuple(input.shape)}")
        dim = sizes[0]
    if input.shape[dim] != 3 or other.shape[dim] != 3:
        raise ShapeError(f"cross: dim {dim} must have size 3, got {tuple(input.shape)} and {tuple(other.shape)}")
    a = [input.select(dim, i) for i in range(3)]
    b = [other.select(dim, i) for i in range(3)]
    parts = [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
    return cat([p.unsqueeze(dim) for p in parts], dim)


@register("kron", lambda make: [Sample((make(2, 3), make(3, 2)), name="2d"), Sample((make(3), make(2)), name="1d")])
def kron(input, other):
    """The Kronecker product."""
    n = max(input.ndim, other.ndim)
    a = input.reshape((1,) * (n - input.ndim) + tuple(input.shape))
    b = other.reshape((1,) * (n - other.ndim) + tuple(other.shape))
    shape_a = [s for pair in zip(a.shape, [1] * n) for s in pair]
    shape_b = [s for pair in zip([1] * n, b.shape) for s in pair]
    out = a.reshape(shape_a) * b.reshape(shape_b)
    return out.reshape([sa * sb for sa, sb in zip(a.shape, b.shape)])


@register("cdist", lambda make: [Sample((make(4, 3), make(5, 3)), name="p2"),
                                 Sample((make(2, 4, 3), make(2, 5, 3), 1.0), name="p1-batched"),
                                 Sample((make(4, 3), make(2, 3), 3.0), name="p3")])
def cdist(x1, x2, p=2.0, compute_mode=None):
    """The p-norm distance between each row of `x1` (.., P, M) and each row of `x2` (.., R, M)."""
    for name, x in (("x1", x1), ("x2", x2)):
        if not x.is_floating_point():
            raise DTypeError(f"cdist: expected floating point tensors, got {name} of dtype {x.dtype}")
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise ShapeError(f"cdist: expected (.., P, M) and (.., R, M), got {tuple(x1.shape)} and {tuple(x2.shape)}")
    if compute_mode not in (None, "use_mm_for_euclid_dist_if_necessary", "use_mm_for_euclid_dist",
                            "donot_use_mm_for_euclid_dist"):
        raise ArgumentError(f"cdist: unknown compute_mode {compute_mode!r}")
    same_dtype("cdist", x1=x1, x2=x2)
    p = need_number("cdist", "p", p)
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    if p == 0:  # a count of non-zeros: PyTorch's gradient is zeros (norm's own p=0 has none)
        return diff.norm(0, -1) + binary.where(diff.new_ones((), dtype=dtypes.bool_), 0, diff).sum(-1)
    return diff.norm(p, -1)


@register("dist", lambda make: [Sample((make(3, 4), make(3, 4)), name="p2"), Sample((make(3, 4), make(4), 1.0), name="p1")])
def dist(input, other, p=2):
    """The p-norm of `input - other`."""
    return (input - other).norm(need_number("dist", "p", p))


@register("renorm", lambda make: [Sample((make(4, 3) * 3, 2, 0, 1.0), name="rows"),
                                  Sample((make(4, 3) * 3, 1, 1, 2.0), name="cols")])
def renorm(input, p, dim, maxnorm):
    """Each slice along `dim` whose p-norm exceeds `maxnorm` scaled down to norm `maxnorm`."""
    p, maxnorm = need_number("renorm", "p", p), need_number("renorm", "maxnorm", maxnorm)
    if p <= 0 or maxnorm < 0:
        raise ArgumentError(f"renorm: p must be positive and maxnorm non-negative, got p={p}, maxnorm={maxnorm}")
    if input.ndim < 2:
        raise ShapeError(f"renorm: expected a tensor of at least 2 dims, got shape {tuple(input.shape)}")
    if not input.is_floating_point():
        raise DTypeError(f"renorm: expected a floating point tensor, got {input.dtype}")
    d = normalize_dim(dim, input.ndim, "renorm")
    others = tuple(i for i in range(input.ndim) if i != d)
    norms = input.norm(p, others, keepdim=True)
    scale = binary.where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)
    return input * scale


def chain_matmul(*matrices):
    """The product of the matrices, left to right."""
    if not matrices:
        raise ArgumentError("chain_matmul: expected at least one matrix")
    return functools.reduce(matmul, matrices)


@register("addr", lambda make: [Sample((make(3, 4), make(3), make(4)), {"beta": 0.5, "alpha": 2.0}, "scaled")])
def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """`beta * input + alpha * outer(vec1, vec2)`, in the result dtype of all three (as PyTorch); of bools,
    `(beta and input) or (alpha and outer)`.

        >>> ember.addr(ember.zeros(2, 2), ember.tensor([1.0, 2.0]), ember.tensor([3.0, 4.0]))
        tensor([[3., 4.],
                [6., 8.]])
    """
    (input, vec1, vec2), dt = common(input, vec1, vec2)
    for name, v in (("alpha", alpha), ("beta", beta)):  # PyTorch's checks on the coefficients
        need_number("addr", name, v)
        if isinstance(v, bool) and dt.name != "bool":
            raise DTypeError(f"addr: a bool {name} is only supported for a bool result, not {dt}")
        if isinstance(v, float) and not dt.is_floating_point:
            raise DTypeError(f"addr: {name} must not be a floating point number for {dt} tensors, got {v}")
    prod = outer(vec1, vec2)
    if dt.name == "bool":
        prod = prod if alpha else prod & False
        return (input & bool(beta)) | prod if beta else prod | False
    if beta == 0:  # input ignored, NaN and inf in it too (PyTorch's documented rule); its gradient is 0
        return ignored(input) + prod * alpha
    return input * beta + prod * alpha


@register("addbmm", lambda make: [Sample((make(3, 4), make(2, 3, 5), make(2, 5, 4)), {"beta": 0.5, "alpha": 2.0},
                                         "scaled")])
def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """`beta * input + alpha * sum_i batch1[i] @ batch2[i]`."""
    for name, b in (("batch1", batch1), ("batch2", batch2)):
        if b.ndim != 3:
            raise ShapeError(f"addbmm: {name} must be 3-d, got shape {tuple(b.shape)}")
    return (input * beta if beta != 0 else ignored(input)) + matmul(batch1, batch2).sum(0) * alpha


ger = outer
