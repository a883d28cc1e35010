"""Common subexpression elimination: two calls of one primitive on the same arguments with equal
attributes compute the same values; the later one goes and its users read the earlier one's.

Arguments are compared by value reference and literal (with its type: `x * 2` and `x * 2.0` are
different calls, their results may differ in dtype); attributes by value (small index arrays by
dtype, shape and contents). Never merged: random primitives (two draws differ), `backward`
nodes, and forward calls that a `backward` node replays (the backward runs on that call's own
instance, so it must stay one call with its own users).

    >>> g2 = common_subexpression_elimination(ember.graph.trace(lambda x: x.exp() + x.exp(), x))
"""
import numpy as np

from ember.graph.ir import BACKWARD, Ref
from ember.graph.passes._util import backward_targets, copy_graph, is_random, substitute


def common_subexpression_elimination(graph):
    """A copy of `graph` in which each repeated call is computed once (module docstring)."""
    out = copy_graph(graph)
    replay = backward_targets(graph)
    seen, mapping, nodes = {}, {}, []
    for n in out.nodes:
        substitute([n], mapping)
        if n.op != "call" or n.name == BACKWARD or is_random(n.name) or not n.outputs \
                or n.outputs[0].id in replay:
            nodes.append(n)
            continue
        key = _key(n)
        first = seen.get(key) if key is not None else None
        if first is None or [(v.dtype, v.shape) for v in first.outputs] != [(v.dtype, v.shape) for v in n.outputs]:
            if key is not None:
                seen.setdefault(key, n)
            nodes.append(n)
            continue
        for v, w in zip(n.outputs, first.outputs):
            mapping[v.id] = w.id
    out.nodes = nodes
    return out


def _key(n):
    try:
        key = (n.name, _canon(n.args), _canon(n.attrs))
        hash(key)
        return key
    except TypeError:  # an attribute we cannot compare by value: leave the call alone
        return None


def _canon(x):
    """A hashable form of an argument that is equal only for equal arguments of equal type."""
    if isinstance(x, Ref):
        return ("ref", x.id)
    if isinstance(x, (tuple, list)):
        return (type(x).__name__,) + tuple(_canon(a) for a in x)
    if isinstance(x, dict):
        return ("dict",) + tuple((k, _canon(v)) for k, v in sorted(x.items(), key=lambda kv: str(kv[0])))
    if isinstance(x, np.ndarray):
        return ("array", x.dtype.str, x.shape, x.tobytes())
    if isinstance(x, slice):
        return ("slice", _canon(x.start), _canon(x.stop), _canon(x.step))
    if isinstance(x, float) and x != x:
        return ("float", "nan")
    return (type(x).__name__, x)
