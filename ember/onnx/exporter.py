"""`ember.onnx.export`: trace a module in eval mode to the graph IR, lower each primitive with
the table in lower.py, and write an ONNX model (weights as initializers under their
`state_dict` names, a dynamic batch dim by default).

    >>> model = ember.nn.Sequential(ember.nn.Linear(4, 8), ember.nn.ReLU())
    >>> proto = ember.onnx.export(model, ember.randn(2, 4), "m.onnx")    # doctest: +SKIP
    >>> [i.name for i in proto.graph.input]                               # doctest: +SKIP
    ['input0']
"""
import os
import warnings

import numpy as np

from ember.autograd import dispatch
from ember.autograd.grad_mode import no_grad
from ember.autograd.function import primitive_name
from ember.autograd.tensor import Tensor
from ember.graph import passes
from ember.graph.compile import at_batch, compile as ember_compile, grown
from ember.graph.ir import short_name
from ember.nn.module import Module
from ember.nn.parameter import Parameter
from ember.onnx._proto import ONNX_DTYPE, PARAMETER_DOC, OnnxError, UnsupportedError, onnx_lib
from ember.onnx.emitter import Emitter
from ember.onnx.lower import LOWERINGS

# The default opset: one that onnxruntime implements in full (1.22 and later); the tests run the
# exported files at this opset and at onnx's newest. onnx's own newest can be ahead of runtimes.
DEFAULT_OPSET = 23
MIN_OPSET = 20          # Gelu (20) and ReduceMean/ReduceMax with axes as an input (18)
EXTERNAL_DATA_BYTES = 2 ** 31 - 2 ** 20   # protobuf's 2 GB limit, with room for the graph itself


def export(model, args, f, *, input_names=None, output_names=None, dynamic_batch=True, opset_version=None):
    """Write `model` (an `ember.nn.Module` or a function of tensors) as an ONNX file.

    `args`: the example input tensor, or a tuple of them. `f`: a path or a binary file object.
    Returns the `onnx.ModelProto`. A primitive with no ONNX lowering is an `UnsupportedError`
    naming it and the module that called it; the file is then not written.
    """
    onnx = onnx_lib("onnx.export")
    args = args if isinstance(args, (tuple, list)) else (args,)
    for i, a in enumerate(args):
        if not isinstance(a, Tensor):
            raise OnnxError(f"onnx.export: example input {i} is a {type(a).__name__}; pass ember tensors")
    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    if not MIN_OPSET <= opset <= onnx.defs.onnx_opset_version():
        raise OnnxError(f"onnx.export: opset_version={opset_version} is outside what this exporter writes "
                        f"({MIN_OPSET}..{onnx.defs.onnx_opset_version()})")
    graph, batch_dynamic = _trace(model, args, dynamic_batch)
    proto = to_model(graph, _state(model), batch_dynamic, opset, input_names, output_names,
                     owner=lambda prims: _owners(model, args, prims))
    onnx.checker.check_model(proto)
    _save(proto, f)
    return proto


class Structured(Module):
    """A model that takes one structure of tensors (a Keras model's list or dict of inputs) as a
    module of flat positional tensors, for export; its state dict is the model's own (same names)."""

    def __init__(self, model, structure):
        super().__init__()
        self.model = model
        self.structure = structure

    def forward(self, *flat):
        leaves = iter(flat)
        return self.model(_rebuild(self.structure, leaves))

    def state_dict(self, *args, **kwargs):
        return self.model.state_dict(*args, **kwargs)


def _rebuild(structure, leaves):
    if isinstance(structure, (list, tuple)):
        return type(structure)(_rebuild(s, leaves) for s in structure)
    if isinstance(structure, dict):
        return {k: _rebuild(v, leaves) for k, v in structure.items()}
    return next(leaves)


def export_structured(model, example, f, **kwargs):
    """`export` for a model called with one (possibly nested) structure of tensors, e.g. a Keras model
    with two inputs called on `[x1, x2]`: the ONNX inputs are the leaves, in order."""
    return export(Structured(model, example), tuple(_leaves(example)), f, **kwargs)


def _leaves(structure):
    if isinstance(structure, (list, tuple)):
        return [leaf for s in structure for leaf in _leaves(s)]
    if isinstance(structure, dict):
        return [leaf for v in structure.values() for leaf in _leaves(v)]
    return [structure]


def _trace(model, args, dynamic_batch):
    training = getattr(model, "training", None)
    if training:
        model.eval()
    why = "the traced graph depends on the batch size"
    try:
        compiled = ember_compile(model, dynamic_batch=dynamic_batch, optimize=False)
        with no_grad():
            compiled(*args)
            entry = compiled.last
            if entry.batch_dynamic:  # checked at a third size, far from the two traced (ember.compile's _verify)
                b = args[0].shape[0]
                try:
                    compiled(*[grown(a, b, 2 * b + 3) for a in args])
                except Exception as e:  # the model's own code refused that size
                    entry.elsewhere.add(2 * b + 3)
                    why = f"the model failed at batch size {2 * b + 3} ({type(e).__name__}: {e})"
    finally:
        if training:
            model.train()
    batch_dynamic = bool(entry.batch_dynamic and not entry.elsewhere)
    graph = entry.graph if batch_dynamic or not args else at_batch(entry.graph, args[0].shape[0])
    graph = passes.default_pipeline(graph, fuse=False, plan_memory=False)
    if dynamic_batch and not batch_dynamic and args and args[0].ndim:
        warnings.warn(f"onnx.export: {why}, so the file has a fixed batch dim of {args[0].shape[0]}", stacklevel=3)
    return graph, batch_dynamic


def _state(model):
    return model.state_dict(keep_vars=True) if hasattr(model, "state_dict") else {}


def to_model(graph, state, batch_dynamic, opset, input_names=None, output_names=None, owner=None):
    """The ONNX ModelProto of an IR graph (see `export`)."""
    calls = [n for n in graph.nodes if n.op == "call"]
    missing = sorted({n.name for n in calls if n.name not in LOWERINGS})
    if missing:
        where = owner(missing) if owner else {}
        raise UnsupportedError("onnx.export: no ONNX lowering for " + "; ".join(
            f"{short_name(p)} (called by {where.get(p, 'the traced code')})" for p in missing))
    values = graph.values()
    inputs = graph.nodes_of("input")
    e = Emitter({v.id: v.dtype for v in values.values()})
    e.shapes = {v.id: v.shape for v in values.values()}
    helper = e.onnx.helper
    onnx_inputs = []
    for i, n in enumerate(inputs):
        v = n.outputs[0]
        name = input_names[i] if input_names and i < len(input_names) else f"input{i}"
        e.names[v.id] = name
        dims = ["batch" if batch_dynamic and j == 0 else d for j, d in enumerate(v.shape)]
        onnx_inputs.append(helper.make_tensor_value_info(name, ONNX_DTYPE[v.dtype], dims))
    if batch_dynamic and inputs:
        e.batch_source = e.names[inputs[0].outputs[0].id]
    for n in graph.nodes:
        if n.op == "parameter":
            e.names[n.outputs[0].id] = _initializer(e, n.name, state[n.name])
        elif n.op == "constant":
            e.names[n.outputs[0].id] = e.const(graph.constants[n.name], "const_" + n.name)
        elif n.op == "call":
            _lower(e, n, graph)
    return _finish(e, graph, onnx_inputs, output_names, opset)


def _initializer(e, name, tensor):
    """A weight under its state_dict name; a Parameter's doc_string says so, so that import makes
    it a Parameter again (and a buffer, such as a running mean, a buffer)."""
    array = tensor._data if isinstance(tensor, Tensor) else np.asarray(tensor)
    proto = e.onnx.numpy_helper.from_array(np.ascontiguousarray(array), name)
    if isinstance(tensor, Parameter):
        proto.doc_string = PARAMETER_DOC
    e.initializers.append(proto)
    return name


def _lower(e, node, graph):
    try:
        names = LOWERINGS[node.name](e, node)
    except OnnxError:
        raise
    except (KeyError, TypeError, ValueError, IndexError) as err:
        raise OnnxError(f"onnx.export: lowering {short_name(node.name)} failed: {err}") from None
    for v, name in zip(node.outputs, names):
        if name is not None:
            e.names[v.id] = name


def _finish(e, graph, onnx_inputs, output_names, opset):
    helper = e.onnx.helper
    out = graph.output
    outputs, nodes_before = [], len(e.nodes)
    for i, ref in enumerate(out.args[:out.attrs.get("n_outputs", len(out.args))]):
        if ref.id not in e.names:
            raise OnnxError(f"onnx.export: output {i} is an output of a primitive that ONNX has no counterpart of")
        name = output_names[i] if output_names and i < len(output_names) else f"output{i}"
        e.nodes.append(helper.make_node("Identity", [e.names[ref.id]], [name], name=f"out_{name}"))
        v = graph.values()[ref.id]
        outputs.append(helper.make_tensor_value_info(name, ONNX_DTYPE[v.dtype], [None] * len(v.shape)))
    for n in e.nodes[:nodes_before]:
        for i in n.input:
            if i and i not in _known(e, onnx_inputs):
                raise OnnxError(f"onnx.export: node {n.op_type} reads {i!r}, an output ONNX has no counterpart of")
    g = helper.make_graph(e.nodes, "ember", onnx_inputs, outputs, initializer=e.initializers)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="ember")
    model.ir_version = min(model.ir_version, 10)  # the IR version onnxruntime 1.18+ reads
    return _output_shapes(e.onnx, model)


def _output_shapes(onnx, model):
    """Fill the outputs' dims with what ONNX's shape inference finds (numbers, or `batch`)."""
    inferred = onnx.shape_inference.infer_shapes(model)
    known = {v.name: v for v in list(inferred.graph.value_info) + list(inferred.graph.output)}
    for out in model.graph.output:
        v = known.get(out.name)
        if v is not None and v.type.tensor_type.HasField("shape"):
            out.type.tensor_type.shape.CopyFrom(v.type.tensor_type.shape)
    return model


def _known(e, onnx_inputs):
    if getattr(e, "_known", None) is None:
        e._known = {i.name for i in onnx_inputs} | {t.name for t in e.initializers} | \
            {o for n in e.nodes for o in n.output}
    return e._known


def _owners(model, args, prims):
    """primitive name -> the qualified name of the module whose forward first called it (found by
    running the model once more with a dispatch observer and forward hooks; only on the error path)."""
    if not hasattr(model, "named_modules"):
        return {}
    stack, found, handles = [], {}, []
    def enter(label):
        return lambda module, inputs: stack.append(label)  # list.append returns None: inputs unchanged

    def leave(module, inputs, output):
        stack.pop()  # returns None: the output stays

    for name, m in model.named_modules():
        handles.append(m.register_forward_pre_hook(enter(f"{name or 'the model'} ({type(m).__name__})")))
        handles.append(m.register_forward_hook(leave))

    def observer(cls, a, k, proceed):
        found.setdefault(primitive_name(cls), stack[-1] if stack else "the model")
        return proceed(a, k)
    try:
        with no_grad(), dispatch.observing(observer):
            model(*args)
    finally:
        for h in handles:
            h.remove()
    return {p: found[p] for p in prims if p in found}


def _save(proto, f):
    onnx = onnx_lib()
    size = sum(t.ByteSize() for t in proto.graph.initializer)
    if hasattr(f, "write"):
        if size > EXTERNAL_DATA_BYTES:
            raise OnnxError(f"onnx.export: the weights take {size} bytes, over protobuf's 2 GB limit; pass a path "
                            f"so they can go to an external data file beside it")
        f.write(proto.SerializeToString())
        return
    path = os.fspath(f)
    if size > EXTERNAL_DATA_BYTES:
        onnx.save_model(proto, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=os.path.basename(path) + ".data", size_threshold=1024)
    else:
        tmp = path + ".tmp"
        with open(tmp, "wb") as out:
            out.write(proto.SerializeToString())
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
