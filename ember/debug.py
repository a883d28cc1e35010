"""Numerics checks (tfdbg's `check_numerics`): the first op that produces a NaN or Inf raises.

Every floating output of every primitive call is checked — forward and backward, eager and in a
compiled step's replay — and the error names the op, the module path it ran in and the user's
line that made it, with statistics of its inputs. For an op inside a backward pass it also names
the forward op being differentiated, and where that forward op was made.

    >>> ember.debug.enable_check_numerics()
    >>> ember.log(ember.tensor([-1.0]))
    Traceback (most recent call last):
    ...
    ember.debug.NumericsError: check_numerics: log produced NaN ...
    >>> ember.debug.disable_check_numerics()
    >>> with ember.debug.check_numerics():            # the same, for a block
    ...     loss = model(x).sum(); loss.backward()     # doctest: +SKIP

Checking reads every output once (a few passes over memory per op), so it is for debugging runs.
A compiled function records where its ops come from while it traces: enable the checks before its
first call to have module paths and lines in errors from its replay.
"""
import contextlib
import linecache
import os
import sys

import numpy as np

from ember.autograd import dispatch
from ember.autograd.tensor import Tensor
from ember.errors import EmberError
from ember.graph import observe

__all__ = ["NumericsError", "enable_check_numerics", "disable_check_numerics", "check_numerics",
           "is_check_numerics_enabled"]

_ROOT = os.path.dirname(os.path.abspath(__file__))
_state = {"paths": None, "in_kernel": 0}


class NumericsError(EmberError, ArithmeticError):
    """An op produced NaN or Inf while `check_numerics` was on; the message says which, where, from what."""


def enable_check_numerics():
    """Check every op's outputs from now on (until `disable_check_numerics`)."""
    if _state["paths"] is None:
        dispatch.add_observer(_check_op)
        observe.add_observer(_check_kernel)
        _state["paths"] = dispatch.module_paths()
        _state["paths"].__enter__()


def disable_check_numerics():
    """Stop checking."""
    if _state["paths"] is None:
        return
    dispatch.remove_observer(_check_op)
    observe.remove_observer(_check_kernel)
    _state["paths"].__exit__(None, None, None)
    _state["paths"] = None


def is_check_numerics_enabled():
    return _state["paths"] is not None


@contextlib.contextmanager
def check_numerics():
    """`with check_numerics():` checks every op in the block (and leaves the checks as they were)."""
    was_on = is_check_numerics_enabled()
    enable_check_numerics()
    try:
        yield
    finally:
        if not was_on:
            disable_check_numerics()


# --- where an op comes from ---------------------------------------------------------------------
def _user_line():
    f = sys._getframe(2)
    while f is not None and (f.f_code.co_filename.startswith(_ROOT + os.sep) or
                             f.f_code.co_filename.startswith("<ember")):
        f = f.f_back
    if f is None:
        return "unknown"
    return f"{f.f_code.co_filename}:{f.f_lineno} ({linecache.getline(f.f_code.co_filename, f.f_lineno).strip()})"


def _origin():
    return {"module": dispatch.module_path(), "line": _user_line()}


# --- the observers ------------------------------------------------------------------------------
def _check_op(cls, args, attrs, proceed):
    out = proceed(args, attrs)
    tr = dispatch.tracer()
    if tr is not None:  # tracing: the untraced call inside was checked; remember where this node comes from
        origin = _origin()
        for v in tr.graph.nodes[-1].outputs:
            v.origin = origin
        return out
    if _state["in_kernel"]:  # backward code inside a compiled kernel: the kernel's observer reports it
        return out
    outs = out if isinstance(out, tuple) else (out,)
    fwd = dispatch.backward_node()
    if not dispatch.in_backward():
        origin = _origin()
        for o in outs:
            if isinstance(o, Tensor) and o.grad_fn is not None:
                o.grad_fn._numerics_origin = origin
    for i, o in enumerate(outs):
        if isinstance(o, Tensor) and _nonfinite(o._data):
            if dispatch.in_backward():
                where = getattr(fwd, "_numerics_origin", None) or _UNKNOWN
                context = f" in the backward of {fwd.op_name() if fwd is not None else 'an op'}"
                extra = f"\n  backward() called at: {_user_line()}"
            else:
                where, context, extra = _origin(), "", ""
            raise NumericsError(_message(cls.op_name() + context, i, o._data, args, where) + extra)
    return out


_UNKNOWN = {"module": "(unknown: made before check_numerics was enabled)", "line": "unknown"}


def _check_kernel(kernel, args, attrs, proceed):
    _state["in_kernel"] += 1
    try:
        out = proceed(args, attrs)
    finally:
        _state["in_kernel"] -= 1
    outs = out if isinstance(out, (tuple, list)) else (out,)
    for i, o in enumerate(outs):
        if _nonfinite(o):
            node = kernel.forward or kernel.node
            where = getattr(node.outputs[0], "origin", None) if node.outputs else None
            where = where or {"module": "(unknown: traced before check_numerics was enabled, or made by a "
                                        "graph pass)", "line": "unknown"}
            op = f"the backward of {kernel.op}" if kernel.backward else kernel.op
            raise NumericsError(_message(op + " (compiled step)", i, o, _kernel_inputs(kernel, args), where))
    return out


def _kernel_inputs(kernel, args):
    if not kernel.backward:
        return args
    _, fwd_args, _, _, grads = args  # run_backward(instance, forward args, attrs, needs, grads)
    return list(fwd_args) + [g for g in grads if g is not None]


def _nonfinite(a):
    dt = getattr(a, "dtype", None)
    if dt is None or dt.kind not in "fc" or not getattr(a, "size", 0):
        return False
    return not bool(_xp(a).isfinite(a).all())


def _xp(a):
    """NumPy or CuPy: the module of the array's type."""
    return sys.modules.get(type(a).__module__.split(".")[0], np)


def _message(op, index, out, args, where):
    xp = _xp(out)
    nan, inf = int(xp.isnan(out).sum()), int(xp.isinf(out).sum())
    what = " and ".join(f"{n} {k}" for n, k in ((nan, "NaN"), (inf, "Inf")) if n)
    lines = [f"check_numerics: {op} produced {what} (of {out.size} values) in output {index}, "
             f"{out.dtype}{list(out.shape)}",
             f"  module: {where['module'] or '(no module)'}", f"  at: {where['line']}", "  inputs:"]
    for i, a in enumerate(args):
        lines.append(f"    #{i}: {_stats(a)}")
    return "\n".join(lines)


def _stats(a):
    data = a._data if isinstance(a, Tensor) else a
    if not (hasattr(data, "dtype") and hasattr(data, "shape")):
        return repr(a)[:60]
    head = f"{data.dtype}{list(data.shape)}"
    if data.dtype.kind not in "fiub" or not data.size:
        return head
    xp = _xp(data)
    x = data.astype("float64")
    finite = x[xp.isfinite(x)]
    rng = f"min {float(finite.min()):.4g} max {float(finite.max()):.4g} mean {float(finite.mean()):.4g}" \
        if finite.size else "no finite values"
    return f"{head} {rng}, {int(xp.isnan(x).sum())} NaN, {int(xp.isinf(x).sum())} Inf"
