"""The optimizer's step inside a traced graph: `Update`, one primitive per parameter group.

A compiled training step records `optimizer.step()` as one `Update` call per group (ember/optim/
optimizer.py, `_recorded_step`); at every replay it runs the live optimizer's own `_update_group`,
so a scheduler's new learning rate reaches compiled steps, and where nothing reads the old values
afterwards the compiled code runs it in place (`forward_inplace`, ember/graph/codegen.py).
"""
import weakref

from ember.autograd.function import Function
from ember.autograd.tensor import Tensor

# Optimizers that a traced step used, by id: an Update node finds its optimizer's live
# hyperparameters here (a scheduler may change the learning rate between compiled steps).
_LIVE = weakref.WeakValueDictionary()


class Update(Function):
    """One group's optimizer update as a primitive for graphs: the optimizer's own `_update_group`
    on copies of its parameters (the group's `params` positions) and their state; returns their new
    values, the parameters first, then each one's state in `keys` order. Its arguments are the
    parameters, their gradients, then each one's state. Eager steps update in place and do not use it."""
    differentiable = False
    save_inputs = False

    def forward(self, *args, optimizer, group, keys, params):
        ps, gs, states = _split(args, len(params), keys)
        ps = [p.copy() for p in ps]
        values = [{k: Tensor(a.copy()) for k, a in zip(keys, state)} for state in states]
        _run_update(optimizer, group, params, ps, gs, values)
        return tuple(ps) + tuple(v[k]._data for v in values for k in keys)

    @staticmethod
    def inplace_map(n_args, attrs):
        """For `forward_inplace`: the argument each output is written into (the parameters, then their
        state). A compiled step that reads none of them after this update runs it in place."""
        n = len(attrs["params"])
        return list(range(n)) + list(range(2 * n, n_args))

    def forward_inplace(self, *args, optimizer, group, keys, params):
        """`forward` writing into the parameters and their state themselves: no copies, nothing to
        write back."""
        ps, gs, states = _split(args, len(params), keys)
        _run_update(optimizer, group, params, ps, gs, [{k: _Held(a) for k, a in zip(keys, s)} for s in states])
        return args[:len(params)] + args[2 * len(params):]


def _split(args, n, keys):
    """(parameters, gradients, each parameter's state arrays) from an `Update` call's arguments."""
    k = len(keys)
    return args[:n], args[n:2 * n], [args[2 * n + i * k:2 * n + (i + 1) * k] for i in range(n)]


def _run_update(optimizer, group, params, ps, gs, values):
    """The live optimizer's `_update_group` on `values` (the state the graph carries). State that
    `_update` creates on its first call (SGD's momentum buffer) is not in a graph traced before it
    existed: it lives in the optimizer's own state, read and kept there at every replay."""
    opt = _LIVE[optimizer]
    hp = opt.param_groups[group]
    lives = [opt.state[hp["params"][i]] for i in params]
    carried = set(values[0]) if values else set()
    for live, v in zip(lives, values):
        v.update((k, s) for k, s in live.items() if k not in carried)
    opt._update_group(list(ps), list(gs), values, hp)
    for live, v in zip(lives, values):
        live.update((k, s) for k, s in v.items() if k not in carried)


class _Held:
    """A state array where `_update` expects a tensor (it reads only `._data`)."""
    __slots__ = ("_data",)

    def __init__(self, array):
        self._data = array
