"""Generate the Python source that replays a graph on arrays: one line per node, each call a
direct call of the primitive's array code, no tensors and no autograd bookkeeping (a `backward`
node calls the primitive's own backward on the instance its forward call made).

The source is readable on purpose (`compiled.source()`):

    def replay(inputs, state, constants):
        v0, v1 = inputs
        v2 = state['0.weight']
        f3 = new(Linear); f3.xp = xp
        v3 = f3.forward(v0, v2, v4)
        ...
        return [v9], [v12, v13]
"""
from ember.autograd.function import PRIMITIVES
from ember.autograd.tensor import _new
from ember.graph.interpret import run_backward
from ember.graph.ir import BACKWARD, Ref, forward_of
from ember.graph.observe import Kernel, observed


class Sym:
    """An int literal that is an expression of the batch size B in the generated code."""

    def __init__(self, k, c):
        self.k, self.c = k, c   # read by exporters that write the expression in another language (ONNX)
        term = "B" if k == 1 else f"{k} * B"
        self.text = term if c == 0 else f"({term} {'+' if c > 0 else '-'} {abs(c)})"

    def __repr__(self):
        return self.text


def _literal(x, consts):
    """Source text for an argument: a value name, a literal, or a name bound in the globals."""
    if isinstance(x, (Ref, Sym)):
        return repr(x).replace("%", "v")
    if x is None or isinstance(x, (bool, int, str)) or (isinstance(x, float) and x == x and abs(x) != float("inf")):
        return repr(x)
    if isinstance(x, tuple) and hasattr(x, "_fields"):  # a namedtuple attribute (conv geometry)
        name = f"k{len(consts)}"
        consts[name] = type(x)
        return f"{name}(" + ", ".join(_literal(e, consts) for e in x) + ")"
    if isinstance(x, tuple):
        return "(" + "".join(_literal(e, consts) + ", " for e in x) + ")"
    if isinstance(x, list):
        return "[" + ", ".join(_literal(e, consts) for e in x) + "]"
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k!r}: {_literal(v, consts)}" for k, v in x.items()) + "}"
    name = f"k{len(consts)}"
    consts[name] = x
    return name


def _kernel(fn, args, node, forward, glob, observe):
    """`fn(args)`, or with `observe` the same call through `ember.graph.observe` (profiler, numerics)."""
    if not observe:
        return f"{fn}({args})"
    name = f"K{node.outputs[0].id if node.outputs else len(glob)}"
    glob[name] = Kernel(node, forward)
    return f"observed({name}, {fn}{', ' + args if args else ''})"


def generate(graph, xp, batch=False, observe=False):
    """(source, globals) of a function `replay(inputs, state, constants) -> (outputs, updates)`.
    With `batch`, literals may hold expressions (Sym) of B, the first input's batch size. With
    `observe`, each kernel call goes through `ember.graph.observe.observed`."""
    consts = {}
    glob = {"new": _new, "xp": xp, "run_backward": run_backward, "observed": observed}
    lines = ["def replay(inputs, state, constants):"]
    inputs = [f"v{n.outputs[0].id}" for n in graph.nodes if n.op == "input"]
    if inputs:
        lines.append(f"    {', '.join(inputs)}, = inputs")
    if batch:
        lines.append("    B = inputs[0].shape[0]")
    forwards = forward_of(graph)
    backward_of = {n.args[0].id for n in graph.nodes if n.op == "call" and n.name == BACKWARD}

    inplace = in_place_calls(graph)
    dies, instance_dies = _deaths(graph)

    def lit(x):
        return _literal(x, consts)

    for i, n in enumerate(graph.nodes):
        outs = ", ".join(f"v{v.id}" for v in n.outputs)
        if n.op == "parameter":
            lines.append(f"    {outs} = state[{n.name!r}]")
        elif n.op == "constant":
            lines.append(f"    {outs} = constants[{n.name!r}]")
        elif n.op == "call" and n.name == BACKWARD:
            fwd = forwards[n.args[0].id]
            f = f"f{fwd.outputs[0].id}"
            args = "[" + ", ".join(lit(a) for a in fwd.args) + "]"
            attrs = "{" + ", ".join(f"{k!r}: {lit(v)}" for k, v in fwd.attrs.items()) + "}"
            grads = "[" + ", ".join(lit(a) for a in n.args[1:]) + "]"
            call = _kernel("run_backward", f"{f}, {args}, {attrs}, {lit(n.attrs['inputs'])}, {grads}", n, fwd, glob,
                           observe)
            lines.append(f"    {outs}, = {call}")
            if instance_dies.get(fwd.outputs[0].id) == i:
                lines.append(f"    del {f}")
        elif n.op == "call":
            cls = PRIMITIVES[n.name]
            cname = f"P_{cls.__name__}"
            glob[cname] = cls
            args = [lit(a) for a in n.args] + [f"{k}={lit(v)}" for k, v in n.attrs.items()]
            f = f"f{n.outputs[0].id}" if n.outputs else "f_"
            lines.append(f"    {f} = new({cname}); {f}.xp = xp")
            target = (outs + "," if n.tuple_out and outs else outs) or "_"
            method = "forward_inplace" if id(n) in inplace else "forward"
            lines.append(f"    {target} = {_kernel(f'{f}.{method}', ', '.join(args), n, None, glob, observe)}")
            for v in n.outputs:  # a 0-d result may come back as a NumPy scalar; ops expect arrays
                if not v.shape:
                    lines.append(f"    v{v.id} = xp.asarray(v{v.id})")
            if not n.outputs or n.outputs[0].id not in backward_of:
                lines.append(f"    del {f}")
        if dies.get(i):  # a value nothing reads any more: its array is freed (or reused) now
            lines.append(f"    del {', '.join(f'v{v}' for v in dies[i])}")
        if n.op == "output":
            k = n.attrs.get("n_outputs", len(n.args))
            lines.append(f"    return [{', '.join(lit(a) for a in n.args[:k])}], "
                         f"[{', '.join(lit(a) for a in n.args[k:])}]")
    glob.update(consts)
    return "\n".join(lines) + "\n", glob


def _name_last_use(graph):
    """value id -> index of the last node whose generated code reads that value's name. A
    `backward` node reads its forward's arguments (passed to run_backward) and its gradients, not
    the forward's outputs: what the forward saved, its instance holds. (The memory plan's
    `last_use` keeps those outputs alive to the backward too: their buffers cannot be reused.)"""
    last, forwards = {}, forward_of(graph)
    for i, n in enumerate(graph.nodes):
        refs = n.refs()
        if n.op == "call" and n.name == BACKWARD and n.args[0].id in forwards:
            refs = forwards[n.args[0].id].refs() + refs[1:]  # refs[0] names the forward's call
        for r in refs:
            last[r.id] = i
    return last


def _deaths(graph):
    """(node index -> value ids whose last use it is, forward value id -> index of its last
    `backward` node, after which the forward's instance goes): the generated code drops names
    as soon as nothing reads them, so a step's peak memory is its live values, not all of them
    (an output nothing reads, such as an LSTM's final states, goes right after its call)."""
    last, end = _name_last_use(graph), len(graph.nodes) - 1
    dies, instance_dies = {}, {}
    for i, n in enumerate(graph.nodes):
        for v in n.outputs:
            j = last.get(v.id, i)
            if j < end:
                dies.setdefault(j, []).append(v.id)
        if n.op == "call" and n.name == BACKWARD:
            instance_dies[n.args[0].id] = i
    return dies, instance_dies


def in_place_calls(graph):
    """ids of the call nodes that may run `forward_inplace` (optimizer updates): each output
    overwrites the state array it replaces (`cls.inplace_map`), which must be a parameter or
    constant that the graph updates to exactly that output and that no later node reads. Only a
    tail of such calls qualifies (nothing but other in-place calls, name bindings and the output
    follows), so no value computed later can look into the overwritten arrays."""
    out = graph.output
    k = out.attrs.get("n_outputs", len(out.args))
    updates = {name: a.id for name, a in zip(out.attrs.get("updates", []), out.args[k:]) if isinstance(a, Ref)}
    state = {n.outputs[0].id: n.name for n in graph.nodes if n.op in ("parameter", "constant")}
    returned = {a.id for a in out.args[:k] if isinstance(a, Ref)}
    found, read_later = set(), set()
    for n in reversed(graph.nodes[:-1]):
        if n.op != "call":
            continue  # binding a name reads nothing
        mapping = getattr(PRIMITIVES.get(n.name), "inplace_map", None)
        if mapping is None:
            break
        targets = [n.args[i] for i in mapping(len(n.args), n.attrs)]
        if len(targets) != len(n.outputs) or not all(
                isinstance(a, Ref) and a.id in state and a.id not in returned and a.id not in read_later and
                updates.get(state[a.id]) == v.id for a, v in zip(targets, n.outputs)):
            break
        found.add(id(n))
        read_later.update(r.id for r in n.refs())
    return found
