"""The backward engine: iterative, so a chain of 100,000 ops needs no recursion.

It counts, for every node reachable from the roots, how many edges lead into
it, then runs nodes whose gradients are complete (Kahn's order), accumulating
into leaves' `.grad` or capturing the gradients `ember.autograd.grad` asks for.
"""
from ember.errors import ArgumentError, AutogradError, ShapeError
from ember.autograd import dispatch, grad_mode
from ember.autograd import tensor as _tensor
from ember.autograd.anomaly import anomaly_backward, describe

_FREED = ("Trying to backward through the graph a second time (or to use saved values after "
          "backward freed them): pass retain_graph=True to the first backward")


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Compute the sum of gradients of `tensors` and accumulate them into the leaves' `.grad`.

    `inputs`, when given, limits accumulation to those tensors.
    """
    tensors = _as_list(tensors, "backward", "tensors")
    roots = _roots(tensors, grad_tensors, "backward")
    only = None
    if inputs is not None:
        only = _as_list(inputs, "backward", "inputs")
    retain = create_graph if retain_graph is None else retain_graph
    _run(roots, retain, create_graph, capture=only, accumulate=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False, materialize_grads=False):
    """The gradients of `outputs` with respect to `inputs`, returned rather than accumulated.

        >>> import ember
        >>> x = ember.tensor(3.0, requires_grad=True)
        >>> (g,) = ember.autograd.grad(x ** 3, x, create_graph=True)
        >>> g, ember.autograd.grad(g, x)[0]
        (tensor(27., grad_fn=<MulBackward>), tensor(18.))
    """
    outputs = _as_list(outputs, "grad", "outputs")
    single = isinstance(inputs, _tensor.Tensor)
    inputs = _as_list(inputs, "grad", "inputs")
    for i, t in enumerate(inputs):
        if not t._rg:
            raise AutogradError(f"grad: inputs[{i}] does not require grad")
    roots = _roots(outputs, grad_outputs, "grad")
    retain = create_graph if retain_graph is None else retain_graph
    found = _run(roots, retain, create_graph, capture=inputs, accumulate=False)
    result = []
    for i, t in enumerate(inputs):
        g = found.get(i)
        if g is None:
            if materialize_grads:
                g = t.new_zeros(t.shape) if hasattr(t, "new_zeros") else None
            elif not allow_unused:
                raise AutogradError(f"grad: inputs[{i}] (shape {tuple(t.shape)}) was not used to compute "
                                    f"the outputs; pass allow_unused=True if that is expected")
        result.append(g)
    return tuple(result)


def _as_list(x, op, name):
    if isinstance(x, _tensor.Tensor):
        return [x]
    if isinstance(x, (list, tuple)) and all(isinstance(t, _tensor.Tensor) for t in x):
        return list(x)
    raise ArgumentError(f"{op}: {name} must be a tensor or a sequence of tensors, got {type(x).__name__}")


def _roots(tensors, grads, op):
    if grads is None:
        grads = [None] * len(tensors)
    elif isinstance(grads, _tensor.Tensor):
        grads = [grads]
    if len(grads) != len(tensors):
        raise ArgumentError(f"{op}: got {len(tensors)} tensors but {len(grads)} gradients")
    roots = []
    for i, (t, g) in enumerate(zip(tensors, grads)):
        if not t._rg:
            raise AutogradError(f"{op}: element {i} of tensors does not require grad and does not have "
                                f"a grad_fn (was it computed under no_grad, from tensors without "
                                f"requires_grad=True, or by an ember.compile'd function? a compiled function "
                                f"runs its own backward: compile the whole training step, backward included)")
        if g is None:
            if t._data.size != 1:
                raise AutogradError(f"{op}: grad can be implicitly created only for scalar outputs; "
                                    f"this output has shape {tuple(t.shape)}: pass gradient=")
            g = _tensor._wrap(t._device.xp.ones_like(t._data), t._device)
        else:
            if not isinstance(g, _tensor.Tensor):
                g = _tensor.Tensor(g, dtype=t.dtype, device=t._device)
            if tuple(g.shape) != tuple(t.shape):
                raise ShapeError(f"{op}: gradient of shape {tuple(g.shape)} does not match the output "
                                 f"of shape {tuple(t.shape)}")
        roots.append((t, g))
    return roots


def _run(roots, retain, create_graph, capture, accumulate):
    dispatch._backward_depth[0] += 1
    try:
        return _run_nodes(roots, retain, create_graph, capture, accumulate)
    finally:
        dispatch._backward_depth[0] -= 1


_capturing = []  # the capture keys of the backward runs in progress, innermost last (None: all)


def observes(t):
    """True when the backward run in progress hands non-leaf `t`'s gradient, or that of a tensor `t`
    is a view of (a transpose of it), to someone: a hook (`retain_grad` is one) or `grad` /
    `backward(inputs=)` asking for it. For a primitive that may route its gradient around an input
    nobody watches (the recurrent layers' folded embedding lookup, ember/ops/recurrent.py)."""
    keys = _capturing[-1] if _capturing else None
    while t is not None and t.grad_fn is not None:
        fn = t.grad_fn
        if fn._hooks and fn._hooks.get(t._oi) or keys is not None and (id(fn), t._oi) in keys:
            return True
        t = fn.inputs[0] if fn.is_view and fn.inputs and isinstance(fn.inputs[0], _tensor.Tensor) else None
    return False


def _run_nodes(roots, retain, create_graph, capture, accumulate):
    keys = _capture_keys(capture)
    found = {}
    owned = set()  # ids of arrays already stored in some leaf's .grad (they must not alias)
    for _, g in roots:
        owned.add(id(g._data))
    buffers = {}
    ready_leaves = []
    for t, g in roots:
        if t.grad_fn is None:
            ready_leaves.append((t, g))
        else:
            _add_to_buffer(buffers, t.grad_fn, t._oi, g)
    pending = {} if accumulate else None  # id(leaf) -> gradients still to come, for leaves with post hooks
    deps = _dependencies([t.grad_fn for t, _ in roots if t.grad_fn is not None], pending)
    for t, _ in ready_leaves:
        _expect_leaf(t, pending)
    ready = [n for n in {id(t.grad_fn): t.grad_fn for t, _ in roots if t.grad_fn is not None}.values()
             if deps.get(n, 0) == 0]
    needed = None if keys is None else _needed([t.grad_fn for t, _ in roots if t.grad_fn is not None], keys)
    prev = grad_mode._state.enabled
    grad_mode._state.enabled = create_graph
    _capturing.append(keys)
    try:
        for t, g in ready_leaves:
            if keys is None or id(t) in keys:
                _deliver_leaf(t, g, keys, found, accumulate, create_graph, owned)
            _leaf_done(t, pending)
        while ready:
            node = ready.pop()
            grads = buffers.pop(node, None)
            grads_in = _prepare(node, grads, keys, found) if needed is None or node in needed else None
            results = _call_backward(node, grads_in) if grads_in is not None else None
            _route(node, results, buffers, deps, ready, keys, found, accumulate, create_graph, owned, pending)
            if not retain:
                _free(node)
    finally:
        grad_mode._state.enabled = prev
        _capturing.pop()
    return found


def _capture_keys(capture):
    """Where to capture gradients: a leaf by id, a non-leaf by (node id, output index)."""
    if capture is None:
        return None
    keys = {}
    for i, t in enumerate(capture):
        keys[id(t) if t.grad_fn is None else (id(t.grad_fn), t._oi)] = i
    return keys


def _needed(start, keys):
    """The nodes on a path to a gradient that was asked for (`grad`'s inputs, `backward(inputs=)`), as
    PyTorch prunes: the other nodes are not run and their tensors' hooks do not fire."""
    leaves = {k for k in keys if not isinstance(k, tuple)}
    producers = {k[0] for k in keys if isinstance(k, tuple)}
    needed, visited = set(), set()
    stack = [(n, False) for n in start]
    while stack:  # depth first, a node decided after its children (graphs can be deeper than recursion)
        node, children_done = stack.pop()
        if children_done:
            if id(node) in producers or any(
                    e is not None and (id(node.inputs[i]) in leaves if e[0] is None else e[0] in needed)
                    for i, e in enumerate(node.edges)):
                needed.add(node)
            continue
        if node in visited:
            continue
        visited.add(node)
        stack.append((node, True))
        stack.extend((e[0], False) for e in node.edges if e is not None and e[0] is not None and e[0] not in visited)
    return needed


def _dependencies(start, pending=None):
    deps = {}
    seen = set()
    stack = list({id(n): n for n in start}.values())  # two roots may share a node: walk it once
    for n in start:
        seen.add(n)
    while stack:
        node = stack.pop()
        if node._freed:
            raise AutogradError(_FREED)
        for i, e in enumerate(node.edges):
            f = e[0] if e is not None else None
            if f is None:
                if e is not None and pending is not None:
                    _expect_leaf(node.inputs[i], pending)
            else:
                deps[f] = deps.get(f, 0) + 1
                if f not in seen:
                    seen.add(f)
                    stack.append(f)
    return deps


def _add_to_buffer(buffers, node, index, g):
    buf = buffers.get(node)
    if buf is None:
        buf = buffers[node] = [None] * node.n_out
    buf[index] = g if buf[index] is None else buf[index] + g


def _prepare(node, grads, keys, found):
    """Run output hooks and captures; materialize missing output gradients as zeros."""
    if grads is None or all(g is None for g in grads):
        return None
    if node._hooks:
        for i, hooks in node._hooks.items():
            for h in list(hooks):
                if grads[i] is not None:
                    r = h(grads[i])
                    if r is not None:
                        grads[i] = r
    if keys is not None:
        for i, g in enumerate(grads):
            k = keys.get((id(node), i))
            if k is not None and g is not None:
                found[k] = g if k not in found else found[k] + g
    if node.n_out > 1 and getattr(node, "materialize_grads", True):
        xp = node.xp
        for i, meta in enumerate(node.out_meta):
            if grads[i] is None and meta is not None:
                if grad_mode._state.tracer is not None:  # a graph records the fill (its shape may follow the batch)
                    grads[i] = grad_mode._state.tracer.zeros(meta[0], meta[1])
                else:
                    grads[i] = _tensor._wrap(xp.zeros(meta[0], meta[1]), _device_of_grads(grads))
    return grads


def _device_of_grads(grads):
    return next(g._device for g in grads if g is not None)


def _call_backward(node, grads):
    if node._freed:
        raise AutogradError(_FREED)
    versions = getattr(node, "versions", None)
    if versions is not None and type(node).save_inputs:
        for i, (a, v) in enumerate(zip(node.inputs, versions)):
            if isinstance(a, _tensor.Tensor) and (a._vc[0] if a._vc else 0) != v:
                raise AutogradError(
                    f"{describe(node)}: input {i} (shape {tuple(a.shape)}, {a.dtype}) is needed for "
                    f"the gradient but was modified by an in-place operation (version {v}, now "
                    f"{a._vc[0]}); compute the in-place op on a clone() instead")
    dispatch._backward_nodes.append(node)
    try:
        if dispatch._backward_observers:
            results = dispatch.observed_backward(node, grads, _run_backward)
        else:
            results = _run_backward(node, grads)
    finally:
        dispatch._backward_nodes.pop()
    if not isinstance(results, tuple):
        results = (results,)
    if grad_mode._state.anomaly:
        anomaly_backward(node, results)
    return results


def _run_backward(node, grads):
    tracer = grad_mode._state.tracer
    return type(node).backward(node, *grads) if tracer is None else tracer.backward(node, grads)


def _route(node, results, buffers, deps, ready, keys, found, accumulate, create_graph, owned, pending):
    inputs = node.inputs
    for i, e in enumerate(node.edges):
        if e is None:
            continue
        a = inputs[i]
        g = results[i] if results is not None and i < len(results) else None
        if g is not None:
            g = _fit(g, a, node, i)
        f = e[0]
        if f is None:
            if g is not None and (keys is None or id(a) in keys):  # others' gradients are not asked for
                _deliver_leaf(a, g, keys, found, accumulate, create_graph, owned)
            _leaf_done(a, pending)
            continue
        if g is not None:
            _add_to_buffer(buffers, f, e[1], g)
        deps[f] -= 1
        if deps[f] == 0:
            ready.append(f)


def _fit(g, a, node, i):
    """Reduce a broadcast gradient to the input's shape and cast it to the input's dtype."""
    if not isinstance(g, _tensor.Tensor):
        raise AutogradError(f"{describe(node)}: backward returned {type(g).__name__} for input {i}, "
                            f"expected a tensor or None")
    if g._data.shape != a._data.shape:
        try:
            g = g.sum_to_size(a._data.shape)
        except ShapeError:
            raise AutogradError(f"{describe(node)}: backward returned a gradient of shape "
                                f"{tuple(g.shape)} for input {i} of shape {tuple(a.shape)}") from None
    if g._data.dtype != a._data.dtype:
        g = g.to(a.dtype)
    return g


def _expect_leaf(t, pending):
    if t._post_hooks and pending is not None:
        pending[id(t)] = pending.get(id(t), 0) + 1


def _leaf_done(t, pending):
    """One gradient for leaf `t` arrived (or was None): after the last, its post-accumulate hooks run."""
    if not t._post_hooks or pending is None or id(t) not in pending:
        return
    pending[id(t)] -= 1
    if pending[id(t)] == 0:
        del pending[id(t)]
        for h in list(t._post_hooks):
            h(t)


def _deliver_leaf(t, g, keys, found, accumulate, create_graph, owned):
    if t._hooks:
        for h in list(t._hooks):
            r = h(g)
            if r is not None:
                g = r
    if keys is not None:
        k = keys.get(id(t))
        if k is None:
            return
        if not accumulate:
            found[k] = g if k not in found else found[k] + g
            return
    if grad_mode._state.tracer is not None:
        grad_mode._state.tracer.grad_delivered(t)
    if t.grad is None:
        if not create_graph:
            data = g._data
            if id(data) in owned or getattr(data, "base", None) is not None:
                data = data.copy()  # never alias another leaf's grad or the caller's tensor
                if grad_mode._state.tracer is not None:
                    grad_mode._state.tracer.alias(data, g._data)
            owned.add(id(data))
            g = _tensor._wrap(data, t._device)
        t.grad = g
    elif create_graph or t.grad._rg or grad_mode._state.tracer is not None:
        t.grad = t.grad + g
    else:
        try:
            t.grad._data += g._data
        except ValueError:  # a read-only or broadcast .grad set by the user
            t.grad = _tensor._wrap(t.grad._data + g._data, t._device)
        return
    if grad_mode._state.tracer is not None:  # the compiled step writes this .grad back at every replay
        grad_mode._state.tracer.grad_written(t)


def _free(node):
    node.__dict__.clear()
    node._freed = True
