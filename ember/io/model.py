"""Whole models in one file: architecture (as data) + weights (+ optionally optimizer state).

Two kinds of architecture:

- a registered module class with its constructor arguments (see `ember.io.registry` for the
  rule), containers recursively; `load_model` rebuilds it and loads the weights, so it trains on
  exactly like the saved one;
- a graph (`ember.graph.trace`): `save_model(model, path, example_inputs=(x,))` traces the model
  in its current mode and stores the graph JSON; `load_model` returns a `GraphModule` that runs
  it, so the file predicts without the user's Python class.

    >>> ember.io.save_model(net, "net.ember")                          # doctest: +SKIP
    >>> net2 = ember.io.load_model("net.ember")                        # doctest: +SKIP
"""
from collections import OrderedDict

from ember.autograd.grad_mode import no_grad
from ember.autograd.tensor import Tensor
from ember.backend.random import get_rng_state, set_rng_state
from ember.graph import Graph, trace
from ember.graph.interpret import run_eager
from ember.graph.trace import unflatten
from ember import nn
from ember.io import registry
from ember.io.serialize import FileError, decode, encode, read, write

__all__ = ["save_model", "load_model", "load_optimizer_state", "GraphModule"]


class GraphModule(nn.Module):
    """A module that runs a stored graph: its parameters and buffers carry the graph's names
    (`"0.weight"`), so `state_dict`/`load_state_dict` use the original model's names.

    The graph was traced in one mode (train or eval) and keeps that behaviour; state the graph
    updates (e.g. BatchNorm running statistics traced in train mode) is written back. It runs on
    tensors through each primitive (`ember.graph.interpret.run_eager`), so autograd records it and
    the loaded model can be trained on without its Python class.
    """

    def __init__(self, graph, weights, trainable=()):
        super().__init__()
        self.graph = graph
        self._names = []
        for name, t in weights.items():
            owner, leaf = self._owner(name)
            if name in trainable:
                owner.register_parameter(leaf, nn.Parameter(t.detach()))
            else:
                owner.register_buffer(leaf, t.detach())
            self._names.append(name)

    def _owner(self, name):
        *path, leaf = name.split(".")
        m = self
        for part in path:
            if part not in m._modules:
                m.add_module(part, nn.Module())
            m = m._modules[part]
        return m, leaf

    def forward(self, *inputs):
        for i, x in enumerate(inputs):
            if not isinstance(x, Tensor):
                raise FileError(f"GraphModule: input {i} is a {type(x).__name__}; pass tensors")
        state = self.state_dict(keep_vars=True)
        outputs, updates = run_eager(self.graph, list(inputs), {n: state[n] for n in self._names})
        with no_grad():
            for name, value in updates.items():
                if name in state:
                    state[name].copy_(value)
        return unflatten(list(outputs), self.graph.output.attrs.get("structure", "tensor"))

    def extra_repr(self):
        return f"{sum(n.op == 'call' for n in self.graph.nodes)} calls, {len(self._names)} tensors"


# --- architecture as data -------------------------------------------------------------------
def spec_of(module):
    """The JSON-able description that `build` turns back into an untrained copy of `module`."""
    name = registry.name_of(module)
    spec = {"class": name}
    if isinstance(module, registry.CONTAINERS):
        spec["children"] = [[k, spec_of(m)] for k, m in module._modules.items()]
    else:
        arrays = {}
        spec["config"] = encode(registry.config_of(module), arrays, f"{type(module).__name__} arguments")
        if arrays:
            raise registry.RegistryError(f"save_model: the arguments of {type(module).__name__} hold "
                                         f"tensors; constructor arguments must be plain values")
    return spec


def build(spec):
    """A fresh module from `spec_of`'s description; classes come from the registry only."""
    if not isinstance(spec, dict) or not isinstance(spec.get("class"), str):
        raise FileError(f"load_model: malformed architecture entry {str(spec)[:80]!r}")
    cls = registry.lookup(spec["class"])
    if "children" in spec:
        kids = spec["children"]
        if not isinstance(kids, list) or not all(isinstance(k, list) and len(k) == 2 and isinstance(k[0], str)
                                                 for k in kids):
            raise FileError(f"load_model: malformed children of {spec['class']!r}")
        children = OrderedDict((k, build(s)) for k, s in kids)
        if issubclass(cls, nn.Sequential):
            return cls(children)
        if issubclass(cls, nn.ModuleList):
            return cls(list(children.values()))
        if issubclass(cls, nn.ModuleDict):
            return cls(children)
        raise FileError(f"load_model: {spec['class']!r} is not a container but the file gives it children")
    config = decode(spec.get("config", {}), {})
    if not isinstance(config, dict):
        raise FileError(f"load_model: the arguments of {spec['class']!r} are not a dict")
    try:
        return cls(**config)
    except TypeError as e:
        raise FileError(f"load_model: {spec['class']}(**{config!r}) failed: {e}") from None


def _check_rebuild(module, spec):
    """Refuse to write a file whose architecture would not rebuild `module` (same names, shapes)."""
    rng = get_rng_state()
    try:
        copy = build(spec)
    finally:
        set_rng_state(rng)
    want = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    got = {k: tuple(v.shape) for k, v in copy.state_dict().items()}
    if want != got:
        diff = sorted(set(want.items()) ^ set(got.items()))[:6]
        raise registry.RegistryError(f"save_model: the recorded constructor arguments of "
                                     f"{type(module).__name__} do not rebuild it (state dict differs: "
                                     f"{diff}); give the class a get_config()")


# --- files ----------------------------------------------------------------------------------
def save_model(model, path, optimizer=None, example_inputs=None):
    """Save `model`'s architecture and weights (and `optimizer`'s state) to `path`, atomically.

    With `example_inputs` (a tuple of tensors) the model is traced and stored as a graph, which
    loads without its Python class; without, the model's classes must be registered (built-in
    ember.nn layers are). A `GraphModule` is stored as its graph.
    """
    obj = {"weights": dict(model.state_dict())}
    if optimizer is not None:
        obj["optimizer"] = optimizer.state_dict()
    trainable = {n for n, _ in model.named_parameters()}
    if isinstance(model, GraphModule) or example_inputs is not None:
        graph = model.graph if isinstance(model, GraphModule) else \
            trace(model, *(example_inputs if isinstance(example_inputs, (tuple, list)) else (example_inputs,)))
        names = [n.name for n in graph.nodes if n.op == "parameter"]
        state = model.state_dict()
        missing = [n for n in names if n not in state]
        if missing:
            raise FileError(f"save_model: the traced graph reads {missing}, which are not in the model's "
                            f"state_dict; only parameters and buffers can be stored")
        arch = {"type": "graph", "graph": graph.to_json(), "trainable": sorted(trainable)}
    else:
        spec = spec_of(model)
        _check_rebuild(model, spec)
        arch = {"type": "module", "spec": spec, "training": model.training}
    write(path, obj, "model", architecture=arch)


def _read_model(path):
    header, obj = read(path, "load_model")
    if header.get("kind") != "model" or not isinstance(obj, dict) or not isinstance(obj.get("weights"), dict):
        raise FileError(f"load_model: {path!r} is an ember file of kind {header.get('kind')!r}, not a model; "
                        f"read it with ember.load")
    arch = header.get("architecture")
    if not isinstance(arch, dict) or arch.get("type") not in ("module", "graph"):
        raise FileError(f"load_model: {path!r} has no valid architecture record")
    return arch, obj


def load_model(path):
    """The model saved by `save_model`, with its weights. Classes are found by registered name
    only; a graph model comes back as a `GraphModule`."""
    arch, obj = _read_model(path)
    weights = obj["weights"]
    if arch["type"] == "graph":
        try:
            graph = Graph.from_json(arch.get("graph"))
        except FileError:
            raise
        except Exception as e:  # noqa: BLE001 - any malformed graph is a file error
            raise FileError(f"load_model: {path!r}: the stored graph is invalid: {e}") from None
        return GraphModule(graph, weights, set(arch.get("trainable") or ()))
    try:
        model = build(arch.get("spec"))
    except RecursionError:
        raise FileError(f"load_model: {path!r}: the architecture is nested too deeply") from None
    model.load_state_dict(weights, assign=True)
    model.train(bool(arch.get("training", True)))
    return model


def load_optimizer_state(path):
    """The optimizer state dict stored by `save_model(..., optimizer=)`, or None. Load it into an
    optimizer built over the loaded model's parameters: `opt.load_state_dict(...)`."""
    return _read_model(path)[1].get("optimizer")
