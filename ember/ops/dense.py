"""Dense layers' math: `linear`, `bilinear`, `embedding`, and the vector measures
`normalize`, `cosine_similarity`, `pairwise_distance`.

`linear` runs one GEMM for any number of leading batch dims, and its weight
gradient is one GEMM too; `embedding`'s gradient adds rows into a zero
weight-shaped gradient (the `padding_idx` row gets none).

    >>> import ember
    >>> import ember.nn.functional as F
    >>> F.linear(ember.ones(5, 2, 3), ember.ones(4, 3), ember.zeros(4)).shape
    ember.Size([5, 2, 4])
    >>> F.embedding(ember.tensor([[0, 2]]), ember.eye(3)).tolist()
    [[[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]]
"""
import numpy as np

from ember.autograd import grad_mode
from ember.autograd.checks import broadcast_shapes
from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.errors import ArgumentError, AutogradError, DTypeError, IndexOutOfRangeError, ShapeError
from ember.ops._args import need_number
from ember.ops._epilogue import bias_relu
from ember.ops._row_loops import embedding_grad
from ember.ops._util import const
from ember.ops.registry import Sample, register

__all__ = ["bilinear", "cosine_similarity", "pairwise_distance"]
METHODS = ""
INPLACE = ""
FUNCTIONAL = "linear bilinear embedding normalize cosine_similarity pairwise_distance"


def _need_tensor(op, name, t):
    if not isinstance(t, Tensor):
        raise DTypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")


def _same_dtype(op, **tensors):
    names = [n for n, t in tensors.items() if t is not None]
    kinds = {tensors[n].dtype for n in names}
    if len(kinds) > 1:
        desc = ", ".join(f"{n} {tensors[n].dtype}" for n in names)
        raise DTypeError(f"{op}: expected one floating dtype for all tensors, got {desc}; convert with .to()")
    if not tensors[names[0]].dtype.is_floating_point:
        raise DTypeError(f"{op}: expected floating point tensors, got {tensors[names[0]].dtype}")


# --- linear ---------------------------------------------------------------------

class Linear(Function):
    """x @ w.T + b as one GEMM whatever the leading dims, the bias added in one pass (_epilogue). With
    `relu` (set only by the compiler's epilogue_relu_fusion, for calls no backward node replays) the
    result is max(y, 0) from the same pass."""

    def forward(self, x, w, b=None, relu=False):
        rows = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
        y = self.xp.dot(rows, w.T)
        if b is not None or relu:
            y = bias_relu(self.xp, y, b, relu)
        return y.reshape(x.shape[:-1] + w.shape[:1])

    def backward(self, g):
        if self.attrs.get("relu"):
            raise AutogradError("Linear: a linear layer fused with its ReLU has no backward; the compiler "
                                "fuses only calls that no backward node replays")
        x, w = self.inputs[:2]
        b = self.inputs[2] if len(self.inputs) > 2 else None
        if not g.is_contiguous():  # BLAS needs real strides: an expanded g (from sum()) runs ~10x slower
            g = g.contiguous()
        g2 = g.reshape(-1, g.shape[-1]) if g.ndim != 2 else g
        gx = g.matmul(w) if x.requires_grad else None
        gw = None
        if w.requires_grad:
            x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
            gw = g2.mT.matmul(x2)  # (out, N) @ (N, in): the weight gradient in one GEMM
        gb = None
        if isinstance(b, Tensor) and b.requires_grad:
            gb = g2.sum(0) if b.ndim else g2.sum()
        return gx, gw, gb


def _check_linear(input, weight, bias):
    _need_tensor("linear", "input", input)
    _need_tensor("linear", "weight", weight)
    if bias is not None:
        _need_tensor("linear", "bias", bias)
    _same_dtype("linear", input=input, weight=weight, bias=bias)
    if weight.ndim != 2:
        raise ShapeError(f"linear: weight must be 2-d (out_features, in_features), got shape {tuple(weight.shape)}")
    if input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise ShapeError(f"linear: input of shape {tuple(input.shape)} and weight of shape {tuple(weight.shape)} "
                         f"do not fit: the last dimension of the input must be in_features = {weight.shape[1]}")
    if bias is not None and tuple(bias.shape) not in ((weight.shape[0],), ()):
        raise ShapeError(f"linear: bias of shape {tuple(bias.shape)} does not fit weight of shape "
                         f"{tuple(weight.shape)}: it must have shape ({weight.shape[0]},)")


def _linear_samples(make):
    return [Sample((make(3, 4), make(5, 4), make(5)), name="2d"),
            Sample((make(2, 3, 4), make(5, 4), make(5)), name="batch-dims"),
            Sample((make(4), make(5, 4), make(5)), name="1d"),
            Sample((make(3, 4), make(5, 4)), name="no-bias"),
            Sample((make(4, 3, noncontig=True), make(2, 3, noncontig=True), make(2)), name="noncontig"),
            Sample((make(2, 4, 3, noncontig=True), make(5, 3)), name="noncontig-batch"),
            Sample((make(0, 4), make(5, 4), make(5)), name="empty"),
            Sample((make(3, 0), make(5, 0), make(5)), name="no-features")]


@register("linear", _linear_samples, Linear, ref="nn.functional.linear")
def linear(input, weight, bias=None):
    """`input @ weight.T + bias`, with `input` of shape (..., in_features) and `weight` of
    shape (out_features, in_features).

        >>> F.linear(ember.ones(2, 3), ember.ones(4, 3)).shape
        ember.Size([2, 4])
    """
    _check_linear(input, weight, bias)
    return Linear.apply(input, weight, bias) if bias is not None else Linear.apply(input, weight)


# --- bilinear -------------------------------------------------------------------

def _bilinear_samples(make):
    return [Sample((make(3, 4), make(3, 2), make(5, 4, 2), make(5)), name="2d"),
            Sample((make(2, 3, 4), make(2, 3, 2), make(5, 4, 2)), name="batch-no-bias"),
            Sample((make(4, 3, noncontig=True), make(4, 2), make(5, 3, 2), make(5)), name="noncontig"),
            Sample((make(0, 4), make(0, 2), make(5, 4, 2), make(5)), name="empty")]


@register("bilinear", _bilinear_samples, ref="nn.functional.bilinear")
def bilinear(input1, input2, weight, bias=None):
    """`y[..., o] = sum_ij input1[..., i] * weight[o, i, j] * input2[..., j] + bias[o]`.

        >>> F.bilinear(ember.ones(2, 3), ember.ones(2, 4), ember.ones(5, 3, 4)).shape
        ember.Size([2, 5])
    """
    for name, t in (("input1", input1), ("input2", input2), ("weight", weight)):
        _need_tensor("bilinear", name, t)
    _same_dtype("bilinear", input1=input1, input2=input2, weight=weight, bias=bias)
    s1, s2, sw = tuple(input1.shape), tuple(input2.shape), tuple(weight.shape)
    if len(sw) != 3 or not s1 or s1[:-1] != s2[:-1] or s1[-1] != sw[1] or s2[-1] != sw[2]:
        raise ShapeError(f"bilinear: input1 of shape {s1}, input2 of shape {s2} and weight of shape {sw} do not "
                         f"fit: expected input1 (..., in1), input2 (..., in2) with the same leading dims, "
                         f"and weight (out, in1, in2)")
    if bias is not None and tuple(bias.shape) != sw[:1]:
        raise ShapeError(f"bilinear: bias of shape {tuple(bias.shape)} must have shape {sw[:1]}")
    out, in1, in2 = sw
    x1 = input1.reshape(-1, in1)
    x2 = input2.reshape(-1, in2)
    # (N, in1) @ (in1, out * in2): one GEMM, then contract in2 against input2
    t = x1.matmul(weight.permute(1, 0, 2).reshape(in1, out * in2)).reshape(-1, out, in2)
    y = t.matmul(x2.reshape(-1, in2, 1)).reshape(-1, out)
    if bias is not None:
        y = y + bias
    return y.reshape(s1[:-1] + (out,))


# --- embedding ------------------------------------------------------------------

class Embedding(Function):
    save_inputs = False

    def forward(self, index, weight, padding_idx=None, scale_grad_by_freq=False):
        n = weight.shape[0]
        if index.size:  # here, in the primitive, so that a compiled replay checks too
            lo, hi = int(index.min()), int(index.max())
            if lo < 0 or hi >= n:
                raise IndexOutOfRangeError(f"embedding: index {lo if lo < 0 else hi} is out of range for "
                                           f"num_embeddings={n} (valid indices are 0 to {n - 1})")
        self.index, self.shape = index, weight.shape
        return self.xp.take(weight, index, axis=0)

    def backward(self, g):
        idx = self.index.reshape(-1)
        pad, by_freq = self.attrs.get("padding_idx"), self.attrs.get("scale_grad_by_freq")
        scale = None
        if by_freq:
            scale = self.xp.ones(idx.shape[0], g._data.dtype)
            scale /= self.xp.bincount(idx, minlength=self.shape[0])[idx]
        if not grad_mode._state.enabled:  # no double backward: one pass on arrays where it applies
            out = self.xp.zeros(self.shape, g._data.dtype)
            if embedding_grad(out, idx, g._data.reshape(idx.shape[0], self.shape[1]), scale,
                              -1 if pad is None else pad):
                return None, const(out, g)
        rows = g.reshape(idx.shape[0], self.shape[1])
        if pad is not None:
            scale = self.xp.ones(idx.shape[0], g._data.dtype) if scale is None else scale
            scale[idx == pad] = 0
        if scale is not None:
            rows = rows * const(scale.reshape(-1, 1), g)
        zeros = const(self.xp.zeros(self.shape, g._data.dtype), g)
        return None, zeros.index_add(0, const(idx, g), rows)


def _check_embedding(input, weight, padding_idx):
    _need_tensor("embedding", "input", input)
    _need_tensor("embedding", "weight", weight)
    if input.dtype not in (dtypes.int64, dtypes.int32):
        raise DTypeError(f"embedding: input must hold indices of dtype int64 (or int32), got {input.dtype}; "
                         f"use .long()")
    if weight.ndim != 2:
        raise ShapeError(f"embedding: weight must be 2-d (num_embeddings, embedding_dim), got shape "
                         f"{tuple(weight.shape)}")
    n = weight.shape[0]
    if padding_idx is None:
        return None
    if not isinstance(padding_idx, int) or isinstance(padding_idx, bool):
        raise ArgumentError(f"embedding: padding_idx must be an int or None, got {padding_idx!r}")
    if not -n <= padding_idx < n:
        raise ArgumentError(f"embedding: padding_idx={padding_idx} must be within num_embeddings={n}")
    return padding_idx + n if padding_idx < 0 else padding_idx


def _renorm(input, weight, max_norm, norm_type):
    """Rescale, in place and outside autograd, the rows `input` refers to whose norm exceeds `max_norm`."""
    w = weight._data
    rows = weight._device.xp.unique(input._data.reshape(-1))
    norms = const(w[rows], weight).norm(norm_type, 1)._data
    over = norms > max_norm
    if over.any():
        w[rows[over]] *= (max_norm / (norms[over] + 1e-7))[:, None].astype(w.dtype)
        weight._version_counter()[0] += 1


def _embedding_samples(make):
    # padding_idx and scale_grad_by_freq change the gradient on purpose (no finite-difference check):
    # tests/ops/test_dense.py compares them with PyTorch
    return [Sample((make.ints(2, 3, high=5), make(5, 4)), name="2d"),
            Sample((make.ints(7, high=3), make(3, 2)), name="repeats"),
            Sample((make.ints(3, high=5), make(4, 5, noncontig=True).T), name="noncontig"),
            Sample((make.ints(0, 2, high=5), make(5, 4)), name="empty"),
            Sample((np.array(2), make(5, 4)), name="0d")]


@register("embedding", _embedding_samples, Embedding, ref="nn.functional.embedding")
def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Rows of `weight` looked up by the integer `input`: output shape `input.shape + (embedding_dim,)`.

    The gradient of `weight` adds the output gradients into the looked-up rows, except the
    `padding_idx` row, which gets none. `max_norm` renormalizes, in place, the rows used
    whose `norm_type`-norm exceeds it. `sparse` is accepted; the gradient is always dense.

        >>> F.embedding(ember.tensor([1, 1]), ember.tensor([[0.0], [5.0]])).tolist()
        [[5.0], [5.0]]
    """
    pad = _check_embedding(input, weight, padding_idx)
    if max_norm is not None:
        with grad_mode.no_grad():
            _renorm(input, weight, float(need_number("embedding", "max_norm", max_norm)),
                    float(need_number("embedding", "norm_type", norm_type)))
    out = Embedding.apply(input, weight, padding_idx=pad, scale_grad_by_freq=bool(scale_grad_by_freq))
    if out.grad_fn is not None and pad is None and not scale_grad_by_freq:
        # see `looked_up`; out's version counter, not out (which holds this node: a cycle)
        out.grad_fn.lookup = (input, weight, out._version_counter(), (input._version, weight._version, out._version))
    return out


def looked_up(t):
    """(index, table) when `t` is the result of a plain `embedding` lookup (no padding_idx, no
    scale_grad_by_freq) recorded by autograd, else None. An op that multiplies every row of `t` by
    one matrix may multiply the table instead and look its rows up, when the table has fewer rows
    than `t` (the recurrent layers' input projection: ember/ops/recurrent.py). Such an op keeps `t`
    among its inputs and gives it the gradient of the unfolded product when someone watches it
    (`ember.autograd.engine.observes`: a hook, retain_grad, `grad(..., inputs=t)`)."""
    fn = t.grad_fn if isinstance(t, Tensor) else None
    lookup = getattr(fn, "lookup", None) if type(fn) is Embedding else None
    if lookup is None:
        return None
    index, table, counter, versions = lookup
    if t._vc is not counter or (index._version, table._version, counter[0]) != versions:
        return None  # the index, the table or the rows written in place since: the rows are not table[index]
    return index, table


# --- vector measures -----------------------------------------------------------------

def _pair_samples(make, dim=True):
    extra = {"dim": 0} if dim else {"keepdim": True}
    return [Sample((make.away(3, 4), make.away(3, 4)), name="2d"),
            Sample((make.away(3, 4), make.away(1, 4)), name="broadcast"),
            Sample((make.away(4, 3, noncontig=True), make.away(4, 3)), name="noncontig"),
            Sample((make.away(3, 4), make.away(3, 4)), extra, "kwargs"),
            Sample((make.away(2, 3, 4), make.away(2, 3, 4)), name="3d")]


def _normalize_samples(make):
    return [Sample((make.away(3, 4),), name="2d"), Sample((make.away(3, 4),), {"p": 1.0, "dim": 0}, "p1"),
            Sample((make.away(2, 3, 4, noncontig=True),), {"dim": -1}, "noncontig"),
            Sample((np.zeros((2, 3), make.dtype),), name="extreme"),  # zero rows: eps takes over
            Sample((make(0, 3),), name="empty")]


@register("normalize", _normalize_samples, ref="nn.functional.normalize")
def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """`input / max(||input||_p, eps)` along `dim`.

        >>> F.normalize(ember.tensor([[3.0, 4.0]]))
        tensor([[0.6, 0.8]])
    """
    _need_tensor("normalize", "input", input)
    if out is not None:
        raise ArgumentError("normalize: out= is not supported; use the returned tensor")
    p, eps = need_number("normalize", "p", p), need_number("normalize", "eps", eps)
    denom = input.norm(p, dim, keepdim=True).clamp(min=eps)
    return input / denom


@register("cosine_similarity", _pair_samples)
def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Cosine of the angle between `x1` and `x2` along `dim` (each norm clamped below by `eps`).

        >>> ember.cosine_similarity(ember.tensor([[1.0, 0.0]]), ember.tensor([[1.0, 1.0]]))
        tensor([0.7071])
    """
    _need_tensor("cosine_similarity", "x1", x1)
    _need_tensor("cosine_similarity", "x2", x2)
    _same_dtype("cosine_similarity", x1=x1, x2=x2)
    shape = broadcast_shapes("cosine_similarity", tuple(x1.shape), tuple(x2.shape))
    if tuple(x1.shape) != shape or tuple(x2.shape) != shape:  # dim counts in the broadcast shape, as in PyTorch
        x1, x2 = x1.expand(shape), x2.expand(shape)
    return ((x1 / _clamped_norm(x1, dim, eps)) * (x2 / _clamped_norm(x2, dim, eps))).sum(dim)


def _clamped_norm(x, dim, eps):
    """The norm along `dim`, clamped below by `eps` as PyTorch does it: in place, outside autograd, so the
    gradient is that of the norm even where the clamp holds."""
    n = x.norm(2, dim, keepdim=True)
    return n + (eps - n).clamp(min=0).detach()  # not clamp(n) - n: inf - inf would be NaN


@register("pairwise_distance", lambda make: _pair_samples(make, dim=False) + [
    Sample((make(3, 4), make(3, 4)), {"p": 1.0}, "p1"), Sample((make(5), make(5)), name="1d")])
def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """`||x1 - x2 + eps||_p` over the last dim.

        >>> ember.pairwise_distance(ember.tensor([[0.0, 0.0]]), ember.tensor([[3.0, 4.0]]))
        tensor([5.])
    """
    _need_tensor("pairwise_distance", "x1", x1)
    _need_tensor("pairwise_distance", "x2", x2)
    _same_dtype("pairwise_distance", x1=x1, x2=x2)
    ndim = max(x1.ndim, x2.ndim)
    return (x1 - x2 + eps).norm(p, ndim - 1 if ndim else None, keepdim=keepdim)
