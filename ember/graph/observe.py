"""Observers of a compiled step's kernels: what the profiler and numerics checks see of a replay.

A compiled replay calls array kernels directly and never passes `Function.apply`, so the level-1
dispatch hook does not see it. While an observer is installed here, `Compiled` runs a variant of
the generated code in which every kernel call goes through `observed(...)`; with none installed
it runs the plain code (no cost). An observer is `observer(kernel, args, attrs, proceed)`, like a
dispatch observer, but on arrays: `kernel.op` is the primitive's public name, `kernel.backward`
whether it runs a primitive's backward, `kernel.node` the graph node (its output `Value`s carry
what a trace-time observer attached, e.g. `origin`), and it must return `proceed(args, attrs)`.

    >>> seen = []
    >>> def spy(kernel, args, attrs, proceed):
    ...     seen.append(kernel.op)
    ...     return proceed(args, attrs)
    >>> with observing(spy):
    ...     _ = compiled_model(x)                      # doctest: +SKIP
"""

from ember.autograd.dispatch import installed, remove_from, run_chain
from ember.autograd.function import PRIMITIVES

_observers = []


class Kernel:
    """One call in a compiled replay: the graph node, and (for a backward node) the forward call."""

    def __init__(self, node, forward=None):
        self.node, self.forward = node, forward
        self.backward = forward is not None
        cls = PRIMITIVES[(forward or node).name]
        self.cls = cls
        self.op = cls.op_name()

    def __repr__(self):
        return f"<Kernel {self.op}{' (backward)' if self.backward else ''}>"


def add_observer(observer):
    _observers.append(observer)
    return observer


def remove_observer(observer):
    remove_from(_observers, observer)


def observing(observer):
    return installed(_observers, observer)


def active():
    return bool(_observers)


def observed(kernel, fn, *args, **attrs):
    """Run `fn(*args, **attrs)` (one kernel of the observed replay) through every observer."""
    return run_chain(_observers, kernel, lambda a, k: fn(*a, **k), args, attrs)
