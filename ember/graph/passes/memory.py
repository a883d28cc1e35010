"""Memory planning: when each call output dies, and which buffer slot it may take, so that a code
generator can write a value into the buffer of one that nothing reads any more.

The plan is graph metadata, `graph.meta["memory_plan"]`, a dict:

* `last_use`: value id -> index of the last node that needs it (the output node's index for the
  returned and updated values, which never die);
* `slots`: value id -> slot number, for every call output that owns a buffer; two values share a
  slot only when the first is dead before the second is made (a slot freed after node i is
  reused from node i + 1 on: a call never writes into its own arguments);
* `slot_bytes`: the size of each slot (the largest value it holds);
* `aliases`: value id -> the argument value ids whose memory it may share;
* `bytes_without_reuse` (one buffer per call output), `bytes_with_reuse` (the sum of the slot
  sizes) and `peak_live_bytes` (the most bytes alive at once: the lower bound).

What keeps a value alive beyond its last plain use:
* a `backward` node replays its forward call's instance, which holds the forward's outputs and
  arguments (`self.y`, `self.inputs`): all stay alive until that backward node;
* a view (a primitive with `is_view`) has no buffer of its own: the buffer it looks into stays
  alive while the view does. Outputs that may be views or may be fresh (`backward` results, which
  are often the incoming gradient itself; indexing; an integer op that returns its input) get a
  slot, and keep their arguments alive as long as they live.

Symbolic dims count with the size given in `dims` (default 1).

    >>> plan = memory_plan(g).meta["memory_plan"]
"""
from ember.autograd.function import PRIMITIVES
from ember.backend import dtypes
from ember.graph.ir import BACKWARD, forward_of
from ember.graph.passes._util import copy_graph, meta

MAY_ALIAS = {"ember.ops.index.GetItem", "ember.ops.convert.ToDevice"}


def memory_plan(graph, dims=None):
    """A copy of `graph` with its memory plan in `meta["memory_plan"]` (module docstring)."""
    out = copy_graph(graph)
    nodes, values, dims = out.nodes, out.values(), dims or {}
    views, aliases = _aliases(nodes, values)
    last = last_use(out)
    for n in reversed(nodes):  # a value keeps alive what it may look into
        for v in n.outputs:
            for a in aliases.get(v.id, ()):
                last[a] = max(last.get(a, 0), last.get(v.id, 0))
    slots, slot_bytes, free, release = {}, [], [], {}
    live = peak = total = 0
    for i, n in enumerate(nodes):
        for v in n.outputs:
            last.setdefault(v.id, i)
            if n.op != "call" or v.id in views:
                continue
            size = _nbytes(v, dims)
            s = _pick(free, slot_bytes, size)
            slot_bytes[s] = max(slot_bytes[s], size)
            slots[v.id] = s
            release.setdefault(last[v.id], []).append((s, size))
            total += size
            live += size
        peak = max(peak, live)
        for s, size in release.pop(i, []):
            free.append(s)
            live -= size
    meta(out)["memory_plan"] = {"last_use": last, "slots": slots, "slot_bytes": slot_bytes,
                                "aliases": aliases, "bytes_without_reuse": total,
                                "bytes_with_reuse": sum(slot_bytes), "peak_live_bytes": peak}
    return out


def _aliases(nodes, values):
    """(ids of definite views, value id -> argument ids it may share memory with)."""
    views, aliases = set(), {}
    for n in nodes:
        if n.op != "call":
            continue
        cls = PRIMITIVES.get(n.name)
        args = sorted({r.id for r in n.refs()})
        for v in n.outputs:
            if cls is not None and cls.is_view:
                views.add(v.id)
                aliases[v.id] = args
            elif n.name == BACKWARD or n.name in MAY_ALIAS:
                aliases[v.id] = args
            else:  # an integer/bool op may hand back its argument itself (floor of an int)
                same = [a for a in args if not dtypes.as_dtype(v.dtype).is_floating_point and
                        (values[a].dtype, values[a].shape) == (v.dtype, v.shape)]
                if same:
                    aliases[v.id] = same
    return views, aliases


def last_use(graph):
    """value id -> index of the last node that needs it (a `backward` node needs its forward's
    arguments and outputs: it replays that call's instance)."""
    last, forwards = {}, forward_of(graph)
    for i, n in enumerate(graph.nodes):
        for r in n.refs():
            last[r.id] = i
        if n.op == "call" and n.name == BACKWARD and n.args[0].id in forwards:
            fwd = forwards[n.args[0].id]
            for vid in [v.id for v in fwd.outputs] + [r.id for r in fwd.refs()]:
                last[vid] = max(last.get(vid, 0), i)
    return last


def _pick(free, slot_bytes, size):
    """A free slot for `size` bytes (the smallest that fits, else the largest, which grows), or a
    new one."""
    if free:
        fits = [s for s in free if slot_bytes[s] >= size]
        s = min(fits, key=lambda s: slot_bytes[s]) if fits else max(free, key=lambda s: slot_bytes[s])
        free.remove(s)
        return s
    slot_bytes.append(0)
    return len(slot_bytes) - 1


def _nbytes(v, dims):
    n = 1
    for d in v.shape:
        n *= dims.get(d, 1) if isinstance(d, str) else d
    return n * dtypes.as_dtype(v.dtype).np.itemsize
