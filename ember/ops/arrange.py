"""Copies that rearrange or repeat a tensor's elements: flip, roll, repeat, tile, and pad
(constant, reflect, replicate or circular; negative sizes crop). Unlike NumPy's flip,
none of them returns a view.

    >>> import ember
    >>> x = ember.arange(3)
    >>> x.flip(0), x.roll(1), x.repeat(2), ember.pad(x, (1, 1), mode="reflect")
    (tensor([2, 1, 0]), tensor([2, 0, 1]), tensor([0, 1, 2, 0, 1, 2]), tensor([1, 0, 1, 2, 1]))
"""
import numpy as np

from ember.autograd.checks import check_size, normalize_dim, normalize_dims
from ember.autograd.function import Function
from ember.errors import ArgumentError, DimError, ShapeError
from ember.ops.index import getitem
from ember.ops.registry import Sample, register
from ember.ops.shape import _given, _ints, _sizes

__all__ = ["flip", "roll", "repeat", "tile", "pad"]

# Tensor methods (bound in tensor_methods.py) and the ones with an in-place `name_` form.
METHODS = "flip roll repeat tile"
INPLACE = ""


class Flip(Function):
    save_inputs = False

    def forward(self, x, dims):
        self.dims = dims
        # A copy, not NumPy's negative-stride view: in PyTorch flip's result doesn't alias its input.
        return self.xp.flip(x, axis=dims).copy()

    def backward(self, g):
        return Flip.apply(g, dims=self.dims)


@register("flip", lambda make: [Sample((make(3, 4), (0,)), name="dim0"), Sample((make(2, 3, 4), [0, 2]), name="two"),
                                Sample((make(3, 4), (-1,)), name="neg"),
                                Sample((make(4, 3, noncontig=True), (0, 1)), name="noncontig"),
                                Sample((make(0, 3), (0, 1)), name="empty")], Flip)
def flip(input, dims, *more):
    """Reverse the order of elements along `dims`: `flip(x, (0, 1))` or `x.flip(0, 1)`. A copy."""
    if more:
        dims = (dims,) + more
    if dims is None:
        raise ArgumentError("flip: dims must be an int or a sequence of ints, got None")
    dims = normalize_dims(dims, input.ndim, "flip", "dims")
    return Flip.apply(input, dims=dims) if input.ndim else input.clone()  # a 0-d tensor takes dim 0 or -1


class Roll(Function):
    save_inputs = False

    def forward(self, x, shifts, dims):
        self.shifts, self.dims = shifts, dims
        return self.xp.roll(x, shifts, axis=dims)

    def backward(self, g):
        return Roll.apply(g, shifts=tuple(-s for s in self.shifts), dims=self.dims)


@register("roll", lambda make: [Sample((make(3, 4), 1), name="flat"), Sample((make(3, 4), (1, -2), (0, 1)), name="two"),
                                Sample((make(3, 4), 5, -1), name="wrap"),
                                Sample((make(4, 3, noncontig=True), 2, 0), name="noncontig"),
                                Sample((make(4, 3, noncontig=True), -3), name="noncontig-flat"),
                                Sample((make(0, 3), 1, 1), name="empty")], Roll)
def roll(input, shifts, dims=None):
    """Shift elements circularly by `shifts` along `dims`; with `dims=None` the tensor is
    flattened, rolled and reshaped back.

        >>> ember.arange(5).roll(2)
        tensor([3, 4, 0, 1, 2])
    """
    shifts = _ints("roll", "shifts", shifts if isinstance(shifts, (tuple, list)) else (shifts,))
    if dims is None:
        if len(shifts) != 1:
            raise ArgumentError(f"roll: with dims=None, shifts must be a single int, got {shifts}")
        return Roll.apply(input, shifts=shifts, dims=None)
    dims = _ints("roll", "dims", dims if isinstance(dims, (tuple, list)) else (dims,))
    if input.ndim == 0:
        raise DimError(f"roll: dims {dims} given for a 0-d tensor, which has no dims")
    if len(shifts) != len(dims):
        raise ArgumentError(f"roll: shifts {shifts} and dims {dims} must have the same length")
    dims = tuple(normalize_dim(d, input.ndim, "roll", "dims") for d in dims)
    return Roll.apply(input, shifts=shifts, dims=dims)


class Repeat(Function):
    save_inputs = False

    def forward(self, x, repeats):
        self.in_shape, self.repeats = x.shape, repeats
        return self.xp.tile(x, repeats)

    def backward(self, g):
        # Output dim i is (repeats[i], size[i]) in row-major order: split it in two, sum the repeats.
        full = (1,) * (len(self.repeats) - len(self.in_shape)) + tuple(self.in_shape)
        split = [n for pair in zip(self.repeats, full) for n in pair]
        if not split:
            return g
        g = g.reshape(split).sum(dim=tuple(range(0, len(split), 2)))
        return g.reshape(self.in_shape)


@register("repeat", lambda make: [Sample((make(2, 3), (2, 1)), name="2d"), Sample((make(2, 3), 2, 1, 3), name="lead"),
                                  Sample((make(4, 3, noncontig=True), (1, 2)), name="noncontig"),
                                  Sample((make(2, 3), (0, 2)), name="zero"), Sample((make(0, 3), (2, 2)), name="empty"),
                                  Sample((make(), (2, 3)), name="0d")], Repeat, ref="Tensor.repeat")
def repeat(input, *repeats):
    """Tile `input` `repeats[i]` times along each dim (PyTorch's `Tensor.repeat`, NumPy's `tile`);
    extra leading repeats add dims.

        >>> ember.tensor([1, 2]).repeat(2, 2)
        tensor([[1, 2, 1, 2],
                [1, 2, 1, 2]])
    """
    repeats = _sizes(_given("repeat", "repeats", repeats))
    shape = tuple(input.shape)
    if len(repeats) < len(shape):
        raise ArgumentError(f"repeat: {len(repeats)} repeats {repeats} can't be fewer than the dims of the "
                            f"input of shape {shape}")
    full = (1,) * (len(repeats) - len(shape)) + shape
    check_size("repeat", repeats, 0, name="repeats")
    repeats = tuple(int(r) for r in repeats)
    check_size("repeat", tuple(r * s for r, s in zip(repeats, full)), input._data.itemsize, name="output shape")
    return Repeat.apply(input, repeats=repeats)


@register("tile", lambda make: [Sample((make(2, 3), (2,)), name="short"), Sample((make(2, 3), (2, 1, 2)), name="lead"),
                                Sample((make(4, 3, noncontig=True), (2, 2)), name="noncontig"),
                                Sample((make(0, 3), (2, 2)), name="empty")])
def tile(input, dims):
    """Repeat `input` as NumPy's `tile`: fewer `dims` than the input's rank are padded with 1s in front."""
    dims = _ints("tile", "dims", dims if isinstance(dims, (tuple, list)) else (dims,))
    return repeat(input, (1,) * (input.ndim - len(dims)) + dims)


# --- pad -----------------------------------------------------------------------

def _pad_pairs(op, shape, pad):
    """(dim, left, right) for each pair of `pad`, which lists pairs from the last dim backwards."""
    pad = _ints(op, "pad", pad)
    if len(pad) % 2 or len(pad) // 2 > len(shape):
        raise ArgumentError(f"{op}: pad {pad} must hold one (left, right) pair per padded dim, at most "
                            f"{len(shape)} pairs for an input of shape {tuple(shape)}")
    pairs = []
    for k in range(len(pad) // 2):
        d = len(shape) - 1 - k
        left, right = pad[2 * k], pad[2 * k + 1]
        if shape[d] + left + right < 0:
            raise ShapeError(f"{op}: pad ({left}, {right}) of dim {d} of size {shape[d]} gives a negative size "
                             f"for an input of shape {tuple(shape)}")
        pairs.append((d, left, right))
    return pad, pairs


class Pad(Function):
    """Constant padding; negative pads crop."""
    save_inputs = False

    def forward(self, x, pad, value=0):
        pad, pairs = _pad_pairs("pad", x.shape, pad)
        self.pad = pad
        out_shape = list(x.shape)
        src = [slice(None)] * x.ndim
        dst = [slice(None)] * x.ndim
        for d, left, right in pairs:
            n = x.shape[d]
            out_shape[d] = n + left + right
            a, b = max(-left, 0), max(n - max(-right, 0), max(-left, 0))  # the part of x that is kept
            src[d] = slice(a, b)
            dst[d] = slice(max(left, 0), max(left, 0) + b - a)
        check_size("pad", out_shape, x.itemsize, name="output shape")
        out = self.xp.full(out_shape, value, dtype=x.dtype)
        out[tuple(dst)] = x[tuple(src)]
        return out

    def backward(self, g):
        return Pad.apply(g, pad=tuple(-p for p in self.pad), value=0)  # crops what was added, zero-fills what was cut


def _pad_index(mode, n, left, right, d, shape):
    """Indices into a dim of size `n` that produce its reflect/replicate/circular padding."""
    if mode == "reflect":
        if left >= n or right >= n:
            raise ArgumentError(f"pad: reflect padding ({left}, {right}) must be less than the size {n} of "
                                f"dim {d} of the input of shape {tuple(shape)}")
        i = np.arange(-left, n + right)
        return (n - 1) - np.abs((n - 1) - np.abs(i))
    if n == 0:
        raise ShapeError(f"pad: {mode} padding needs a non-empty dim {d}, input has shape {tuple(shape)}")
    if mode == "replicate":
        return np.clip(np.arange(-left, n + right), 0, n - 1)
    # circular: negative pads crop first; positive pads then wrap around what is left, at most once
    a, m = max(-left, 0), n - max(-left, 0) - max(-right, 0)
    if max(left, 0) > m or max(right, 0) > m:
        raise ArgumentError(f"pad: circular padding ({left}, {right}) can't be larger than the size {m} of "
                            f"dim {d} of the input of shape {tuple(shape)}")
    return a + np.arange(-max(left, 0), m + max(right, 0)) % max(m, 1)


def _pad_samples(make):
    return [Sample((make(2, 3), (1, 2)), name="last"), Sample((make(2, 3, 4), (1, 1, 2, 0)), name="two"),
            Sample((make(2, 3), (1, 1), "constant", 1.5), name="value"),
            Sample((make(3, 4), (-1, 2, 1, -2)), name="crop"),
            Sample((make(4, 3, noncontig=True), (2, 1, 1, 0)), name="noncontig"),
            Sample((make(0, 3), (1, 1)), name="empty"),
            Sample((make(2, 3, 4), (2, 3), "reflect"), name="reflect"),
            Sample((make(2, 2, 3, 4), (1, 2, 2, 0), "reflect"), name="reflect-2d"),
            Sample((make(2, 4, 3, noncontig=True), (1, -1), "reflect"), name="reflect-noncontig"),
            Sample((make(2, 3, 4), (2, 3), "replicate"), name="replicate"),
            Sample((make(2, 2, 3, 4), (-1, 2, 3, 1), "replicate"), name="replicate-2d"),
            Sample((make(2, 3, 4), (2, 3), "circular"), name="circular"),
            Sample((make(1, 2, 3, 4), (1, 2, 3, 0), "circular"), name="circular-2d")]


@register("pad", _pad_samples, Pad, ref="nn.functional.pad")
def pad(input, pad, mode="constant", value=None):
    """Pad (or, with negative sizes, crop) the last dims: `pad` lists (left, right) pairs from the
    last dim backwards, as `torch.nn.functional.pad`. `mode` is 'constant' (with `value`),
    'reflect', 'replicate' or 'circular'.

        >>> ember.pad(ember.ones(2, 3), (1, 1, 0, 2)).shape
        ember.Size([4, 5])
    """
    if mode == "constant":
        return Pad.apply(input, pad=_ints("pad", "pad", _sizes((pad,))), value=0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise ArgumentError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', got {mode!r}")
    if value:
        raise ArgumentError(f"pad: padding mode {mode!r} doesn't take a value argument")
    shape = tuple(input.shape)
    _, pairs = _pad_pairs("pad", shape, pad)
    out = input
    for d, left, right in pairs:
        if left or right:
            idx = _pad_index(mode, shape[d], left, right, d, shape)
            out = getitem(out, (slice(None),) * d + (idx,))  # a gather; its gradient scatter-adds
    return out
