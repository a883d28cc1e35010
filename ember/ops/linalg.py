"""Linear algebra: matmul with batching and broadcasting, mm, bmm, mv, dot, outer, inner,
tensordot, and the add-multiply family (addmm, addmv, baddbmm). `einsum` and the
diagonals (diagonal, diag_embed, trace) are in their own modules.

    >>> import ember
    >>> a, b = ember.ones(2, 3), ember.ones(3, 4)
    >>> ember.matmul(a, b).shape, ember.tensordot(a, b, dims=1).shape, (a @ b.T[0]).shape
    (ember.Size([2, 4]), ember.Size([2, 4]), ember.Size([2]))
"""
import math

from ember.autograd.checks import broadcast_shapes, check_size, normalize_dim
from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.errors import ArgumentError, DimError, DTypeError, ShapeError
from ember.ops import binary
from ember.ops.registry import Sample, register

__all__ = ["matmul", "mm", "bmm", "mv", "dot", "vdot", "outer", "inner", "tensordot", "addmm", "addmv", "baddbmm"]

# Tensor methods (bound in tensor_methods.py) and the ones with an in-place `name_` form.
METHODS = "matmul mm bmm mv dot vdot outer inner addmm addmv baddbmm"
INPLACE = "addmm addmv baddbmm"


# --- matmul ---------------------------------------------------------------------

def _check_matmul(op, a, b):
    """Ranks, dtypes and inner dims of two operand arrays, with both shapes in the message."""
    sa, sb = tuple(a.shape), tuple(b.shape)
    if not sa or not sb:
        raise ShapeError(f"{op}: both arguments need at least 1 dimension, got shapes {sa} and {sb}")
    if a.dtype != b.dtype:
        raise DTypeError(f"{op}: expected both operands to have the same dtype, got {dtypes.dtype_of(a).name} "
                         f"and {dtypes.dtype_of(b).name}; convert one with .to()")
    if a.dtype == bool:
        raise DTypeError(f"{op}: not implemented for bool tensors (as in PyTorch); use .long() or .float()")
    kb = 0 if len(sb) == 1 else len(sb) - 2
    if sa[-1] != sb[kb]:
        raise ShapeError(f"{op}: shapes {sa} and {sb} are not aligned: {sa[-1]} (dim {len(sa) - 1} of the first) "
                         f"!= {sb[kb]} (dim {kb} of the second)")
    batch = ()
    if len(sa) > 2 or len(sb) > 2:
        try:
            batch = broadcast_shapes(op, sa[:-2], sb[:-2])
        except ShapeError:
            raise ShapeError(f"{op}: the batch dims of shapes {sa} and {sb} cannot be broadcast together: "
                             f"{sa[:-2]} and {sb[:-2]}") from None
    out = batch + sa[-2:-1] + sb[-1:] if len(sb) > 1 else batch + sa[-2:-1]
    check_size(op, out, a.itemsize, "output shape")


class Matmul(Function):
    def forward(self, a, b):
        _check_matmul("matmul", a, b)
        if a.ndim == 2 and b.ndim == 2:
            # NumPy's matmul skips BLAS for an outer-product shape ((m, 1) @ (1, n), the weight
            # gradient at batch 1) and runs 5x slower there; dot always calls GEMM for 2-D
            y = self.xp.dot(a, b)
        elif a.ndim > 2 and b.ndim == 2 and a.flags.c_contiguous:
            # one large GEMM instead of a loop of small ones (a free reshape; PyTorch folds the same way)
            y = self.xp.matmul(a.reshape(-1, a.shape[-1]), b).reshape(a.shape[:-1] + b.shape[-1:])
        else:
            y = self.xp.matmul(a, b)
        return y if y.dtype == a.dtype else y.astype(a.dtype)  # ml_dtypes' bfloat16 matmul gives float32

    def backward(self, g):
        a, b = self.inputs
        return (_matmul_grad_a(g, a, b) if a.requires_grad else None,
                _matmul_grad_b(g, a, b) if b.requires_grad else None)


# A 1-D operand acts as a row (first) or a column (second) that matmul then drops from
# the result, so `g` lacks that dim; the gradients put it back and come out 1-D again.
# Broadcast batch dims are summed away by the engine.

def _matmul_grad_a(g, a, b):
    if b.ndim == 1:
        if a.ndim == 1:
            return g * b                               # dot: g is 0-d
        return g.reshape(tuple(g.shape) + (1,)) * b    # (..., m, 1) * (k,): an outer product per row
    if a.ndim == 1:
        if b.ndim == 2:
            return matmul(b, g)
        gcol = g.reshape(tuple(g.shape) + (1,))
        return matmul(b, gcol).reshape(tuple(g.shape[:-1]) + (b.shape[-2],))
    return matmul(g, b.mT)


def _matmul_grad_b(g, a, b):
    if a.ndim == 1:
        if b.ndim == 1:
            return g * a
        grow = g.reshape(tuple(g.shape[:-1]) + (1, g.shape[-1]))
        return a.reshape(a.shape[0], 1) * grow
    k = a.shape[-1]
    if b.ndim == 1:                                    # sum over batch and rows in one product
        rows = math.prod(a.shape[:-1])
        return matmul(g.reshape(rows), a.reshape(rows, k))
    if a.ndim > 2 and b.ndim == 2:                     # fold the batch instead of summing (B, k, n) products
        rows = math.prod(a.shape[:-1])
        return matmul(a.reshape(rows, k).mT, g.reshape(rows, g.shape[-1]))
    return matmul(a.mT, g)


def _need_tensors(op, *pairs):
    for name, t in pairs:
        if not isinstance(t, Tensor):
            raise DTypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")


def _need_ranks(op, what, *pairs):
    """`pairs` of (tensor, allowed ranks): a ShapeError naming every shape when one does not fit."""
    if any(t.ndim not in ranks for t, ranks in pairs):
        shapes = " and ".join(str(tuple(t.shape)) for t, _ in pairs)
        raise ShapeError(f"{op}: expected {what}, got shapes {shapes}")


@register("matmul", lambda make: _matmul_samples(make), Matmul)
def matmul(input, other):
    """Matrix product with NumPy/PyTorch rules: 1-D operands are vectors, dims before the
    last two are batch dims and broadcast. Also the `@` operator.

        >>> ember.matmul(ember.ones(5, 2, 3), ember.ones(3, 4)).shape
        ember.Size([5, 2, 4])
    """
    _need_tensors("matmul", ("input", input), ("other", other))
    return Matmul.apply(input, other)


def _mat_product(op, what, input, other, ranks_a, ranks_b):
    _need_tensors(op, ("input", input), ("second operand", other))
    _need_ranks(op, what, (input, ranks_a), (other, ranks_b))
    _check_matmul(op, input._data, other._data)
    return Matmul.apply(input, other)


@register("mm", lambda make: _mm_samples(make))
def mm(input, mat2):
    """Product of two matrices (2-D only; see `matmul` for batches and broadcasting)."""
    return _mat_product("mm", "two 2-D tensors", input, mat2, (2,), (2,))


@register("bmm", lambda make: _bmm_samples(make))
def bmm(input, mat2):
    """Batched product of (b, n, m) and (b, m, p): equal batch sizes, no broadcasting."""
    _need_tensors("bmm", ("input", input), ("mat2", mat2))
    _need_ranks("bmm", "two 3-D tensors", (input, (3,)), (mat2, (3,)))
    if input.shape[0] != mat2.shape[0]:
        raise ShapeError(f"bmm: batch sizes differ: shapes {tuple(input.shape)} and {tuple(mat2.shape)} "
                         f"(bmm does not broadcast; use matmul)")
    return _mat_product("bmm", "two 3-D tensors", input, mat2, (3,), (3,))


@register("mv", lambda make: _mv_samples(make))
def mv(input, vec):
    """Matrix times vector: (n, m) and (m,) give (n,)."""
    return _mat_product("mv", "a 2-D and a 1-D tensor", input, vec, (2,), (1,))


@register("dot", lambda make: _dot_samples(make))
def dot(input, tensor):
    """Inner product of two 1-D tensors of the same size: a 0-d tensor.

        >>> ember.dot(ember.tensor([1.0, 2.0]), ember.tensor([3.0, 4.0]))
        tensor(11.)
    """
    _need_tensors("dot", ("input", input), ("tensor", tensor))
    _need_ranks("dot", "two 1-D tensors", (input, (1,)), (tensor, (1,)))
    if input.shape != tensor.shape:
        raise ShapeError(f"dot: expected 1-D tensors of the same size, got shapes {tuple(input.shape)} "
                         f"and {tuple(tensor.shape)}")
    return _mat_product("dot", "two 1-D tensors", input, tensor, (1,), (1,))


@register("vdot", lambda make: _dot_samples(make))
def vdot(input, other):
    """`dot` with the first operand conjugated; for real tensors the same as `dot`."""
    return dot(input, other)


@register("outer", lambda make: [Sample((make(3), make(4)), name="1d"), Sample((make(0), make(4)), name="empty")])
def outer(input, vec2):
    """Outer product of two 1-D tensors: (n,) and (m,) give (n, m)."""
    _need_tensors("outer", ("input", input), ("vec2", vec2))
    _need_ranks("outer", "two 1-D tensors", (input, (1,)), (vec2, (1,)))
    return input.reshape(input.shape[0], 1) * vec2


@register("inner", lambda make: _inner_samples(make))
def inner(input, other):
    """Sum of products over the last dims; a 0-d operand multiplies. Shape
    `input.shape[:-1] + other.shape[:-1]`."""
    _need_tensors("inner", ("input", input), ("other", other))
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise ShapeError(f"inner: the last dims of shapes {tuple(input.shape)} and {tuple(other.shape)} "
                         f"differ: {input.shape[-1]} != {other.shape[-1]}")
    return tensordot(input, other, dims=([input.ndim - 1], [other.ndim - 1]))


# --- tensordot ----------------------------------------------------------------------

def _tensordot_dims(a, b, dims):
    """`dims` as two equally long lists of distinct non-negative dims of `a` and `b`."""
    if isinstance(dims, int) and not isinstance(dims, bool):
        if dims < 0 or dims > min(a.ndim, b.ndim):
            raise ArgumentError(f"tensordot: dims={dims} must be in [0, {min(a.ndim, b.ndim)}] for shapes "
                                f"{tuple(a.shape)} and {tuple(b.shape)}")
        return list(range(a.ndim - dims, a.ndim)), list(range(dims))
    if not isinstance(dims, (list, tuple)) or len(dims) != 2:
        raise ArgumentError(f"tensordot: dims must be an int or two lists of dims, got {dims!r}")
    da, db = (list(d) if isinstance(d, (list, tuple)) else [d] for d in dims)
    if (da and a.ndim == 0) or (db and b.ndim == 0):
        raise DimError(f"tensordot: dims {dims!r} given for a 0-d tensor, which has no dims")
    if len(da) != len(db):
        raise ArgumentError(f"tensordot: dims {dims!r} name {len(da)} dims of the first tensor but "
                            f"{len(db)} of the second")
    da = [normalize_dim(d, a.ndim, "tensordot", "dims[0]") for d in da]
    db = [normalize_dim(d, b.ndim, "tensordot", "dims[1]") for d in db]
    if len(set(da)) != len(da) or len(set(db)) != len(db):
        raise ArgumentError(f"tensordot: dims {dims!r} repeat a dimension")
    return da, db


def _permuted(t, dims):
    return t if list(dims) == list(range(t.ndim)) else t.permute(dims)


@register("tensordot", lambda make: _tensordot_samples(make))
def tensordot(a, b, dims=2, out=None):
    """Contract `a`'s dims `dims[0]` with `b`'s dims `dims[1]` (an int n: the last n of `a`
    with the first n of `b`), as one matrix product.

        >>> ember.tensordot(ember.ones(2, 3, 4), ember.ones(3, 4, 5)).shape
        ember.Size([2, 5])
    """
    _need_tensors("tensordot", ("a", a), ("b", b))
    if out is not None:
        raise ArgumentError("tensordot: out= is not supported; assign the result instead")
    da, db = _tensordot_dims(a, b, dims)
    for x, y in zip(da, db):
        if a.shape[x] != b.shape[y]:
            raise ShapeError(f"tensordot: dim {x} of the first (size {a.shape[x]}) does not match dim {y} of "
                             f"the second (size {b.shape[y]}); shapes {tuple(a.shape)} and {tuple(b.shape)}")
    free_a = [i for i in range(a.ndim) if i not in da]
    free_b = [i for i in range(b.ndim) if i not in db]
    m, k = math.prod(a.shape[i] for i in free_a), math.prod(a.shape[i] for i in da)
    n = math.prod(b.shape[i] for i in free_b)
    a2 = _permuted(a, free_a + da).reshape(m, k)
    b2 = _permuted(b, db + free_b).reshape(k, n)
    return matmul(a2, b2).reshape([a.shape[i] for i in free_a] + [b.shape[i] for i in free_b])


# --- beta * input + alpha * product ---------------------------------------------

def _add_scaled(op, input, product, beta, alpha):
    _need_tensors(op, ("input", input))
    shape = tuple(product.shape)
    if broadcast_shapes(op, tuple(input.shape), shape) != shape:
        raise ShapeError(f"{op}: input of shape {tuple(input.shape)} does not broadcast to the product's "
                         f"shape {shape}")
    for name, v in (("alpha", alpha), ("beta", beta)):
        if dtypes.scalar_kind(v) is None:
            raise DTypeError(f"{op}: {name} must be a number, got {type(v).__name__}")
    if not (input.dtype.is_floating_point or product.dtype.is_floating_point):
        alpha, beta = int(alpha), int(beta)  # integer tensors: PyTorch truncates the coefficients
    if alpha != 1:
        product = product * alpha
    if beta == 0:
        return product + ignored(input)
    return product + (input if beta == 1 else input * beta)


def ignored(input):
    """Zeros in `input`'s shape and dtype with a zero gradient to it: `beta * input` for beta = 0, which
    PyTorch skips (a NaN in input does not propagate) while still giving input a gradient of zeros."""
    return binary.where(input.new_ones((), dtype=dtypes.bool_), 0, input)


@register("addmm", lambda make: _addmm_samples(make))
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """`beta * input + alpha * (mat1 @ mat2)` for matrices; `input` broadcasts."""
    return _add_scaled("addmm", input, _mat_product("addmm", "two 2-D matrices", mat1, mat2, (2,), (2,)),
                       beta, alpha)


@register("addmv", lambda make: [Sample((make(3), make(3, 4), make(4)), name="1d"),
                                 Sample((make(1), make(3, 4), make(4)), {"beta": 0.5, "alpha": 2.0}, "scaled")])
def addmv(input, mat, vec, *, beta=1, alpha=1):
    """`beta * input + alpha * (mat @ vec)`."""
    return _add_scaled("addmv", input, _mat_product("addmv", "a matrix and a vector", mat, vec, (2,), (1,)),
                       beta, alpha)


@register("baddbmm", lambda make: [Sample((make(2, 3, 5), make(2, 3, 4), make(2, 4, 5)), name="3d"),
                                   Sample((make(5), make(2, 3, 4), make(2, 4, 5)), {"beta": 0.5, "alpha": -1.5},
                                          "broadcast-scaled")])
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """`beta * input + alpha * bmm(batch1, batch2)`."""
    return _add_scaled("baddbmm", input, bmm(batch1, batch2), beta, alpha)


# --- samples ----------------------------------------------------------------------------

def _matmul_samples(make):
    return [Sample((make(4), make(4)), name="1d-1d"), Sample((make(3), make(3, 4)), name="1d-2d"),
            Sample((make(3, 4), make(4)), name="2d-1d"), Sample((make(3, 4), make(4, 5)), name="2d"),
            Sample((make(3), make(2, 3, 4)), name="1d-3d"), Sample((make(2, 3, 4), make(4)), name="3d-1d"),
            Sample((make(2, 3, 4), make(4, 5)), name="3d-2d"), Sample((make(3, 4), make(2, 4, 5)), name="2d-3d"),
            Sample((make(2, 1, 3, 4), make(3, 4, 5)), name="broadcast-4d"),
            Sample((make(4, 3, noncontig=True), make(3, 5)), name="noncontig"),
            Sample((make(2, 3, 4, noncontig=True), make(4, 2)), name="noncontig-3d"),
            Sample((make(0, 3), make(3, 4)), name="empty"), Sample((make(2, 0), make(0, 4)), name="empty-inner"),
            Sample((make(2, 0, 3), make(3)), name="empty-batch-1d")]


def _mm_samples(make):
    return [Sample((make(3, 4), make(4, 5)), name="2d"),
            Sample((make(4, 3, noncontig=True), make(3, 2)), name="noncontig"),
            Sample((make(0, 3), make(3, 4)), name="empty")]


def _bmm_samples(make):
    return [Sample((make(2, 3, 4), make(2, 4, 5)), name="3d"),
            Sample((make(2, 3, 4, noncontig=True), make(2, 4, 2)), name="noncontig"),
            Sample((make(0, 3, 4), make(0, 4, 5)), name="empty")]


def _mv_samples(make):
    return [Sample((make(3, 4), make(4)), name="2d"), Sample((make(4, 3, noncontig=True), make(3)), name="noncontig"),
            Sample((make(0, 3), make(3)), name="empty")]


def _dot_samples(make):
    return [Sample((make(5), make(5)), name="1d"), Sample((make(0), make(0)), name="empty")]


def _inner_samples(make):
    return [Sample((make(3, 4), make(5, 4)), name="2d"), Sample((make(4), make(4)), name="1d"),
            Sample((make(2, 3, 4), make(4)), name="3d-1d"), Sample((make(), make(3, 4)), name="0d")]


def _tensordot_samples(make):
    return [Sample((make(2, 3, 4), make(3, 4, 5)), name="dims2"),
            Sample((make(2, 3), make(3, 4)), {"dims": 1}, "dims1"),
            Sample((make(2, 3), make(4)), {"dims": 0}, "outer"),
            Sample((make(3, 4, 5), make(4, 3, 2)), {"dims": ([1, 0], [0, 1])}, "lists"),
            Sample((make(4, 3, noncontig=True), make(2, 4)), {"dims": ([0], [1])}, "noncontig")]


def _addmm_samples(make):
    return [Sample((make(3, 5), make(3, 4), make(4, 5)), name="2d"),
            Sample((make(5), make(3, 4), make(4, 5)), name="broadcast"),
            Sample((make(3, 5), make(3, 4), make(4, 5)), {"beta": 0.5, "alpha": 2.0}, "scaled"),
            Sample((make(3, 1), make(3, 4), make(4, 5)), {"beta": 0.0}, "beta0")]
