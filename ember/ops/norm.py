"""Normalization: `batch_norm`, `layer_norm`, `group_norm`, with PyTorch's arguments.

All three normalize with one primitive, `Normalize`: `(x - mean) / sqrt(var + eps)`
over some dims, with the analytic backward
`invstd * (g - mean(g) - xhat * mean(g * xhat))`. layer_norm's `weight` and `bias` are one
more primitive, `Affine` (`x * w + b` with its three gradients in one pass); batch_norm's and
group_norm's, which broadcast over other dims, are ordinary ops after it. Measured against the composite
(`mean`, `sub`, `mean` of squares, `rsqrt`, `mul`), forward and backward together
are 1.3x to 1.5x faster (float32, batch_norm and layer_norm on inputs of shape
(64, 256, 14, 14) and (32, 128, 512)). `batch_norm` in evaluation mode
(running statistics) is a composite: it is linear in the input.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> x = ember.tensor([[1.0, 2.0], [3.0, 6.0]])
    >>> F.layer_norm(x, (2,))
    tensor([[-1.,  1.],
            [-1.,  1.]])
    >>> rm, rv = ember.zeros(2), ember.ones(2)
    >>> F.batch_norm(x, rm, rv, training=True).shape, rm
    (ember.Size([2, 2]), tensor([0.2, 0.4]))
"""

import numpy as np

from ember.autograd import grad_mode
from ember.autograd.function import Function
from ember.autograd.tensor import Tensor, _wrap
from ember.backend import dtypes
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.ops import _norm_loops, fill
from ember.ops._util import const
from ember.ops.reduce import _quiet
from ember.ops.registry import Sample, register

__all__ = ["layer_norm", "group_norm"]
METHODS = ""
INPLACE = ""
FUNCTIONAL = "batch_norm layer_norm group_norm"


class Normalize(Function):
    """`(x - mean) * invstd` over `axes` with the biased variance; also returns the mean and
    variance (keepdim shapes) for running statistics."""
    name = "normalize"
    materialize_grads = False

    def forward(self, x, axes, eps):
        xp = self.xp
        self.axes, self.eps = axes, eps
        self.n = int(np.prod([x.shape[a] for a in axes]))
        rows = _rows(x, axes, self.n)
        if rows is not None:  # layer_norm's trailing axes: one kernel, row by row
            y, stats = xp.empty_like(x), xp.empty((3, rows.shape[0]), x.dtype)
            if _norm_loops.forward(rows, eps, y.reshape(rows.shape), *stats):
                kept = x.shape[:x.ndim - len(axes)] + (1,) * len(axes)
                mean, var, self.invstd = (a.reshape(kept) for a in stats)
                self.y = y
                return y, mean, var
        low = x.dtype.itemsize < 4  # float16/bfloat16: statistics in float32, as PyTorch accumulates them
        xs = x.astype(np.float32) if low else x
        # No elements: NaN, quietly. Only then: entering catch_warnings resets Python's once-per-place
        # warning registry, so doing it every step would repeat the user's own warnings every step.
        with _quiet(self.n == 0):
            mean = xs.mean(axis=axes, keepdims=True)
            xc = xs - mean
            var = xp.multiply(xc, xc).mean(axis=axes, keepdims=True)
            self.invstd = 1 / xp.sqrt(var + eps)
        xc *= self.invstd  # xc is this op's own array: normalized in place
        self.y = xc
        if low:
            self.y, mean, var, self.invstd = (a.astype(x.dtype) for a in (self.y, mean, var, self.invstd))
        return self.y, mean, var

    def backward(self, g, g_mean=None, g_var=None):
        x, axes, n = self.inputs[0], self.axes, max(self.n, 1)
        if g is not None and g_mean is None and g_var is None and not grad_mode._state.enabled and \
                self.y.dtype in (np.float32, np.float64) and self.n:
            return _wrap(_normalize_grad(self.xp, g._data, self.y, self.invstd, axes), x._device)
        if grad_mode._state.enabled:  # create_graph: the statistics as functions of x, differentiable again
            xc = x - x.mean(axes, keepdim=True)
            invstd = ((xc * xc).mean(axes, keepdim=True) + self.eps).rsqrt()
            xhat = xc * invstd
        else:
            invstd, xhat = const(self.invstd, x), const(self.y, x)
            xc = xhat / invstd if g_var is not None else None
        gx = 0
        if g is not None:
            gx = invstd * (g - g.mean(axes, keepdim=True) - xhat * (g * xhat).mean(axes, keepdim=True))
        if g_mean is not None:
            gx = gx + (g_mean / n).expand(x.shape)
        if g_var is not None:
            gx = gx + g_var * xc * (2.0 / n)
        return gx if isinstance(gx, Tensor) else None


class Affine(Function):
    """`x * w + b` with `w` and `b` (both of one shape) spanning the trailing dims of `x`:
    layer_norm's elementwise affine. Backward gives g * w and the sums of g * x and g over the
    leading dims, one kernel pass each way (_norm_loops) where NumPy makes two and four."""
    internal = True  # reached only through layer_norm, tested there

    def forward(self, x, w, b):
        xp, n = self.xp, w.size
        rows = x.reshape(-1, n) if n and x.flags.c_contiguous else None
        if rows is not None:
            y = xp.empty_like(x)
            if _norm_loops.affine(rows, w.reshape(-1), b.reshape(-1), y.reshape(rows.shape)):
                return y
        y = xp.multiply(x, w)
        y += b
        return y

    def backward(self, g):
        x, w, b = self.inputs
        lead = tuple(range(x.ndim - w.ndim))
        if grad_mode._state.enabled:  # create_graph: ember ops, differentiable again
            return g * w, (g * x).sum(lead) if lead else g * x, g.sum(lead) if lead else g
        xp, ga, xa, wa = self.xp, g._data, x._data, w._data
        n = wa.size
        if n and ga.flags.c_contiguous and xa.flags.c_contiguous:
            gx, gw, gb = xp.empty_like(xa), xp.empty_like(wa), xp.empty_like(b._data)
            if _norm_loops.affine_backward(ga.reshape(-1, n), xa.reshape(-1, n), wa.reshape(-1),
                                           gx.reshape(-1, n), gw.reshape(-1), gb.reshape(-1)):
                return _wrap(gx, x._device), _wrap(gw, x._device), _wrap(gb, x._device)
        gw = xp.multiply(ga, xa).sum(lead) if lead else xp.multiply(ga, xa)
        gb = ga.sum(lead) if lead else ga.copy()
        return _wrap(xp.multiply(ga, wa), x._device), _wrap(gw, x._device), _wrap(gb, x._device)


def _rows(x, axes, n):
    """`x` as (rows, n) when `axes` are its trailing axes and it is C-contiguous, else None."""
    k = x.ndim - len(axes)
    if n == 0 or tuple(axes) != tuple(range(k, x.ndim)) or not getattr(x, "flags", None) or \
            not x.flags.c_contiguous:
        return None
    return x.reshape(-1, n)


def _normalize_grad(xp, g, xhat, invstd, axes):
    """invstd * (g - mean(g) - xhat * mean(g * xhat)) on arrays, in two buffers (the ember-op form
    makes a Tensor and a temporary per step); over trailing axes, one kernel row by row."""
    n = xhat.size // max(invstd.size, 1)
    rows, grows = _rows(xhat, axes, n), _rows(g, axes, n)
    if rows is not None and grows is not None:
        out = xp.empty_like(xhat)
        if _norm_loops.backward(grows, rows, invstd.reshape(-1), out.reshape(rows.shape)):
            return out
    t = xp.multiply(g, xhat)
    m2 = t.mean(axis=axes, keepdims=True)
    xp.subtract(g, g.mean(axis=axes, keepdims=True), out=t)
    u = xp.multiply(xhat, m2)
    t -= u
    t *= invstd
    return t


def _affine(op, y, weight, bias, shape):
    """`y * weight + bias`, the parameters reshaped to `shape` so they broadcast."""
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def _input(op, input, min_ndim):
    if not isinstance(input, Tensor):
        raise DTypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if not input.dtype.is_floating_point:
        raise DTypeError(f"{op}: input must be a floating point tensor, got {input.dtype}; use .float()")
    if input.ndim < min_ndim:
        raise ShapeError(f"{op}: input must have at least {min_ndim} dims, got shape {tuple(input.shape)}")


def _per_channel(op, name, t, c, dtype=None):
    if t is None:
        return
    if not isinstance(t, Tensor) or not t.dtype.is_floating_point:
        raise DTypeError(f"{op}: {name} must be a floating point Tensor, got {getattr(t, 'dtype', type(t).__name__)}")
    if tuple(t.shape) != tuple(c):
        raise ShapeError(f"{op}: {name} of shape {tuple(t.shape)} must have shape {tuple(c)}")


def _eps(op, eps):
    if not isinstance(eps, (int, float)) or not eps >= 0:
        raise ArgumentError(f"{op}: eps must be a number >= 0, got {eps!r}")
    return float(eps)


# --- batch_norm ---------------------------------------------------------------------------

def _batch_norm_samples(make):
    return [Sample((make(4, 3), None, None), {"training": True}, "2d"),
            Sample((make(2, 3, 5), None, None, make(3), make(3)), {"training": True}, "3d-affine"),
            Sample((make(2, 3, 2, 2), None, None, make(3), make(3)), {"training": True, "eps": 0.1}, "4d-eps"),
            Sample((make(5, 3, noncontig=True), None, None, make(3)), {"training": True}, "noncontig-weight"),
            Sample((make(4, 2) * 1e4 + 3e4, None, None), {"training": True}, "extreme"),
            *_running_stats_samples(make)]


def _running_stats_samples(make):
    """With running statistics (constants that training updates in place), in training and eval mode."""
    stats = lambda c: (make(c), make(c, low=0.5, high=2.0))  # noqa: E731
    return [Sample((make(4, 3), *stats(3)), {"training": True}, "running-train", nograd=(1, 2)),
            Sample((make(2, 3, 4), *stats(3), make(3), make(3)), {"training": True, "momentum": 0.3},
                   "running-train-affine-momentum", nograd=(1, 2)),
            Sample((make(4, 2), *stats(2)), name="running-eval", nograd=(1, 2)),
            Sample((make(2, 3, 2, 2), *stats(3), make(3), make(3)), {"eps": 0.1}, "running-eval-affine-eps",
                   nograd=(1, 2)),
            Sample((make(5, 3, noncontig=True),), dict(zip(("running_mean", "running_var"), stats(3)), bias=make(3)),
                   "running-eval-keywords-noncontig", nograd=("running_mean", "running_var")),
            Sample((make(0, 3), *stats(3)), name="running-eval-empty", nograd=(1, 2))]


@register("batch_norm", _batch_norm_samples, Normalize, ref="nn.functional.batch_norm")
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """Normalize each channel (dim 1) of an (N, C), (N, C, L) or (N, C, H, W) input.

    Training (or without running statistics): by the batch's mean and biased variance,
    and `running_mean`/`running_var` (if given) are updated in place with
    `momentum` (running_var from the unbiased variance, as PyTorch). Evaluation:
    by the running statistics.

        >>> F.batch_norm(ember.tensor([[0.0], [2.0]]), None, None, training=True)
        tensor([[-1.],
                [ 1.]])
    """
    op = "batch_norm"
    _input(op, input, 2)
    eps, c = _eps(op, eps), input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        _per_channel(op, name, t, (c,))
    shape = (1, c) + (1,) * (input.ndim - 2)
    if training or running_mean is None or running_var is None:
        if not training:
            raise ArgumentError(f"{op}: running_mean and running_var are needed in evaluation mode "
                                f"(training=False); pass them, or training=True")
        axes = (0,) + tuple(range(2, input.ndim))
        n = input.numel() // max(c, 1)
        if n == 1:
            raise ArgumentError(f"{op}: expected more than 1 value per channel when training, got input of shape "
                                f"{tuple(input.shape)}")
        y, mean, var = Normalize.apply(input, axes=axes, eps=eps)
        if running_mean is not None or running_var is not None:
            _update_running(op, running_mean, running_var, mean, var, n, momentum)
    else:
        y = (input - running_mean.reshape(shape)) * (running_var.reshape(shape) + eps).rsqrt()
    return _affine(op, y, weight, bias, shape)


def _update_running(op, running_mean, running_var, mean, var, n, momentum):
    if not isinstance(momentum, (int, float)):
        raise ArgumentError(f"{op}: momentum must be a number, got {momentum!r}")
    with grad_mode.no_grad():
        if running_mean is not None:
            new = running_mean * (1 - momentum) + mean.detach().reshape(-1) * momentum
            fill.copy_(running_mean, new)
        if running_var is not None:
            unbiased = var.detach().reshape(-1) * (n / max(n - 1, 1))
            fill.copy_(running_var, running_var * (1 - momentum) + unbiased * momentum)


# --- layer_norm, group_norm -------------------------------------------------------------------

def _layer_norm_samples(make):
    return [Sample((make(3, 4), (4,)), name="last"),
            Sample((make(2, 3, 4), (3, 4), make(3, 4), make(3, 4)), name="2dims-affine"),
            Sample((make(2, 3, 4), [4], make(4)), {"eps": 0.1}, "weight-eps"),
            Sample((make(4, 3, noncontig=True), (3,), None, make(3)), name="noncontig-bias"),
            Sample((make(0, 3), (3,)), name="empty"),
            Sample((make(2, 3) * 1e4 + 3e4, (3,)), name="extreme")]


@register("layer_norm", _layer_norm_samples, Normalize, ref="nn.functional.layer_norm")
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize over the last dims, `normalized_shape` (an int or a tuple), then scale by
    `weight` and shift by `bias` (both of shape `normalized_shape`).

        >>> F.layer_norm(ember.tensor([[0.0, 2.0]]), 2)
        tensor([[-1.,  1.]])
    """
    op = "layer_norm"
    _input(op, input, 0)
    if not isinstance(normalized_shape, (int, tuple, list)) and not hasattr(normalized_shape, "__index__"):
        raise DTypeError(f"{op}: normalized_shape must be an int or a tuple of ints, got "
                         f"{type(normalized_shape).__name__}")
    shape = (normalized_shape,) if not isinstance(normalized_shape, (tuple, list)) else tuple(normalized_shape)
    k = len(shape)
    if not k or k > input.ndim or any(not isinstance(s, int) for s in shape) \
            or tuple(input.shape[input.ndim - k:]) != shape:
        raise ShapeError(f"{op}: normalized_shape {shape} must be a non-empty tuple of ints equal to the input's "
                         f"last dims; got an input of shape {tuple(input.shape)}")
    _per_channel(op, "weight", weight, shape)
    _per_channel(op, "bias", bias, shape)
    mixed = _layer_norm_dtypes(op, input, weight, bias)
    x = input.float() if mixed else input
    y = Normalize.apply(x, axes=tuple(range(input.ndim - k, input.ndim)), eps=_eps(op, eps))[0]
    if weight is not None and bias is not None and weight.dtype == y.dtype == bias.dtype:
        y = Affine.apply(y, weight.reshape(shape), bias.reshape(shape))
    else:
        y = _affine(op, y, weight, bias, shape)
    return y.to(input.dtype) if mixed else y


def _layer_norm_dtypes(op, input, weight, bias):
    """PyTorch's rule: the parameters have input's dtype, or are float32 for a float16/bfloat16 input (computed
    in float32, the result in input's dtype; True is returned for that mixed case)."""
    params = [t.dtype for t in (weight, bias) if t is not None]
    if all(d is input.dtype for d in params):
        return False
    if input.dtype in (dtypes.float16, dtypes.bfloat16) and all(d is dtypes.float32 for d in params):
        return True
    raise DTypeError(f"{op}: weight and bias must have input's dtype {input.dtype} (or float32 for a float16/bfloat16 "
                     f"input), got {', '.join(str(d) for d in params)}")


def _group_norm_samples(make):
    return [Sample((make(2, 4), 2), name="2d"),
            Sample((make(2, 6, 3), 3, make(6), make(6)), name="3d-affine"),
            Sample((make(2, 4, 2, 3), 1, make(4)), {"eps": 0.1}, "4d-one-group"),
            Sample((make(3, 4, noncontig=True), 4, make(4), make(4)), name="noncontig-affine"),
            Sample((make(0, 4, 2), 2), name="empty")]


@register("group_norm", _group_norm_samples, Normalize, ref="nn.functional.group_norm")
def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalize each of `num_groups` groups of channels (dim 1) of each sample, then scale and
    shift each channel by `weight` and `bias` (shape (C,)).

        >>> F.group_norm(ember.tensor([[0.0, 2.0, 5.0, 5.0]]), 2)
        tensor([[-1.,  1.,  0.,  0.]])
    """
    op = "group_norm"
    _input(op, input, 2)
    c = input.shape[1]
    if not isinstance(num_groups, int) or isinstance(num_groups, bool) or num_groups <= 0 or c % num_groups:
        raise ArgumentError(f"{op}: num_groups={num_groups!r} must be a positive int that divides the "
                            f"{c} channels of the input of shape {tuple(input.shape)}")
    _per_channel(op, "weight", weight, (c,))
    _per_channel(op, "bias", bias, (c,))
    per_group = c // num_groups * int(np.prod(input.shape[2:]))
    grouped = input.reshape(input.shape[0], num_groups, per_group)
    y = Normalize.apply(grouped, axes=(2,), eps=_eps(op, eps))[0].reshape(input.shape)
    return _affine(op, y, weight, bias, (1, c) + (1,) * (input.ndim - 2))
