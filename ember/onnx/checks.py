"""Checks an ONNX file passes before ember reads a tensor from it or runs a node (untrusted files):
every refusal is an `OnnxError` naming the field, raised before anything large is allocated.

- the protobuf must parse; the graph must be topologically ordered, every input defined first;
- every tensor (initializers, Constant attributes) has a known dtype, non-negative dims, at most
  `MAX_ELEMENTS` elements, and exactly the bytes its dims need;
- external data is read only from regular files inside the model's own folder (no absolute
  paths, no `..`, no links out of it), within the file's size;
- op types ember cannot run are listed together, in one error.

    >>> check_model(onnx.ModelProto())                                  # doctest: +SKIP
    OnnxError: onnx model: the file has no graph
"""
import os

import numpy as np

from ember.backend import dtypes
from ember.onnx._proto import EMBER_DTYPE, OnnxError, UnsupportedError, onnx_lib

MAX_ELEMENTS = 2 ** 31        # per tensor
MAX_TOTAL_BYTES = 2 ** 36     # all tensors of one model
MAX_NODES = 1_000_000
MAX_ATTR_LIST = 1 << 20
EXTERNAL = 1                  # TensorProto.DataLocation.EXTERNAL
_TYPED_FIELDS = {"float32": "float_data", "float64": "double_data", "int64": "int64_data", "uint64": "uint64_data",
                 "int32": "int32_data", "int16": "int32_data", "int8": "int32_data", "uint8": "int32_data",
                 "uint16": "int32_data", "bool": "int32_data", "float16": "int32_data", "bfloat16": "int32_data",
                 "uint32": "uint64_data"}


def check_model(model, supported, base_dir=None):
    """Validate a parsed ModelProto (see the module docstring); returns the opset version."""
    if not model.HasField("graph"):
        raise OnnxError("onnx model: the file has no graph")
    opset = _opset(model)
    g = model.graph
    if len(g.node) > MAX_NODES:
        raise OnnxError(f"onnx model: {len(g.node)} nodes is more than ember reads ({MAX_NODES})")
    total = 0
    for t in g.initializer:
        total += check_tensor(t, f"initializer {t.name!r}", base_dir)
    defined = {t.name for t in g.initializer} | {i.name for i in g.input}
    for i in g.input:
        if i.name not in {t.name for t in g.initializer}:
            check_value_info(i)
    unsupported = {}
    for k, n in enumerate(g.node):
        where = f"node {k} ({n.op_type[:40]!r} {n.name[:40]!r})"
        if n.domain not in ("", "ai.onnx") or n.op_type not in supported:
            unsupported.setdefault(f"{n.domain[:40] + '.' if n.domain else ''}{n.op_type[:40]}", where)
        else:
            _check_schema(n, opset, where)
        for name in n.input:
            if name and name not in defined:
                raise OnnxError(f"onnx model: {where} reads {name!r}, which no earlier node, input or initializer "
                                f"defines (the graph must be in topological order)")
        for a in n.attribute:
            total += _check_attribute(a, where, base_dir)
        for name in n.output:
            if name and name in defined:
                raise OnnxError(f"onnx model: {where} defines {name!r} a second time")
            defined.add(name)
    if total > MAX_TOTAL_BYTES:
        raise OnnxError(f"onnx model: the tensors take {total} bytes, more than ember reads ({MAX_TOTAL_BYTES})")
    if unsupported:
        raise UnsupportedError("onnx model: ember cannot run these op types: " + ", ".join(
            f"{op} (first at {where})" for op, where in sorted(unsupported.items())) +
            "; see ember.onnx.SUPPORTED_OPS")
    for o in g.output:
        if o.name not in defined:
            raise OnnxError(f"onnx model: graph output {o.name!r} is never computed")
    return opset


def _check_schema(node, opset, where):
    """The node against ONNX's definition of its op at the model's opset: the op exists there, its
    attributes are the op's (with the right types, the required ones present), its input and output
    counts are in range."""
    defs = onnx_lib().defs
    try:
        schema = defs.get_schema(node.op_type, opset, "")
    except defs.SchemaError:
        raise OnnxError(f"onnx model: {where}: {node.op_type} is not an operator of opset {opset}") from None
    known = schema.attributes
    for a in node.attribute:
        if a.name not in known:
            raise OnnxError(f"onnx model: {where} has attribute {a.name[:40]!r}, which {node.op_type} does not take "
                            f"(it takes {sorted(known)})")
        if int(a.type) != int(known[a.name].type):
            raise OnnxError(f"onnx model: {where}: attribute {a.name!r} has type {int(a.type)}, "
                            f"expected {int(known[a.name].type)}")
    given = {a.name for a in node.attribute}
    for name, spec in known.items():
        if spec.required and name not in given:
            raise OnnxError(f"onnx model: {where} lacks the required attribute {name!r}")
    n_in = len(node.input)
    if not schema.min_input <= n_in <= schema.max_input:
        raise OnnxError(f"onnx model: {where} has {n_in} inputs; {node.op_type} takes "
                        f"{schema.min_input}..{schema.max_input}")
    if not 1 <= len(node.output) <= schema.max_output:
        raise OnnxError(f"onnx model: {where} has {len(node.output)} outputs; {node.op_type} gives at most "
                        f"{schema.max_output}")


def _opset(model):
    versions = {o.domain: o.version for o in model.opset_import}
    version = versions.get("", versions.get("ai.onnx"))
    if version is None or not 1 <= version <= 1000:
        raise OnnxError(f"onnx model: no usable default-domain opset_import (got {dict(versions)})")
    return version


def check_value_info(v):
    t = v.type
    if not t.HasField("tensor_type"):
        raise OnnxError(f"onnx model: graph input {v.name!r} is not a tensor (sequences, maps and optionals are "
                        f"not supported)")
    if t.tensor_type.elem_type not in EMBER_DTYPE:
        raise OnnxError(f"onnx model: graph input {v.name!r} has ONNX data type {t.tensor_type.elem_type}, which "
                        f"ember has no dtype for")


def tensor_dtype(t, where):
    if t.data_type not in EMBER_DTYPE:
        raise OnnxError(f"onnx model: {where} has ONNX data type {t.data_type}, which ember has no dtype for")
    return EMBER_DTYPE[t.data_type]


def check_tensor(t, where, base_dir):
    """Dims, dtype and data size of one TensorProto; returns its size in bytes."""
    name = tensor_dtype(t, where)
    dims = list(t.dims)
    if any(d < 0 for d in dims):
        raise OnnxError(f"onnx model: {where} has negative dims {dims}")
    n = int(np.prod(np.array(dims, dtype=np.float64))) if dims else 1
    if n > MAX_ELEMENTS or len(dims) > 64:
        raise OnnxError(f"onnx model: {where} has shape {dims}: more than ember reads ({MAX_ELEMENTS} elements, "
                        f"rank 64)")
    itemsize = dtypes.as_dtype(name).itemsize
    if t.data_location == EXTERNAL:
        _external(t, where, base_dir, n * itemsize)
    elif t.HasField("raw_data"):
        if len(t.raw_data) != n * itemsize:
            raise OnnxError(f"onnx model: {where} of shape {dims} and dtype {name} needs {n * itemsize} bytes of "
                            f"raw_data, got {len(t.raw_data)}")
    else:
        have = len(getattr(t, _TYPED_FIELDS[name]))  # one value per element, float16 bits included
        if have != n:
            raise OnnxError(f"onnx model: {where} of shape {dims} holds {have} values in {_TYPED_FIELDS[name]}, "
                            f"expected {n}")
    return n * itemsize


def _check_attribute(a, where, base_dir):
    size = 0
    if a.HasField("t"):
        size += check_tensor(a.t, f"attribute {a.name!r} of {where}", base_dir)
    for t in a.tensors:
        size += check_tensor(t, f"attribute {a.name!r} of {where}", base_dir)
    if max(len(a.ints), len(a.floats), len(a.strings)) > MAX_ATTR_LIST:
        raise OnnxError(f"onnx model: attribute {a.name!r} of {where} is a list too long to be real")
    if a.HasField("g") or len(a.graphs):
        raise UnsupportedError(f"onnx model: {where} has a subgraph attribute {a.name!r}; control flow "
                               f"(If, Loop, Scan) is not supported")
    return size


def _external(t, where, base_dir, nbytes):
    info = {e.key: e.value for e in t.external_data}
    location = info.get("location", "")
    if base_dir is None:
        raise OnnxError(f"onnx model: {where} keeps its data in an external file; load the model from a path so "
                        f"the file can be found beside it")
    if not location or os.path.isabs(location) or "\0" in location:
        raise OnnxError(f"onnx model: {where} has external data location {location!r}: it must be a relative path "
                        f"inside the model's folder")
    root = os.path.realpath(base_dir)
    path = os.path.realpath(os.path.join(root, location))
    if os.path.commonpath([root, path]) != root:
        raise OnnxError(f"onnx model: {where} has external data location {location!r}, which leaves the model's "
                        f"folder {root}")
    if not os.path.isfile(path):
        raise OnnxError(f"onnx model: {where}: external data file {location!r} does not exist beside the model")
    try:
        offset, length = int(info.get("offset", 0)), int(info.get("length", nbytes))
    except ValueError:
        raise OnnxError(f"onnx model: {where} has a malformed external data offset/length {info}") from None
    size = os.path.getsize(path)
    if offset < 0 or length != nbytes or offset + length > size:
        raise OnnxError(f"onnx model: {where} reads bytes {offset}..{offset + length} of {location!r} (size {size}); "
                        f"its shape needs {nbytes} bytes")
    t.ClearField("external_data")
    t.data_location = 0
    with open(path, "rb") as f:
        f.seek(offset)
        t.raw_data = f.read(length)
