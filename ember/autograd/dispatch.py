"""The one dispatch hook every primitive call passes: profiling, numerics checks and autocast
hang on it as observers (STYLE 18); none patches ops or wraps modules.

An observer is a callable `observer(cls, args, attrs, proceed)`: it sees the primitive class
(`cls.op_name()` is its public name), the positional arguments (tensors and plain values) and the
keyword attributes, and must return `proceed(args, attrs)` — possibly with changed arguments
(autocast casts them), possibly timing or inspecting the result (the profiler, numerics checks).
Observers nest in the order they were added: the first added is outermost.

    >>> import ember
    >>> from ember.autograd import dispatch
    >>> seen = []
    >>> def spy(cls, args, attrs, proceed):
    ...     seen.append(cls.op_name())
    ...     return proceed(args, attrs)
    >>> with dispatch.observing(spy):
    ...     _ = ember.ones(2) * 3
    >>> "mul" in seen
    True

When no observer is installed, `Function.apply` pays one list truth test. The graph tracer is
not an observer: it replaces execution, and runs inside the observers (so an autocast region is
traced with its casts). `in_backward()` tells an observer whether the call comes from the
backward engine.

Composite observers see the registered public ops (`ember.mse_loss`, `ember.addmm`, ...) that ember
builds from primitives: `observer(name, args, kwargs, proceed)`, called by the registry's op wrapper.
Autocast needs them because PyTorch casts at that level (it runs `mse_loss` in float32 and `addmm`
in low precision as whole ops), so watching only their primitives would give other dtypes.
"""
import contextlib

from ember.autograd import grad_mode

# Read by Function.apply on every call: empty means no observer.
_observers = []
# Depth of backward passes running now (the engine increments it), for observers to tell
# forward calls from backward ones.
_backward_depth = [0]
# The autograd nodes whose backward runs now, innermost last (the engine pushes them): an observer
# of a backward call can name the forward op it differentiates.
_backward_nodes = []
# Observers of whole backward nodes, `observer(node, grads, proceed)` returning `proceed(grads)`: the
# engine runs each node's backward through them (the profiler times backward code that works on
# arrays directly, which no primitive call shows).
_backward_observers = []
# nn.Module calls running now, outermost first. Module.__call__ pushes onto it only while some
# observer asked for module paths (`want_modules`), so a model pays one int test per call otherwise.
_module_stack = []
_want_modules = [0]


def remove_from(observers, observer):
    """Remove `observer` from an observer list; one that is not there is ignored."""
    for i in range(len(observers) - 1, -1, -1):
        if observers[i] is observer:
            del observers[i]
            return


def add_observer(observer):
    """Install `observer` (outermost of those installed later); returns it, for `remove_observer`."""
    _observers.append(observer)
    return observer


def remove_observer(observer):
    """Remove an installed observer; removing one that is not installed does nothing."""
    remove_from(_observers, observer)


@contextlib.contextmanager
def installed(observers, observer):
    """`with installed(observers, fn):` appends `fn` to an observer list for the block."""
    observers.append(observer)
    try:
        yield observer
    finally:
        remove_from(observers, observer)


def observing(observer):
    """`with observing(fn):` installs `fn` for the block."""
    return installed(_observers, observer)


# Read by the registry's op wrapper on every public op call: empty means no composite observer.
_composite_observers = []


def add_composite_observer(observer):
    """Install `observer(name, args, kwargs, proceed)` on the public (registered) op calls."""
    _composite_observers.append(observer)
    return observer


def remove_composite_observer(observer):
    remove_from(_composite_observers, observer)


def observed_composite(name, fn, args, kwargs):
    """Run the public op `fn(*args, **kwargs)` through every composite observer."""
    return run_chain(_composite_observers, name, lambda a, k: fn(*a, **k), args, kwargs)


# Functions whose values change what an observer does to a traced call (autocast's state): a
# compiled graph records the casts of the state it was traced in, so `ember.compile` keys its
# cache on them too and retraces when one changes, as it does for a new dtype.
_guards = []


def add_guard(fn):
    """Register `fn() -> str`, a description of observer state that traced graphs depend on."""
    _guards.append(fn)
    return fn


def guard_state():
    return tuple(fn() for fn in _guards)


def in_backward():
    """True while the backward engine runs (the primitive call is part of a gradient)."""
    return _backward_depth[0] > 0


def run_chain(observers, subject, run, *args):
    """`run(*args)` through each observer in `observers` (first outermost): observer `i` is called as
    `observer(subject, *args, proceed)` and hands on with `proceed(*args)`. Every observer list of
    ember (primitive calls, backward nodes, public ops, compiled kernels) runs through this."""
    chain = tuple(observers)

    def proceed_from(i):
        if i == len(chain):
            return run
        nxt = proceed_from(i + 1)
        return lambda *a: chain[i](subject, *a, nxt)
    return proceed_from(0)(*args)


def observed_call(cls, args, attrs, run):
    """Run `run(cls, args, attrs)` (the untraced apply, or the tracer) through every observer."""
    return run_chain(_observers, cls, lambda a, k: run(cls, a, k), args, attrs)


def observed_backward(node, grads, run):
    """Run `run(node, grads)` (one autograd node's backward) through every backward observer."""
    return run_chain(_backward_observers, node, lambda g: run(node, g), grads)


def backward_node():
    """The autograd node (a `Function` instance) whose backward is running now, or None."""
    return _backward_nodes[-1] if _backward_nodes else None


@contextlib.contextmanager
def module_paths():
    """While open, `module_path()` names the nn.Module calls running (observers that report where)."""
    _want_modules[0] += 1
    try:
        yield
    finally:
        _want_modules[0] -= 1


def module_path():
    """The running module calls as a path: the outermost module's class name, then attribute names
    (`Net/encoder/0/fc1`); "" outside any module call or when nobody asked (`module_paths`)."""
    stack = _module_stack
    if not stack:
        return ""
    parts = [type(stack[0]).__name__]
    for parent, child in zip(stack, stack[1:]):
        name = next((k for k, m in getattr(parent, "_modules", {}).items() if m is child), None)
        parts.append(name if name is not None else type(child).__name__)
    return "/".join(parts)


def tracer():
    """The graph tracer recording now, or None."""
    return grad_mode._state.tracer
