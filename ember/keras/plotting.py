"""`keras.utils.plot_model` and `model_to_dot`: a picture of a model's layers and connections, with
pydot and Graphviz as Keras draws it (the `plot` extra; Graphviz's `dot` program for PNG/SVG/PDF).

Sequential, functional (several inputs and outputs, shared layers: one box per layer, one edge per
call) and nested models (one box, or with `expand_nested=True` a labelled cluster of its layers).

    >>> keras.utils.plot_model(model, "model.png", show_shapes=True, expand_nested=True)   # doctest: +SKIP
    >>> keras.utils.plot_model(model, "model.dot")    # DOT text: needs pydot only
"""
import os
import shutil

from ember.errors import ArgumentError

__all__ = ["model_to_dot", "plot_model"]

DOT_HINT = ("plot_model needs Graphviz's `dot` program on the PATH to draw {fmt}: install Graphviz "
            "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz; conda install graphviz), "
            "or write a .dot file, which needs only pydot")
FORMATS = ("png", "svg", "pdf", "jpg", "jpeg", "gif", "ps", "dot")


def _pydot():
    try:
        import pydot  # the `plot` extra, loaded when a model is drawn
    except ImportError:
        raise ImportError("plot_model needs pydot: pip install 'ember[plot]' (and Graphviz for images)") from None
    return pydot


class _Drawing:
    """What `model_to_dot` passes down while it walks nested models."""

    def __init__(self, pydot, show_shapes, show_dtype, show_layer_names, expand_nested, show_layer_activations,
                 show_trainable):
        self.pydot, self.show_shapes, self.show_dtype = pydot, show_shapes, show_dtype
        self.show_layer_names, self.expand_nested = show_layer_names, expand_nested
        self.show_layer_activations, self.show_trainable = show_layer_activations, show_trainable
        self.edges = set()

    def label(self, layer, in_shapes, out_shapes, dtype):
        cls = type(layer).__name__
        name = getattr(layer, "name", None) or cls
        lines = [f"{name} ({cls})" if self.show_layer_names else cls]
        act = getattr(layer, "activation", None)
        if self.show_layer_activations and act is not None:
            lines.append(f"Activation: {getattr(act, '__name__', type(act).__name__)}")
        if self.show_shapes:
            lines.append(f"Input shape: {_fmt(in_shapes)}")
            lines.append(f"Output shape: {_fmt(out_shapes)}")
        if self.show_dtype:
            lines.append(f"Output dtype: {dtype or '?'}")
        if self.show_trainable:
            lines.append(f"Trainable: {getattr(layer, 'trainable', True)}")
        return "\\n".join(lines)

    def box(self, graph, layer, in_shapes, out_shapes, dtype):
        node_id = str(id(layer))
        graph.add_node(self.pydot.Node(node_id, label=self.label(layer, in_shapes, out_shapes, dtype), shape="box"))
        return node_id

    def edge(self, graph, src, dst):
        if (src, dst) not in self.edges:
            self.edges.add((src, dst))
            graph.add_edge(self.pydot.Edge(src, dst))


def _fmt(shapes):
    if shapes is None:
        return "?"
    shapes = [tuple(s) for s in shapes]
    if not shapes:
        return "?"
    return str(shapes[0]) if len(shapes) == 1 else "[" + ", ".join(str(s) for s in shapes) + "]"


def _is_model(layer):
    return hasattr(layer, "_nodes") and hasattr(layer, "layers")


def _draw(d, graph, model):
    """Draw `model` into `graph` (a Dot or a Cluster); returns (entry node ids per input, exit ids per output)."""
    if hasattr(model, "_stack"):
        return _draw_sequential(d, graph, model)
    if getattr(model, "_nodes", None) is None:
        raise ArgumentError(f"plot_model: {model.name!r} is a subclassed model: its connections are Python code in "
                            f"call(), not recorded layer calls; plot a Sequential or functional model "
                            f"(keras.Model(inputs, outputs))")
    return _draw_functional(d, graph, model)


def _place(d, graph, layer, in_shapes, out_shapes, dtype):
    """A box for `layer`, or with expand_nested a cluster of its layers: (entry ids, exit ids)."""
    if d.expand_nested and _is_model(layer) and (hasattr(layer, "_stack") or layer._nodes is not None):
        cluster = d.pydot.Cluster(f"cluster_{id(layer)}", label=layer.name, style="dashed")
        graph.add_subgraph(cluster)
        return _draw(d, cluster, layer)
    node_id = d.box(graph, layer, in_shapes, out_shapes, dtype)
    return [node_id], [node_id]


def _draw_sequential(d, graph, model):
    shape = model.input_shape_
    prev, entry = None, None
    if shape is not None:
        inp = d.pydot.Node(f"{id(model)}_input", label=d.label(_InputBox(model), [shape], [shape],
                                                                 model._input_dtype), shape="box")
        graph.add_node(inp)
        prev = entry = [inp.get_name()]
    in_shape = shape
    for name, layer in zip(model._modules, model._stack):
        out_shape = model._shapes.get(name) or getattr(layer, "output_shape_", None)
        ins, outs = _place(d, graph, layer, None if in_shape is None else [in_shape],
                           None if out_shape is None else [out_shape], _dtype(layer))
        if prev is not None:
            for src in prev:
                d.edge(graph, src, ins[0])
        entry = entry or ins
        prev, in_shape = outs, out_shape
    return entry or [], prev or []


class _InputBox:
    """The input of a Sequential built from keras.Input, drawn as Keras draws its InputLayer."""

    def __init__(self, model):
        self.name = f"{model.name}_input"


_InputBox.__name__ = "InputLayer"


def _draw_functional(d, graph, model):
    ids = {}  # id(layer) -> (entry ids, exit ids)
    calls = {}
    for node in model._nodes:
        calls.setdefault(id(node.layer), []).append(node)
    for t in model._inputs:
        layer = t._history[0]
        ids[id(layer)] = _place(d, graph, layer, [t.shape], [t.shape], t.dtype)
    for layer in model._layers:
        if id(layer) in ids:
            continue
        mine = calls.get(id(layer), [])
        ins = [[a.shape for a in n.inputs()] for n in mine]
        outs = [[o.shape for o in _flat(n.outputs)] for n in mine]
        one_in = ins[0] if ins and all(i == ins[0] for i in ins) else None
        one_out = outs[0] if outs and all(o == outs[0] for o in outs) else None
        dtype = _flat(mine[0].outputs)[0].dtype if mine else None
        ids[id(layer)] = _place(d, graph, layer, one_in, one_out, dtype)
    for node in model._nodes:
        entries = ids[id(node.layer)][0]
        for k, t in enumerate(node.inputs()):
            producer, _, out_index = t._history
            exits = ids[id(producer)][1]
            d.edge(graph, exits[min(out_index, len(exits) - 1)], entries[min(k, len(entries) - 1)])
    entry = [ids[id(t._history[0])][0][0] for t in model._inputs]
    exit_ = [ids[id(t._history[0])][1][min(t._history[2], len(ids[id(t._history[0])][1]) - 1)]
             for t in model._outputs]
    return entry, exit_


def _flat(outputs):
    if isinstance(outputs, (list, tuple)):
        return [o for x in outputs for o in _flat(x)]
    if isinstance(outputs, dict):
        return [o for x in outputs.values() for o in _flat(x)]
    return [outputs]


def _dtype(layer):
    p = next(iter(layer.parameters()), None) if hasattr(layer, "parameters") else None
    return None if p is None else p.dtype.name


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True, rankdir="TB",
                 expand_nested=False, dpi=200, subgraph=False, show_layer_activations=False, show_trainable=False):
    """The model as a `pydot.Dot` graph (see the module docstring)."""
    if rankdir not in ("TB", "LR"):
        raise ArgumentError(f"plot_model: rankdir must be 'TB' (top to bottom) or 'LR' (left to right), "
                            f"got {rankdir!r}")
    if subgraph:
        raise ArgumentError("model_to_dot: subgraph=True is not supported; use expand_nested=True")
    pydot = _pydot()
    dot = pydot.Dot(graph_type="digraph", rankdir=rankdir, dpi=str(dpi), concentrate="true")
    dot.set_node_defaults(shape="box", fontname="Helvetica")
    d = _Drawing(pydot, show_shapes, show_dtype, show_layer_names, expand_nested, show_layer_activations,
                 show_trainable)
    _draw(d, dot, model)
    return dot


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False, show_layer_names=False,
               rankdir="TB", expand_nested=False, dpi=200, show_layer_activations=False, show_trainable=False):
    """Draw the model to `to_file`: .png, .svg, .pdf, ... (Graphviz's `dot`) or .dot (DOT text)."""
    fmt = os.path.splitext(os.fspath(to_file))[1].lower().lstrip(".") or "png"
    if fmt not in FORMATS:
        raise ArgumentError(f"plot_model: cannot write .{fmt} files; use one of {', '.join(FORMATS)}")
    dot = model_to_dot(model, show_shapes, show_dtype, show_layer_names, rankdir, expand_nested, dpi,
                       show_layer_activations=show_layer_activations, show_trainable=show_trainable)
    folder = os.path.dirname(os.path.abspath(to_file))
    os.makedirs(folder, exist_ok=True)
    if fmt == "dot":
        with open(to_file, "w") as f:
            f.write(dot.to_string())
        return dot
    if shutil.which("dot") is None:
        raise ArgumentError(DOT_HINT.format(fmt=f".{fmt} files"))
    dot.write(to_file, format=fmt)
    return dot
