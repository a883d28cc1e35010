"""`ember.onnx.backend`: ember as an ONNX backend (`onnx.backend.base.Backend`), so ONNX's own
test runner and node test cases can drive it: `prepare(model)` imports the model with
`ember.onnx.load`, `run_node` wraps one node in a model first.

    >>> import ember.onnx.backend as backend
    >>> rep = backend.prepare(onnx_model)                               # doctest: +SKIP
    >>> outputs = rep.run([np.ones((2, 3), np.float32)])                # doctest: +SKIP
"""
import numpy as np

from ember import cuda
from ember.autograd.grad_mode import no_grad
from ember.backend import dtypes
from ember.ops.creation import tensor
from ember.onnx._proto import ONNX_DTYPE, OnnxError, onnx_lib
from ember.onnx.importer import load

onnx = onnx_lib("ember.onnx.backend")
from onnx.backend.base import Backend, BackendRep  # noqa: E402  (after the guarded import that explains a missing onnx)


class EmberRep(BackendRep):
    """A prepared model: `run(inputs)` takes a list (graph input order) or a dict of NumPy arrays."""

    def __init__(self, module, device="CPU"):
        self.module = module.eval()
        self.device = "cuda" if device.upper().startswith("CUDA") else "cpu"
        if self.device == "cuda":
            self.module.to("cuda")

    def run(self, inputs, **kwargs):
        if isinstance(inputs, dict):
            inputs = [inputs[name] for name in self.module.input_names]
        elif not isinstance(inputs, (list, tuple)):
            inputs = [inputs]
        args = [tensor(np.asarray(x)).to(self.device) for x in inputs]
        with no_grad():
            out = self.module(*args)
        out = out if isinstance(out, tuple) else (out,)
        return tuple(o.cpu().numpy() for o in out)


class EmberBackend(Backend):
    @classmethod
    def prepare(cls, model, device="CPU", **kwargs):
        data = model if isinstance(model, (bytes, bytearray)) else model.SerializeToString()
        return EmberRep(load(data), device)

    @classmethod
    def run_model(cls, model, inputs, device="CPU", **kwargs):
        return cls.prepare(model, device, **kwargs).run(inputs)

    @classmethod
    def run_node(cls, node, inputs, device="CPU", outputs_info=None, **kwargs):
        """Run one NodeProto on NumPy inputs (as many as the node's non-empty inputs, in order)."""
        helper = onnx.helper
        names = [n for n in node.input if n]
        if len(names) != len(inputs):
            raise OnnxError(f"onnx backend: node {node.op_type} takes {len(names)} inputs, got {len(inputs)}")
        infos = [helper.make_tensor_value_info(n, ONNX_DTYPE[dtypes.as_dtype(np.asarray(x).dtype.name).name],
                                               np.shape(x)) for n, x in zip(names, inputs)]
        outs = [helper.make_tensor_value_info(n, 0, None) for n in node.output if n]
        graph = helper.make_graph([node], "node", infos, outs)
        opset = kwargs.get("opset_version", onnx.defs.onnx_opset_version())
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
        return cls.run_model(model, list(inputs), device)

    @classmethod
    def supports_device(cls, device):
        kind = device.upper()
        return kind == "CPU" or (kind.startswith("CUDA") and cuda.is_available())


prepare = EmberBackend.prepare
run_model = EmberBackend.run_model
run_node = EmberBackend.run_node
supports_device = EmberBackend.supports_device
