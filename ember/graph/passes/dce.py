"""Dead code elimination: drop the nodes whose outputs nothing uses.

Walks the graph backwards from the output node; a node is live when a live node uses one of its
outputs. Input nodes always stay (they are the graph's signature); unused parameter and
constant nodes go (their arrays in `graph.constants` go too, unless the graph updates them).
A `backward` node that is live keeps its forward call live (it names that call as its first
argument). No primitive has a side effect other than drawing random numbers, so an unused
random call is dropped like any other.

    >>> g = dead_code_elimination(ember.graph.trace(lambda x: (x.exp(), x * 2)[0], x))
"""
from ember.graph.passes._util import copy_graph


def dead_code_elimination(graph):
    """A copy of `graph` without the nodes whose outputs are unused."""
    live = set()
    keep = []
    for n in reversed(graph.nodes):
        if n.op in ("input", "output") or any(v.id in live for v in n.outputs):
            keep.append(n)
            live.update(r.id for r in n.refs())
    keep.reverse()
    out = copy_graph(graph, keep)
    used = {n.name for n in keep if n.op == "constant"} | set(graph.output.attrs.get("updates", []))
    out.constants = {k: a for k, a in graph.constants.items() if k in used}
    return out
