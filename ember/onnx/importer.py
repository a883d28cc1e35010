"""`ember.onnx.load`: an ONNX file as a trainable `ember.nn.Module`.

The graph's nodes run in order as ember ops (the table in `IMPORTERS`), so the module trains with
`ember.optim`, fits inside `keras.Sequential`, and compiles with `ember.compile`. Initializers
that feed weight positions (`WEIGHT_INPUTS`) become Parameters named as in the file (`fc.weight`
stays `fc.weight` in `state_dict()`); other floating initializers become buffers, integer ones
constants. Files are checked first (ember/onnx/checks.py).

    >>> model = ember.onnx.load("mlp.onnx")                             # doctest: +SKIP
    >>> model(ember.randn(4, 784)).shape                                 # doctest: +SKIP
    ember.Size([4, 10])
"""
import contextlib
import io
import os
import re

import numpy as np

from ember.autograd import grad_mode
from ember.autograd.grad_mode import no_grad
from ember.autograd.tensor import Tensor
from ember.errors import EmberError
from ember.nn.module import Module
from ember.nn.parameter import Parameter
from ember.ops.creation import tensor
from ember.onnx._proto import PARAMETER_DOC, OnnxError, onnx_lib
from ember.onnx.checks import check_model
from ember.onnx.op_math import MATH_OPS
from ember.onnx.op_nn import NN_OPS
from ember.onnx.op_rnn import RNN_OPS
from ember.onnx.op_tensor import TENSOR_OPS
from ember.onnx.op_util import Attrs, tensor_of

IMPORTERS = {**MATH_OPS, **TENSOR_OPS, **NN_OPS, **RNN_OPS}
SUPPORTED_OPS = tuple(sorted(IMPORTERS))
# Input positions that hold trained weights: an initializer there becomes a Parameter.
WEIGHT_INPUTS = {
    "Conv": (1, 2), "ConvTranspose": (1, 2), "Gemm": (0, 1, 2), "MatMul": (0, 1), "BatchNormalization": (1, 2),
    "LayerNormalization": (1, 2), "InstanceNormalization": (1, 2), "GroupNormalization": (1, 2),
    "LSTM": (1, 2, 3), "GRU": (1, 2, 3), "RNN": (1, 2, 3), "Gather": (0,), "PRelu": (1,),
}
# An Add of an initializer to the output of these is a bias (MatMul + Add is how Linear is often written).
BIAS_AFTER = {"MatMul", "Conv", "Gemm", "ConvTranspose", "Mul"}
MAX_FILE_BYTES = 2 ** 31


def load(f, trainable=True):
    """Read an ONNX model (a path, bytes, or a binary file object) as an `OnnxModule`.

    `trainable=False` freezes every parameter (a feature extractor); `requires_grad_(False)` on a part
    freezes that part. Op types ember cannot run are listed in one `UnsupportedError` before anything runs.
    """
    onnx = onnx_lib("onnx.load")
    data, base_dir = _read(f)
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except Exception as e:  # protobuf's DecodeError, or a RuntimeError from its C++ parser
        raise OnnxError(f"onnx.load: not an ONNX model file ({type(e).__name__}: {e})") from None
    opset = check_model(model, IMPORTERS, base_dir)
    module = OnnxModule(model.graph, opset)
    if not trainable:
        module.requires_grad_(False)
    return module


def _read(f):
    if isinstance(f, (bytes, bytearray, memoryview)):
        return bytes(f), None
    if isinstance(f, io.IOBase) or hasattr(f, "read"):
        data = f.read(MAX_FILE_BYTES + 1)
        base = None
    else:
        path = os.fspath(f)
        if not os.path.isfile(path):
            raise OnnxError(f"onnx.load: {path!r} is not a file")
        if os.path.getsize(path) > MAX_FILE_BYTES:
            raise OnnxError(f"onnx.load: {path!r} is over {MAX_FILE_BYTES} bytes; keep large weights as external data")
        with open(path, "rb") as fh:
            data = fh.read()
        base = os.path.dirname(os.path.abspath(path))
    if len(data) > MAX_FILE_BYTES:
        raise OnnxError(f"onnx.load: the model is over {MAX_FILE_BYTES} bytes; keep large weights as external data")
    return data, base


class _Scope(Module):
    """A namespace module, so a dotted initializer name (`layer1.0.weight`) keeps its dots in state_dict."""

    def forward(self, *args):
        raise OnnxError("onnx: a namespace of an imported model is not callable; call the OnnxModule")


class OnnxModule(Module):
    """An ONNX graph run with ember ops (see the module docstring); `forward(*inputs)` takes the graph's
    inputs in order and returns its output (a tuple when there are several)."""

    def __init__(self, graph, opset=None):
        super().__init__()
        onnx = onnx_lib()
        self.opset = opset
        self.input_names = [i.name for i in graph.input if i.name not in {t.name for t in graph.initializer}]
        self.output_names = [o.name for o in graph.output]
        self._nodes = [(n.op_type, n.name, list(n.input), list(n.output), _attrs(onnx, n)) for n in graph.node]
        self._values = {}   # ONNX name -> (kind, module path or array)
        weights = _weight_names(graph)
        for t in graph.initializer:
            array = onnx.numpy_helper.to_array(t)
            if array.dtype.kind == "f":
                value = tensor(array.copy())
                path = self._place(t.name, Parameter(value) if t.name in weights else value)
                self._values[t.name] = ("state", path)
            else:
                self._values[t.name] = ("static", array)

    def _place(self, onnx_name, value):
        """Register `value` under a module path made of the sanitized dotted name; returns the path."""
        parts = [re.sub(r"\W", "_", p) or "_" for p in onnx_name.split(".")]
        scope = self
        for p in parts[:-1]:
            child = scope._modules.get(p)
            if child is None:
                p = p if p not in dir(scope) or p in scope._modules else p + "_"
                child = scope._modules.get(p) or _Scope()
                scope.add_module(p, child)
            scope = child
        leaf = parts[-1]
        while leaf in dir(scope) or leaf in scope._modules:
            leaf += "_"
        if isinstance(value, Parameter):
            scope.register_parameter(leaf, value)
        else:
            scope.register_buffer(leaf, value)
        return (scope, leaf)

    def forward(self, *inputs):
        if len(inputs) != len(self.input_names):
            raise OnnxError(f"OnnxModule: the graph takes {len(self.input_names)} inputs {self.input_names}, "
                            f"got {len(inputs)}")
        env = dict(zip(self.input_names, inputs))
        for name, (kind, where) in self._values.items():
            env[name] = getattr(where[0], where[1]) if kind == "state" else where
        for op_type, name, ins, outs, attrs in self._nodes:
            args = [env[i] if i else None for i in ins]
            a = Attrs(attrs, op_type, len(outs), name)
            result = _run(IMPORTERS[op_type], args, a)
            result = result if isinstance(result, tuple) else (result,)
            for o, v in zip(outs, result):
                if o:
                    env[o] = v
        out = [tensor_of(env[o]) for o in self.output_names]
        return out[0] if len(out) == 1 else tuple(out)

    def extra_repr(self):
        return f"inputs={self.input_names}, outputs={self.output_names}, nodes={len(self._nodes)}, opset={self.opset}"


def _run(fn, args, a):
    """Run one node; a node whose inputs are all static (shapes, constants) is computed once more as
    a static value, so what reads it sees Python ints. Errors name the node."""
    try:
        if args and all(v is None or isinstance(v, np.ndarray) for v in args):
            with no_grad(), _untraced():
                result = fn(args, a)
            if isinstance(result, tuple):
                return tuple(r.numpy() if isinstance(r, Tensor) else r for r in result)
            return result.numpy() if isinstance(result, Tensor) else result
        return fn(args, a)
    except EmberError:
        raise
    except (ValueError, TypeError, IndexError, KeyError, ZeroDivisionError, OverflowError, AttributeError,
            MemoryError) as e:
        raise OnnxError(f"onnx {a.op_type} {a.name!r}: {type(e).__name__}: {e}") from None


@contextlib.contextmanager
def _untraced():
    """Static values (shapes and what is computed from them) are worked out when the graph runs, like
    Python ints in traced code: a graph tracer recording the model must not record them as ops."""
    saved = grad_mode._state.tracer
    grad_mode._state.tracer = None
    try:
        yield
    finally:
        grad_mode._state.tracer = saved


def _attrs(onnx, node):
    out = {}
    for at in node.attribute:
        v = onnx.helper.get_attribute_value(at)
        if isinstance(v, bytes):
            v = v.decode("utf-8", "replace")
        elif isinstance(v, list) and v and isinstance(v[0], bytes):
            v = [s.decode("utf-8", "replace") for s in v]
        elif hasattr(v, "dims") and hasattr(v, "data_type"):
            v = onnx.numpy_helper.to_array(v)
        out[at.name] = v
    return out


# Ops that only rearrange a weight on its way to a weight position (a transposed MatMul weight, an
# RNN's reordered gates): the initializer they read is still the weight.
LAYOUT_OPS = {"Transpose", "Reshape", "Unsqueeze", "Squeeze", "Gather", "Identity", "Cast", "Concat", "Slice"}


def _weight_names(graph):
    inits = {t.name for t in graph.initializer}
    producer = {o: n for n in graph.node for o in n.output}
    names = {t.name for t in graph.initializer if t.doc_string == PARAMETER_DOC}

    def mark(name, depth=0):
        if name in inits:
            names.add(name)
        elif name in producer and producer[name].op_type in LAYOUT_OPS and depth < 8:
            for i in producer[name].input[:1] if producer[name].op_type != "Concat" else producer[name].input:
                mark(i, depth + 1)
    for n in graph.node:
        for i in WEIGHT_INPUTS.get(n.op_type, ()):
            if i < len(n.input):
                mark(n.input[i])
        if n.op_type == "Add" and len(n.input) == 2:
            for mine, other in ((n.input[0], n.input[1]), (n.input[1], n.input[0])):
                if other in producer and producer[other].op_type in BIAS_AFTER:
                    mark(mine)
    return names
