"""`Tensor`: an array on a device, with the autograd record of how it was made.

Operators and most methods (`x + y`, `x.sum()`, `x[0]`) are ops from
`ember.ops`; `ember/ops/tensor_methods.py` binds them to this class in one
place, so this module does not import the ops (DESIGN.md, level 1).

    >>> import ember
    >>> x = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4., 6.])
"""
import weakref

import numpy as np

from ember.backend import dtypes, memory_format as memory_format_
from ember.backend.device import CPU, array_device, device as as_device
from ember.errors import ArgumentError, AutogradError, DTypeError, ShapeError
from ember.autograd import engine, grad_mode
from ember.autograd.checks import normalize_dim
from ember.autograd.printing import PRINT_OPTS, tensor_str

_new = object.__new__


class Tensor:
    """A multi-dimensional array with autograd, PyTorch's names and semantics.

    `Tensor(data)` is `ember.tensor(data)`, except that a NumPy array is
    wrapped without a copy.
    """

    # Defaults live on the class so that making a tensor sets only what differs.
    _grad = None
    grad_fn = None
    _rg = False        # requires_grad
    _oi = 0            # which output of grad_fn this tensor is
    _vc = None         # version counter [n], shared with views; created on first use
    _base = None       # the tensor this one is a view of
    _hooks = None      # gradient hooks of a leaf
    _post_hooks = None  # hooks called once per backward when a leaf's .grad is complete
    _retains_grad = False
    __array_priority__ = 1000  # numpy_array + tensor defers to Tensor.__radd__

    def __init__(self, data, dtype=None, device=None, requires_grad=False):
        if isinstance(data, Tensor):
            data = data._data
        self._data = as_array(data, dtype, device)
        self._device = array_device(self._data)
        if requires_grad:
            self.requires_grad = True

    # --- attributes -----------------------------------------------------
    @property
    def dtype(self):
        return dtypes._NP[self._data.dtype]

    @property
    def shape(self):
        return Size(self._data.shape)

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def device(self):
        return self._device

    @property
    def is_cuda(self):
        return self._device.type == "cuda"

    @property
    def requires_grad(self):
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value):
        if type(value) is not bool and not isinstance(value, np.bool_):
            raise DTypeError(f"requires_grad must be a bool, got {type(value).__name__}")
        value = bool(value)
        if self.grad_fn is not None and not value:
            raise AutogradError("requires_grad: you can only change requires_grad of leaf tensors; "
                                "use detach() to get a tensor that does not require grad")
        if value and self._data.dtype.kind not in "fc" and self.dtype not in dtypes.FLOATS:
            raise DTypeError(f"requires_grad: only floating point tensors can require gradients, "
                             f"got {self.dtype}")
        self._rg = value

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    @property
    def grad(self):
        """The accumulated gradient (None until a backward reaches this tensor)."""
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            _check_like("grad", self, value, "gradient")
        elif grad_mode._state.tracer is not None:
            grad_mode._state.tracer.grad_cleared(self)
        self._grad = value

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def data(self):
        """This tensor's values as a tensor outside the graph (shares memory)."""
        return _wrap(self._data, self._device)

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise DTypeError(f"data: expected a tensor, got {type(value).__name__}")
        if self._rg and not value.dtype.is_floating_point:
            raise DTypeError(f"data: a tensor that requires grad can only hold floating point data, "
                             f"got {value.dtype}")
        self._data = value._data

    @property
    def _version(self):
        return self._vc[0] if self._vc else 0

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[normalize_dim(dim, self._data.ndim, "size")]

    def dim(self):
        return self._data.ndim

    def numel(self):
        return self._data.size

    def nelement(self):
        return self._data.size

    def element_size(self):
        return self._data.itemsize

    def is_floating_point(self):
        return self.dtype.is_floating_point

    def is_contiguous(self, memory_format=None):
        """Whether the memory is row-major (or laid out as `memory_format`, e.g. `ember.channels_last`)."""
        if memory_format is None:
            return bool(self._data.flags.c_contiguous)
        return memory_format_.is_dense_in(self._data, memory_format_.order_of("is_contiguous", self._data,
                                                                            memory_format))

    def data_ptr(self):
        return self._data.__array_interface__["data"][0] if self._device is CPU else self._data.data.ptr

    # --- conversion -----------------------------------------------------
    def __dlpack__(self, *args, **kwargs):
        """The DLPack capsule of the data (shared memory), so `torch.from_dlpack(t)` and
        `np.from_dlpack(t)` read an ember tensor without a copy. Keyword arguments as the array's own."""
        if args:
            raise ArgumentError(f"Tensor.__dlpack__: takes keyword arguments only (stream=, max_version=, ...), "
                                f"got {len(args)} positional")
        try:
            return self._data.__dlpack__(**kwargs)
        except (TypeError, ValueError, BufferError) as e:
            raise ArgumentError(f"Tensor.__dlpack__: {e}") from None

    def __dlpack_device__(self, *args, **kwargs):
        if args or kwargs:
            raise ArgumentError(f"Tensor.__dlpack_device__: takes no arguments, got {len(args)} positional and "
                                f"{sorted(kwargs)}")
        return self._data.__dlpack_device__()

    def numpy(self, force=False):
        """The NumPy array (shared memory on CPU). Refuses a tensor that requires grad, as PyTorch does."""
        if grad_mode._state.tracer is not None:
            grad_mode._state.tracer.read(self, "numpy()")
        if self._rg and not force:
            raise AutogradError("numpy(): can't call numpy() on a tensor that requires grad; "
                                "use tensor.detach().numpy()")
        if self._device is not CPU:
            return self._device.xp.asnumpy(self._data)
        return self._data

    def __array__(self, dtype=None, copy=None):
        a = self._data if self._device is CPU else self._device.xp.asnumpy(self._data)
        return a if dtype is None else a.astype(dtype)

    def item(self):
        if grad_mode._state.tracer is not None:
            grad_mode._state.tracer.read(self, "item()")
        if self._data.size != 1:
            raise ArgumentError(f"item(): a tensor with {self._data.size} elements cannot be "
                                f"converted to a Python scalar; it must have exactly one")
        return self._data.reshape(()).item()

    def tolist(self):
        if grad_mode._state.tracer is not None:
            grad_mode._state.tracer.read(self, "tolist()")
        return np.asarray(self.__array__()).tolist() if self._data.dtype != dtypes.bfloat16.np \
            else self.__array__().astype(np.float32).tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.dtype.is_floating_point or self._data.size != 1:
            raise DTypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __bool__(self):
        if grad_mode._state.tracer is not None:
            grad_mode._state.tracer.read(self, "bool()")
        if self._data.size != 1:
            raise ArgumentError(f"bool(): the truth value of a tensor with {self._data.size} elements "
                                f"is ambiguous; use .any() or .all()")
        return bool(self.item())

    def __len__(self):
        if self._data.ndim == 0:
            raise DTypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise DTypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __format__(self, spec):
        """`f"{loss:.2f}"` formats a 0-d tensor as its number, as PyTorch does."""
        if self._data.ndim == 0:
            return format(self.item(), spec)
        if spec:
            raise DTypeError(f"format(): spec {spec!r} needs a 0-d tensor, got shape {tuple(self._data.shape)}")
        return repr(self)

    def __round__(self, ndigits=None):
        return self.round() if ndigits is None else self.round(decimals=ndigits)

    def __hash__(self):
        return id(self)

    def __repr__(self):
        return _format(self)

    def __deepcopy__(self, memo):
        """A leaf's copy with its own memory, class (Parameter stays Parameter), requires_grad and grad,
        as `copy.deepcopy(module)` needs."""
        if self.grad_fn is not None:
            raise AutogradError("deepcopy: only tensors created by the user (graph leaves) can be deep-copied; "
                                "use detach().clone()")
        if id(self) in memo:
            return memo[id(self)]
        new = _new(type(self))
        memo[id(self)] = new
        new.__dict__.update({k: v for k, v in self.__dict__.items()
                             if k not in ("_vc", "_base", "_hooks", "_post_hooks", "grad", "_grad")})
        new._data = self._data.copy()
        if self.grad is not None:
            new.grad = self.grad.__deepcopy__(memo)
        return new

    def __reduce__(self):
        raise AutogradError("ember tensors are not pickled; use ember.save(tensor, path) "
                            "(safetensors) to store them")

    # --- autograd -------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) into every leaf's `.grad` (see `ember.autograd.backward`)."""
        engine.backward([self], None if gradient is None else [gradient],
                               retain_graph, create_graph, inputs)

    def detach(self):
        """The same values (shared memory), outside the graph."""
        t = _wrap(self._data, self._device)
        t._vc = self._version_counter()
        return t

    def detach_(self):
        if self._base is not None and self._base._rg:
            raise AutogradError("detach_(): can't detach a view of a tensor that requires grad in place")
        self.grad_fn = None
        self._rg = False
        return self

    def register_hook(self, hook):
        """Call `hook(grad)` when this tensor's gradient is computed; a return value replaces it.

        Returns a handle with `remove()`.
        """
        if not self._rg:
            raise AutogradError("register_hook: cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        else:
            hooks = self.grad_fn._output_hooks(self._oi)
        hooks.append(hook)
        return _HookHandle(hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call `hook(tensor)` once per backward, after every gradient for this leaf has been added to
        `.grad` (where DistributedDataParallel starts reducing it). Returns a handle with `remove()`.

            >>> w = ember.ones(3, requires_grad=True)
            >>> h = w.register_post_accumulate_grad_hook(lambda t: print(t.grad.tolist()))
            >>> (w * w).sum().backward()
            [2.0, 2.0, 2.0]
        """
        if self.grad_fn is not None or not self._rg:
            raise AutogradError("register_post_accumulate_grad_hook: only a leaf tensor that requires grad has "
                                "an accumulated .grad")
        if self._post_hooks is None:
            self._post_hooks = []
        self._post_hooks.append(hook)
        return _HookHandle(self._post_hooks, hook)

    def retain_grad(self):
        """Keep `.grad` on this non-leaf tensor after backward."""
        if self.grad_fn is None or self._retains_grad:
            return
        self._retains_grad = True
        ref = weakref.ref(self)

        def store(g):
            t = ref()
            if t is not None:
                t.grad = g if t.grad is None else t.grad + g
        self.grad_fn._output_hooks(self._oi).append(store)

    @property
    def retains_grad(self):
        return self._retains_grad

    def _version_counter(self):
        if self._vc is None:
            self._vc = [0]
        return self._vc

    def _inplace(self, result, op):
        """Make `result` (computed out of place from this tensor) this tensor's new value.

        The array is written in place, so views see it; the version counter
        moves, so a backward that needed the old values refuses to run.
        """
        if self._rg and self.grad_fn is None and grad_mode._state.enabled:
            raise AutogradError(f"{op}: a leaf tensor that requires grad is being used in an in-place "
                                f"operation; wrap it in ember.no_grad() or use the out-of-place {op.rstrip('_')}")
        if self._base is not None and result._rg and grad_mode._state.enabled:
            raise AutogradError(f"{op}: in-place changes to a view of a tensor are not recorded by autograd "
                                f"in ember; apply the op to the base tensor, or clone() the view first")
        writable(op, self)
        src = result._data
        if src.dtype != self._data.dtype:
            if not _can_cast(src.dtype, self._data.dtype):
                raise DTypeError(f"{op}: result type {dtypes.dtype_of(src)} can't be cast to the "
                                 f"desired output type {self.dtype}")
        if src.shape != self._data.shape:
            raise ArgumentError(f"{op}: output with shape {tuple(self._data.shape)} doesn't match "
                                f"the broadcast shape {tuple(src.shape)}")
        if grad_mode._state.tracer is not None:
            grad_mode._state.tracer.assign(self._data, src)
        self._device.xp.copyto(self._data, src, casting="unsafe")
        self._version_counter()[0] += 1
        if result._rg and grad_mode._state.enabled:
            self.grad_fn = result.grad_fn
            self._oi = result._oi
            self._rg = True
        return self

    def _snapshot(self, keep_values):
        """This tensor as the input of an in-place op: the same graph position, and
        (when the op's backward reads it) a copy of the values about to be overwritten."""
        t = _wrap(self._data.copy() if keep_values else self._data, self._device)
        t.grad_fn, t._oi, t._rg = self.grad_fn, self._oi, self._rg
        t._vc = [0] if keep_values else self._version_counter()
        return t


def writable(op, t):
    """Refuse to write into memory NumPy marks read-only (a read-only or broadcast array given
    to `from_numpy`, where one element may stand for many)."""
    flags = getattr(t._data, "flags", None)
    if flags is not None and not flags.writeable:
        raise ArgumentError(f"{op}: this tensor's memory is read-only (a read-only or broadcast NumPy array from "
                            f"from_numpy, or a view of one); clone() it before changing it in place")


def _check_like(what, t, value, name):
    """`value` may stand for `t`'s gradient: a tensor of the same shape, dtype and device."""
    if not isinstance(value, Tensor):
        raise DTypeError(f"{what}: assigned {name} must be a tensor, got {type(value).__name__}")
    if value._data.shape != t._data.shape:
        raise ShapeError(f"{what}: can't assign a {name} of shape {tuple(value._data.shape)} to a tensor "
                            f"of shape {tuple(t._data.shape)}; they must be the same")
    if value._data.dtype != t._data.dtype:
        raise DTypeError(f"{what}: assigned {name} has dtype {value.dtype}, the tensor has {t.dtype}")
    if value._device is not t._device:
        raise ArgumentError(f"{what}: assigned {name} is on {value._device}, the tensor on {t._device}")


class Size(tuple):
    """A tensor's shape: a tuple, with PyTorch's `numel()`."""

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self):
        return f"ember.Size({list(self)})"


class _HookHandle:
    def __init__(self, hooks, hook):
        self.hooks, self.hook = hooks, hook

    def remove(self):
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


def _wrap(array, device):
    """A tensor over `array` with no autograd history (the fast constructor)."""
    t = _new(Tensor)
    t._data = array
    t._device = device
    return t


def _can_cast(src, dst):
    # PyTorch: in-place results may not go down a category (float into an int tensor)
    order = {"b": 0, "u": 1, "i": 1, "f": 2, "V": 2}
    return order.get(src.kind, 2) <= order.get(dst.kind, 2)


def as_array(data, dtype=None, device=None):
    """Convert nested lists, scalars, NumPy arrays or tensors to an array of ember's dtypes.

    Python floats become the default float dtype, ints int64, bools bool,
    as in `torch.tensor`.
    """
    dev = as_device(device) if device is not None else None
    xp = (dev or CPU).xp
    dt = None if dtype is None else dtypes.as_dtype(dtype).np
    if isinstance(data, Tensor):
        data = data._data
    if isinstance(data, (list, tuple)) and data and any(isinstance(v, Tensor) for v in _flat(data)):
        data = _unwrap_nested(data)
    arr = data if hasattr(data, "__array_interface__") or hasattr(data, "__cuda_array_interface__") else None
    if arr is None:
        try:
            arr = np.asarray(data)
        except (ValueError, TypeError) as e:
            raise ArgumentError(f"tensor(): could not convert {type(data).__name__} to a tensor: {e}") from None
        if arr.dtype.kind in "OUScV":  # strings and objects, whatever dtype= asks for
            raise DTypeError(f"tensor(): can't convert data of type {arr.dtype} to a tensor; "
                             f"expected numbers, bools, or nested lists of them")
        if dt is None:
            if arr.dtype.kind == "f":
                dt = dtypes.get_default_dtype().np
            elif arr.dtype.kind in "iu" and arr.dtype != np.uint8:
                dt = np.dtype(np.int64)
    if not isinstance(arr, xp.ndarray):
        arr = xp.asarray(arr)
    if dt is not None and arr.dtype != dt:
        arr = dtypes.cast(xp, arr, dt)
    dtypes.dtype_of(arr)  # refuses unsupported dtypes (complex, strings, ...)
    return arr


def _flat(seq):
    for v in seq:
        if isinstance(v, (list, tuple)):
            yield from _flat(v)
        else:
            yield v


def _unwrap_nested(seq):
    return [_unwrap_nested(v) if isinstance(v, (list, tuple)) else
            (v.detach().__array__() if isinstance(v, Tensor) else v) for v in seq]


def _format(t):
    a = t.__array__()
    if t.dtype is dtypes.bfloat16:
        a = a.astype(np.float32)
    body = tensor_str(a, len("tensor("))
    extras = [f"size={tuple(a.shape)}"] if a.size and not PRINT_OPTS["edgeitems"] else []  # as torch
    if t.dtype not in (dtypes.get_default_dtype(), dtypes.int64, dtypes.bool_):
        extras.append(f"dtype={t.dtype}")
    if t._device is not CPU:
        extras.append(f"device='{t._device}'")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{type(t.grad_fn).__name__}Backward>")
    elif t._rg:
        extras.append("requires_grad=True")
    if a.size == 0:
        body = "[]" if a.ndim == 1 else f"[], size={tuple(a.shape)}"
    return "tensor(" + ", ".join([body] + extras) + ")"
