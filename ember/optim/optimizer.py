"""`Optimizer`: parameter groups, per-parameter state, the loop of `step()`, and state dicts.

An optimizer subclass gives its defaults, checks its hyperparameters in
`_check`, creates a parameter's state in `_init_state` and updates one
parameter in `_update`; this class owns the loop over groups and parameters.
Updates work on the raw arrays (NumPy or CuPy, through the array's device),
under `no_grad`, in place, and move each parameter's version counter.

    >>> import ember
    >>> w = ember.zeros(3, requires_grad=True)
    >>> opt = ember.optim.SGD([w], lr=0.1)
    >>> ((w - 1) ** 2).sum().backward()
    >>> opt.step()
    >>> [round(v, 4) for v in w.tolist()]
    [0.2, 0.2, 0.2]
"""
from collections import defaultdict

from ember.autograd import dispatch, grad_mode
from ember.autograd.grad_mode import enable_grad, no_grad
from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.backend.device import CPU, array_device
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.optim._graph_update import _LIVE, Update
from ember.profiler.profile import record_function

# A compiled training step records each group's update on the parameter and state tensors the optimizer
# held when it was traced; `load_state_dict` (new state tensors) and `add_param_group` (a group the graph
# has no update for) on an optimizer a graph recorded change that, so they count here and compiled
# steps retrace (a guard, as autocast's).
_changes = ["traced optimizers' groups and state (changed 0 times)", 0]


@dispatch.add_guard
def _guard():
    return _changes[0]  # (read before every compiled call: made once per change)


def _changed(opt):
    if _LIVE.get(id(opt)) is opt:
        _changes[1] += 1
        _changes[0] = f"traced optimizers' groups and state (changed {_changes[1]} times)"


class _RequiredParameter:
    """Marks a default that every parameter group must give (SGD's lr in old PyTorch)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    """Base class of all optimizers: PyTorch's `torch.optim.Optimizer`.

    `params` is an iterable of tensors, of `(name, tensor)` pairs, or of dicts
    (parameter groups) with a `"params"` entry and per-group hyperparameters.
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        self._step_count = 0
        self._check(defaults, "")
        if isinstance(params, Tensor):
            raise DTypeError(f"{self._name}: params must be an iterable of Tensors or dicts, e.g. "
                             f"model.parameters() or [w, b]; got a single Tensor: wrap it in a list")
        if isinstance(params, (set, frozenset)):
            raise DTypeError(f"{self._name}: params must be an ordered collection (list, tuple, generator), "
                             f"not a set: the order of a set changes between runs")
        try:
            groups = list(params)
        except TypeError:
            raise DTypeError(f"{self._name}: params must be an iterable of Tensors or dicts, "
                             f"got {type(params).__name__}") from None
        if not groups:
            raise ArgumentError(f"{self._name}: got an empty parameter list; pass the tensors to optimize, "
                                f"e.g. model.parameters()")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    @property
    def _name(self):
        return type(self).__name__

    # --- what a subclass gives -------------------------------------------
    def _check(self, hp, where):
        """Raise ArgumentError for an invalid hyperparameter in `hp` (defaults or a group)."""

    def _init_state(self, p, group):
        """The state of parameter array `p` before its first update (a dict of tensors)."""
        return {}

    def _update(self, p, g, state, group):
        """Update the parameter array `p` in place from its gradient array `g`."""
        raise NotImplementedError(f"{self._name} must define _update(p, g, state, group)")

    def _update_group(self, params, grads, states, group):
        """Update every parameter array of one group in place (lists, in the group's order). Each in
        turn through `_update`; an optimizer overrides this where a pass over all of them costs less."""
        for p, g, state in zip(params, grads, states):
            self._update(p, g, state, group)

    # --- the loop ---------------------------------------------------------
    def step(self, closure=None):
        """Update every parameter that has a gradient; `closure()` re-evaluates the loss first."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        if grad_mode._state.tracer is not None:
            self._recorded_step()
            self._step_count += 1
            return loss
        # The update works on arrays, not through primitives: one profiler range shows it (as torch's does).
        with no_grad(), record_function(f"Optimizer.step#{self._name}.step"):
            for group in self.param_groups:
                members = self._members(group)
                for param, _ in members:
                    g = param.grad._data
                    if g.shape != param._data.shape:
                        raise ShapeError(f"{self._name}.step: a parameter of shape {tuple(param.shape)} has a "
                                         f"gradient of shape {tuple(g.shape)}; they must match")
                self._update_group([p._data for p, _ in members], [p.grad._data for p, _ in members],
                                   [self.state[p] for p, _ in members], group)
                for param, _ in members:
                    param._version_counter()[0] += 1
        self._step_count += 1
        return loss

    def _members(self, group):
        """(parameter, its position in the group) for each parameter of `group` with a gradient, its
        state made on its first update."""
        members = []
        for position, param in enumerate(group["params"]):
            if param.grad is None:
                continue
            state = self.state[param]
            if not state:
                state.update(self._init_state(param._data, group))
            members.append((param, position))
        return members

    def _recorded_step(self):
        """The step while a graph is being traced: each group's update is one `Update` call (new
        values out: the parameters, then each one's state) whose results are written back, so the
        graph records it functionally. Parameters whose state has other keys than the group's first
        (state an optimizer made for some only) get a call of their own."""
        _LIVE[id(self)] = self
        with no_grad():
            for index, group in enumerate(self.param_groups):
                runs = {}
                for param, position in self._members(group):
                    runs.setdefault(tuple(self.state[param]), []).append((param, position))
                for keys, members in runs.items():
                    params, n = [p for p, _ in members], len(members)
                    states = [self.state[p] for p in params]
                    new = Update.apply(*(p.detach() for p in params), *(p.grad for p in params),
                                       *(state[k] for state in states for k in keys), optimizer=id(self),
                                       group=index, keys=keys, params=tuple(pos for _, pos in members))
                    for i, (param, state) in enumerate(zip(params, states)):
                        param.copy_(new[i])
                        for j, k in enumerate(keys):
                            state[k].copy_(new[n + i * len(keys) + j])

    def zero_grad(self, set_to_none=True):
        """Set every parameter's `.grad` to None (default), or to zeros with `set_to_none=False`."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None or set_to_none:
                    p.grad = None  # also when it is None: a traced step then does not depend on it
                else:
                    if p.grad.grad_fn is not None:
                        p.grad.detach_()
                    else:
                        p.grad.requires_grad_(False)
                    p.grad.zero_()

    # --- groups -----------------------------------------------------------
    def add_param_group(self, param_group):
        """Add a group of parameters with its own hyperparameters (missing ones come from defaults)."""
        if not isinstance(param_group, dict):
            raise DTypeError(f"{self._name}.add_param_group: param_group must be a dict, "
                             f"got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ArgumentError(f"{self._name}.add_param_group: the group has no 'params' entry")
        index = len(self.param_groups)
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise DTypeError(f"{self._name}: the params of group {index} must be an ordered collection, "
                             f"not a set: the order of a set changes between runs")
        params, names = _split_names(list(params), self._name, index)
        param_group["params"] = params
        if names is not None:
            param_group["param_names"] = names
        for i, p in enumerate(params):
            self._check_param(p, index, i)
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ArgumentError(f"{self._name}: parameter group {index} didn't specify a value of "
                                    f"required optimization parameter {name}")
            param_group.setdefault(name, default)
        self._check(param_group, f" in param group {index}")
        self._check_unique(param_group, index)
        self.param_groups.append(param_group)
        _changed(self)

    def _check_param(self, p, group, i):
        where = f"{self._name}: parameter {i} of group {group}"
        if not isinstance(p, Tensor):
            raise DTypeError(f"{where} is a {type(p).__name__}; an optimizer can only optimize Tensors")
        if not p.dtype.is_floating_point:
            raise DTypeError(f"{where} has dtype {p.dtype}; only floating point tensors can be optimized")
        if not (p.is_leaf or p.retains_grad):
            raise ArgumentError(f"{where} is not a leaf tensor (it was computed by an op); optimize the "
                                f"tensor it came from, or make a leaf with .detach().requires_grad_()")

    def _check_unique(self, param_group, index):
        seen = set()
        for i, p in enumerate(param_group["params"]):
            if id(p) in seen:
                raise ArgumentError(f"{self._name}: parameter {i} of group {index} appears twice in the "
                                    f"group; each parameter must be listed once")
            seen.add(id(p))
        for j, group in enumerate(self.param_groups):
            if any(id(p) in seen for p in group["params"]):
                raise ArgumentError(f"{self._name}: some parameters of group {index} are also in group {j}; "
                                    f"each parameter must be in exactly one parameter group")
            if ("param_names" in group) != ("param_names" in param_group):
                raise ArgumentError(f"{self._name}: all parameter groups must be given with names, or all "
                                    f"without (group {j} and group {index} differ)")

    # --- state dicts ------------------------------------------------------
    def state_dict(self):
        """`{'state': {index: {...}}, 'param_groups': [{..., 'params': [index, ...]}]}`, as PyTorch.

        Parameters are numbered in the order of the groups; the tensors in
        'state' are this optimizer's own (not copies).
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(index[id(p)] if isinstance(p, Tensor) else p): s for p, s in self.state.items() if s}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Load a state dict from `state_dict()` (of an optimizer with groups of the same sizes).

        Tensors are copied (to each parameter's device, and dtype except 'step'),
        so the source optimizer and this one do not share state.
        """
        saved = [_copy(g) for g in state_dict["param_groups"]]
        if len(saved) != len(self.param_groups):
            raise ArgumentError(f"{self._name}.load_state_dict: the state dict has {len(saved)} parameter "
                                f"groups, this optimizer has {len(self.param_groups)}")
        for i, (group, old) in enumerate(zip(self.param_groups, saved)):
            if len(group["params"]) != len(old["params"]):
                raise ArgumentError(f"{self._name}.load_state_dict: parameter group {i} has "
                                    f"{len(old['params'])} parameters in the state dict but "
                                    f"{len(group['params'])} in this optimizer")
        id_map = {k: p for old, group in zip(saved, self.param_groups)
                  for k, p in zip(old["params"], group["params"])}
        state = defaultdict(dict)
        for k, values in state_dict["state"].items():
            if k in id_map:
                p = id_map[k]
                state[p] = {key: _cast_state(p, key, v) for key, v in values.items()}
            else:
                state[k] = _copy(values)
        for group, old in zip(self.param_groups, saved):
            old["params"] = group["params"]
            if "param_names" in group and "param_names" not in old:
                old["param_names"] = group["param_names"]
        self.state = state
        self.param_groups = saved
        _changed(self)

    def __repr__(self):
        lines = [f"{self._name} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines) + "\n)"


def _split_names(params, opt, index):
    """`[(name, tensor), ...]` gives tensors and names; plain tensors give names None."""
    named = [isinstance(p, tuple) for p in params]
    if not any(named):
        return params, None
    if not all(named):
        raise ArgumentError(f"{opt}: parameter group {index} mixes (name, tensor) pairs and plain tensors; "
                            f"give all parameters with names or all without")
    return [p[1] for p in params], [p[0] for p in params]


def _copy(value):
    """A deep copy of nested dicts, lists and tuples; tensors are cloned."""
    if isinstance(value, Tensor):
        return value.detach().clone()
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copy(v) for v in value)
    return value


# Scalar counters that stay on the CPU in their own precision. PyTorch keeps only 'step';
# keeping NAdam's 'mu_product' too makes a save/load round trip continue bit for bit.
_SCALAR_STATE = ("step", "mu_product")


def _cast_state(param, key, value):
    """A loaded state value: tensors copied to the parameter's device and dtype (counters as they are)."""
    if key in _SCALAR_STATE:
        if not isinstance(value, Tensor):
            return step_tensor(float(value))
        return value.detach().to(copy=True)
    if isinstance(value, Tensor):
        dtype = param.dtype if value.dtype.is_floating_point else None
        return value.detach().to(device=param.device, dtype=dtype, copy=True)
    return _copy(value)


# --- helpers for the updates of the optimizers --------------------------
def state_zeros(p, fill=0.0):
    """A state tensor shaped like parameter array `p`, on its device, filled with `fill`."""
    xp = array_device(p).xp
    a = xp.zeros_like(p) if fill == 0 else xp.full_like(p, fill)
    return Tensor(a, device=array_device(a))


def step_tensor(value=0.0):
    """A step counter as PyTorch keeps it: a 0-d tensor on the CPU (float32, or float64 by default dtype)."""
    dt = dtypes.float64 if dtypes.get_default_dtype() is dtypes.float64 else dtypes.float32
    return Tensor(CPU.xp.array(value, dtype=dt.np))


def advance(state, key="step"):
    """Add one to the step counter in `state`; the new count as a Python float."""
    t = state[key]._data
    t += 1
    return float(t)


def effective_grad(p, g, group):
    """The gradient array an update uses: negated with `maximize`, plus `weight_decay * p` (L2), or,
    with `decoupled_weight_decay`, `p` shrunk in place by `lr * weight_decay` instead."""
    if group["maximize"]:
        g = -g
    wd = group["weight_decay"]
    if wd != 0:
        if group.get("decoupled_weight_decay"):
            p *= 1 - float(group["lr"]) * wd
        else:
            g = g + wd * p
    return g


def lerp_(a, b, weight):
    """`a += weight * (b - a)` in place, with PyTorch's formula for weights of 0.5 and above."""
    if abs(weight) < 0.5:
        a += weight * (b - a)
    else:
        a[...] = b - (b - a) * (1 - weight)
    return a


def array_module(p):
    """NumPy or CuPy, whichever holds array `p`."""
    return array_device(p).xp


def check_range(opt, name, value, where, low=0.0, high=None, high_open=True):
    """Raise ArgumentError naming optimizer `opt` and argument `name` unless low <= value (< or <=) high."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise DTypeError(f"{opt}: {name}{where} must be a number, got {type(value).__name__}") from None
    bad = not v >= low or (high is not None and not (v < high if high_open else v <= high))
    if bad:
        rule = f">= {low}" if high is None else f"in [{low}, {high}{')' if high_open else ']'}"
        raise ArgumentError(f"{opt}: invalid {name}={value!r}{where}; it must be {rule}")
