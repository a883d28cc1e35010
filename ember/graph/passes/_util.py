"""What the passes share: copying a graph, rewriting value references, and the facts about
call nodes that decide what a pass may touch (backward users, randomness)."""
from dataclasses import replace

from ember.autograd.function import PRIMITIVES
from ember.graph.ir import BACKWARD, Graph, Ref

# Primitives whose forward draws random numbers, by qualified name, for primitives that do not
# say so themselves with a class attribute `random = True` (see `is_random`).
RANDOM = set()
# Metadata that describes one node list exactly: not carried over to a pass's result.
ANALYSES = {"memory_plan"}


def meta(graph):
    """The graph's metadata dict (pass results such as the memory plan), made on first use."""
    if not isinstance(getattr(graph, "meta", None), dict):
        graph.meta = {}
    return graph.meta


def copy_graph(graph, nodes=None):
    """A new Graph with copies of `nodes` (default: the graph's): fresh Node and Value objects and
    argument containers, the same constant arrays (captured arrays stay shared: a compiled
    graph reads their current contents), and a copy of the metadata less the analyses of the old
    node list (ANALYSES: the memory plan), which a pass that changes nodes makes stale."""
    out = Graph([copy_node(n) for n in (graph.nodes if nodes is None else nodes)], graph.constants)
    out.meta = {k: (type(v)(v) if isinstance(v, (dict, list, set)) else v) for k, v in
                (getattr(graph, "meta", None) or {}).items() if k not in ANALYSES}
    return out


def copy_node(node):
    return replace(node, args=_map(node.args, None), attrs=_map(node.attrs, None),
                   outputs=[replace(v) for v in node.outputs])


def _map(x, mapping):
    if isinstance(x, Ref):
        return Ref(mapping.get(x.id, x.id)) if mapping else x
    if isinstance(x, tuple):
        items = [_map(a, mapping) for a in x]
        return type(x)(*items) if hasattr(x, "_fields") else tuple(items)
    if isinstance(x, list):
        return [_map(a, mapping) for a in x]
    if isinstance(x, dict):
        return {k: _map(a, mapping) for k, a in x.items()}
    return x


def substitute(nodes, mapping):
    """Rewrite, in place, every use of value id `k` in `nodes` as a use of `mapping[k]`."""
    if not mapping:
        return nodes
    for k in list(mapping):  # follow chains: a -> b -> c becomes a -> c
        seen, v = {k}, mapping[k]
        while v in mapping and v not in seen:
            seen.add(v)
            v = mapping[v]
        mapping[k] = v
    for n in nodes:
        n.args = _map(n.args, mapping)
        n.attrs = _map(n.attrs, mapping)
    return nodes


def backward_targets(graph):
    """Value ids (first outputs of forward calls) that some `backward` node replays: those calls
    must stay exactly as they are (their backward runs on their own instance)."""
    return {n.args[0].id for n in graph.nodes if n.op == "call" and n.name == BACKWARD and n.args}


def is_random(name):
    """Whether primitive `name`'s forward draws random numbers (never folded, merged or fused)."""
    return name in RANDOM or bool(getattr(PRIMITIVES.get(name), "random", False))


def user_nodes(graph):
    """value id -> list of distinct nodes (by identity) that use it."""
    users = {}
    for n in graph.nodes:
        for r in n.refs():
            lst = users.setdefault(r.id, [])
            if not any(u is n for u in lst):
                lst.append(n)
    return users


def is_literal(a):
    """A plain Python number (not bool) as a call argument."""
    return type(a) in (int, float)
