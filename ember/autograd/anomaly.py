"""Anomaly detection: find the op, and the user's line, where a NaN or Inf first appears.

    >>> import ember
    >>> x = ember.tensor([-1.0], requires_grad=True)
    >>> with ember.autograd.detect_anomaly():
    ...     ember.sqrt(x)
    Traceback (most recent call last):
    ...
    ember.errors.AnomalyError: detect_anomaly: sqrt created at ... produced NaN or Inf ...
"""
import math
import os
import traceback

from ember.errors import AnomalyError

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def user_frame(stack=None):
    """The innermost stack frame outside ember's own package: where the user's code made the op."""
    stack = stack if stack is not None else traceback.extract_stack()
    for frame in reversed(stack):
        if not os.path.abspath(frame.filename).startswith(_ROOT + os.sep):
            return frame
    return stack[-1] if stack else None


def describe(node):
    f = getattr(node, "trace", None)
    where = f" created at {f.filename}:{f.lineno} ({f.line})" if f is not None else ""
    return f"{node.op_name()}{where}"


def _nonfinite(xp, a):
    return getattr(a, "dtype", None) is not None and a.dtype.kind == "f" and not bool(xp.isfinite(a).all())


def _finite(xp, a):
    if hasattr(a, "dtype") and hasattr(a, "shape"):
        return not _nonfinite(xp, a)
    return not isinstance(a, float) or math.isfinite(a)


def anomaly_forward(node, outs, arrays, attrs):
    """Record where the op was made; raise if it turned finite inputs into NaN/Inf."""
    node.trace = user_frame()
    xp = node.xp
    if any(_nonfinite(xp, o) for o in outs) and all(_finite(xp, a) for a in (*arrays, *attrs.values())):
        raise AnomalyError(f"detect_anomaly: {describe(node)} produced NaN or Inf in its forward "
                           f"output from finite inputs")


def anomaly_backward(node, grads):
    xp = node.xp
    for i, g in enumerate(grads):
        if g is not None and _nonfinite(xp, g._data):
            raise AnomalyError(f"detect_anomaly: the backward of {describe(node)} returned NaN or Inf "
                               f"in its gradient for input {i}")
