"""`Module`: the base class of layers and models, with PyTorch's API.

A module's `__init__` assigns parameters, buffers and submodules as attributes, which
registers them; `forward` computes; `module(x)` runs the forward hooks around `forward`.

    >>> class TwoLayer(ember.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden = ember.nn.Linear(4, 8)
    ...         self.out = ember.nn.Linear(8, 2)
    ...     def forward(self, x):
    ...         return self.out(self.hidden(x).relu())
    >>> [name for name, _ in TwoLayer().named_parameters()]
    ['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']
"""
from collections import OrderedDict, namedtuple

from ember.autograd import dispatch, grad_mode
from ember.autograd.grad_mode import no_grad
from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.backend.device import Device, device as as_device
from ember.errors import ArgumentError, DTypeError, StateDictError
from ember.nn import backward_hooks
from ember.nn.parameter import Buffer, Parameter

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    """Base class of all layers and models (see the module docstring)."""

    training = True
    _version = 1

    def __init__(self):
        for name in ("_parameters", "_buffers", "_modules", "_forward_pre_hooks", "_forward_hooks",
                     "_backward_hooks", "_backward_pre_hooks"):
            object.__setattr__(self, name, OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "training", True)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} is missing the required forward() method")

    def __call__(self, *args, **kwargs):
        if grad_mode._state.tracer is not None:  # a compiled graph assumes this module's training flag
            grad_mode._state.tracer.modules[id(self)] = self
        if dispatch._want_modules[0]:  # an observer reports module paths (profiler, numerics checks)
            stack = dispatch._module_stack
            if not stack or stack[-1] is not self:
                stack.append(self)
                try:
                    return self(*args, **kwargs)
                finally:
                    stack.pop()
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        hooked = self.__dict__.get("_backward_hooks") or self.__dict__.get("_backward_pre_hooks")
        if hooked:
            args, hook_state = backward_hooks.wrap_inputs(self, args)
        out = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, out)
            if result is not None:
                out = result
        return backward_hooks.wrap_outputs(hook_state, out) if hooked else out

    # --- registration -----------------------------------------------------
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {name!r} before {type(self).__name__}.__init__() "
                                 f"called super().__init__()")
        params, buffers, modules = self._parameters, self._buffers, self._modules
        parametrized = modules.get("parametrizations")
        if parametrized is not None and name in parametrized._modules:  # nn.utils.parametrize
            parametrized._modules[name].right_inverse(value)
        elif isinstance(value, Parameter):
            self._forget(name)
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            self._forget(name)
            modules[name] = value
        elif isinstance(value, Buffer):
            self._forget(name)
            self.register_buffer(name, value, value.persistent)
        elif name in params:
            if value is not None:
                raise DTypeError(f"{type(self).__name__}: cannot assign {type(value).__name__} as parameter "
                                 f"{name!r} (ember.nn.Parameter or None expected)")
            params[name] = None
        elif name in modules:
            if value is not None:
                raise DTypeError(f"{type(self).__name__}: cannot assign {type(value).__name__} as child module "
                                 f"{name!r} (ember.nn.Module or None expected)")
            modules[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise DTypeError(f"{type(self).__name__}: cannot assign {type(value).__name__} as buffer "
                                 f"{name!r} (Tensor or None expected)")
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name):
        for table in (self._parameters, self._buffers, self._modules):
            table.pop(name, None)
        self._non_persistent_buffers.discard(name)
        self.__dict__.pop(name, None)

    def __getattr__(self, name):  # only called when normal lookup fails
        d = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            if table in d and name in d[table]:
                return d[table][name]
        parametrized = d.get("_modules", {}).get("parametrizations")
        if parametrized is not None and name in parametrized._modules:  # nn.utils.parametrize
            return parametrized._modules[name]()
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name):
        if name in self._parameters or name in self._buffers or name in self._modules:
            self._forget(name)
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers) | set(self._modules))

    def _check_name(self, kind, name):
        if not isinstance(name, str):
            raise DTypeError(f"{type(self).__name__}: {kind} name must be a str, got {type(name).__name__}")
        if not name or "." in name:
            raise ArgumentError(f"{type(self).__name__}: {kind} name {name!r} must be non-empty and contain no '.'")
        if name in self.__dict__ and not (name in self._parameters or name in self._buffers
                                          or name in self._modules):
            raise ArgumentError(f"{type(self).__name__}: attribute {name!r} already exists")

    def register_parameter(self, name, param):
        """Add a parameter (or None: a declared, absent parameter such as a missing bias)."""
        self._check_name("parameter", name)
        if param is not None and not isinstance(param, Parameter):
            raise DTypeError(f"{type(self).__name__}: cannot assign {type(param).__name__} as parameter "
                             f"{name!r} (ember.nn.Parameter or None expected)")
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Add a buffer: module state that is not trained (running statistics). `persistent=False`
        keeps it out of `state_dict()`."""
        self._check_name("buffer", name)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise DTypeError(f"{type(self).__name__}: cannot assign {type(tensor).__name__} as buffer "
                             f"{name!r} (Tensor or None expected)")
        if isinstance(tensor, Buffer):
            tensor = tensor.detach()
        self._buffers[name] = tensor
        (self._non_persistent_buffers.discard if persistent else self._non_persistent_buffers.add)(name)

    def add_module(self, name, module):
        """Add a child module (or None)."""
        self._check_name("module", name)
        if module is not None and not isinstance(module, Module):
            raise DTypeError(f"{type(self).__name__}: {type(module).__name__} is not a Module subclass")
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target):
        """The submodule at a dotted path such as `"encoder.layers.0"`."""
        module = self
        for part in target.split(".") if target else ():
            if part not in module._modules or module._modules[part] is None:
                raise AttributeError(f"{type(module).__name__} has no submodule {part!r} (looking up {target!r})")
            module = module._modules[part]
        return module

    def get_parameter(self, target):
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if name not in module._parameters:
            raise AttributeError(f"{type(module).__name__} has no parameter {name!r}")
        return module._parameters[name]

    def get_buffer(self, target):
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if name not in module._buffers:
            raise AttributeError(f"{type(module).__name__} has no buffer {name!r}")
        return module._buffers[name]

    # --- traversal --------------------------------------------------------
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(name, module) for this module and every descendant, depth first; each module once."""
        memo = set() if memo is None else memo
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
                if id(module) in memo:
                    continue
                memo.add(id(module))
            yield name, module
            children = [(f"{name}.{n}" if name else n, m) for n, m in module._modules.items() if m is not None]
            stack.extend(reversed(children))

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def _named_members(self, table, prefix, recurse, remove_duplicate):
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for mod_prefix, module in modules:
            for name, value in getattr(module, table).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{mod_prefix}.{name}" if mod_prefix else name), value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, parameter) pairs; a parameter shared by two modules is listed once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # --- modes and bulk changes -------------------------------------------
    def train(self, mode=True):
        """Training mode (dropout active, batch statistics) for this module and its descendants."""
        if not isinstance(mode, bool):
            raise DTypeError(f"{type(self).__name__}.train: mode must be a bool, got {type(mode).__name__}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self):
        """Evaluation mode: `train(False)`."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Clear the gradients of every parameter (set them to None, or to zeros)."""
        for p in self.parameters():
            if p.grad is None or set_to_none:
                p.grad = None  # also when it is None: a traced step then does not depend on it
            else:
                p.grad = p.grad.detach().zero_()

    def apply(self, fn):
        """Call `fn(module)` on every descendant, then on this module (as for initialisation)."""
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    def _apply(self, fn):
        """Replace every parameter's and buffer's values with `fn(tensor)`, keeping the Parameter
        objects (an optimizer built before `model.to(...)` still holds the right ones)."""
        with no_grad():
            for m in self.modules():
                for table in (m._parameters, m._buffers):
                    for name, t in table.items():
                        if t is None:
                            continue
                        new = fn(t)
                        if new is t:
                            continue
                        t._data, t._device, t._vc = new._data, new._device, None
                        if t.grad is not None:
                            t.grad = fn(t.grad)
        return self

    def to(self, *args, **kwargs):
        """Move parameters and buffers to a device and/or cast the floating ones to a dtype:
        `model.to("cuda")`, `model.to(ember.float64)`, `model.to(device, dtype)`."""
        device, dtype = kwargs.pop("device", None), kwargs.pop("dtype", None)
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise ArgumentError(f"{type(self).__name__}.to: unexpected arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                device, dtype = a.device, a.dtype
            elif isinstance(a, Device) or (isinstance(a, str) and a.split(":")[0] in ("cpu", "cuda")):
                device = a
            elif a is not None:
                dtype = a
        if dtype is not None:
            dtype = dtypes.as_dtype(dtype)
            if not dtype.is_floating_point:
                raise DTypeError(f"{type(self).__name__}.to only accepts floating point dtypes, got {dtype}")
        device = None if device is None else as_device(device)

        def convert(t):
            out = t
            if device is not None and out.device != device:
                out = out.to(device)
            if dtype is not None and out.is_floating_point() and out.dtype != dtype:
                out = out.to(dtype)
            return out
        return self._apply(convert)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda" if device is None else f"cuda:{device}" if isinstance(device, int) else device)

    def float(self):
        return self.to(dtypes.float32)

    def double(self):
        return self.to(dtypes.float64)

    def half(self):
        return self.to(dtypes.float16)

    def bfloat16(self):
        return self.to(dtypes.bfloat16)

    def type(self, dst_type):
        return self.to(dst_type)

    # --- hooks ------------------------------------------------------------
    def register_forward_pre_hook(self, hook, prepend=False):
        """`hook(module, args)` before forward; returning a value replaces the positional args."""
        return _add_hook(self._forward_pre_hooks, hook, prepend)

    def register_forward_hook(self, hook, prepend=False):
        """`hook(module, args, output)` after forward; returning a value replaces the output."""
        return _add_hook(self._forward_hooks, hook, prepend)

    def register_full_backward_hook(self, hook, prepend=False):
        """`hook(module, grad_input, grad_output)` once the gradients with respect to the module's
        tensor inputs are computed (None for inputs that need none); returning a tuple replaces
        grad_input."""
        return _add_hook(self._backward_hooks, hook, prepend)

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """`hook(module, grad_output)` once the gradients with respect to the module's outputs are
        computed; returning a tuple replaces grad_output."""
        return _add_hook(self._backward_pre_hooks, hook, prepend)

    # --- state ------------------------------------------------------------
    def state_dict(self, destination=None, prefix="", keep_vars=False):
        """Parameters and persistent buffers by dotted name (PyTorch's names and order), detached
        unless `keep_vars`. The tensors share memory with the module."""
        out = OrderedDict() if destination is None else destination
        for mod_prefix, m in self.named_modules(prefix=prefix.rstrip("."), remove_duplicate=False):
            for name, t in m._parameters.items():
                if t is not None:
                    out[_join(mod_prefix, name)] = t if keep_vars else t.detach()
            for name, t in m._buffers.items():
                if t is not None and name not in m._non_persistent_buffers:
                    out[_join(mod_prefix, name)] = t if keep_vars else t.detach()
        return out

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy values from `state_dict` into the parameters and buffers.

        Every key is checked before anything is copied: a mis-shaped key is always an error; with
        `strict`, so are missing and unexpected keys. The error lists all of them. Values may be
        tensors or arrays. Returns `(missing_keys, unexpected_keys)`.
        """
        if not hasattr(state_dict, "items"):
            raise DTypeError(f"{type(self).__name__}.load_state_dict: expected a dict of tensors, "
                             f"got {type(state_dict).__name__}")
        for prefix, module in self.named_modules():  # lazy layers take their sizes from the file
            if getattr(module, "has_uninitialized_params", lambda: False)():
                module._materialize_from_state(state_dict, prefix + "." if prefix else "")
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        problems = []
        values = {}
        for key, target in own.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            value = value if isinstance(value, Tensor) else Tensor(value)
            if tuple(value.shape) != tuple(target.shape):
                problems.append(f"size mismatch for {key}: copying a param with shape {tuple(value.shape)} from "
                                f"the state dict, the shape in the current model is {tuple(target.shape)}")
            values[key] = value
        if strict:
            if missing:
                problems.insert(0, "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". ")
            if unexpected:
                problems.insert(1 if missing else 0,
                                "Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected) + ". ")
        if problems:
            raise StateDictError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                                 + "\n\t".join(problems))
        with no_grad():
            for key, value in values.items():
                target = own[key]
                if assign:
                    target._data, target._device, target._vc = value._data, value._device, None
                else:
                    target.copy_(value)
        return IncompatibleKeys(missing, unexpected)

    # --- printing ---------------------------------------------------------
    def extra_repr(self):
        """The part between the parentheses of this module's repr (layers override it)."""
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        lines = self.extra_repr().split("\n") if self.extra_repr() else []
        for name, m in self._modules.items():
            text = repr(m).replace("\n", "\n  ")
            n = _count(m) if m is not None else 0
            lines.append(f"({name}): {text}" + (f"  # {n:,} parameters" if n and not m._modules else ""))
        if not self._modules:
            return f"{self._get_name()}({', '.join(lines)})" if len(lines) <= 1 else \
                f"{self._get_name()}(\n  " + "\n  ".join(lines) + "\n)"
        n = _count(self)
        return f"{self._get_name()}(\n  " + "\n  ".join(lines) + "\n)" + (f"  # {n:,} parameters" if n else "")


def _join(prefix, name):
    return f"{prefix}.{name}" if prefix else name


def _count(module):
    return sum(p.numel() for p in module.parameters())


class _HookHandle:
    def __init__(self, table, key):
        self.table, self.key = table, key

    def remove(self):
        self.table.pop(self.key, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


_next_hook_id = [0]


def _add_hook(table, hook, prepend):
    _next_hook_id[0] += 1
    key = _next_hook_id[0]
    table[key] = hook
    if prepend:
        table.move_to_end(key, last=False)
    return _HookHandle(table, key)
