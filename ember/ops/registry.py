"""The op registry: one entry per public op, read by the tests, the tracer and the exporters.

An entry names the op, its ember callable, the primitive `Function` it runs
(None for a composite), sample inputs, and the PyTorch reference the tests
compare against (a dotted attribute of `torch`; ember never imports it).

    >>> import ember
    >>> info = ember.ops.registry.REGISTRY["exp"]
    >>> info.primitive.__name__, len(info.samples(SampleMaker("float64"))) > 3
    ('Exp', True)
"""
import functools
import inspect
from dataclasses import dataclass, field

import numpy as np

from ember.autograd import dispatch
from ember.autograd.function import FOREIGN, translate_error
from ember.errors import DTypeError, EmberError
from ember.ops import _signature

REGISTRY = {}
_composite_observers = dispatch._composite_observers


@dataclass(frozen=True)
class Sample:
    """One call: `args` hold NumPy arrays where the op takes tensors (floating arrays are
    differentiable, except those named in `nograd`), other values as they are passed."""
    args: tuple
    kwargs: dict = field(default_factory=dict)
    name: str = ""
    gradgrad: bool = True           # False at a kink, where the first derivative is a convention
    nograd: tuple = ()              # positions and keyword names of arrays passed without requires_grad
                                    # (a loss's weight, batch_norm's running statistics)


@dataclass
class OpInfo:
    name: str
    fn: object
    samples: object                 # samples(make: SampleMaker) -> list[Sample]
    primitive: object = None        # the Function class; None for composites
    ref: str = None                 # torch attribute path of the reference; defaults to `name`
    grad: bool = True               # gradients checked (False: integer-valued or piecewise-constant ops)
    gradgrad: bool = True           # second derivatives checked
    atol: float = 1e-5              # float32 tolerances against the reference (float64 uses 1e-10)
    rtol: float = 1e-4
    shape: object = None            # shape rule for symbolic tracing (the graph issue)
    onnx: object = None             # ONNX mapping (the ONNX issue)
    notes: str = ""


def register(name, samples, primitive=None, **info):
    """Decorator that adds the public op function to the registry under `name`.

    It returns the function guarded (see `guard`): an exception from bad
    arguments (a string where a tensor goes, ...) comes out as an ember error
    naming the op.
    """
    def deco(fn):
        if name in REGISTRY:
            raise ValueError(f"op {name!r} registered twice")
        # autocast casts whole registered ops (mse_loss, addmm), as PyTorch; Tensor methods bind the
        # function itself (`__wrapped__`), so the public op alone is observed
        op = guard(name, fn, observed=True)
        REGISTRY[name] = OpInfo(name=name, fn=op, samples=samples, primitive=primitive,
                                ref=info.pop("ref", name), **info)
        return op
    return deco


def guard(name, fn, observed=False):
    """`fn` as a public entry point: flags and tensor arguments checked first (`_signature`), then
    any exception NumPy or Python raises inside becomes an ember error naming `name` and the arguments.

    A flag is a parameter whose default is True or False (`keepdim`, `requires_grad`,
    `descending`): as in PyTorch, it must be given a bool, not 1 or "yes".

        >>> ember.sum(ember.ones(2, 2), 0, keepdim=1)
        Traceback (most recent call last):
        ember.errors.DTypeError: sum: argument 'keepdim' must be bool, not int

    With `observed` (registered ops), installed composite observers see the call (autocast).
    """
    if getattr(fn, "__guarded__", False):
        return fn
    flags = _flags(fn)
    types = _signature.checks(name, fn)
    kinds = _signature.no_kernel(name)

    @functools.wraps(fn)
    def op(*args, **kwargs):
        try:
            if flags:
                _check_flags(name, flags, args, kwargs)
            if types:
                _signature.check(name, types, args, kwargs)
            _signature.scalars(name, args, kwargs)
            if kinds:
                _signature.dtypes_ok(name, kinds, args, kwargs)
            if observed and _composite_observers:
                return dispatch.observed_composite(name, fn, args, kwargs)
            return fn(*args, **kwargs)
        except EmberError:
            raise
        except FOREIGN as e:
            raise translate_error(name, args, kwargs, e) from None
    op.__guarded__ = True
    return op


def _flags(fn):
    """(position, name) of each bool-default parameter of `fn`; position None if keyword-only."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return ()
    out = []
    for i, p in enumerate(params):
        if type(p.default) is bool:
            pos = i if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) else None
            out.append((pos, p.name))
    return tuple(out)


def _check_flags(op, flags, args, kwargs):
    for pos, name in flags:
        if name in kwargs:
            v = kwargs[name]
        elif pos is not None and pos < len(args):
            v = args[pos]
        else:
            continue
        if type(v) is not bool and not isinstance(v, np.bool_):
            raise DTypeError(f"{op}: argument {name!r} must be bool, not {type(v).__name__}")


def guard_module(module, names):
    """Replace each public function `names` of `module` by its guarded form (idempotent)."""
    for n in names:
        fn = getattr(module, n)
        if callable(fn) and not isinstance(fn, type):
            setattr(module, n, guard(n, fn))


class SampleMaker:
    """Makes sample arrays of one floating dtype, reproducibly.

    `make(3, 4)` a float array in [-2, 2); `make(3, 4, noncontig=True)` the same
    shape as a transposed (non-contiguous) view; `make.ints(...)`, `make.bools(...)`.
    """

    def __init__(self, dtype, seed=0):
        self.dtype = np.dtype(dtype)
        self.rng = np.random.default_rng(seed)

    def __call__(self, *shape, low=-2.0, high=2.0, noncontig=False):
        if noncontig and len(shape) >= 2:
            a = self.rng.uniform(low, high, shape[::-1]).astype(self.dtype)
            return a.T
        return self.rng.uniform(low, high, shape).astype(self.dtype)

    def away(self, *shape, low=0.5, high=2.0, **kw):
        """Values with |x| in [low, high) and random sign: away from kinks and poles."""
        return self(*shape, low=low, high=high, **kw) * self.rng.choice([-1, 1], shape).astype(self.dtype)

    def distinct(self, *shape):
        """Values far enough apart that max/sort/median have a unique, stable answer."""
        n = int(np.prod(shape))
        return (self.rng.permutation(n).astype(self.dtype) * 0.37 - n * 0.15).reshape(shape)

    def ints(self, *shape, low=0, high=5):
        return self.rng.integers(low, high, shape).astype(np.int64)

    def bools(self, *shape):
        return self.rng.random(shape) < 0.5


def unary_samples(make, low=-2.0, high=2.0):
    """The standard samples of an elementwise unary op, including the cases of STYLE.md 3."""
    return [
        Sample((make(3, 4, low=low, high=high),), name="2d"),
        Sample((make(4, 3, low=low, high=high, noncontig=True),), name="noncontig"),
        Sample((make(0, 3, low=low, high=high),), name="empty"),
        Sample((make(low=low, high=high),), name="0d"),
        Sample((make(2, 3, 2, low=low, high=high),), name="3d"),
    ]


def binary_samples(make, low=-2.0, high=2.0, scalar=1.5):
    """The standard samples of a broadcasting binary op."""
    a = lambda *s, **k: make(*s, low=low, high=high, **k)  # noqa: E731
    return [
        Sample((a(3, 4), a(3, 4)), name="same"),
        Sample((a(3, 1), a(1, 4)), name="broadcast"),
        Sample((a(2, 3, 4), a(4)), name="broadcast-rank"),
        Sample((a(4, 3, noncontig=True), a(4, 3)), name="noncontig"),
        Sample((a(0, 3), a(1, 3)), name="empty"),
        Sample((a(), a(2, 2)), name="0d"),
    ] + ([Sample((a(3, 4), scalar), name="scalar")] if scalar is not None else [])
