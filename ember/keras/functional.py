"""The functional API's connectivity: which layer calls (`Node`s) lie between a model's inputs and
outputs, and running them in order.

Calling a layer on symbolic tensors (`keras.Input(...)` and what layers return for them) records a
`Node` on the layer (see `layers/base.py`). `keras.Model(inputs, outputs)` walks back from the
outputs to find the calls it needs; `run` replays them on real tensors. This is Keras's layer
connectivity — what a model's config stores and what keeps layers shared and nested — not an
executable graph of its own: the graph IR comes from tracing the model (`model.graph()`,
`jit_compile`).

    >>> x = keras.Input(shape=(4,))
    >>> y = keras.layers.Dense(2)(x)
    >>> [n.layer.name for n in connect([x], [y])]                         # doctest: +SKIP
    ['dense']
"""
from ember.autograd import Tensor
from ember.backend import dtypes
from ember.errors import ArgumentError, ShapeError
from ember.keras.data_adapter import as_tensor
from ember.keras.layers.base import InputLayer, KerasTensor, Layer, flatten, map_structure

__all__ = ["connect", "layers_of", "feed", "run"]


def connect(inputs, outputs):
    """The layer calls between `inputs` and `outputs` (flat lists of KerasTensors), in an order that runs."""
    for what, tensors in (("inputs", inputs), ("outputs", outputs)):
        if not tensors or not all(isinstance(t, KerasTensor) for t in tensors):
            raise ArgumentError(f"Model: {what} must be keras.Input(...) results or layer outputs on them "
                                f"(KerasTensors), got {[type(t).__name__ for t in tensors]}")
    for t in inputs:
        if not isinstance(t._history[0], InputLayer):
            raise ArgumentError(f"Model: input {t.name!r} is not a keras.Input(...); the inputs of a functional "
                                "model must be Inputs")
    order, seen, given = [], set(), {id(t) for t in inputs}
    stack = [(t, False) for t in reversed(outputs)]
    while stack:
        t, ready = stack.pop()
        layer, index, _ = t._history
        node = layer._inbound_nodes[index]
        if id(node) in seen or id(t) in given:
            continue
        if isinstance(layer, InputLayer):
            raise ArgumentError(f"Model: the outputs depend on input {layer.name!r}, which is not among the "
                                f"model's inputs ({[i.name for i in inputs]})")
        if ready:
            seen.add(id(node))
            order.append(node)
            continue
        stack.append((t, True))
        stack.extend((arg, False) for arg in reversed(node.inputs()))
    return order


def layers_of(inputs, nodes):
    """Each layer once: the input layers, then the others in the order of their first call."""
    layers = [t._history[0] for t in inputs]
    for node in nodes:
        if node.layer not in layers:
            layers.append(node.layer)
    return layers


def feed(model, inputs):
    """{id(Input tensor): tensor} for what `model` was called with: one tensor, a list in input order,
    or a dict by input name; shapes are checked against the Inputs."""
    specs, names = model._inputs, model._input_names
    if isinstance(inputs, dict):
        missing = [k for k in names if k not in inputs]
        if missing:
            raise ArgumentError(f"{model.name}: inputs {missing} are missing; the model's inputs are {names}, "
                                f"got keys {sorted(inputs)}")
        flat = [inputs[k] for k in names]
    elif isinstance(inputs, (list, tuple)):
        if len(inputs) != len(specs):
            raise ArgumentError(f"{model.name}: the model has {len(specs)} inputs ({names}), got {len(inputs)}")
        flat = list(inputs)
    else:
        if len(specs) != 1:
            raise ArgumentError(f"{model.name}: the model has {len(specs)} inputs ({names}); pass a list or a dict "
                                "by input name")
        flat = [inputs]
    values = {}
    for spec, value in zip(specs, flat):
        value = value if isinstance(value, Tensor) else as_tensor(value)
        if value.dtype.name != spec.dtype:  # as Keras: data is cast to its Input's dtype
            value = value.to(dtypes.as_dtype(spec.dtype))
        shape = tuple(value.shape)
        if len(shape) != len(spec.shape) or any(d is not None and d != s for d, s in zip(spec.shape[1:], shape[1:])):
            raise ShapeError(f"{model.name}: input {spec.name!r} expects shape {spec.shape}, got {shape}")
        values[id(spec)] = value
    return values


def run(nodes, values, outputs, training):
    """Replay `nodes` on the tensors in `values` (filled in as they run); `outputs` mapped to tensors."""
    def get(a):
        return values[id(a)] if isinstance(a, KerasTensor) else a
    for node in nodes:
        args, kwargs = map_structure(get, (node.args, node.kwargs))
        if isinstance(node.layer, Layer) and (training is not None or "training" not in kwargs):
            # as in Keras 3, the model's own mode overrides a `training=` recorded when the graph was built
            kwargs = {**kwargs, "training": training}
        out = node.layer(*args, **kwargs)
        for t, v in zip(flatten(node.outputs), flatten(out)):
            values[id(t)] = v
    return map_structure(lambda t: values[id(t)], outputs)
