"""Tensor attributes and methods PyTorch users reach for, on ember's dense real tensors: `ndimension`,
`nbytes`, `itemsize`, `stride`, `storage_offset`, `get_device`, `is_cpu`, `is_meta`, `is_sparse`,
`is_quantized`, `is_inference`, `H`/`mH`/`adjoint` (transposes: the tensors are real), `unfold`
(sliding windows along a dim, as a view), the in-place reshapes (`squeeze_`, `unsqueeze_`,
`transpose_`, `t_`, `swapaxes_`, `swapdims_`), `fill_diagonal_`, the random fills `geometric_`,
`cauchy_`, `log_normal_`, and `apply_`/`map_`.

    >>> x = ember.arange(6.0)
    >>> x.unfold(0, 3, 2)
    tensor([[0., 1., 2.],
            [2., 3., 4.]])
"""
import numpy as np

from ember.autograd.checks import broadcast_shapes, normalize_dim
from ember.errors import ArgumentError, AutogradError, DimError, DTypeError, ShapeError
from ember.backend import memory_format
from ember.ops import creation
from ember.ops._args import need_int, need_number, need_tensor
from ember.ops._util import fits
from ember.ops.join import stack

__all__ = []
METHODS = ("ndimension stride storage_offset get_device adjoint unfold squeeze_ unsqueeze_ transpose_ t_ swapaxes_ "
           "swapdims_ fill_diagonal_ geometric_ cauchy_ log_normal_ apply_ map_")
INPLACE = ""


def _nbytes(self):
    return self._data.nbytes


def _itemsize(self):
    return self._data.itemsize


PROPERTIES = {
    "nbytes": _nbytes, "itemsize": _itemsize,
    "is_cpu": lambda self: self.device.type == "cpu", "is_meta": lambda self: False,
    "is_sparse": lambda self: False, "is_quantized": lambda self: False,
    "layout": lambda self: memory_format.strided,  # every ember tensor is dense
    "H": lambda self: self.t() if self.ndim <= 2 else self.mT, "mH": lambda self: self.mT,
}


def ndimension(self):
    return self.ndim


def stride(self, dim=None):
    """Steps in elements between neighbours along each dim (of the underlying array)."""
    steps = tuple(s // self._data.itemsize for s in self._data.strides)
    if dim is None:
        return steps
    if self.ndim == 0:
        raise DimError(f"stride: dim={dim!r} given for a 0-d tensor, which has no dims")
    return steps[normalize_dim(need_int("stride", "dim", dim, low=None), self.ndim, "stride")]


def storage_offset(self):
    """The element offset of this view from the start of its base tensor's memory."""
    if self._base is None:
        return 0
    here = self._data.__array_interface__["data"][0] if self.device.type == "cpu" else self._data.data.ptr
    base = self._base._data
    start = base.__array_interface__["data"][0] if self.device.type == "cpu" else base.data.ptr
    return (here - start) // self._data.itemsize


def get_device(self):
    """-1 on the CPU, else the GPU's index."""
    return -1 if self.device.type == "cpu" else (self.device.index or 0)


def adjoint(self):
    """The transpose of the last two dims (real tensors)."""
    return self.mT


def unfold(self, dimension, size, step):
    """Windows of `size` along `dimension`, every `step`, as a new last dim."""
    d = normalize_dim(need_int("unfold", "dimension", dimension, low=None), self.ndim, "unfold")
    size, step = need_int("unfold", "size", size, low=None), need_int("unfold", "step", step, low=None)
    n = self.shape[d] if self.ndim else 1
    if size < 0 or size > n or step < 1:
        raise ShapeError(f"unfold: size {size} and step {step} do not fit dim {d} of size {n}")
    count = (n - size) // step + 1
    windows = [self.narrow(d, i * step, size) for i in range(count)]
    return stack(windows, d).movedim(d + 1, -1) if windows else self.narrow(d, 0, 0).unsqueeze(-1)


def _restride(op, self, new):
    """Make `self` take the shape of the view `new` in place (no data moves)."""
    if self._rg:
        raise AutogradError(f"{op}: in-place shape changes of tensors that require grad are not supported; "
                            f"use the out-of-place {op.rstrip('_')}")
    self._data = new._data
    return self


def squeeze_(self, dim=None):
    return _restride("squeeze_", self, self.squeeze() if dim is None else self.squeeze(dim))


def unsqueeze_(self, dim):
    return _restride("unsqueeze_", self, self.unsqueeze(dim))


def transpose_(self, dim0, dim1):
    return _restride("transpose_", self, self.transpose(dim0, dim1))


def t_(self):
    return _restride("t_", self, self.t())


swapaxes_ = swapdims_ = transpose_


def fill_diagonal_(self, fill_value, wrap=False):
    """Write `fill_value` on the main diagonal (all dims equal, or a tall matrix with `wrap`)."""
    fill_value = need_number("fill_diagonal_", "fill_value", fill_value)
    if not self.is_floating_point() and self.dtype.name != "bool":  # written truncated, within the dtype
        if not np.isfinite(fill_value):
            raise ArgumentError(f"fill_diagonal_: {fill_value} cannot be written into a {self.dtype} tensor")
        fits("fill_diagonal_", self._data, int(fill_value))
    if self.ndim < 2 or (self.ndim > 2 and len(set(self.shape)) != 1):
        raise ShapeError(f"fill_diagonal_: expected a matrix or a tensor with all dims equal, got {tuple(self.shape)}")
    a = self.detach().numpy().copy()
    if self.ndim == 2:
        np.fill_diagonal(a, fill_value, wrap=wrap)
    else:
        a[tuple(np.arange(self.shape[0]) for _ in range(self.ndim))] = fill_value
    return self._inplace(creation.tensor(a, device=self.device), "fill_diagonal_")


def _random_fill(op, self, sample, generator):
    if not self.is_floating_point():
        raise ArgumentError(f"{op}: expected a floating point tensor, got {self.dtype}")
    values = sample(creation._rng(generator), tuple(self.shape)).astype(self.dtype.np)
    return self._inplace(creation.tensor(values, device=self.device), op)


def geometric_(self, p, generator=None):
    """Fill with samples of the number of Bernoulli(p) trials until the first success."""
    if not 0 < need_number("geometric_", "p", p) < 1:  # PyTorch's open interval
        raise ArgumentError(f"geometric_: p must be in (0, 1), got {p}")
    return _random_fill("geometric_", self, lambda rng, s: rng.geometric(p, s), generator)


def cauchy_(self, median=0.0, sigma=1.0, generator=None):
    """Fill with Cauchy samples."""
    median, sigma = need_number("cauchy_", "median", median), need_number("cauchy_", "sigma", sigma)
    if not sigma > 0:
        raise ArgumentError(f"cauchy_: sigma must be positive, got {sigma}")
    return _random_fill("cauchy_", self, lambda rng, s: median + sigma * rng.standard_cauchy(s), generator)


def log_normal_(self, mean=1.0, std=2.0, generator=None):
    """Fill with samples whose log is N(mean, std**2)."""
    mean, std = need_number("log_normal_", "mean", mean), need_number("log_normal_", "std", std)
    if not std > 0:
        raise ArgumentError(f"log_normal_: std must be positive, got {std}")
    return _random_fill("log_normal_", self, lambda rng, s: rng.lognormal(mean, std, s), generator)


def apply_(self, callable):
    """Replace each element `x` by `callable(x)` (a Python function per element; slow, as in PyTorch)."""
    _need_callable("apply_", callable)
    if self._rg:
        raise AutogradError("apply_: not supported on tensors that require grad")
    values = np.vectorize(callable, otypes=[self._data.dtype])(self.detach().numpy()) if self.numel() else \
        self.detach().numpy()
    return self._inplace(creation.tensor(values, device=self.device), "apply_")


def map_(self, tensor, callable):
    """Replace each element `x` by `callable(x, y)` with `y` from `tensor` (broadcast)."""
    need_tensor("map_", "tensor", tensor)
    _need_callable("map_", callable)
    if self._rg:
        raise AutogradError("map_: not supported on tensors that require grad")
    if broadcast_shapes("map_", tuple(self.shape), tuple(tensor.shape)) != tuple(self.shape):
        raise ShapeError(f"map_: tensor of shape {tuple(tensor.shape)} does not broadcast to {tuple(self.shape)}")
    other = np.broadcast_to(tensor.detach().numpy(), tuple(self.shape))
    values = np.vectorize(callable, otypes=[self._data.dtype])(self.detach().numpy(), other) if self.numel() else \
        self.detach().numpy()
    return self._inplace(creation.tensor(values, device=self.device), "map_")


def _need_callable(op, fn):
    if not callable(fn):
        raise DTypeError(f"{op}: callable must be a function, got {type(fn).__name__}")
