"""The graph IR: a flat, topologically ordered list of nodes (DESIGN.md "One core, one graph").

Five opcodes: `input` (an argument of the traced function), `parameter` (module state: weights,
buffers, optimizer state), `constant` (an array captured by the trace), `call` (one registry
primitive with its attributes) and `output` (the last node: returned values, plus the new values
of parameters that the traced code updated in place, written back by the caller).

Every value carries a dtype and a shape whose entries are ints or names of symbolic dims
("B": the batch dim, dynamic by default). A call node names its primitive by qualified class
name (`ember.ops.linalg.Matmul`), so a graph read from JSON finds its code in the registry,
never in the file.

    >>> g = ember.graph.trace(lambda x: (x * 2).relu(), ember.randn(4, 3))
    >>> print(g)                                       # doctest: +SKIP
    graph(%0: float32[B, 3]):
      %1: float32[B, 3] = binary.Mul(%0, 2)
      %2: float32[B, 3] = unary.Relu(%1)
      return (%2)
"""
import base64
import json
from dataclasses import dataclass, field

import numpy as np

from ember.autograd.function import PRIMITIVES
from ember.backend import dtypes
from ember.backend.device import Device, device
from ember.errors import ArgumentError, EmberError
from ember.ops._im2col import Geometry
from ember.ops.pool import PoolGeometry

OPCODES = ("input", "parameter", "constant", "call", "output")
# The name of a call node that runs the backward of an earlier call: args are (first output of
# that call, then one gradient or None per output of it); attrs["inputs"] lists which inputs of the
# forward get a gradient (one output value each).
BACKWARD = "backward"
_DTYPE_NAMES = {d.name for d in dtypes.ALL}
# The structured attribute types a graph file may hold, by name (a file names a type; it never
# carries code).
NAMEDTUPLES = {"Geometry": Geometry, "PoolGeometry": PoolGeometry}
FORMAT = 1


class GraphError(EmberError, ValueError):
    """A malformed graph: the message names the node."""


@dataclass(frozen=True)
class Ref:
    """A use of value `id` as an argument of a node."""
    id: int

    def __repr__(self):
        return f"%{self.id}"


@dataclass
class Value:
    id: int
    dtype: str
    shape: tuple          # ints, or str names of symbolic dims
    # Where the op making it ran (module path, user's line), set while tracing by an observer that
    # asks (numerics checks); passes copy it, files do not store it.
    origin: dict = field(default=None, compare=False, repr=False)

    def type_str(self):
        return f"{self.dtype}[{', '.join(str(d) for d in self.shape)}]"


@dataclass
class Node:
    op: str
    name: str                                    # input/parameter/constant: its name; call: the primitive
    args: list = field(default_factory=list)     # Refs and literals
    attrs: dict = field(default_factory=dict)
    outputs: list = field(default_factory=list)  # Values
    tuple_out: bool = False                      # a call whose forward returns a tuple (even of one)

    def refs(self):
        return [a for a in _walk(self.args) if isinstance(a, Ref)] + \
            [a for a in _walk(list(self.attrs.values())) if isinstance(a, Ref)]


def _walk(items):
    for a in items:
        if isinstance(a, (list, tuple)):
            yield from _walk(a)
        elif isinstance(a, dict):
            yield from _walk(list(a.values()))
        else:
            yield a


class Graph:
    """Nodes in topological order, and the arrays of its constants by name."""

    def __init__(self, nodes=None, constants=None, meta=None):
        self.nodes = list(nodes or [])
        self.constants = dict(constants or {})
        self.meta = dict(meta or {})  # what passes learn about the graph (memory plan, folded constants)

    # --- reading ------------------------------------------------------------
    def values(self):
        return {v.id: v for n in self.nodes for v in n.outputs}

    def nodes_of(self, op):
        return [n for n in self.nodes if n.op == op]

    @property
    def output(self):
        return self.nodes[-1]

    def users(self):
        """value id -> the nodes that use it."""
        out = {}
        for n in self.nodes:
            for r in n.refs():
                out.setdefault(r.id, []).append(n)
        return out

    def next_id(self):
        return max((v.id for n in self.nodes for v in n.outputs), default=-1) + 1

    # --- checking -----------------------------------------------------------
    def validate(self):
        """Raise GraphError naming the first malformed node; return self."""
        seen = set()
        if not self.nodes or self.nodes[-1].op != "output":
            raise GraphError("graph: the last node must be the output node")
        for i, n in enumerate(self.nodes):
            where = f"graph node {i} ({n.op} {n.name})"
            if n.op not in OPCODES:
                raise GraphError(f"{where}: unknown opcode {n.op!r}; expected one of {OPCODES}")
            if n.op == "output" and i != len(self.nodes) - 1:
                raise GraphError(f"{where}: only the last node may be an output node")
            if n.op in ("input", "parameter", "constant") and n.args:
                raise GraphError(f"{where}: {n.op} nodes take no arguments")
            if n.op == "call" and n.name not in PRIMITIVES and n.name != BACKWARD:
                raise GraphError(f"{where}: {n.name!r} is not a registered primitive")
            if n.op == "constant" and n.name not in self.constants:
                raise GraphError(f"{where}: no array for constant {n.name!r}")
            for r in n.refs():
                if r.id not in seen:
                    raise GraphError(f"{where}: uses %{r.id} before it is defined")
            for v in n.outputs:
                if v.id in seen:
                    raise GraphError(f"{where}: defines %{v.id} a second time")
                if v.dtype not in _DTYPE_NAMES:
                    raise GraphError(f"{where}: %{v.id} has unknown dtype {v.dtype!r}")
                if not all(isinstance(d, (int, str)) and (not isinstance(d, int) or d >= 0) for d in v.shape):
                    raise GraphError(f"{where}: %{v.id} has a malformed shape {v.shape!r}")
                seen.add(v.id)
        return self

    # --- printing -----------------------------------------------------------
    def __str__(self):
        head = [f"%{v.id}: {v.type_str()}" for n in self.nodes_of("input") for v in n.outputs]
        lines = [f"graph({', '.join(head)}):"]
        for n in self.nodes:
            if n.op == "input":
                continue
            if n.op == "output":
                lines.append(f"  return ({', '.join(_fmt(a) for a in n.args)})" +
                             (f"  updates {n.attrs['updates']}" if n.attrs.get("updates") else ""))
                continue
            outs = ", ".join(f"%{v.id}: {v.type_str()}" for v in n.outputs) or "()"
            if n.op in ("parameter", "constant"):
                lines.append(f"  {outs} = {n.op} {n.name!r}")
                continue
            args = [_fmt(a) for a in n.args] + [f"{k}={_fmt(v)}" for k, v in n.attrs.items()]
            lines.append(f"  {outs} = {short_name(n.name)}({', '.join(args)})")
        return "\n".join(lines)

    __repr__ = __str__

    # --- JSON ---------------------------------------------------------------
    def to_json(self):
        """The graph as a JSON string: nodes, and constants as base64 bytes with dtype and shape."""
        doc = {"format": FORMAT,
               "nodes": [{"op": n.op, "name": n.name, "args": _enc(n.args), "attrs": _enc(n.attrs),
                          "outputs": [{"id": v.id, "dtype": v.dtype, "shape": list(v.shape)} for v in n.outputs],
                          **({"tuple_out": True} if n.tuple_out else {})}
                         for n in self.nodes],
               "constants": {k: _enc_array(a) for k, a in self.constants.items()}}
        return json.dumps(doc)

    @classmethod
    def from_json(cls, text):
        doc = json.loads(text)
        if doc.get("format", 0) > FORMAT:
            raise GraphError(f"graph: format {doc.get('format')} is newer than this ember reads ({FORMAT}); "
                             f"upgrade ember")
        nodes = [Node(d["op"], d["name"], _dec(d["args"]), _dec(d["attrs"]),
                      [Value(o["id"], o["dtype"], tuple(o["shape"])) for o in d["outputs"]], d.get("tuple_out", False))
                 for d in doc["nodes"]]
        return cls(nodes, {k: _dec_array(v) for k, v in doc["constants"].items()}).validate()


def short_name(qualified):
    """`ember.ops.linalg.Matmul` -> `linalg.Matmul` for listings."""
    return qualified.removeprefix("ember.ops.")


def forward_of(graph):
    """value id of a call's first output -> that call node (what a backward node's first arg names)."""
    return {n.outputs[0].id: n for n in graph.nodes if n.op == "call" and n.outputs and n.name != BACKWARD}


def _fmt(a):
    if isinstance(a, Ref):
        return repr(a)
    if isinstance(a, tuple):
        return "(" + ", ".join(_fmt(x) for x in a) + ("," if len(a) == 1 else "") + ")"
    if isinstance(a, list):
        return "[" + ", ".join(_fmt(x) for x in a) + "]"
    if isinstance(a, np.dtype):
        return a.name
    if isinstance(a, np.ndarray):
        return f"array({a.dtype.name}{list(a.shape)})"
    return repr(a)


# Attributes hold Python literals, tuples, slices, Ellipsis, dtypes, devices and small index
# arrays; JSON gets them as tagged objects and gives them back as they were.
def _enc(x):
    if isinstance(x, Ref):
        return {"$ref": x.id}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        if NAMEDTUPLES.get(type(x).__name__) is not type(x):
            raise ArgumentError(f"graph: attribute type {type(x).__name__} is not in ir.NAMEDTUPLES")
        return {"$named": [type(x).__name__, [_enc(v) for v in x]]}
    if isinstance(x, tuple):
        return {"$tuple": [_enc(v) for v in x]}
    if isinstance(x, list):
        return [_enc(v) for v in x]
    if isinstance(x, dict):
        return {"$dict": [[k, _enc(v)] for k, v in x.items()]}
    if isinstance(x, slice):
        return {"$slice": [_enc(x.start), _enc(x.stop), _enc(x.step)]}
    if x is Ellipsis:
        return {"$ellipsis": True}
    if isinstance(x, np.dtype):
        return {"$dtype": x.name}
    if isinstance(x, np.ndarray):
        return {"$array": _enc_array(x)}
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, Device):
        return {"$device": str(x)}
    if x is None or isinstance(x, (bool, int, float, str)):
        return x
    raise ArgumentError(f"graph: cannot store an attribute of type {type(x).__name__} ({x!r}) in a graph")


def _dec(x):
    if isinstance(x, list):
        return [_dec(v) for v in x]
    if not isinstance(x, dict):
        return x
    (tag, v), = x.items() if len(x) == 1 else (("", None),)
    if tag == "$ref":
        return Ref(v)
    if tag == "$named":
        if v[0] not in NAMEDTUPLES:
            raise GraphError(f"graph: unknown attribute type {v[0]!r}; known: {sorted(NAMEDTUPLES)}")
        return NAMEDTUPLES[v[0]](*(_dec(e) for e in v[1]))
    if tag == "$tuple":
        return tuple(_dec(e) for e in v)
    if tag == "$dict":
        return {k: _dec(e) for k, e in v}
    if tag == "$slice":
        return slice(*(_dec(e) for e in v))
    if tag == "$ellipsis":
        return Ellipsis
    if tag == "$dtype":
        return dtypes.as_dtype(v).np
    if tag == "$array":
        return _dec_array(v)
    if tag == "$device":
        return device(v)
    raise GraphError(f"graph: unknown attribute encoding {x!r}")


def _enc_array(a):
    a = np.ascontiguousarray(a)
    return {"dtype": dtypes.dtype_of(a).name, "shape": list(a.shape), "data": base64.b64encode(a.tobytes()).decode()}


def _dec_array(d):
    dt = dtypes.as_dtype(d["dtype"]).np
    return np.frombuffer(base64.b64decode(d["data"]), dtype=dt).reshape(d["shape"]).copy()
