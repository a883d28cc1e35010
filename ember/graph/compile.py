"""`ember.compile(fn_or_module)`: trace on the first call, then replay generated source.

The compiled callable keeps a cache keyed by the input signature (dtype, device, rank and every
dim of each tensor argument, dim 0 said as a multiple of the batch size where it is one). A call
whose signature is not in the cache, or where something the graph assumed no longer holds (a
module's training flag, a tensor's requires_grad, whether a gradient it adds to is there),
retraces and logs why; after `max_retraces` retraces it raises with the reason. There is no
silent fallback to eager.

The batch dim is dynamic: the first trace of a signature is repeated at batch size + 1 on a
probe copy of the inputs (its effects on state, gradients and the random generator undone), and
every literal that differs between the two traces becomes an expression k * B + c of the batch
size B in the generated code. The first call at each further batch size is recorded (run
eagerly) and checked against those expressions: a literal they do not give (B * B, B // 2) makes
the graph key on the batch size, as does a graph whose structure depends on it, and the log says so.

    >>> model = ember.nn.Linear(4, 2).eval()
    >>> fast = ember.compile(model)
    >>> fast(ember.randn(8, 4)).shape
    ember.Size([8, 2])
    >>> print(fast.source())                           # doctest: +SKIP
"""
import builtins
import contextlib
import dataclasses
import gc
import logging
from operator import attrgetter

from ember.autograd import dispatch
from ember.autograd.grad_mode import no_grad
from ember.autograd.tensor import Tensor, _wrap
from ember.backend import random as ember_random
from ember.errors import EmberError
from ember.graph import observe, passes
from ember.graph.codegen import Sym, generate
from ember.backend.device import CPU
from ember.graph.ir import Graph, Node, Ref, short_name
from ember.graph.trace import TraceError, flatten_output, record, unflatten
from ember.ops import _layout
from ember.ops.creation import arange

log = logging.getLogger("ember.compile")


class RecompileError(EmberError, RuntimeError):
    """More retraces than `max_retraces`: the inputs keep changing in ways the graph can't cover."""


_TRAINING, _RG = attrgetter("training"), attrgetter("_rg")


def _has_grad(t):
    return t._grad is not None


def _flags(modules, tensors, graded):
    """The modules' training flags, the tensors' requires_grad and whether the graded tensors have a
    `.grad`, now."""
    return list(map(_TRAINING, modules)), list(map(_RG, tensors)), list(map(_has_grad, graded))


class _Entry:
    def __init__(self, graph, source, glob, state, updates, batch_dynamic, xp=None, assumed=((), (), ()),
                 grads=()):
        self.graph, self.source, self.state = graph, source, state
        # the modules and tensors whose training flags, requires_grad and .grad the graph assumes
        # (`trace._assumed`), and those flags as traced (`grads`: whether each .grad was there)
        self.assumed = modules, tensors, _ = assumed
        self.traced = list(map(_TRAINING, modules)), list(map(_RG, tensors)), list(grads)
        # arrays the compile made (folded constants): returned, they are copied, as eager makes new ones
        meta = getattr(graph, "meta", None) or {}
        self.made = {id(graph.constants[n]) for n in meta.get("folded_constants", ()) if n in graph.constants}
        self.updates, self.batch_dynamic = updates, batch_dynamic
        self.replay = _load(source, glob)
        self.xp, self._observed = xp, None
        self.full = None      # the signature it was traced at, batch size included (`Compiled._build`)
        # batch-dynamic: the probed graph (literals holding Sym), the batch sizes it is known right at,
        # and those found to disagree with it (`Compiled._verify`)
        self.symbolic, self.sizes, self.elsewhere = None, set(), set()
        # gradients the step writes without reading the old ones (zero_grad set them to None): dropped
        # before the replay, so the old and the new gradients are never held at once
        self.parameters = [n.name for n in graph.nodes if n.op == "parameter"]  # read fresh at each call
        read = set(self.parameters)
        self.replaced_grads = [n[:-5] for n in updates if n.endswith(".grad") and n not in state and n not in read]
        inputs = [n.name for n in graph.nodes if n.op == "input"]
        self.written_inputs = {n: inputs.index(n) for n in updates if n in inputs}

    def changed(self):
        """The first thing the graph assumed that no longer holds, described, or None (before every replay)."""
        now = _flags(*self.assumed)
        if now == self.traced:
            return None
        modules, tensors, graded = self.assumed
        whats = [f"{type(m).__name__}.training changed from {{}} to {{}}" for m in modules] + \
                [f"requires_grad of a {tuple(t.shape)} tensor it reads changed from {{}} to {{}}" for t in tensors] + \
                [f"the .grad of a {tuple(t.shape)} tensor it differentiates was {{}} when traced and is {{}} now "
                 f"(the graph writes a new gradient or adds to the old one)" for t in graded]
        was, ist = sum(self.traced, []), sum(now, [])
        if graded:  # said as present/absent
            n = len(was) - len(graded)
            was[n:], ist[n:] = ([("absent", "present")[f] for f in x[n:]] for x in (was, ist))
        return next(w.format(a, b) for w, a, b in zip(whats, was, ist) if a != b)

    def observed_replay(self):
        """The replay with every kernel call passed to `ember.graph.observe` (made on first use)."""
        if self._observed is None:
            self._observed = _load(*generate(self.graph, self.xp, self.batch_dynamic, observe=True))
        return self._observed


def _load(source, glob):
    namespace = dict(glob)
    exec(builtins.compile(source, "<ember.compile>", "exec"), namespace)
    return namespace["replay"]


class Compiled:
    """The callable `ember.compile` returns (see the module docstring)."""

    def __init__(self, fn, state=None, max_retraces=8, dynamic_batch=True, optimize=True):
        self.fn = fn
        self.optimize = optimize
        self.extra_state = dict(state or {})
        self.max_retraces = max_retraces
        self.dynamic_batch = dynamic_batch
        self.cache = {}
        self.retraces = 0
        self.last = None
        self.static = set()  # signatures whose graphs key on the batch size (`_verify` found them not linear)

    def _signature(self, args, with_batch):
        """dtype, device and shape of each argument, and the dispatch state. Without `with_batch`, an
        argument's dim 0 that is a multiple k of the batch size (the first argument's) is said as
        "kB": that is how the batch probe grows it, so one key covers every batch size alike."""
        b = 0 if with_batch or not args or not isinstance(args[0], Tensor) or not args[0].ndim else args[0].shape[0]
        sig = []
        for a in args:
            if not isinstance(a, Tensor):
                raise TraceError(f"compile: arguments must be tensors, got {type(a).__name__}; "
                                 f"put other values in the function's closure")
            shape = tuple(a.shape)
            if b and shape:
                shape = (f"{shape[0] // b}B" if shape[0] % b == 0 else shape[0],) + shape[1:]
            sig.append((a.dtype.name, str(a.device), shape))
        return tuple(sig) + (("state", dispatch.guard_state()),)

    def __call__(self, *args):
        key = self._signature(args, with_batch=False)
        if not self.cache:
            self.seen = self._signature(args, with_batch=True)
        entry = self._find(key)
        if entry is None or not entry.batch_dynamic:
            full = self._signature(args, with_batch=True)
            entry = self._find(full) or (entry if entry is not None and entry.batch_dynamic else None)
            if entry is None:
                with _no_gc():
                    entry = self._trace(args, key, self._changed(key, full))
                return self._outputs(entry, self._last_out)
        if entry.batch_dynamic and args[0].shape[0] not in entry.sizes:
            own = self._find(self._signature(args, with_batch=True))  # a batch size with a graph of its own
            if own is None:
                with _no_gc():
                    return self._verify(entry, key, args)
            entry = own
        self.last = entry
        return self._run(entry, args)

    def _find(self, key):
        """The graph traced for this signature whose assumptions (modules' training flags, tensors'
        requires_grad) hold now: a model switched between train() and eval() keeps one of each."""
        return next((e for e in self.cache.get(key, ()) if e.changed() is None), None)

    def _changed(self, *keys):
        """Why the graphs traced for these signatures do not apply (their first failed assumption), or None."""
        return next((e.changed() for k in keys for e in self.cache.get(k, ())), None)

    def _state(self):
        named = dict(self.extra_state)
        if hasattr(self.fn, "state_dict"):
            named.update(self.fn.state_dict(keep_vars=True))
        return named

    def _trace(self, args, key, changed=None):
        if self.cache:
            self._retraced(changed or _explain(self.seen, self._signature(args, with_batch=True)))
        state = self._state()
        graph, out, tracer = record(self.fn, args, state, self.dynamic_batch)
        self._last_out = out
        batch = bool(self.dynamic_batch and key not in self.static and args and args[0].ndim and args[0].shape[0])
        return self._build(args, key, state, graph, tracer, batch)

    def _retraced(self, why):
        self.retraces += 1
        if self.retraces > self.max_retraces:
            raise RecompileError(f"compile: {self.retraces} retraces (max_retraces={self.max_retraces}); "
                                 f"the last because {why}")
        log.warning("ember.compile: retracing %s because %s", _name(self.fn), why)

    def _build(self, args, key, state, graph, tracer, batch):
        """The entry for a recorded run: probed, optimized, generated, and put in the cache."""
        symbolic, batch_dynamic, why = _probe(self.fn, graph, args, state, batch, tracer)
        if batch and not batch_dynamic:
            log.warning("ember.compile: %s keys on the batch size: %s", _name(self.fn), why)
        graph = passes.default_pipeline(symbolic) if self.optimize else symbolic
        xp = args[0].device.xp if args else CPU.xp
        source, glob = generate(graph, xp, batch_dynamic)
        state.update(tracer.captured)  # after the probe: it must see the first trace's constants as such
        entry = _Entry(graph, source, glob, state, graph.output.attrs.get("updates", []), batch_dynamic, xp,
                       tracer.assumed, tracer.grads_were)
        entry.full = self._signature(args, with_batch=True)
        if batch_dynamic:  # traced and probed at these sizes; `_verify` adds the others it is called at
            entry.symbolic, entry.sizes = symbolic, {args[0].shape[0], args[0].shape[0] + 1}
        self.cache.setdefault(key if batch_dynamic else entry.full, []).append(entry)
        self.last = entry
        return entry

    def _verify(self, entry, key, args):
        """The first call of a batch-dynamic entry at a batch size it has not run at: the call is
        recorded (run eagerly) and its graph compared with the entry's literals at this B. Two probe
        sizes cannot tell k * B + c from B // 2 or B * B (or `chunk`), which agree with it there and
        not elsewhere; where a literal disagrees, the entry keys on its own batch size from now on and
        so does every graph of this signature. A graph whose structure differs at this size (at batch
        size 1 a gradient broadcast over the batch needs no sum) is this size's own. Either way the
        recorded run becomes an entry."""
        state = self._state()
        graph, out, tracer = record(self.fn, args, state, True)
        b = args[0].shape[0]
        why = _disagreement(entry.symbolic, graph, b)
        if why is None:
            entry.sizes.add(b)
            self.last = entry
            return self._outputs(entry, out)
        self._retraced(f"at batch size {b} {why}")
        if why != _RESTRUCTURED:
            log.warning("ember.compile: %s keys on the batch size: at batch size %d %s", _name(self.fn), b, why)
            self.cache[key].remove(entry)
            entry.batch_dynamic = False
            self.cache.setdefault(entry.full, []).append(entry)
            self.static.add(key)
        entry.elsewhere.add(b)
        return self._outputs(self._build(args, key, state, graph, tracer, False), out)

    def _run(self, entry, args):
        state = {name: _array(entry.state, name) for name in entry.parameters}
        replay = entry.observed_replay() if observe._observers else entry.replay
        for name in entry.replaced_grads:
            entry.state[name].grad = None
        with no_grad(), _layout.channels_last():  # conv/pool keep channels-last between layers
            outputs, updates = replay([a._data for a in args], state, entry.graph.constants)
        outputs = [o.copy() if id(o) in entry.made else _plain(o) for o in outputs]
        for name, value in zip(entry.updates, updates):
            if name in entry.written_inputs:  # an argument the function wrote in place, as eager did
                a = args[entry.written_inputs[name]]
                if a._data is not value:
                    a._data[...] = value
                a._version_counter()[0] += 1
            else:
                _write(entry.state, entry.graph.constants, name, value)
        dev = args[0].device if args else CPU
        return self._outputs(entry, [_wrap(o if type(o) is dev.xp.ndarray else dev.xp.asarray(o), dev)
                                     for o in outputs])

    def _outputs(self, entry, flat):
        if not isinstance(flat, list):  # the first call: the traced eager run's result, detached
            flat = [t.detach() for t in flatten_output(flat)[0]]
        return unflatten(flat, entry.graph.output.attrs["structure"])

    def source(self):
        """The generated source of the most recently used graph."""
        if self.last is None:
            raise TraceError("compile: nothing compiled yet; call the compiled function first")
        return self.last.source

    @property
    def graph(self):
        return None if self.last is None else self.last.graph


def compile(fn, state=None, max_retraces=8, dynamic_batch=True, optimize=True):
    """Compile a function or module (see the module docstring). `state` names further tensors the
    function reads and updates in place (optimizers are found through their parameters);
    `optimize=False` skips the graph passes (ember.graph.passes.default_pipeline)."""
    return Compiled(fn, state, max_retraces, dynamic_batch, optimize)


@contextlib.contextmanager
def _no_gc():
    """The cycle collector paused while a graph is traced and built: those make many small objects
    that all live on (graph nodes, values, the tracer's records), and each collection would walk the
    whole process's objects for nothing (measured: 0.1 s of the transformer's 0.4 s first call)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _probe(fn, graph, args, state, batch, first):
    """Trace again on other inputs, from the state the first trace (`first`, its Tracer) began with as
    far as the graph can see it (the gradients), undoing the run's effects on state, gradients and
    the random generator, and compare: at batch size + 1 (`batch`) or on perturbed values. A captured
    array that differs between the two traces was computed from the inputs outside any recorded
    primitive: replaying it would be wrong, so that is an error. With `batch`, every literal that
    changed becomes an expression of B. Returns (graph, batch_dynamic, reason it is not)."""
    b = args[0].shape[0] if batch else None
    probe = [_probe_input(a, b) for a in args]
    saved_rng = ember_random.get_rng_state()
    started = list(first.grad_start.values())
    after = [t._grad for t, _, _ in started]
    for t, before, _ in started:
        t._grad = before
    try:
        other = record(fn, probe, state, batch, undo=True)[0]
    except EmberError as e:
        if not batch:
            raise
        return graph, False, f"the trace at batch size {b + 1} failed ({e})"
    finally:
        for (t, _, _), grad in zip(started, after):
            t._grad = grad
        ember_random.set_rng_state(saved_rng)
    if _structure(graph) != _structure(other):
        return graph, False, "the graph's structure depends on it"
    _check_constants(graph, other)
    if not batch:
        return graph, False, ""
    nodes = []
    for n1, n2 in zip(graph.nodes, other.nodes):
        try:
            args, attrs = _symbolize(n1.args, n2.args, b), _symbolize(n1.attrs, n2.attrs, b)
        except ValueError:
            return graph, False, f"an argument of {short_name(n1.name)} changes with it in a way B can't express"
        nodes.append(Node(n1.op, n1.name, args, attrs, n1.outputs, n1.tuple_out))
    return Graph(nodes, graph.constants), True, ""


def _probe_input(a, b):
    if b is not None:  # one more sample
        return grown(a, b, b + 1)
    return a * 0.75 + 0.125 if a.is_floating_point() else a


def grown(a, b, n):
    """`a` at batch size n: where its dim 0 is k * b (the batch of size b, or a flattened batch), its
    rows repeated to k * n; any other tensor as it is."""
    if not a.ndim or not a.shape[0] or a.shape[0] % b:
        return a
    return a[arange(a.shape[0] // b * n) % a.shape[0]]


def _structure(graph):
    return [(n.op, n.name) for n in graph.nodes]


def _same_array(c1, c2):
    return c1 is c2 or (c1.shape == c2.shape and c1.dtype == c2.dtype and bool((c1 == c2).all()))


def _check_constants(graph, other):
    users = graph.users()
    for n1, n2 in zip(graph.nodes, other.nodes):
        if n1.op != "constant":
            continue
        c1, c2 = graph.constants[n1.name], other.constants[n2.name]
        if _same_array(c1, c2):
            continue
        user = users.get(n1.outputs[0].id, [n1])[0]
        raise TraceError(f"compile: {short_name(user.name)} reads an array ({c1.dtype}{list(c1.shape)}) that was "
                         f"computed from the inputs (or drawn at random) outside any recorded primitive, so a "
                         f"replay would reuse stale values; the op must compute it with ember ops or inside "
                         f"its primitive's forward (ember's creation functions other than zeros, ones, empty, "
                         f"full and arange make arrays a trace captures as they are: pass such an array in "
                         f"as an argument)")


def _symbolize(x, y, b):
    """`x` (a literal at batch b) with the ints that differ in `y` (at b + 1) replaced by Sym;
    ValueError where the two cannot be matched."""
    if isinstance(x, bool) or not isinstance(x, (int, tuple, list, dict)):
        if not isinstance(x, Ref) and not hasattr(x, "shape") and type(x) is type(y) and x != y:
            raise ValueError
        return x
    if isinstance(x, int):
        if not isinstance(y, int):
            raise ValueError
        return x if x == y else Sym(y - x, x - (y - x) * b)
    if isinstance(x, dict):
        if not isinstance(y, dict) or x.keys() != y.keys():
            raise ValueError
        return {k: _symbolize(x[k], y[k], b) for k in x}
    if not isinstance(y, (tuple, list)) or len(x) != len(y):
        raise ValueError
    items = [_symbolize(a, c, b) for a, c in zip(x, y)]
    if hasattr(x, "_fields"):
        return type(x)(*items)
    return tuple(items) if isinstance(x, tuple) else items


_RESTRUCTURED = "the graph's structure differs"


def _disagreement(symbolic, graph, b):
    """Where `graph` (recorded at batch size b) differs from `symbolic` (the probed graph, literals
    holding Sym) evaluated at b, described; None where it agrees."""
    if _structure(symbolic) != _structure(graph):
        return _RESTRUCTURED
    for n1, n2 in zip(symbolic.nodes, graph.nodes):
        if not (_agrees(n1.args, n2.args, b) and _agrees(n1.attrs, n2.attrs, b)):
            return f"an argument of {short_name(n1.name)} is not the linear function of B the probe found"
        if n1.op == "constant":
            c1 = symbolic.constants[n1.name]
            if not _same_array(c1, graph.constants[n2.name]):
                return f"an array it reads ({c1.dtype}{list(c1.shape)}) changes with it"
    return None


def at_batch(graph, b):
    """`graph` with every Sym literal, and the symbolic batch dim "B" of its values' shapes, at batch
    size b (a graph that keys on the batch size after `_verify` found it not linear still holds the
    probe's expressions)."""
    def dims(v):
        return dataclasses.replace(v, shape=tuple(b if d == "B" else d for d in v.shape)) if "B" in v.shape else v

    def fix(x):
        if isinstance(x, Sym):
            return x.k * b + x.c
        if isinstance(x, dict):
            return {k: fix(v) for k, v in x.items()}
        if isinstance(x, (tuple, list)):
            items = [fix(v) for v in x]
            return type(x)(*items) if hasattr(x, "_fields") else type(x)(items)
        return x
    return Graph([Node(n.op, n.name, fix(n.args), fix(n.attrs), [dims(v) for v in n.outputs], n.tuple_out)
                  for n in graph.nodes], graph.constants)


def _agrees(x, y, b):
    """Whether the literal `x` (ints may be Sym) is `y` at batch size b."""
    if isinstance(x, Sym):
        return type(y) is int and x.k * b + x.c == y
    if isinstance(x, dict):
        return isinstance(y, dict) and x.keys() == y.keys() and all(_agrees(x[k], y[k], b) for k in x)
    if isinstance(x, (tuple, list)):
        return isinstance(y, (tuple, list)) and len(x) == len(y) and all(_agrees(p, q, b) for p, q in zip(x, y))
    if isinstance(x, Ref) or hasattr(x, "shape"):
        return True
    return type(x) is type(y) and (x == y or x != x and y != y)


def _array(state, name):
    if name.endswith(".grad") and name not in state:
        return state[name[:-5]].grad._data
    return state[name]._data


def _write(state, constants, name, value):
    if name.endswith(".grad") and name not in state:
        t = state[name[:-5]]
        t.grad = _wrap(value.copy() if not value.flags.owndata else value, t._device)
    elif name in state:
        if state[name]._data is not value:  # an update run in place wrote it already
            state[name]._data[...] = value
        state[name]._version_counter()[0] += 1
    elif constants[name] is not value:
        constants[name][...] = value


def _explain(old, new):
    if old[-1] != new[-1]:
        return f"the state traced graphs depend on changed from {', '.join(old[-1][1])} to {', '.join(new[-1][1])}"
    old, new = old[:-1], new[:-1]
    if len(old) != len(new):
        return f"the number of arguments changed from {len(old)} to {len(new)}"
    for i, (a, b) in enumerate(zip(old, new)):
        for what, x, y in zip(("dtype", "device", "shape"), a, b):
            if x != y:
                return f"argument {i} {what} changed from {x} to {y}"
    return "the signature changed"


def _name(fn):
    return getattr(fn, "__qualname__", type(fn).__name__)


def _plain(a):
    """A returned array in C-contiguous memory when a kernel left it channels-last, as eager returns it."""
    return a.copy(order="C") if getattr(a, "ndim", 0) == 4 and _layout.is_channels_last(a) else a
