"""The ONNX graph under construction during export: nodes, initializers, and the ONNX tensor name
of each IR value. Lowerings (ember/onnx/lower.py) call `op`, `const` and `shape` on it.

    >>> e = Emitter(dtypes={})
    >>> e.op("Relu", ["x"])
    'relu_0'
"""
import numpy as np

from ember.graph.codegen import Sym
from ember.graph.ir import Ref
from ember.onnx._proto import ONNX_DTYPE, OnnxError, onnx_lib


class Emitter:
    def __init__(self, dtypes, batch_source=None):
        self.onnx = onnx_lib()
        self.nodes = []
        self.initializers = []
        self.names = {}            # IR value id -> ONNX tensor name
        self.dtypes = dtypes       # IR value id -> ember dtype name
        self.shapes = {}           # IR value id -> shape from the trace (ints and Syms)
        self.batch_source = batch_source  # ONNX name of the input whose dim 0 is the batch dim B
        self._count = 0
        self._consts = {}
        self._batch = None

    def fresh(self, hint):
        self._count += 1
        return f"{hint.lower()}_{self._count - 1}"

    # --- values -----------------------------------------------------------------------
    def name(self, arg, dtype=None):
        """The ONNX name of an argument: an IR value, or a literal made a constant of `dtype`."""
        if isinstance(arg, Ref):
            return self.names[arg.id]
        if arg is None:
            return ""
        return self.const(np.asarray(arg, dtype=np.dtype(dtype) if dtype else None))

    def dtype(self, arg):
        """The ember dtype name of an argument (None for a Python literal)."""
        return self.dtypes[arg.id] if isinstance(arg, Ref) else None

    def const(self, array, hint="const"):
        """An initializer holding `array` (equal small constants are shared)."""
        array = np.asarray(array)
        key = (array.dtype.str, array.shape, array.tobytes()) if array.size <= 64 else None
        if key is not None and key in self._consts:
            return self._consts[key]
        name = self.fresh(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(np.ascontiguousarray(array), name))
        if key is not None:
            self._consts[key] = name
        return name

    def op(self, op_type, inputs, n_out=1, **attrs):
        """Append a node; returns its output name (a list of names when n_out > 1)."""
        outs = [self.fresh(op_type) for _ in range(n_out)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        node = self.onnx.helper.make_node(op_type, list(inputs), outs, name=self.fresh("n_" + op_type), **attrs)
        self.nodes.append(node)
        return outs[0] if n_out == 1 else outs

    def cast(self, name, from_dtype, to_dtype):
        if from_dtype == to_dtype or from_dtype is None:
            return name
        return self.op("Cast", [name], to=ONNX_DTYPE[to_dtype])

    # --- shapes with the batch dim ------------------------------------------------------
    def batch(self):
        """B as a 1-element int64 tensor: dim 0 of the batch input."""
        if self._batch is None:
            if self.batch_source is None:
                raise OnnxError("onnx export: a shape depends on the batch size, but no input carries it")
            self._batch = self.op("Shape", [self.batch_source], start=0, end=1)
        return self._batch

    def int_of(self, v):
        """An int or Sym as a 1-element int64 tensor."""
        if isinstance(v, Sym):
            scaled = self.batch() if v.k == 1 else self.op("Mul", [self.batch(), self.const(np.array([v.k]))])
            return scaled if v.c == 0 else self.op("Add", [scaled, self.const(np.array([v.c]))])
        return self.const(np.array([int(v)], dtype=np.int64))

    def shape(self, dims):
        """A 1-d int64 tensor holding `dims` (ints, and Syms for sizes that follow the batch)."""
        dims = tuple(dims)
        if not any(isinstance(d, Sym) for d in dims):
            return self.const(np.array(dims, dtype=np.int64).reshape(len(dims)))
        return self.op("Concat", [self.int_of(d) for d in dims], axis=0)

    def ints(self, values):
        return self.const(np.array(list(values), dtype=np.int64).reshape(len(values)))
