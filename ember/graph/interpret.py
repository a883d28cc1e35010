"""Run a graph on arrays, node by node: the reference semantics that passes must preserve and
that the compiler's generated code must match.

    >>> outputs, updates = interpret(graph, inputs=[x_array], parameters={"0.weight": w_array})
"""
from ember.autograd.function import PRIMITIVES
from ember.autograd.grad_mode import no_grad
from ember.autograd.tensor import Tensor, _wrap
from ember.backend.device import CPU, array_device
from ember.graph.ir import BACKWARD, GraphError, Ref


def resolve(arg, env):
    """A node argument with its value references replaced by arrays."""
    if isinstance(arg, Ref):
        return env[arg.id]
    if isinstance(arg, tuple):
        items = [resolve(a, env) for a in arg]
        return type(arg)(*items) if hasattr(arg, "_fields") else tuple(items)
    if isinstance(arg, list):
        return [resolve(a, env) for a in arg]
    if isinstance(arg, dict):
        return {k: resolve(v, env) for k, v in arg.items()}
    return arg


def run_call(node, env, xp, instances):
    """Run one call node on arrays and store its outputs in `env`. A primitive's instance is kept
    in `instances` (by its first output) for the backward node that may follow."""
    if node.name == BACKWARD:
        forward = instances[node.args[0].id]
        grads = [None if a is None else env[a.id] for a in node.args[1:]]
        results = run_backward(forward[0], forward[1], forward[2], node.attrs["inputs"], grads)
        for v, r in zip(node.outputs, results):
            env[v.id] = r
        return
    fn = object.__new__(PRIMITIVES[node.name])
    fn.xp = xp
    args, attrs = resolve(node.args, env), resolve(node.attrs, env)
    out = fn.forward(*args, **attrs)
    outs = out if node.tuple_out else (out,)
    if len(node.outputs) != len(outs):
        raise GraphError(f"graph call {node.name}: {len(outs)} outputs, the graph expects {len(node.outputs)}")
    for v, o in zip(node.outputs, outs):
        env[v.id] = o if hasattr(o, "shape") and hasattr(o, "dtype") else xp.asarray(o)
    if node.outputs:
        instances[node.outputs[0].id] = (fn, args, attrs)


def run_backward(fn, args, attrs, needs, grads):
    """Run primitive instance `fn`'s backward on arrays: its forward had positional `args` and
    keyword `attrs`; the inputs listed in `needs` get gradients. Returns their gradient arrays."""
    inputs = []
    for i, a in enumerate(args):
        if hasattr(a, "shape") and hasattr(a, "dtype"):
            t = _wrap(a, array_device(a))
            t._rg = i in needs
            inputs.append(t)
        else:
            inputs.append(a)
    fn.inputs, fn.attrs = tuple(inputs), attrs
    fn.out_vcs = tuple([0] for _ in grads)
    dev = next(t._device for t in inputs if isinstance(t, Tensor))
    g = [None if x is None else _wrap(x, dev) for x in grads]
    with no_grad():
        results = type(fn).backward(fn, *g)
    results = results if isinstance(results, tuple) else (results,)
    return [results[i]._data for i in needs]


def interpret(graph, inputs, parameters=None):
    """Evaluate `graph`: `inputs` are arrays in the order of the input nodes, `parameters` map
    names to arrays. Returns (outputs, updates): the returned arrays, and a dict of parameter name
    to its new array for the parameters the graph updates."""
    xp, instances = None, {}

    def call(node, env):
        nonlocal xp
        xp = xp or _xp(env)
        run_call(node, env, xp, instances)
    return _evaluate(graph, inputs, parameters or {}, lambda a: a, call)


def _evaluate(graph, inputs, parameters, constant, call):
    """The walk both evaluators share: input, parameter and constant (through `constant`) nodes bind
    their values, `call(node, env)` runs each call node; returns (outputs, updates)."""
    env = {}
    it = iter(inputs)
    for node in graph.nodes:
        if node.op == "input":
            env[node.outputs[0].id] = next(it)
        elif node.op == "parameter":
            if node.name not in parameters:
                raise GraphError(f"graph parameter {node.name!r}: no value given")
            env[node.outputs[0].id] = parameters[node.name]
        elif node.op == "constant":
            env[node.outputs[0].id] = constant(graph.constants[node.name])
        elif node.op == "call":
            call(node, env)
    out = graph.output
    n = out.attrs.get("n_outputs", len(out.args))
    values = resolve(out.args, env)
    return values[:n], dict(zip(out.attrs.get("updates", []), values[n:]))


def _xp(env):
    for a in env.values():
        if hasattr(a, "shape") and hasattr(a, "dtype"):
            return array_device(a).xp
    return CPU.xp


def run_eager(graph, inputs, parameters):
    """Evaluate `graph` on tensors through each primitive's `apply`, so autograd records it: a graph
    read from a file can be trained on. `inputs` are tensors in input-node order, `parameters` map
    names to tensors. Returns (outputs, updates) as tensors. Graphs with backward nodes (traced
    training steps) are run with `interpret` instead."""
    def call(node, env):
        if node.name == BACKWARD:
            raise GraphError("run_eager: the graph has backward nodes (a traced training step); "
                             "use interpret, or trace the forward pass only")
        out = PRIMITIVES[node.name].apply(*resolve(node.args, env), **resolve(node.attrs, env))
        for v, o in zip(node.outputs, out if node.tuple_out else (out,)):
            env[v.id] = o
    return _evaluate(graph, inputs, parameters, lambda a: _wrap(a, array_device(a)), call)
