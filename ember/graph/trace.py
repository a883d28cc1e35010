"""Tracing: run eager code once and record every primitive it calls as a graph.

The tracer sits in level 1's tracer slot (`grad_mode._state.tracer`, per thread) while the code runs, so it sees
each `Function.apply` (forward ops, the ops that `loss.backward()` runs, and an optimizer's
update primitive), each in-place write (recorded functionally: the written tensor's value
becomes the new value, and module state that changed becomes an update of the output node),
and each read of tensor values from user code (`bool()`, `item()`, ...), which it refuses with
the user's line: data-dependent Python control flow cannot be recorded.

Arrays the code uses that no recorded op made are module state (parameter nodes, named by
`state_dict` name) or, otherwise, captured arrays (constant nodes holding the array itself, so a
compiled function reads their current contents). The backward of each primitive is one
`backward` node that runs that primitive's backward code, on the instance its forward call made.

    >>> model = ember.nn.Linear(3, 2)
    >>> g = ember.graph.trace(model, ember.randn(4, 3))
    >>> [n.op for n in g.nodes][:3]
    ['input', 'parameter', ...]
"""
import linecache
import os
import sys

import numpy as np

from ember.autograd import grad_mode
from ember.autograd.function import primitive_name
from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.errors import EmberError
from ember.ops import creation
from ember.graph.ir import BACKWARD, Graph, Node, Ref, Value


class TraceError(EmberError, RuntimeError):
    """Code that cannot be recorded as a graph (data-dependent control flow, ...)."""


class Tracer:
    # Record backward at primitive level where it can be (see `backward`); False keeps every
    # primitive's backward as one opaque `backward` node (the passes' tests exercise those).
    primitive_backward = True

    def __init__(self, state=None):
        self.graph = Graph()
        self.env = {}          # id(array) -> value id
        self.keep = []         # every array seen stays alive, so ids stay unique during the trace
        self.calls = {}        # id(Function instance) -> its call node, for the backward nodes
        self.state = {id(t._data): name for name, t in (state or {}).items()}
        self.updates = {}      # state or constant name -> value id of its new contents
        self.names = {}        # value id of a parameter/constant node -> its name
        self.undo = {}         # id(array) -> (array, its contents before the trace wrote to it)
        self.next_id = 0
        self.values_read = False  # a value was looked at (while trying a backward at primitive level)
        self.grad_leaves = {}     # id -> tensor whose .grad backward wrote
        self.grad_start = {}      # id -> (tensor, its .grad before the trace first set it, set to None first)
        self.modules = {}         # id -> module called during the trace (its training flag is assumed)
        self.view_writes = []     # arrays written in place that are views of another array (`assign`)
        self.inputs = []          # the arrays of the traced function's arguments (written back when written)

    def grad_written(self, tensor):
        self.grad_leaves[id(tensor)] = tensor

    def _grad_touched(self, tensor, cleared):
        if id(tensor) not in self.grad_start:
            self.grad_start[id(tensor)] = (tensor, tensor._grad, cleared)
            self.keep.append(tensor)

    def grad_cleared(self, tensor):
        """`tensor.grad = None` (zero_grad): a step that clears a gradient before its backward
        writes it does not depend on the gradient it was called with."""
        self._grad_touched(tensor, True)

    def grad_delivered(self, tensor):
        """Backward is about to set or add to `tensor.grad`. Whether the gradient was there when the
        step began is something the graph assumes (it either writes it or adds to it); an existing
        gradient the step adds to is state, read fresh at every replay, named after its tensor."""
        self._grad_touched(tensor, False)
        g = tensor._grad
        if g is not None and id(g._data) not in self.env and id(g._data) not in self.state:
            base = self.state.get(id(tensor._data)) or self.names.get(self.env.get(id(tensor._data)))
            if base is not None:
                self.state[id(g._data)] = f"{base}.grad"

    # --- values -------------------------------------------------------------
    def value(self, array, shape=None):
        v = Value(self.next_id, dtypes.dtype_of(array).name, shape or tuple(array.shape))
        self.next_id += 1
        self.env[id(array)] = v.id
        self.keep.append(array)
        return v

    def ref(self, array):
        if self.view_writes:
            self._check_view_writes(array)
        vid = self.env.get(id(array))
        if vid is not None:
            return Ref(vid)
        name = self.state.get(id(array))
        if name is not None:
            op = "parameter"
        else:
            op, name = "constant", f"c{len(self.graph.constants)}"
            self.graph.constants[name] = array
        v = self.value(array)
        self.graph.nodes.append(Node(op, name, outputs=[v]))
        self.names[v.id] = name
        return Ref(v.id)

    def arg(self, a):
        if isinstance(a, Tensor):
            return self.ref(a._data)
        if isinstance(a, np.ndarray) or (hasattr(a, "__cuda_array_interface__") and hasattr(a, "shape")):
            return self.ref(a)
        if isinstance(a, tuple):
            items = [self.arg(x) for x in a]
            return type(a)(*items) if hasattr(a, "_fields") else tuple(items)
        if isinstance(a, list):
            return [self.arg(x) for x in a]
        if isinstance(a, dict):
            return {k: self.arg(v) for k, v in a.items()}
        return a

    # --- hooks called by level 1 --------------------------------------------
    def call(self, cls, args, attrs):
        node = Node("call", primitive_name(cls), [self.arg(a) for a in args],
                    {k: self.arg(v) for k, v in attrs.items()})
        grad_mode._state.tracer = None
        try:
            out = cls.apply(*args, **attrs)
        finally:
            grad_mode._state.tracer = self
        outs = out if isinstance(out, tuple) else (out,)
        node.outputs = [self.value(o._data) for o in outs]
        node.tuple_out = isinstance(out, tuple)
        self.graph.nodes.append(node)
        fn = next((o.grad_fn for o in outs if o.grad_fn is not None), None)
        if fn is not None:
            self.calls[id(fn)] = node
            self.keep.append(fn)
        return out

    def backward(self, fn, grads):
        """The engine runs `fn`'s backward. Backward is written in ember ops, so it is recorded
        at primitive level like forward code, when it can be: when it reads only the forward's
        arguments and outputs and the incoming gradients (no array its forward kept aside, which a
        replay would find stale) and never looks at values. Otherwise it is recorded as one
        `backward` node that runs the primitive's own backward code on the replayed forward's
        instance."""
        forward = self.calls.get(id(fn))
        if forward is None:  # a user Function in PyTorch's form: its backward is ember ops, recorded
            return type(fn).backward(fn, *grads)
        results = self._primitive_backward(fn, grads) if self.primitive_backward else None
        if results is not None:
            return results
        grad_mode._state.tracer = None
        try:
            results = type(fn).backward(fn, *grads)
        finally:
            grad_mode._state.tracer = self
        results = results if isinstance(results, tuple) else (results,)
        if all(r is None for r in results) or not forward.outputs:
            return results
        args = [Ref(forward.outputs[0].id)] + [None if g is None else self.ref(g._data) for g in grads]
        node = Node("call", BACKWARD, args, {"inputs": [i for i, r in enumerate(results) if r is not None]})
        node.outputs = [self.value(r._data) for r in results if r is not None]
        self.graph.nodes.append(node)
        return results

    def _primitive_backward(self, fn, grads):
        """`fn`'s backward run with this tracer listening, so its primitives are recorded; None
        (and the recording undone) when it captured an array no recorded op made, returned one
        (computed on raw arrays), or read a value."""
        saved = (len(self.graph.nodes), dict(self.graph.constants), dict(self.updates), dict(self.names),
                 dict(self.env))
        self.values_read = False
        try:
            results = type(fn).backward(fn, *grads)
        except EmberError:
            results = None
        made = results is not None and all(r is None or id(r._data) in self.env for r in
                                           (results if isinstance(results, tuple) else (results,)))
        if made and not self.values_read and self.graph.constants.keys() == saved[1].keys():
            return results  # every gradient came out of recorded ops
        del self.graph.nodes[saved[0]:]
        self.graph.constants, self.updates, self.names, self.env = saved[1:]
        return None

    def zeros(self, shape, dtype):
        """A recorded zero fill (the engine's gradient for an unused output)."""
        return creation.zeros(tuple(shape), dtype=dtypes.as_dtype(dtype))

    def alias(self, new, old):
        """`new` is a copy of `old` (the engine copying a gradient): the same value."""
        if id(old) in self.env:
            self.env[id(new)] = self.env[id(old)]
            self.keep.append(new)

    def assign(self, target, src):
        """`target`'s contents are about to be overwritten with `src` (an in-place op). The old
        contents go to the undo log (a probe trace is undone with it)."""
        for i, x in enumerate(self.inputs):  # an argument written whole is written back (`input{i}`)
            if x is not target and _overlap(x, target):
                raise TraceError(f"compile: the function writes in place into a view of its argument {i} (shape "
                                 f"{list(x.shape)}), which a compiled graph does not carry back to the argument: "
                                 f"write through the argument itself (x[key] = value), return the new value, or "
                                 f"write into a clone()")
        # the graph gives `target` its new value, not the array it is a view of: reading that array (or
        # another view of the written memory) afterwards is refused (`_check_view_writes`); writing
        # the whole array anew makes it current again
        self.view_writes = [t for t in self.view_writes if not _overlap(t, target) or t is target]
        if getattr(target, "base", None) is not None:
            self.view_writes.append(target)
        if id(target) not in self.undo:
            self.undo[id(target)] = (target, target.copy())
        before = self.env.get(id(target))
        if before is None:  # state read for the first time by this write: it needs its node
            before = self.ref(target).id
        vid = self.ref(src).id
        self.env[id(target)] = vid
        name = self.names.get(before) or self._updated_name(before)
        if name is not None:
            self.updates[name] = vid

    def _check_view_writes(self, array):
        for written in self.view_writes:
            if array is not written and _overlap(array, written):
                raise TraceError(
                    f"compile: the function wrote in place into a view of a tensor (a slice, a transpose, "
                    f"view(); {list(written.shape)} of it) and then read that tensor, or another view of the "
                    f"memory written ({list(array.shape)}); a compiled graph does not carry a write through a "
                    f"view back to its base. Write through the tensor itself (t[key] = value) or use the "
                    f"out-of-place op")

    def _updated_name(self, vid):
        for name, v in self.updates.items():
            if v == vid:
                return name
        return None

    def read(self, tensor, what):
        self.values_read = True
        caller = sys._getframe(2)  # the code that called the Tensor method (item, bool, ...)
        while caller is not None and os.path.abspath(caller.f_code.co_filename) in _TENSOR_METHODS:
            caller = caller.f_back  # float(t), int(t), index(t): Tensor's own methods (wrapped) call item()
        if _inside_ember(caller.f_code.co_filename):
            return  # ember's own checks (argument validation) are not the user's control flow
        line = linecache.getline(caller.f_code.co_filename, caller.f_lineno).strip()
        raise TraceError(f"{what} of a traced tensor (shape {tuple(tensor.shape)}) at {caller.f_code.co_filename}:"
                         f"{caller.f_lineno} ({line}): the value depends on the input data, so Python control "
                         f"flow on it cannot be recorded in a graph; use ember.where(...) for a data-dependent "
                         f"choice, or move this out of the traced function")


_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_TENSOR_METHODS = {os.path.join(_ROOT, "autograd", "tensor.py"), os.path.join(_ROOT, "ops", "registry.py")}


def _inside_ember(filename):
    return os.path.abspath(filename).startswith(_ROOT + os.sep)


def trace(fn, *example_inputs, state=None, dynamic_batch=True):
    """Record `fn(*example_inputs)` as a Graph (see the module docstring).

    `fn` may be a function or an `nn.Module` (its `state_dict` names its parameters and buffers).
    `state` names further tensors the function reads and updates (e.g. `{"opt.state.0.exp_avg": t}`).
    Returns the validated graph; its output node lists the returned values, then the new values of
    the state it updated (names in `output.attrs["updates"]`).
    """
    return record(fn, example_inputs, state, dynamic_batch)[0]


def record(fn, example_inputs, state=None, dynamic_batch=True, undo=False):
    """`trace`, returning (graph, fn's return value, the Tracer: its undo log has what the run wrote).
    With `undo` (a probe), what the run wrote to arrays in place and to tensors' `.grad` is undone
    when it ends, also when it raises."""
    named = dict(state or {})
    if hasattr(fn, "state_dict") and hasattr(fn, "named_parameters"):
        named.update(fn.state_dict(keep_vars=True))
    named.update({f"{n}.grad": t.grad for n, t in list(named.items()) if t.grad is not None})
    tracer = Tracer(named)
    for i, x in enumerate(example_inputs):
        if not isinstance(x, Tensor):
            raise TraceError(f"trace: example input {i} is a {type(x).__name__}; pass tensors (other values "
                             f"belong in the function's closure)")
        shape = ("B",) + tuple(x.shape[1:]) if dynamic_batch and x.ndim else tuple(x.shape)
        v = tracer.value(x._data, shape=shape)
        tracer.graph.nodes.append(Node("input", f"input{i}", outputs=[v]))
        tracer.inputs.append(x._data)
        tracer.names[v.id] = f"input{i}"  # written in place, its new value is written back to the argument
    if grad_mode._state.tracer is not None:
        raise TraceError("trace: already tracing; nested traces are not supported")
    grad_mode._state.tracer = tracer
    try:
        try:
            out = fn(*example_inputs)
        finally:
            grad_mode._state.tracer = None
        return _finish(tracer, named, out)
    finally:
        if undo:
            for array, before in tracer.undo.values():
                array[...] = before
            for t, before, _ in tracer.grad_start.values():
                t._grad = before


def _finish(tracer, named, out):
    """The output node: the return values, then the state the run updated (read off the tensors and
    gradients it left)."""
    tracer.captured = _captured_leaves(tracer, named)
    named.update(tracer.captured)
    tracer.assumed, tracer.grads_were = _assumed(tracer, named)
    for name, t in named.items():  # gradients that backward left on state tensors
        if t.grad is not None and id(t.grad._data) in tracer.env and tracer.env[id(t.grad._data)] != \
                tracer.env.get(id(named.get(f"{name}.grad", t)._data)):
            tracer.updates[f"{name}.grad"] = tracer.env[id(t.grad._data)]
    flat, structure = flatten_output(out)
    refs = [tracer.ref(t._data) for t in flat]
    names = list(tracer.updates)
    tracer.graph.nodes.append(Node("output", "output", refs + [Ref(tracer.updates[n]) for n in names],
                                   {"n_outputs": len(refs), "updates": names, "structure": structure}))
    return tracer.graph.validate(), out, tracer


def _assumed(tracer, named):
    """What the recorded graph takes as given beyond its inputs' signature: (modules, tensors, graded),
    every module called, whose training flag it assumes (dropout, batch norm); each tensor of the
    step's state and each parameter of those modules, whose requires_grad it assumes (which gradients
    and updates the graph holds); and each of those, and each captured leaf, whose `.grad` backward
    wrote without the step clearing it first, whose gradient's presence it assumes (it writes a new
    one or adds to the old one). Tensors the step makes for itself, and its arguments, are new at
    every call. A compiled function checks them before each replay. Returned with whether each
    graded tensor had a `.grad` when the traced step began."""
    params = {id(t): t for n, t in named.items() if isinstance(t, Tensor) and not n.endswith(".grad")}
    for m in tracer.modules.values():
        params.update((id(p), p) for p in m.parameters(recurse=False))
    graded = [(t, before) for t, before, cleared in tracer.grad_start.values() if not cleared and id(t) in params]
    return (list(tracer.modules.values()), list(params.values()), [t for t, _ in graded]), \
        [before is not None for _, before in graded]


def _overlap(a, b):
    """Whether arrays a and b share memory (exactly, or when that is too costly to decide, their bounds)."""
    try:
        return np.shares_memory(a, b, max_work=10000)
    except np.exceptions.TooHardError:
        return np.may_share_memory(a, b)


def _captured_leaves(tracer, named):
    """{constant name: tensor} for the tensors the function captured (not in `named`) whose `.grad`
    backward wrote: they join the compiled step's state, so every replay writes their `.grad` as eager
    backward would."""
    known = {id(t) for t in named.values()}
    constant = {id(array): name for name, array in tracer.graph.constants.items()}
    return {constant[id(t._data)]: t for t in tracer.grad_leaves.values()
            if id(t) not in known and id(t._data) in constant}


def flatten_output(out):
    """Tensors in a nested return value, and a JSON-able description to rebuild it."""
    if isinstance(out, Tensor):
        return [out], "tensor"
    if out is None:
        return [], "none"
    if isinstance(out, (tuple, list)):
        flat, parts = [], []
        for o in out:
            f, s = flatten_output(o)
            flat += f
            parts.append(s)
        return flat, {"tuple" if isinstance(out, tuple) else "list": parts}
    if isinstance(out, dict):
        flat, parts = [], []
        for k, o in out.items():
            f, s = flatten_output(o)
            flat += f
            parts.append([k, s])
        return flat, {"dict": parts}
    raise TraceError(f"trace: the traced function returned a {type(out).__name__}; return tensors, or "
                     f"tuples, lists and dicts of them")


def unflatten(values, structure):
    """Rebuild a return value from its flat tensors (the inverse of `flatten_output`)."""
    it = iter(values)

    def build(s):
        if s == "tensor":
            return next(it)
        if s == "none":
            return None
        (kind, parts), = s.items()
        if kind == "dict":
            return {k: build(p) for k, p in parts}
        items = [build(p) for p in parts]
        return tuple(items) if kind == "tuple" else items
    return build(structure)
