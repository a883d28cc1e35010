"""Joining and splitting: cat (concat, concatenate), stack, hstack, vstack, dstack copy
the tensors into one; split, chunk, unbind and narrow give views of the pieces, which
share memory and the version counter with their base, as in PyTorch.

    >>> import ember
    >>> x = ember.arange(6).reshape(2, 3)
    >>> ember.cat([x, x], dim=1).shape, ember.stack([x, x]).shape, [p.shape[1] for p in x.split(2, dim=1)]
    (ember.Size([2, 6]), ember.Size([2, 2, 3]), [2, 1])
"""
from ember.autograd.checks import check_size, normalize_dim
from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.errors import ArgumentError, DimError, DTypeError, ShapeError
from ember.ops.index import getitem
from ember.ops.registry import Sample, register
from ember.ops.shape import Reshape, _int, _ints, _new_dim

__all__ = ["cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack", "split", "chunk", "unbind",
           "narrow"]

# Tensor methods (bound in tensor_methods.py) and the ones with an in-place `name_` form.
METHODS = "split chunk unbind narrow"
INPLACE = ""


def _tensor_list(op, tensors):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise ArgumentError(f"{op}: expected a list or tuple of tensors, got {type(tensors).__name__}")
    if not tensors:
        raise ArgumentError(f"{op}: expected a non-empty list of tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise DTypeError(f"{op}: expected a list of tensors, but element {i} is {type(t).__name__}")
    return tensors


def _common(xs):
    """The arrays cast to PyTorch's result dtype over all of them (as torch.cat promotes)."""
    dt = xs[0].dtype
    if all(x.dtype == dt for x in xs):
        return xs
    dt = dtypes.result_type(*xs).np
    return [x.astype(dt, copy=False) for x in xs]


class Cat(Function):
    save_inputs = False

    def forward(self, *xs, dim=0):
        xs = _common(xs)
        self.n = len(xs)
        ref = xs[0]
        if ref.ndim and ref.shape != (0,):  # the common case: NumPy checks the shapes
            d = self.dim = normalize_dim(dim, ref.ndim, "cat")
            try:
                out = self.xp.concatenate(xs, axis=d)
            except ValueError:
                return self._checked(xs, dim)
            self.kept = range(self.n)
            self.sizes = tuple([x.shape[d] for x in xs])
            return out
        return self._checked(xs, dim)

    def _checked(self, xs, dim):
        """Skip 1-D empties (PyTorch's legacy rule) and explain what NumPy refused."""
        arrays = [x for x in xs if x.shape != (0,)]
        self.kept = [i for i, x in enumerate(xs) if x.shape != (0,)]
        if not arrays:
            return xs[0].copy()
        ref = arrays[0]
        if ref.ndim == 0:
            raise ShapeError(f"cat: zero-dimensional tensor (at position {self.kept[0]}) cannot be concatenated")
        d = self.dim = normalize_dim(dim, ref.ndim, "cat")
        shape = ref.shape
        for k, x in enumerate(arrays):
            if x.ndim != ref.ndim or x.shape[:d] != shape[:d] or x.shape[d + 1:] != shape[d + 1:]:
                raise ShapeError(f"cat: tensor {self.kept[0]} has shape {tuple(shape)} and tensor {self.kept[k]} has "
                                 f"shape {tuple(x.shape)}: sizes must match except in dim {d}")
        self.sizes = tuple([x.shape[d] for x in arrays])
        return self.xp.concatenate(arrays, axis=d)

    def backward(self, g):
        grads = [None] * self.n
        if self.kept:
            for i, part in zip(self.kept, Split.apply(g, sizes=self.sizes, dim=self.dim)):
                grads[i] = part
        return tuple(grads)


class Stack(Function):
    save_inputs = False

    def forward(self, *xs, dim=0):
        xs = _common(xs)
        shape = xs[0].shape
        self.dim = _new_dim("stack", dim, len(shape))
        try:
            return self.xp.stack(xs, axis=self.dim)
        except ValueError:  # explain which shapes differ
            for i, x in enumerate(xs):
                if x.shape != shape:
                    raise ShapeError(f"stack: tensors must all have the same shape, but tensor 0 has shape "
                                     f"{tuple(shape)} and tensor {i} has shape {tuple(x.shape)}") from None
            raise

    def backward(self, g):
        return Unbind.apply(g, dim=self.dim)


class Split(Function):
    """Views of consecutive pieces of `x` along `dim` with lengths `sizes`."""
    save_inputs = False
    is_view = True

    def forward(self, x, sizes, dim):
        self.dim = dim
        lead = (slice(None),) * dim
        outs = []
        start = 0
        for s in sizes:
            outs.append(x[lead + (slice(start, start + s),)])
            start += s
        return tuple(outs)

    def backward(self, *grads):
        return Cat.apply(*grads, dim=self.dim)


class Unbind(Function):
    """The slices of `x` along `dim`, as views."""
    save_inputs = False
    is_view = True

    def forward(self, x, dim):
        self.dim = dim
        return tuple(x if dim == 0 else self.xp.moveaxis(x, dim, 0))

    def backward(self, *grads):
        return Stack.apply(*grads, dim=self.dim)


def _cat_samples(make):
    return [Sample(([make(2, 3), make(4, 3)],), name="dim0"), Sample(([make(2, 3), make(2, 5), make(2, 1)], 1), name="dim1"),
            Sample(([make(2, 3), make(2, 2)], -1), name="neg"),
            Sample(([make(4, 3, noncontig=True), make(2, 3)],), name="noncontig"),
            Sample(([make(0, 3), make(2, 3)],), name="empty"), Sample(([make(3)],), name="one"),
            Sample(([make(0), make(2, 3), make(1, 3)],), name="legacy-empty"),
            Sample(([make(2, 3), make.ints(2, 3)],), name="int-promote"),
            Sample(([make(2, 3), make(1, 3).astype("float64")],), name="f64-promote")]


@register("cat", _cat_samples, Cat)
def cat(tensors, dim=0):
    """Join `tensors` along the existing dim `dim`; dtypes promote as in PyTorch.

        >>> ember.cat([ember.zeros(2, 3), ember.ones(1, 3)]).shape
        ember.Size([3, 3])

    1-D tensors of shape (0,) are skipped (PyTorch's legacy rule), whatever the others' rank.
    """
    if isinstance(dim, bool):
        raise ArgumentError(f"cat: dim must be an int, got bool {dim}")
    _int("cat", "dim", dim)
    return Cat.apply(*_tensor_list("cat", tensors), dim=dim)


@register("concat", lambda make: _cat_samples(make)[2:5])
def concat(tensors, dim=0):
    """Alias of `cat`."""
    return Cat.apply(*_tensor_list("concat", tensors), dim=dim)


@register("concatenate", lambda make: _cat_samples(make)[2:5])
def concatenate(tensors, axis=0):
    """Alias of `cat`, with NumPy's argument name."""
    return Cat.apply(*_tensor_list("concatenate", tensors), dim=axis)


@register("stack", lambda make: [Sample(([make(2, 3), make(2, 3)],), name="dim0"),
                                 Sample(([make(2, 3), make(2, 3), make(2, 3)], 2), name="last"),
                                 Sample(([make(2, 3), make(2, 3)], -2), name="neg"),
                                 Sample(([make(4, 3, noncontig=True), make(4, 3)], 1), name="noncontig"),
                                 Sample(([make(0, 3), make(0, 3)], 1), name="empty"),
                                 Sample(([make(), make()],), name="0d"),
                                 Sample(([make(2, 3), make.ints(2, 3)],), name="int-promote")], Stack)
def stack(tensors, dim=0):
    """Join same-shape `tensors` along a new dim `dim`.

        >>> ember.stack([ember.zeros(2, 3), ember.ones(2, 3)], dim=1).shape
        ember.Size([2, 2, 3])
    """
    return Stack.apply(*_tensor_list("stack", tensors), dim=dim)


def _at_least(t, ndim):
    """`t` with size-1 dims added as NumPy's atleast_1d/2d/3d do."""
    shape = tuple(t.shape)
    if len(shape) >= ndim:
        return t
    if ndim == 3 and len(shape) == 2:
        return Reshape.apply(t, shape + (1,))
    if ndim == 3 and len(shape) == 1:
        return Reshape.apply(t, (1,) + shape + (1,))
    return Reshape.apply(t, (1,) * (ndim - len(shape)) + shape)


def _stack_samples(make, lower):
    return [Sample(([make(2, 3), make(2, 3)],), name="2d"), Sample(([make(3), make(3)],), name="1d"),
            Sample(([make(), make()] if lower else [make(2, 3), make(2, 3)],), name="0d"),
            Sample(([make(4, 3, noncontig=True), make(4, 3)],), name="noncontig"),
            Sample(([make(0, 3), make(0, 3)],), name="empty")]


@register("hstack", lambda make: _stack_samples(make, True) + [Sample(([make(2, 3), make(2, 1)],), name="uneven")])
def hstack(tensors):
    """Join along dim 1 (dim 0 for 1-D tensors)."""
    ts = [_at_least(t, 1) for t in _tensor_list("hstack", tensors)]
    return Cat.apply(*ts, dim=0 if ts[0].ndim == 1 else 1)


@register("vstack", lambda make: _stack_samples(make, True) + [Sample(([make(2, 3), make(1, 3)],), name="uneven")])
def vstack(tensors):
    """Join along dim 0, 1-D tensors as rows."""
    return Cat.apply(*(_at_least(t, 2) for t in _tensor_list("vstack", tensors)), dim=0)


@register("dstack", lambda make: _stack_samples(make, True))
def dstack(tensors):
    """Join along dim 2, after making tensors at least 3-D as NumPy does."""
    return Cat.apply(*(_at_least(t, 3) for t in _tensor_list("dstack", tensors)), dim=2)


def _split_dim(op, tensor, dim):
    if tensor.ndim == 0:
        raise DimError(f"{op}: expected a tensor with at least one dimension, got a 0-d tensor")
    d = normalize_dim(dim, tensor.ndim, op)
    return d, tensor.shape[d]


@register("split", lambda make: [Sample((make(5, 3), 2), name="int"), Sample((make(5, 3), [1, 4]), name="sizes"),
                                 Sample((make(3, 5), 2, -1), name="neg"), Sample((make(5, 3), [2, 0, 3]), name="zero-piece"),
                                 Sample((make(4, 3, noncontig=True), 3), name="noncontig"),
                                 Sample((make(0, 3), 2), name="empty")], Split)
def split(tensor, split_size_or_sections, dim=0):
    """Views of pieces along `dim`: of size `split_size_or_sections` (the last may be smaller), or of
    the sizes listed.

        >>> [p.shape[0] for p in ember.arange(5).split(2)], [p.shape[0] for p in ember.arange(5).split([1, 4])]
        ([2, 2, 1], [1, 4])
    """
    d, n = _split_dim("split", tensor, dim)
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = _ints("split", "split sizes", split_size_or_sections)
        if any(s < 0 for s in sizes) or sum(sizes) != n:
            raise ShapeError(f"split: split sizes {list(sizes)} must be non-negative and sum to {n}, the size "
                             f"of dim {d} of the input of shape {tuple(tensor.shape)}")
    else:
        if isinstance(split_size_or_sections, bool):
            raise ArgumentError(f"split: split_size must be an int, got bool {split_size_or_sections}")
        size = _int("split", "split_size", split_size_or_sections)
        if size < 0 or (size == 0 and n):
            raise ArgumentError(f"split: split_size={size} must be positive (0 only for a dim of size 0)")
        sizes = (0,) if n == 0 else (size,) * (n // size) + ((n % size,) if n % size else ())
    return Split.apply(tensor, sizes=sizes, dim=d)


@register("chunk", lambda make: [Sample((make(5, 3), 2), name="uneven"), Sample((make(6, 3), 4), name="fewer"),
                                 Sample((make(3, 5), 2, -1), name="neg"),
                                 Sample((make(4, 3, noncontig=True), 2, 1), name="noncontig"),
                                 Sample((make(0, 3), 2), name="empty")])
def chunk(input, chunks, dim=0):
    """At most `chunks` views of equal size along `dim` (the last may be smaller), as PyTorch does."""
    d, n = _split_dim("chunk", input, dim)
    chunks = _int("chunk", "chunks", chunks)
    if chunks <= 0:
        raise ArgumentError(f"chunk: chunks must be greater than 0, got {chunks}")
    if n == 0:  # PyTorch gives `chunks` empty pieces; each costs a few hundred bytes
        check_size("chunk", (chunks,), 512, name="number of chunks")
        return Split.apply(input, sizes=(0,) * chunks, dim=d)
    size = -(-n // chunks)
    return Split.apply(input, sizes=(size,) * (n // size) + ((n % size,) if n % size else ()), dim=d)


@register("unbind", lambda make: [Sample((make(3, 4),), name="dim0"), Sample((make(3, 4), 1), name="dim1"),
                                  Sample((make(2, 3, 4), -1), name="neg"),
                                  Sample((make(4, 3, noncontig=True),), name="noncontig"),
                                  Sample((make(2, 0),), name="empty"), Sample((make(0, 3),), name="none")], Unbind)
def unbind(input, dim=0):
    """The slices along `dim` as a tuple of views (what `for row in x` iterates over)."""
    d, _ = _split_dim("unbind", input, dim)
    return Unbind.apply(input, dim=d)


@register("narrow", lambda make: [Sample((make(5, 3), 0, 1, 3), name="dim0"), Sample((make(3, 5), -1, -3, 2), name="neg"),
                                  Sample((make(4, 3, noncontig=True), 1, 1, 2), name="noncontig"),
                                  Sample((make(5, 3), 0, 2, 0), name="zero-length"),
                                  Sample((make(0, 3), 1, 1, 2), name="empty")])
def narrow(input, dim, start, length):
    """The view `input[..., start:start + length, ...]` along `dim` (`start` may be negative).

        >>> ember.arange(6).narrow(0, 2, 3)
        tensor([2, 3, 4])
    """
    d, n = _split_dim("narrow", input, dim)
    start, length = _int("narrow", "start", start), _int("narrow", "length", length)
    if not -n <= start <= n:
        raise ArgumentError(f"narrow: start={start} is out of range for dim {d} of size {n}")
    if start < 0:
        start += n
    if length < 0 or start + length > n:
        raise ArgumentError(f"narrow: start ({start}) + length ({length}) exceeds the size {n} of dim {d} "
                            f"of the input of shape {tuple(input.shape)}")
    return getitem(input, (slice(None),) * d + (slice(start, start + length),))
