"""Constant folding: evaluate, once, the calls whose arguments are all known, and make each of
their outputs a constant node.

What counts as known. A literal argument always. A constant node only when its contents cannot
change between runs of the graph:

* constants this pass made (their names are listed in `graph.meta["folded_constants"]`) are
  arrays the graph owns: always foldable;
* constants the tracer captured (`c0`, `c1`, ...) hold the caller's array BY REFERENCE, so that a
  compiled graph reads its current contents: optimizer state kept in a closure, a buffer some
  eager code updates in place, a tensor the user changes between calls. Folding such a constant
  freezes its value of today into the graph. They are folded only with `fold_captured=True`,
  which says "these arrays never change", and even then never the constants that the graph
  itself updates (those named in the output node's `updates`).

A call is folded only when its primitive is deterministic (not random), it is not a `backward`
node, and no `backward` node replays it. Outputs larger than `max_bytes` are not folded (a
broadcast or a `zeros(n)` would otherwise be stored in the graph in full).

    >>> g2 = constant_folding(g)                        # literals and folded constants only
    >>> g3 = constant_folding(g, fold_captured=True)    # captured arrays never change
"""
from ember.backend.device import CPU, array_device
from ember.graph.interpret import run_call
from ember.graph.ir import BACKWARD, Node
from ember.graph.passes._util import backward_targets, copy_graph, is_random, meta


def constant_folding(graph, fold_captured=False, max_bytes=1 << 24):
    """A copy of `graph` with its computable calls replaced by constant nodes (module docstring)."""
    out = copy_graph(graph)
    owned = set(meta(out).get("folded_constants", []))
    updated = set(graph.output.attrs.get("updates", []))
    replay = backward_targets(graph)
    known, nodes, instances = {}, [], {}
    constants = dict(out.constants)
    for n in out.nodes:
        if n.op == "constant" and n.name not in updated and (n.name in owned or fold_captured):
            known[n.outputs[0].id] = constants[n.name]
        if not _foldable(n, known, replay):
            nodes.append(n)
            continue
        env = dict(known)
        try:
            run_call(n, env, _xp(known), instances)
        except Exception:  # noqa: BLE001 -- a call that fails now fails at run time as it did before
            nodes.append(n)
            continue
        results = [env[v.id] for v in n.outputs]
        if sum(getattr(r, "nbytes", 0) for r in results) > max_bytes:
            nodes.append(n)
            continue
        for v, r in zip(n.outputs, results):
            name = _fresh(constants, owned)
            constants[name] = r.copy()  # owned by the graph: no view of anything outside it
            owned.add(name)
            known[v.id] = constants[name]
            nodes.append(Node("constant", name, outputs=[v]))
    out.nodes = nodes
    out.constants = constants
    meta(out)["folded_constants"] = sorted(owned)
    return out


def _foldable(n, known, replay):
    return n.op == "call" and n.name != BACKWARD and not is_random(n.name) and \
        n.outputs and n.outputs[0].id not in replay and all(r.id in known for r in n.refs())


def _fresh(constants, owned):
    k = len(owned)
    while f"folded{k}" in constants:
        k += 1
    return f"folded{k}"


def _xp(known):
    for a in known.values():
        return array_device(a).xp
    return CPU.xp
