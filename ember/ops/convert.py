"""Dtype and device conversion, copies.

    >>> import ember
    >>> x = ember.tensor([1.5, 2.5])
    >>> x.to(ember.int64), x.long().dtype, x.double().dtype
    (tensor([1, 2]), ember.int64, ember.float64)
"""
from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.backend import dtypes, memory_format as mf
from ember.errors import ArgumentError, DTypeError
from ember.backend.device import Device, device as as_device
from ember.errors import DTypeError
from ember.ops.registry import Sample, register, unary_samples

__all__ = ["to", "clone", "contiguous", "type_as"]

# Tensor methods (bound in tensor_methods.py) and the ones with an in-place `name_` form.
METHODS = "to clone contiguous type_as cpu cuda"
INPLACE = ""


class Cast(Function):
    save_inputs = False

    def forward(self, x, dtype):
        return dtypes.cast(self.xp, x, dtype)

    def backward(self, g):
        return g  # the engine casts a gradient to its input's dtype


class Clone(Function):
    save_inputs = False

    def forward(self, x):
        return x.copy()

    def backward(self, g):
        return g


class ToDevice(Function):
    save_inputs = False
    internal = True  # not in the registry: its samples need a second device (tested in tests/test_cuda.py)

    def forward(self, x, device):
        self.source = self.xp
        if device.type == "cpu":
            return x if self.xp.__name__ == "numpy" else self.xp.asnumpy(x)
        with device.xp.cuda.Device(device.index):
            return device.xp.asarray(x)

    def backward(self, g):
        return g.to(_device_of_module(self.source))


def _device_of_module(xp):
    return as_device("cpu") if xp.__name__ == "numpy" else as_device("cuda")


@register("to", lambda make: [Sample((make(3, 4), dtypes.float64), name="f64"), Sample((make(3, 4), dtypes.float32), name="f32")],
          Cast, ref="Tensor.to")
def to(input, *args, dtype=None, device=None, copy=False, non_blocking=False, memory_format=None):
    """`t.to(dtype)`, `t.to(device)`, `t.to(device, dtype)` or `t.to(other_tensor)`; `memory_format`
    (`ember.channels_last`, ...) lays the result out so, copying only when it is not already."""
    for a in args:
        if isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, Device) or (isinstance(a, str) and a.split(":")[0] in ("cpu", "cuda")):
            device = a
        elif a is not None:
            dtype = a
    dt = None if dtype is None else dtypes.as_dtype(dtype, "to")  # checked before any copy is made
    out = input
    if device is not None:
        dev = as_device(device)
        if dev != input._device:
            out = ToDevice.apply(out, dev)
    if dt is not None:
        if dt.np != out._data.dtype:
            if out._rg and not dt.is_floating_point:
                out = out.detach()
            out = Cast.apply(out, dt.np)
    if copy and out is input:
        out = Clone.apply(input)
    if memory_format is not None:
        out = _laid_out("to", out, memory_format, fresh=out is not input)
    return out


def _laid_out(op, t, fmt, fresh=False, dense=False):
    """`t` with its memory in `fmt`'s dim order: `t` itself when it already has those strides (`dense`:
    when it is dense in that order, size-1 dims aside, as `contiguous` asks), else a copy (a fresh result,
    not yet seen by anyone, is rearranged in place of copying twice)."""
    order = mf.order_of(op, t._data, fmt)
    if (mf.is_dense_in if dense else mf.is_laid_out)(t._data, order):
        return t
    if not fresh:
        t = Clone.apply(t)
    t._data = mf.lay_out(t._device.xp, t._data, order)
    return t


@register("clone", unary_samples, Clone)
def clone(input, memory_format=None):
    """A copy with its own memory; gradients flow back to `input`. Row-major unless `memory_format` says
    otherwise (`ember.preserve_format` keeps a dense input's dim order, as PyTorch's default does)."""
    out = Clone.apply(input)
    if memory_format is not None:
        out._data = mf.lay_out(out._device.xp, out._data, mf.order_of("clone", input._data, memory_format))
    return out


@register("contiguous", lambda make: [Sample((make(4, 3, noncontig=True),), name="noncontig")], ref="Tensor.contiguous")
def contiguous(input, memory_format=None):
    """`input` if its memory is C-contiguous (or laid out as `memory_format` asks), else such a copy."""
    if memory_format is None or memory_format is mf.contiguous_format:
        return input if input._data.flags.c_contiguous else Clone.apply(input)
    if memory_format is mf.preserve_format:  # PyTorch accepts it only where there is nothing to do
        if input._data.flags.c_contiguous:
            return input
        raise ArgumentError("contiguous: preserve memory format is unsupported by the contiguous operator")
    return _laid_out("contiguous", input, memory_format, dense=True)


def type_as(input, other):
    """`input` cast to `other`'s dtype."""
    if not isinstance(other, Tensor):
        raise DTypeError(f"type_as: argument 'other' must be a tensor, got {type(other).__name__}")
    return to(input, other.dtype)


# Tensor methods that cast: `t.float()`, `t.long()`, ... (bound in tensor_methods.py)
CASTS = {"float": dtypes.float32, "double": dtypes.float64, "half": dtypes.float16,
         "bfloat16": dtypes.bfloat16, "long": dtypes.int64, "int": dtypes.int32, "short": dtypes.int16,
         "char": dtypes.int8, "byte": dtypes.uint8, "bool": dtypes.bool_}


# `Tensor.type()`'s legacy names, as PyTorch spells them ("torch.FloatTensor" there, "ember.FloatTensor" here).
TENSOR_TYPES = {dtypes.float32: "FloatTensor", dtypes.float64: "DoubleTensor", dtypes.float16: "HalfTensor",
                dtypes.bfloat16: "BFloat16Tensor", dtypes.uint8: "ByteTensor", dtypes.int8: "CharTensor",
                dtypes.int16: "ShortTensor", dtypes.int32: "IntTensor", dtypes.int64: "LongTensor",
                dtypes.bool_: "BoolTensor"}
_BY_TYPE_NAME = {name: dt for dt, name in TENSOR_TYPES.items()}


def tensor_type(input, dtype=None, non_blocking=False):
    """`Tensor.type()`: with no argument the type's name (`"ember.FloatTensor"`, `"ember.cuda.LongTensor"`);
    with a dtype or such a name (`"torch.DoubleTensor"` too), the tensor converted to it."""
    if dtype is None:
        where = "cuda." if input.device.type == "cuda" else ""
        return f"ember.{where}{TENSOR_TYPES[input.dtype]}"
    if isinstance(dtype, type) and isinstance(getattr(dtype, "dtype", None), dtypes.DType):  # ember.LongTensor
        return to(input, dtype.dtype, non_blocking=non_blocking)
    if isinstance(dtype, str) and dtype.endswith("Tensor"):
        parts = dtype.split(".")
        if parts[0] not in ("ember", "torch") or parts[-1] not in _BY_TYPE_NAME or \
                parts[1:-1] not in ([], ["cuda"]):
            raise DTypeError(f"type: unknown tensor type {dtype!r}; expected e.g. 'ember.FloatTensor' or "
                             f"'ember.cuda.LongTensor'")
        device = "cuda" if parts[1:-1] == ["cuda"] else "cpu"
        return to(input, device=device, dtype=_BY_TYPE_NAME[parts[-1]], non_blocking=non_blocking)
    return to(input, dtypes.as_dtype(dtype, "type"), non_blocking=non_blocking)


def cpu(input):
    return to(input, "cpu")


def cuda(input, device=None):
    if device is None:
        device = "cuda"
    elif not isinstance(device, (str, Device)):
        device = f"cuda:{device}"
    return to(input, device)
