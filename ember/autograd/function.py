"""`Function`: a primitive op, and the node it leaves in the autograd graph.

A primitive's `forward` runs on raw arrays (NumPy or CuPy, reached through
`self.xp`); its `backward` is written with ember ops, so gradients of
gradients work and the tracer sees the backward pass like any other code:

    class Tanh(Function):
        def forward(self, x):
            self.y = self.xp.tanh(x)
            return self.y

        def backward(self, g):
            return g * (1 - self.output(self.y) ** 2)

`Tanh.apply(t)` runs it. Positional arguments that are tensors are the
differentiable inputs; other positional arguments (Python scalars, shapes)
and keyword arguments (attributes such as `dim`) pass through to `forward`.
`backward` returns one gradient (or None) per positional argument.

A forward that returns a tuple has several outputs; those of floating dtype
are differentiable, and `backward` then receives one gradient per output.

User functions in PyTorch's form subclass the same class with static methods
(`forward(ctx, ...)` on tensors, `backward(ctx, ...)`); see `_CtxFunction`.
"""
from ember.backend.device import CPU
from ember import errors
from ember.errors import AutogradError, DeviceError, EmberError
from ember.autograd import dispatch, grad_mode
from ember.autograd.anomaly import anomaly_forward as _anomaly_forward, describe
from ember.autograd.tensor import Tensor, _new, _wrap

_state = grad_mode._state
_observers = dispatch._observers

# Every primitive by its qualified name ("ember.ops.linalg.Matmul"): how a graph names the
# primitive a call node runs, and how a graph read from a file finds it again (no code in files).
PRIMITIVES = {}


def primitive_name(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


class Function:
    """Base class of primitive ops; an instance is one node of the graph."""

    save_inputs = True     # backward reads input values: changing them in place is an error
    is_view = False        # the output shares memory with the first input
    differentiable = True  # False: outputs never require grad (comparisons, argmax, floor...)
    n_out = 1
    _hooks = None
    _freed = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if isinstance(cls.__dict__.get("forward"), staticmethod):
            cls.apply = classmethod(_CtxFunction.apply_ctx)
        else:
            PRIMITIVES[primitive_name(cls)] = cls

    # --- for primitives -------------------------------------------------
    @classmethod
    def apply(cls, *args, **attrs):
        if _observers:
            return dispatch.observed_call(cls, args, attrs, _apply_or_trace)
        tracer = _state.tracer  # one thread-local read on the per-op path
        if tracer is not None:
            return tracer.call(cls, args, attrs)
        return cls._apply(args, attrs)

    @classmethod
    def _apply(cls, args, attrs):
        node = _new(cls)
        dev = None
        rg = False
        arrays = []
        for a in args:
            if isinstance(a, Tensor):
                if dev is None:
                    dev = a._device
                elif a._device is not dev:
                    raise DeviceError(f"{cls.op_name()}: expected all tensors on one device, "
                                      f"got {dev} and {a._device}")
                if a._rg:
                    rg = True
                arrays.append(a._data)
            else:
                arrays.append(a)
        if dev is None:
            dev = CPU
        node.xp = dev.xp
        try:
            out = node.forward(*arrays, **attrs)
        except EmberError:
            raise
        except FOREIGN as e:
            raise translate_error(cls.op_name(), args, attrs, e) from None
        record = rg and _state.enabled and cls.differentiable
        if type(out) is tuple:
            return _wrap_outputs(node, out, dev, record, args, attrs)
        if type(out) is not dev.xp.ndarray:
            out = dev.xp.asarray(out)
        t = _new(Tensor)
        t._data = out
        t._device = dev
        if node.is_view:
            base = args[0]
            t._vc = base._version_counter()
            t._base = base if base._base is None else base._base
        if record:
            node.inputs = args
            node.edges = _edges(args)
            node.attrs = attrs
            if cls.save_inputs:
                node.versions = [a._vc[0] if isinstance(a, Tensor) and a._vc else 0 for a in args]
            if t._vc is None:
                t._vc = [0]
            node.out_vcs = (t._vc,)  # `output()` refuses an output changed in place since
            t.grad_fn = node
            t._rg = True
            if _state.anomaly:
                _anomaly_forward(node, (out,), arrays, attrs)
        return t

    def forward(self, *arrays, **attrs):
        raise NotImplementedError

    def backward(self, *grads):
        raise NotImplementedError

    def output(self, array, index=0):
        """`array` (an output of this op's forward) as a tensor that autograd
        knows came from this node: use it in `backward` instead of
        recomputing, and double backward still flows through this op."""
        vc = self.out_vcs[index]
        if vc[0]:
            raise AutogradError(f"{describe(self)}: its output {index} is needed for the gradient but was "
                                f"modified by an in-place operation; apply the in-place op to a clone()")
        dev = _device_of(self)
        t = _wrap(array if type(array) is dev.xp.ndarray else dev.xp.asarray(array), dev)
        if _state.enabled:
            t.grad_fn = self
            t._oi = index
            t._rg = True
        return t

    @classmethod
    def op_name(cls):
        return getattr(cls, "name", None) or cls.__name__.lower()

    def _output_hooks(self, index):
        if self._hooks is None:
            self._hooks = {}
        return self._hooks.setdefault(index, [])

    # --- ctx methods of user functions in PyTorch's form --------------------
    def save_for_backward(self, *tensors):
        self._saved = tensors
        self._saved_versions = [t._vc[0] if isinstance(t, Tensor) and t._vc else 0 for t in tensors]

    @property
    def saved_tensors(self):
        for t, v in zip(self._saved, self._saved_versions):
            if isinstance(t, Tensor) and (t._vc[0] if t._vc else 0) != v:
                raise AutogradError(f"{self.op_name()}: a tensor saved for backward was modified by an "
                                    f"in-place operation (version {v} -> {t._vc[0]})")
        return self._saved

    def mark_non_differentiable(self, *tensors):
        self._nondiff.update(id(t) for t in tensors)

    def set_materialize_grads(self, value):
        self.materialize_grads = bool(value)

    def mark_dirty(self, *tensors):
        for t in tensors:
            t._version_counter()[0] += 1

    def __repr__(self):
        return f"<{type(self).__name__}Backward>"


def _apply_or_trace(cls, args, attrs):
    tracer = _state.tracer
    if tracer is not None:
        return tracer.call(cls, args, attrs)
    return cls._apply(args, attrs)


def _edges(args):
    """Where each input's gradient goes, fixed when the node is made: (grad_fn, output index) of an
    input that requires grad (grad_fn None for a leaf), else None. An in-place op later gives the
    tensor a new grad_fn; this node must still send its gradient to the old one."""
    return [(a.grad_fn, a._oi) if isinstance(a, Tensor) and a._rg else None for a in args]


def _device_of(node):
    for a in node.inputs:
        if isinstance(a, Tensor):
            return a._device
    return CPU


def _wrap_outputs(node, outs, dev, record, args, attrs):
    xp = dev.xp
    result = []
    metas = []
    if node.is_view:  # every output is a view of the first input (split, unbind): one version counter
        base = args[0]
        root = base if base._base is None else base._base
        vc = base._version_counter()
    for i, o in enumerate(outs):
        if type(o) is not xp.ndarray:
            o = xp.asarray(o)
        t = _new(Tensor)
        t._data = o
        t._device = dev
        if node.is_view:
            t._vc = vc
            t._base = root
        else:
            t._vc = [0]
        if record and o.dtype.kind == "f" or (record and o.dtype.name == "bfloat16"):
            t.grad_fn = node
            t._oi = i
            t._rg = True
            metas.append((o.shape, o.dtype))
        else:
            metas.append(None)
        result.append(t)
    if record:
        node.inputs = args
        node.edges = _edges(args)
        node.attrs = attrs
        node.n_out = len(outs)
        node.out_meta = metas
        node.out_vcs = tuple(t._vc for t in result)
        if type(node).save_inputs:
            node.versions = [a._vc[0] if isinstance(a, Tensor) and a._vc else 0 for a in args]
        if _state.anomaly:
            _anomaly_forward(node, outs, [a._data if isinstance(a, Tensor) else a for a in args], attrs)
    return tuple(result)


# Exceptions NumPy or Python raise inside an op on bad input; they become ember errors.
# (RecursionError: NumPy or a message walking a deeply nested list.)
FOREIGN = (ValueError, IndexError, TypeError, AttributeError, KeyError, ZeroDivisionError, OverflowError,
           MemoryError, RecursionError)


def describe_arg(a):
    """A short description of one argument, never recursing into it (a 3,000-deep list must
    not overflow the stack while an error message about it is built)."""
    if isinstance(a, Tensor):
        return f"{tuple(a._data.shape)} {a.dtype}"
    if isinstance(a, (list, tuple)):
        return f"{type(a).__name__} of {len(a)}"
    if a is None or isinstance(a, (bool, int, float, str, complex)):
        text = repr(a) if not isinstance(a, int) or a.bit_length() < 128 else f"<int of {a.bit_length()} bits>"
        return f"{type(a).__name__} {text[:40]}"
    return type(a).__name__


def _attr(v):
    if v is None or isinstance(v, (bool, float, str)) or (isinstance(v, int) and v.bit_length() < 128):
        return repr(v)[:40]
    if isinstance(v, tuple) and len(v) <= 8 and all(isinstance(x, int) and x.bit_length() < 64 for x in v):
        return repr(v)
    return describe_arg(v)


def translate_error(op, args, attrs, e):
    """A NumPy/Python exception from inside an op, as an ember error naming the op and its inputs."""
    desc = ", ".join(describe_arg(a) for a in args)
    if attrs:
        desc += ", " + ", ".join(f"{k}={_attr(v)}"[:60] for k, v in attrs.items())
    kind = {IndexError: errors.IndexOutOfRangeError, TypeError: errors.DTypeError,
            AttributeError: errors.DTypeError, MemoryError: errors.AllocationError}.get(type(e), errors.ArgumentError)
    if isinstance(e, TypeError):  # NumPy's UFuncTypeError and friends
        kind = errors.DTypeError
    text = str(e)[:300]
    if ("broadcast" in text or "shape" in text or "mismatch" in text) and not isinstance(e, AttributeError):
        kind = errors.ShapeError
    if isinstance(e, AttributeError):
        text = f"expected tensors, got {desc}"
    if isinstance(e, RecursionError):
        text = "an argument is nested too deeply"
    return kind(f"{op}({desc}): {text}")


# --- user functions in PyTorch's form -----------------------------------------

class _CtxFunction:
    """`class MyFn(ember.autograd.Function)` with static `forward(ctx, ...)`/`backward(ctx, ...)`.

        class Square(ember.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            def backward(ctx, g):
                x, = ctx.saved_tensors
                return 2 * x * g

    The node itself is `ctx`, as in PyTorch.
    """

    @staticmethod
    def apply_ctx(cls, *args, **kwargs):
        ctx = _new(cls)
        ctx.xp = CPU.xp
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._rg for a in args)
        ctx._saved = ()
        ctx._nondiff = set()
        ctx.materialize_grads = True
        with grad_mode.no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        record = _state.enabled and any(ctx.needs_input_grad)
        result = []
        for i, o in enumerate(outs):
            if not isinstance(o, Tensor):
                result.append(o)
                continue
            differentiable = id(o) not in ctx._nondiff   # before the rewrap below changes id(o)
            if any(o is a for a in args):  # returned an input: a new tensor for the new node
                o = _wrap(o._data, o._device)
            if record and differentiable and o.is_floating_point():
                o.grad_fn, o._oi, o._rg = ctx, i, True
            result.append(o)
        if record:
            ctx.inputs = args
            ctx.edges = _edges(args)
            ctx.attrs = kwargs
            ctx.n_out = len(outs)
            ctx.out_meta = [(o._data.shape, o._data.dtype) if isinstance(o, Tensor) else None for o in outs]
            ctx.versions = [a._vc[0] if isinstance(a, Tensor) and a._vc else 0 for a in args]
            ctx.save_inputs = False
        return result[0] if single else tuple(result)
