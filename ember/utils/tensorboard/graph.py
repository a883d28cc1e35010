"""The graph IR as a TensorBoard GraphDef (the Graphs dashboard).

Node names carry the module path as name scopes (`Net/fc1/linear_7`), so the dashboard folds each
module into one box; op types are the primitives' names (`linear`, `relu`); every node has its
output shapes (`_output_shapes`, the symbolic batch dim as -1) and `dtype`. Backward nodes sit
under the top-level `gradients/` scope (`gradients/Net/fc1/linear_grad_12`, op `linear_grad`), as
TensorFlow lays out its gradients, so forward and backward are told apart at a glance.

    >>> graph_def(trace_with_modules(model, (x,)), root="Net")           # doctest: +SKIP
"""
from ember.autograd import dispatch
from ember.autograd.function import PRIMITIVES
from ember.backend import random as ember_random
from ember.graph.ir import BACKWARD, Ref, forward_of
from ember.graph.trace import record
from ember.utils.tensorboard._deps import attr_value_pb2, graph_pb2, node_def_pb2, tensor_shape_pb2, types_pb2
from ember.utils.tensorboard._deps import versions_pb2

DTYPES = {"float32": types_pb2.DT_FLOAT, "float64": types_pb2.DT_DOUBLE, "float16": types_pb2.DT_HALF,
          "bfloat16": types_pb2.DT_BFLOAT16, "int8": types_pb2.DT_INT8, "int16": types_pb2.DT_INT16,
          "int32": types_pb2.DT_INT32, "int64": types_pb2.DT_INT64, "uint8": types_pb2.DT_UINT8,
          "bool": types_pb2.DT_BOOL}


def tag_modules(cls, args, attrs, proceed):
    """A dispatch observer: while a trace records, each call's output values get the module path the call
    ran in (`Value.origin`), which graph passes carry along. Use inside `dispatch.module_paths()`."""
    out = proceed(args, attrs)
    tr = dispatch.tracer()
    if tr is not None:
        path = dispatch.module_path()
        if dispatch.in_backward():  # the engine's own ops (gradient sums, reductions to input shapes)
            fwd = tr.calls.get(id(dispatch.backward_node()))
            path = ("gradients/" + _path(fwd.outputs[0] if fwd is not None and fwd.outputs else None)).rstrip("/")
        for v in tr.graph.nodes[-1].outputs:
            if v.origin is None:
                v.origin = {"module": path}
    return out


def trace_with_modules(fn, inputs, state=None):
    """Trace `fn(*inputs)` with module paths on its values, undoing what the run wrote to state and to
    the random generator; returns the graph."""
    rng = ember_random.get_rng_state()
    tracer = None
    try:
        with dispatch.module_paths(), dispatch.observing(tag_modules):
            graph, _, tracer = record(fn, tuple(inputs), state, dynamic_batch=True)
    finally:
        for array, before in (tracer.undo.values() if tracer is not None else ()):
            array[...] = before
        ember_random.set_rng_state(rng)
    return graph


def _path(v):
    return (v.origin or {}).get("module", "") if v is not None else ""


def _shape(v):
    return tensor_shape_pb2.TensorShapeProto(dim=[tensor_shape_pb2.TensorShapeProto.Dim(
        size=d if isinstance(d, int) else -1) for d in v.shape])


def _attrs(values, extra=None):
    out = {"_output_shapes": attr_value_pb2.AttrValue(list=attr_value_pb2.AttrValue.ListValue(
        shape=[_shape(v) for v in values]))}
    if values:
        out["dtype"] = attr_value_pb2.AttrValue(type=DTYPES.get(values[0].dtype, types_pb2.DT_INVALID))
    for k, v in (extra or {}).items():
        if not isinstance(v, Ref):
            out[k] = attr_value_pb2.AttrValue(s=repr(v)[:200].encode())
    return out


def _scoped(prefix, name):
    return f"{prefix}/{name}" if prefix else name


def graph_def(graph, root="model"):
    """The GraphDef of `graph` (see the module docstring); module paths come from its values' `origin`."""
    forwards = forward_of(graph)
    producer = {}   # value id -> node name
    nodes = []
    for i, n in enumerate(graph.nodes):
        op = None
        if n.op == "input":
            name = f"input/{n.name}"
        elif n.op in ("parameter", "constant"):
            name = _scoped(root, n.name.replace(".", "/")) if n.op == "parameter" else f"constants/{n.name}"
        elif n.op == "output":
            name = "output/output"
        elif n.name == BACKWARD:
            fwd = forwards[n.args[0].id]
            op = PRIMITIVES[fwd.name].op_name() + "_grad"
            name = _scoped("gradients/" + _path(fwd.outputs[0]), f"{op}_{i}").rstrip("/").replace("//", "/")
        else:
            op = PRIMITIVES[n.name].op_name()
            name = _scoped(_path(n.outputs[0] if n.outputs else None), f"{op}_{i}")
        kind = {"input": "Input", "parameter": "Parameter", "constant": "Constant", "output": "Output"}.get(n.op, op)
        inputs = [producer[r.id] for r in n.refs() if r.id in producer]
        nodes.append(node_def_pb2.NodeDef(name=name, op=kind, input=list(dict.fromkeys(inputs)),
                                          attr=_attrs(n.outputs, n.attrs if n.op == "call" else None)))
        for v in n.outputs:
            producer[v.id] = name
    return graph_pb2.GraphDef(node=nodes, versions=versions_pb2.VersionDef(producer=22))
