"""A loaded model version as the server runs it: its signature (input and output names, dtypes and
shapes) and `run(arrays) -> arrays` on NumPy batches.

`warmup` runs the model once on zeros (which fills in the output signature and checks every output
is batch-first, so concurrent requests may share a batch), then times eager against
`ember.compile` on a full batch and keeps the faster, as the Keras loop's `jit_compile="auto"`
does. All of it runs on the server's one model thread: ember's grad mode and tracer are
process-wide, so two threads must never run models at once.

    >>> servable = Servable("digits", 1, keras_adapter(model))             # doctest: +SKIP
    >>> servable.warmup(max_batch_size=32)                                 # doctest: +SKIP
    >>> servable.run([np.zeros((4, 8, 8, 1), "float32")])[0].shape         # doctest: +SKIP
    (4, 10)
"""
import inspect
import logging
import time
from dataclasses import dataclass

import numpy as np

from ember.autograd import Tensor, no_grad
from ember.errors import EmberError
from ember.graph import compile as ember_compile
from ember import nn
from ember.ops.creation import from_numpy
from ember.serve.errors import BadRequest
from ember.serve.tensors import DTYPES

__all__ = ["TensorSpec", "Servable", "keras_adapter", "module_adapter"]

log = logging.getLogger("ember.serve")


@dataclass(frozen=True)
class TensorSpec:
    """One input or output: `shape` is batch first, None for a dim of any size (None for the whole
    shape when even the rank is unknown)."""
    name: str
    dtype: str
    shape: tuple = None


@dataclass
class Adapter:
    """How to call one kind of model: `call(tensors) -> structure`, its inputs, its output names."""
    call: object
    inputs: list
    output_names: list = None
    module: object = None


def _shape(dims):
    return tuple(d if isinstance(d, int) and d >= 0 else None for d in dims)


def keras_adapter(model):
    """A Keras model (functional, Sequential or subclassed) built with an input signature."""
    if getattr(model, "_nodes", None) is not None:
        inputs = [TensorSpec(name, t.dtype, _shape(t.shape)) for name, t in zip(model._input_names, model._inputs)]
    elif getattr(model, "input_shape_", None) is not None:
        inputs = [TensorSpec("input", model._input_dtype, _shape(model.input_shape_))]
    else:
        spec = getattr(model, "_build_spec", None)
        specs = [spec] if spec and isinstance(spec[1], str) else list(spec or [])
        inputs = [TensorSpec(f"input_{i}", s[1], _shape(s[0])) for i, s in enumerate(specs)]
    if not inputs:
        raise EmberError(f"{model.name}: the model has no input signature (it was never built); build it with "
                         "keras.Input(...) or call it on data before saving")
    many = len(inputs) > 1
    model.eval()
    names = list(model.output_names)

    def call(tensors):
        return model(list(tensors) if many else tensors[0], training=False)
    return Adapter(call, inputs, names, model)


# The first layer of an ember.nn model fixes its input (models stored as modules carry no signature).
_FIRST_LAYER = {
    nn.Linear: lambda m: ("float32", (None, m.in_features)),
    nn.Conv1d: lambda m: ("float32", (None, m.in_channels, None)),
    nn.Conv2d: lambda m: ("float32", (None, m.in_channels, None, None)),
    nn.Embedding: lambda m: ("int64", (None, None)),
}


def module_adapter(module):
    """An `ember.nn.Module`: a stored graph (`GraphModule`) gives its inputs' dtypes and shapes;
    another module's input is read from its first layer when the table above knows it."""
    module.eval()
    graph = getattr(module, "graph", None)
    if graph is not None and hasattr(graph, "nodes"):
        nodes = [n for n in graph.nodes if n.op == "input"]
        inputs = [TensorSpec(f"input_{i}", n.outputs[0].dtype, _shape(n.outputs[0].shape)) for i, n in enumerate(nodes)]
    else:
        leaves = [m for m in module.modules() if not m._modules]
        rule = next((r for cls, r in _FIRST_LAYER.items() if leaves and isinstance(leaves[0], cls)), None)
        dtype, shape = rule(leaves[0]) if rule else ("float32", None)
        params = [p for p in inspect.signature(module.forward).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
        inputs = [TensorSpec(f"input_{i}", dtype, shape if i == 0 else None) for i in range(max(1, len(params)))]

    def call(tensors):
        return module(*tensors)
    return Adapter(call, inputs, None, module)


def flat_outputs(out):
    """(names or None, list of tensors) of a model's result: a tensor, a list/tuple or a dict."""
    if isinstance(out, dict):
        return list(out), list(out.values())
    if isinstance(out, (list, tuple)):
        return None, list(out)
    return None, [out]


class Servable:
    """One model version ready to serve (see the module docstring)."""

    def __init__(self, name, version, adapter, kind="", path=""):
        self.name, self.version, self.kind, self.path = name, version, kind, path
        self.adapter = adapter
        self.inputs = list(adapter.inputs)
        self.outputs = [TensorSpec(n, "float32", None) for n in adapter.output_names or ["output_0"]]
        for spec in self.inputs:
            if spec.dtype not in DTYPES:
                raise EmberError(f"model {name!r}: input {spec.name!r} has dtype {spec.dtype}, which the "
                                 f"protocols cannot carry")
        self.batchable = False
        self.runner = self._eager
        self.mode = "eager"

    def input(self, name):
        for spec in self.inputs:
            if spec.name == name:
                return spec
        raise BadRequest(f"model {self.name!r} has no input named {name!r}; its inputs are "
                         f"{[s.name for s in self.inputs]}")

    def _eager(self, tensors):
        return self.adapter.call(tensors)

    def run(self, arrays):
        """The outputs (NumPy, in output order, each a fresh copy) for input arrays in input order."""
        tensors = [from_numpy(np.ascontiguousarray(a)) for a in arrays]
        with no_grad():
            try:
                out = self.runner(tensors)
            except EmberError:
                raise
            except Exception:  # noqa: BLE001 - generated code skips the ops' argument checks: let eager name the problem
                if self.runner == self._eager:
                    raise
                out = self._eager(tensors)
        names, flat = flat_outputs(out)
        if len(flat) != len(self.outputs):
            raise EmberError(f"model {self.name!r} returned {len(flat)} outputs; its signature has "
                             f"{len(self.outputs)}")
        # A copy: a compiled graph writes its next batch into the same buffers.
        return [np.array(t.numpy() if isinstance(t, Tensor) else t, copy=True) for t in flat]

    # -- warm-up -------------------------------------------------------------------------------------
    def example(self, batch):
        """Zeros of every input at `batch`, or None when an input's non-batch dims are unknown."""
        arrays = []
        for spec in self.inputs:
            if spec.shape is None or any(d is None for d in spec.shape[1:]):
                return None
            arrays.append(np.zeros((batch,) + tuple(spec.shape[1:]), dtype=np.dtype(spec.dtype)
                                   if spec.dtype != "bfloat16" else "float32"))
        return arrays

    def warmup(self, max_batch_size):
        """Run once (output signature), check outputs are batch-first, pick eager or compiled."""
        one = self.example(1)
        if one is None:
            log.info("model %s v%s: inputs of unknown size; no warm-up, requests run one by one",
                     self.name, self.version)
            self._first_call_outputs(None)
            return
        with no_grad():
            out = self.adapter.call([from_numpy(a) for a in one])
        self._first_call_outputs(out)
        if max_batch_size < 2:
            return
        big = self.example(max_batch_size)
        got = self.run(big)
        self.batchable = all(o.ndim and o.shape[0] == max_batch_size for o in got)
        if not self.batchable:
            log.info("model %s v%s: an output is not batch-first; requests run one by one", self.name, self.version)
            return
        self._choose_runner(big, got)

    def _first_call_outputs(self, out):
        names = self.adapter.output_names
        if out is None:
            return
        got_names, flat = flat_outputs(out)
        if not names or len(names) != len(flat):
            names = got_names or [f"output_{i}" for i in range(len(flat))]
        self.outputs = [TensorSpec(n, t.dtype.name, (None,) + tuple(t.shape[1:]) if t.ndim else ())
                        for n, t in zip(names, flat)]
        for spec in self.outputs:
            if spec.dtype not in DTYPES:
                raise EmberError(f"model {self.name!r}: output {spec.name!r} has dtype {spec.dtype}, which the "
                                 f"protocols cannot carry")

    def _choose_runner(self, big, eager_out):
        state = dict(self.adapter.module.state_dict(keep_vars=True)) if self.adapter.module is not None else {}
        compiled = ember_compile(lambda *xs: self.adapter.call(list(xs)), state=state)
        try:
            with no_grad():
                half = [a[: max(1, len(a) // 2)] for a in big]
                compiled(*[from_numpy(a) for a in half])
                self.runner = lambda tensors: compiled(*tensors)
                out = self.run(big)
            if compiled.retraces or not compiled.last.batch_dynamic:
                raise EmberError("the compiled graph depends on the batch size")
            if not all(np.allclose(a, b, rtol=1e-4, atol=1e-5) for a, b in zip(out, eager_out)):
                raise EmberError("compiled outputs differ from eager ones")
        except EmberError as e:
            self.runner = self._eager
            log.info("model %s v%s: runs eagerly (ember.compile: %s)", self.name, self.version, e)
            return
        eager_s = self._time(self._eager, big)
        compiled_s = self._time(self.runner, big)
        if compiled_s < eager_s:
            self.mode = "compiled"
        else:
            self.runner = self._eager
        log.info("model %s v%s: batch of %d takes %.2f ms eager, %.2f ms compiled: runs %s", self.name,
                 self.version, len(big[0]), eager_s * 1e3, compiled_s * 1e3, self.mode)

    def _time(self, runner, arrays, reps=5):
        saved, self.runner = self.runner, runner
        try:
            best = float("inf")
            for _ in range(reps):
                start = time.perf_counter()
                self.run(arrays)
                best = min(best, time.perf_counter() - start)
            return best
        finally:
            self.runner = saved
