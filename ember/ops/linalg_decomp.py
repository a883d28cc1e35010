"""Primitives behind `ember.linalg` that have gradients PyTorch's `torch.linalg` has: `solve` (A X = B),
`eigh` (symmetric eigendecomposition) and `svdvals` (singular values). Public through `ember.linalg`
(not `ember.<name>`: PyTorch has them in `torch.linalg` only).

    >>> import ember
    >>> from ember.ops.linalg_decomp import linalg_solve
    >>> linalg_solve(ember.tensor([[2.0, 0.0], [0.0, 4.0]]), ember.tensor([[2.0], [2.0]]))
    tensor([[1.0000],
            [0.5000]])
"""
from collections import namedtuple

import numpy as np

from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.errors import ArgumentError, AutogradError, DTypeError, ShapeError
from ember.ops._util import const
from ember.ops.registry import Sample, register

__all__ = []  # reached through ember.linalg
EighResult = namedtuple("linalg_eigh", ("eigenvalues", "eigenvectors"))


def square(op, a):
    if not isinstance(a, Tensor) or a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ShapeError(f"{op}: expected a (batch of) square matrix, got {getattr(a, 'shape', type(a).__name__)}")
    if not a.is_floating_point():
        raise ArgumentError(f"{op}: expected a floating point matrix, got {a.dtype}")


class Solve(Function):
    """X with A X = B (B a batch of matrices; batch dims broadcast). Backward: gB = A^-T g, gA = -gB X^T."""
    save_inputs = True

    def forward(self, a, b):
        try:
            self.x = self.xp.linalg.solve(a, b)
        except np.linalg.LinAlgError as e:  # as PyTorch's refusal of a singular A
            raise ArgumentError(f"linalg.solve: the solver failed: {e} (A of shape {tuple(a.shape)})") from None
        return self.x

    def backward(self, g):
        a, b = self.inputs
        gb = Solve.apply(a.mT, g)
        ga = -(gb @ self.output(self.x).mT)
        return ga.sum_to_size(*a.shape), gb.sum_to_size(*b.shape)


class Eigh(Function):
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix, from its `uplo` triangle.
    Backward as PyTorch: gA = V (skew(V^T gV) / (w_j - w_i) with gw on the diagonal) V^T."""
    internal = True  # torch.linalg.eigh's gradient is not a function of the triangle read, so the registry's
    # numerical gradcheck cannot check it: tested against torch in tests/linalg/test_linalg.py
    save_inputs = False
    n_out = 2

    def forward(self, a, uplo="L"):
        self.w, self.v = self.xp.linalg.eigh(a, UPLO=uplo)
        return self.w, self.v

    def backward(self, gw, gv):
        w, v = self.output(self.w, 0), self.output(self.v, 1)
        if gv is None:
            inner = gw.diag_embed()
        else:
            vhgv = v.mT @ gv
            vhgv = 0.5 * (vhgv - vhgv.mT)
            gaps = w.unsqueeze(-2) - w.unsqueeze(-1)
            eye = const(self.xp.eye(w.shape[-1], dtype=self.w.dtype), w)
            inner = vhgv / (gaps + eye)
            if gw is not None:
                inner = inner * (1 - eye) + gw.diag_embed()
        return v @ inner @ v.mT


class SvdVals(Function):
    """The singular values, descending. Backward: U diag(g) V^T (U, V kept as constants)."""
    save_inputs = False

    def forward(self, a):
        self.u, s, self.vh = self.xp.linalg.svd(a, full_matrices=False)
        return s

    def backward(self, g):
        u, vh = const(self.u, g), const(self.vh, g)
        return u @ (g.unsqueeze(-1) * vh)


def _spd(make, *batch):
    a = make(*batch, 3, 3)
    return a @ np.swapaxes(a, -1, -2) + 3 * np.eye(3, dtype=make.dtype)


@register("linalg_solve", lambda make: [Sample((_spd(make), make(3, 2)), name="matrix"),
                                        Sample((_spd(make, 2), make(3, 4)), name="broadcast-b"),
                                        Sample((_spd(make, 2), make(2, 3)), name="vector-batch")],
          Solve, ref="linalg.solve")
def linalg_solve(A, B, *, left=True):
    """X with A X = B (`left=False`: X A = B). B may be a vector (..., n) or matrices (..., n, k)."""
    square("linalg.solve", A)
    if not isinstance(B, Tensor):
        raise ArgumentError(f"linalg.solve: B must be a Tensor, got {type(B).__name__}")
    if not left:
        return linalg_solve(A.mT, B.mT).mT
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    rhs = B.unsqueeze(-1) if vector else B
    if rhs.shape[-2] != A.shape[-1]:
        raise ShapeError(f"linalg.solve: A of shape {tuple(A.shape)} and B of shape {tuple(B.shape)}: B's "
                         f"{'last' if vector else 'second to last'} dim must be {A.shape[-1]}")
    if A.dtype != B.dtype or A.dtype.name not in ("float32", "float64"):
        raise DTypeError(f"linalg.solve: A and B must have one dtype, float32 or float64 (as PyTorch's), got "
                         f"{A.dtype} and {B.dtype}")
    try:
        np.broadcast_shapes(tuple(A.shape[:-2]), tuple(rhs.shape[:-2]))
    except ValueError:
        raise ShapeError(f"linalg.solve: the batch dims of A {tuple(A.shape)} and B {tuple(B.shape)} do not "
                         f"broadcast") from None
    x = Solve.apply(A, rhs)
    return x.squeeze(-1) if vector else x


def linalg_eigh(A, UPLO="L"):
    """(eigenvalues ascending, eigenvectors as columns) of a symmetric matrix, reading its `UPLO` triangle."""
    square("linalg.eigh", A)
    if UPLO not in ("L", "U"):
        raise ArgumentError(f"linalg.eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    return EighResult(*Eigh.apply(A, uplo=UPLO))


@register("linalg_eigvalsh", lambda make: [Sample((_spd(make),), name="spd")], None, ref="linalg.eigvalsh",
          grad=False, notes="values here; its gradient (through Eigh) against torch in tests/linalg")
def linalg_eigvalsh(A, UPLO="L"):
    """The eigenvalues of a symmetric matrix, ascending."""
    return linalg_eigh(A, UPLO)[0]


@register("linalg_svdvals", lambda make: [Sample((make(4, 3),), name="tall"), Sample((make(2, 3, 5),), name="batch")],
          SvdVals, ref="linalg.svdvals", gradgrad=False)
def linalg_svdvals(A):
    """The singular values of A (a batch of matrices), descending."""
    if not isinstance(A, Tensor) or A.ndim < 2 or not A.is_floating_point():
        raise ShapeError(f"linalg.svdvals: expected a floating (batch of) matrix, got "
                         f"{getattr(A, 'shape', type(A).__name__)}")
    return SvdVals.apply(A)


def pinv_full_rank(A, op="linalg.pinv"):
    """The pseudo-inverse of a full-rank A as a differentiable composite: (A^T A)^-1 A^T when A is tall,
    A^T (A A^T)^-1 when wide (the gradient of the pseudo-inverse where it is differentiable)."""
    a = A.detach().numpy()
    if not bool((np.linalg.matrix_rank(a) == min(a.shape[-2:])).all()):
        raise AutogradError(f"{op}: gradients are supported for full-rank matrices only; call it on a "
                            f"detached tensor")
    At = A.mT
    return linalg_solve(At @ A, At) if A.shape[-2] >= A.shape[-1] else linalg_solve(A @ At, At, left=False)
