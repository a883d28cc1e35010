"""Algebraic simplification: calls that return their input unchanged are removed, their users
read the input directly.

* `x * 1`, `1 * x`, `x + 0`, `0 + x`, `x - 0`, `x / 1`, `x ** 1`, where the neutral operand is a
  Python number or a constant this graph owns (made by constant folding; a captured array may
  change between runs) filled with that number, and only when the result has x's dtype and
  x's shape: a neutral array that broadcasts x to a larger shape is kept. (`-0.0 + 0` is `+0.0`:
  the sign of a zero may change, as in every compiler that folds `x + 0`.)
* a permute whose dims are the identity, and a permute of a permute that composes to the
  identity (`x.transpose(0, 1).transpose(0, 1)`, `x.permute(1, 2, 0).permute(2, 0, 1)`);
* a reshape or an expand to the input's own shape (a `-1` counts when every other size matches;
  a traced `p.copy_(new)` records one);
* a cast to the input's own dtype.

A call that a `backward` node replays is never removed, nor one whose result the graph returns
when its input is an input, parameter or constant array (the caller would get that very array
back, where eager code gives a new one).

    >>> g2 = algebraic_simplification(ember.graph.trace(lambda x: (x * 1).t().t(), x))
"""
import numpy as np

from ember.graph.ir import BACKWARD, Ref
from ember.graph.passes._util import backward_targets, copy_graph, is_literal, meta, substitute

OPS = "ember.ops."
NEUTRAL = {  # primitive -> (argument positions that may be the neutral one, its value)
    OPS + "binary.Mul": ((0, 1), 1), OPS + "binary.Add": ((0, 1), 0), OPS + "binary.Sub": ((1,), 0),
    OPS + "binary.Div": ((1,), 1), OPS + "binary.Pow": ((1,), 1)}
PERMUTE, CAST = OPS + "shape.Permute", OPS + "convert.Cast"
SAME_SHAPE = {OPS + "shape.Reshape", OPS + "shape.Expand"}


def algebraic_simplification(graph):
    """A copy of `graph` without the calls that return their input unchanged (module docstring)."""
    out = copy_graph(graph)
    replay = backward_targets(graph)
    values = out.values()
    consts = {n.outputs[0].id: out.constants[n.name] for n in out.nodes
              if n.op == "constant" and n.name in meta(out).get("folded_constants", [])}
    producer = {v.id: n for n in out.nodes for v in n.outputs}
    returned = {r.id for r in graph.output.refs()}
    mapping, nodes = {}, []
    for n in out.nodes:
        substitute([n], mapping)
        same = None
        if n.op == "call" and n.name != BACKWARD and len(n.outputs) == 1 and n.outputs[0].id not in replay:
            same = _identity_of(n, values, consts, producer)
        if same is not None and n.outputs[0].id in returned and producer[same].op != "call":
            same = None  # the caller would get its own input or state array back, not a new one
        if same is None:
            nodes.append(n)
        else:
            mapping[n.outputs[0].id] = same
    out.nodes = nodes
    return out


def _identity_of(n, values, consts, producer):
    """The value id that call `n` returns unchanged, or None."""
    y = n.outputs[0]
    if n.name in NEUTRAL:
        positions, unit = NEUTRAL[n.name]
        for i in positions:
            x = n.args[1 - i] if len(n.args) == 2 else None
            if isinstance(x, Ref) and _is_unit(n.args[i], unit, consts) and \
                    _keeps(values[x.id], y, _shape_of(n.args[i], consts)):
                return x.id
        return None
    x = n.args[0] if n.args and isinstance(n.args[0], Ref) else None
    if x is None or (values[x.id].dtype, len(values[x.id].shape)) != (y.dtype, len(y.shape)):
        return None
    if n.name == PERMUTE:
        dims = _permutation(n)
        if dims == tuple(range(len(dims))):
            return x.id
        inner = producer.get(x.id)
        if inner is not None and inner.name == PERMUTE and inner.op == "call" and isinstance(inner.args[0], Ref):
            first = _permutation(inner)
            if first is not None and dims is not None and len(first) == len(dims) and \
                    all(first[d] == i for i, d in enumerate(dims)):
                return inner.args[0].id
    if n.name in SAME_SHAPE and len(n.args) > 1 and _same_shape(values[x.id].shape, n.args[1]):
        return x.id
    if n.name == CAST:
        return x.id  # the dtype check above: a cast to the dtype it has
    return None


def _is_unit(a, unit, consts):
    if is_literal(a):
        return a == unit
    return isinstance(a, Ref) and a.id in consts and bool(np.all(consts[a.id] == unit))


def _shape_of(a, consts):
    return tuple(consts[a.id].shape) if isinstance(a, Ref) else ()


def _keeps(x, y, unit_shape):
    """x's dtype and shape stay: the result has x's dtype, and the neutral operand broadcasts into
    x's shape without enlarging it (symbolic dims of x only against size-1 dims)."""
    if x.dtype != y.dtype or len(unit_shape) > len(x.shape):
        return False
    tail = x.shape[len(x.shape) - len(unit_shape):]
    return all(u == 1 or (isinstance(d, int) and u == d) for u, d in zip(unit_shape, tail))


def _permutation(n):
    dims = n.args[1] if len(n.args) > 1 else n.attrs.get("dims")
    if not isinstance(dims, (tuple, list)) or not all(type(d) is int for d in dims):
        return None
    k = len(dims)
    return tuple(d % k if -k <= d < k else d for d in dims)


def _same_shape(have, shape):
    if not isinstance(shape, (tuple, list)) or len(shape) != len(have):
        return False
    free = [i for i, s in enumerate(shape) if s == -1]
    return len(free) <= 1 and all(s == d for i, (s, d) in enumerate(zip(shape, have)) if i not in free) and \
        not any(type(s) is not int for s in shape)
