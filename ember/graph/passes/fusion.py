"""Elementwise fusion: a group of elementwise calls (the primitives of ember.ops.unary and
ember.ops.binary) whose intermediate values each have one user, that user in the group, becomes
one call of `Fused`, which runs the group's array code in sequence.

The gain is in memory traffic, not arithmetic: the intermediates of the group never reach the
graph, and where a step is a plain ufunc (add, mul, exp, tanh, relu...) on float arrays of one
dtype, it writes its result into the buffer of an intermediate the group made and no longer
needs (`out=`), so a chain of n such steps allocates one array instead of n. Other steps run
their primitive's own forward. Calls that a `backward` node replays are never fused (their
backward runs on their own instance), nor are values the graph returns or uses twice.

    >>> g2 = elementwise_fusion(ember.graph.trace(lambda x: (x * 2 + 1).relu().tanh(), x))
    >>> [n.name for n in g2.nodes if n.op == "call"]
    ['ember.graph.passes.fusion.Fused']
"""
import numpy as np

from ember.autograd.function import PRIMITIVES, Function, primitive_name
from ember.errors import AutogradError
from ember.graph.ir import Node, Ref
from ember.graph.passes._util import backward_targets, copy_graph, user_nodes

ELEMENTWISE_MODULES = ("ember.ops.unary", "ember.ops.binary")
_U, _B = "ember.ops.unary.", "ember.ops.binary."
# primitive -> (ufunc, extra operands): steps whose forward on float arrays of the result dtype
# is exactly this ufunc call, so they may write into a dead intermediate of the group.
UFUNCS = {_B + "Add": ("add", ()), _B + "Sub": ("subtract", ()), _B + "Mul": ("multiply", ()),
          _B + "Div": ("divide", ()), _B + "Maximum": ("maximum", ()), _B + "Minimum": ("minimum", ()),
          _U + "Neg": ("negative", ()), _U + "Exp": ("exp", ()), _U + "Log": ("log", ()),
          _U + "Sqrt": ("sqrt", ()), _U + "Tanh": ("tanh", ()), _U + "Sin": ("sin", ()),
          _U + "Cos": ("cos", ()), _U + "Abs": ("absolute", ()), _U + "Relu": ("maximum", (0,)),
          _U + "Expm1": ("expm1", ()), _U + "Log1p": ("log1p", ())}
_DTYPES = {name: np.dtype(name) for name in ("float16", "float32", "float64")}


class Fused(Function):
    """Elementwise steps run in sequence on arrays. attrs["steps"]: (primitive name, operands,
    attrs, result dtype) per step; an operand is ("input", k), ("step", j) or ("literal", v)."""

    def forward(self, *inputs, steps):
        xp = self.xp
        results, owned = [], []
        for name, spec, attrs, dtype in steps:
            ops = [inputs[v] if kind == "input" else results[v] if kind == "step" else v for kind, v in spec]
            fast = None if attrs else UFUNCS.get(name)
            buf = _buffer(ops, spec, results, owned, _DTYPES.get(dtype)) if fast else False
            if buf is not False:
                y = getattr(xp, fast[0])(*ops, *fast[1], out=buf)
            else:
                fn = object.__new__(PRIMITIVES[name])
                fn.xp = xp
                y = fn.forward(*ops, **attrs)
            if type(y) is not xp.ndarray:  # 0-d results come back as NumPy scalars: not an out= buffer
                y = xp.asarray(y)
            owned.append(buf is not False)
            results.append(y)
        return results[-1]

    def backward(self, g):
        raise AutogradError("Fused: a fused elementwise call has no backward; fuse only calls that no "
                            "backward node replays (elementwise_fusion does)")


FUSED = primitive_name(Fused)


def _buffer(ops, spec, results, owned, dt):
    """For a ufunc step: False when its operands are not all float arrays of the result dtype `dt`
    (and Python numbers); else the intermediate it may write into (one the group made, with the
    result's shape), or None (a new array)."""
    arrays = [o for o in ops if type(o) not in (int, float)]
    if dt is None or not arrays or any(getattr(a, "dtype", None) != dt for a in arrays):
        return False
    for kind, v in spec:
        if kind == "step" and owned[v]:
            buf = results[v]
            if all(a.shape == buf.shape or _fits(a.shape, buf.shape) for a in arrays):
                return buf
    return None


def _fits(shape, into):
    """An operand of `shape` broadcasts into `into` without enlarging it."""
    return len(shape) <= len(into) and all(s == 1 or s == d for s, d in zip(shape[::-1], into[::-1]))


def elementwise_fusion(graph):
    """A copy of `graph` with each fusible group of elementwise calls as one `Fused` call."""
    out = copy_graph(graph)
    replay = backward_targets(out)
    users = user_nodes(out)
    producer = {v.id: n for n in out.nodes for v in n.outputs}
    order = {id(n): i for i, n in enumerate(out.nodes)}
    groups = {}  # id(root node) -> its group's nodes
    for n in out.nodes:
        if not _fusible(n, replay):
            continue
        members = [n]
        for r in {r.id: r for r in n.refs()}.values():
            p = producer[r.id]
            if id(p) in groups and len(users[r.id]) == 1:
                members += groups.pop(id(p))
        groups[id(n)] = sorted(members, key=lambda m: order[id(m)])
    fused = {id(m) for g in groups.values() if len(g) > 1 for m in g}
    nodes = []
    for n in out.nodes:
        if id(n) not in fused:
            nodes.append(n)
        elif len(groups.get(id(n), ())) > 1:
            nodes.append(_fuse(groups[id(n)]))
    out.nodes = nodes
    return out


def _fusible(n, replay):
    cls = PRIMITIVES.get(n.name) if n.op == "call" else None
    return cls is not None and cls.__module__ in ELEMENTWISE_MODULES and len(n.outputs) == 1 and \
        n.outputs[0].id not in replay and not Node("call", n.name, [], n.attrs).refs() and \
        all(isinstance(a, Ref) or a is None or type(a) in (int, float, bool) for a in n.args)


def _fuse(members):
    ext, steps, step_of = [], [], {}
    for j, m in enumerate(members):
        spec = []
        for a in m.args:
            if isinstance(a, Ref) and a.id in step_of:
                spec.append(("step", step_of[a.id]))
            elif isinstance(a, Ref):
                if a not in ext:
                    ext.append(a)
                spec.append(("input", ext.index(a)))
            else:
                spec.append(("literal", a))
        steps.append((m.name, tuple(spec), dict(m.attrs), m.outputs[0].dtype))
        step_of[m.outputs[0].id] = j
    return Node("call", FUSED, ext, {"steps": steps}, outputs=[members[-1].outputs[0]])
