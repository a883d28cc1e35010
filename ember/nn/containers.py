"""Containers (`Sequential`, `ModuleList`, `ModuleDict`, `ParameterList`, `ParameterDict`) and
the shape-only modules `Identity`, `Flatten`, `Unflatten`."""
from collections import OrderedDict

from ember.errors import ArgumentError, DTypeError, IndexOutOfRangeError
from ember.nn.module import Module
from ember.nn.parameter import Parameter
from ember.ops.shape import flatten, unflatten

__all__ = ["Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict",
           "Identity", "Flatten", "Unflatten"]


def _index(container, idx):
    """`idx` as a non-negative position in `container`, or an IndexOutOfRangeError naming it."""
    n = len(container)
    try:
        i = idx.__index__()
    except AttributeError:
        raise DTypeError(f"{type(container).__name__} indices must be integers or slices, "
                         f"got {type(idx).__name__}") from None
    if not -n <= i < n:
        raise IndexOutOfRangeError(f"{type(container).__name__}: index {i} is out of range for {n} modules")
    return i % n


class Sequential(Module):
    """Modules applied one after the other: `Sequential(Linear(4, 8), ReLU(), Linear(8, 2))`, or
    from an OrderedDict of names to modules.

        >>> net = ember.nn.Sequential(ember.nn.Linear(4, 8), ember.nn.ReLU())
        >>> net(ember.randn(2, 4)).shape
        ember.Size([2, 8])
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, m in args[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(args):
                self.add_module(str(i), m)

    def forward(self, input):
        for m in self._modules.values():
            input = m(input)
        return input

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(OrderedDict(list(self._modules.items())[idx]))
        return list(self._modules.values())[_index(self, idx)]

    def __setitem__(self, idx, module):
        self.add_module(list(self._modules)[_index(self, idx)], module)

    def __delitem__(self, idx):
        keys = list(self._modules)
        for key in (keys[idx] if isinstance(idx, slice) else [keys[_index(self, idx)]]):
            del self._modules[key]
        if all(k.isdigit() for k in self._modules):  # keep numeric names consecutive, as PyTorch does
            items = list(self._modules.values())
            self._modules.clear()
            for i, m in enumerate(items):
                self._modules[str(i)] = m

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self

    def insert(self, index, module):
        items = list(self._modules.values())
        n = len(items)
        if not -n <= index <= n:
            raise IndexOutOfRangeError(f"Sequential.insert: index {index} is out of range for {n} modules")
        items.insert(index % (n + 1) if index < 0 else index, module)
        self._modules.clear()
        for i, m in enumerate(items):
            self.add_module(str(i), m)
        return self

    def pop(self, index=-1):
        m = self[index]
        del self[index]
        return m


class ModuleList(Module):
    """A list of modules that registers them (their parameters appear in `parameters()`)."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        return self._modules[str(_index(self, idx))]

    def __setitem__(self, idx, module):
        self.add_module(str(_index(self, idx)), module)

    def __delitem__(self, idx):
        items = list(self._modules.values())
        del items[idx if isinstance(idx, slice) else _index(self, idx)]
        self._modules.clear()
        self.extend(items)

    def __iadd__(self, modules):
        return self.extend(modules)

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        if isinstance(modules, Module) and not isinstance(modules, (ModuleList, Sequential)):
            raise DTypeError(f"ModuleList.extend should be called with an iterable of modules, "
                             f"got {type(modules).__name__}")
        for m in list(modules):
            self.append(m)
        return self

    def insert(self, index, module):
        items = list(self._modules.values())
        items.insert(index, module)
        self._modules.clear()
        return self.extend(items)

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleList has no forward(); iterate over it in your module's forward")


class _Mapping(Module):
    """The dict behaviour `ModuleDict` and `ParameterDict` share, over the registry named by `_store`."""
    _store, _what = "_modules", "module"

    def __init__(self, entries=None):
        super().__init__()
        if entries is not None:
            self.update(entries)

    def _entries(self):
        return getattr(self, self._store)

    def __getitem__(self, key):
        entries = self._entries()
        if key not in entries:
            raise KeyError(f"{type(self).__name__} has no {self._what} {key!r}; it has {list(entries)}")
        return entries[key]

    def __delitem__(self, key):
        del self._entries()[key]

    def __len__(self):
        return len(self._entries())

    def __iter__(self):
        return iter(self._entries())

    def __contains__(self, key):
        return key in self._entries()

    def keys(self):
        return self._entries().keys()

    def values(self):
        return self._entries().values()

    def items(self):
        return self._entries().items()

    def pop(self, key):
        value = self[key]
        del self[key]
        return value

    def clear(self):
        self._entries().clear()

    def update(self, entries):
        for key, value in (entries.items() if hasattr(entries, "items") else entries):
            self[key] = value


class ModuleDict(_Mapping):
    """A dict of modules that registers them, in insertion order."""

    def __init__(self, modules=None):
        super().__init__(modules)

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleDict has no forward(); index it in your module's forward")


class ParameterList(Module):
    """A list of parameters that registers them; plain tensors are wrapped in `Parameter`."""

    def __init__(self, values=None):
        super().__init__()
        for v in values or ():
            self.append(v)

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

    def __getitem__(self, idx):
        return self._parameters[str(_index(self, idx))]

    def __setitem__(self, idx, value):
        self.register_parameter(str(_index(self, idx)), value if isinstance(value, Parameter) else Parameter(value))

    def append(self, value):
        self.register_parameter(str(len(self)), value if isinstance(value, Parameter) else Parameter(value))
        return self

    def extend(self, values):
        for v in values:
            self.append(v)
        return self

    def extra_repr(self):
        return "\n".join(f"({i}): Parameter containing: [{p.dtype} of size {tuple(p.shape)}]"
                         for i, p in enumerate(self))


class ParameterDict(_Mapping):
    """A dict of parameters that registers them; plain tensors are wrapped in `Parameter`."""
    _store, _what = "_parameters", "parameter"

    def __init__(self, parameters=None):
        super().__init__(parameters)

    def __setitem__(self, key, value):
        self.register_parameter(key, value if isinstance(value, Parameter) else Parameter(value))


class Identity(Module):
    """Returns its input unchanged (a placeholder that accepts and ignores any arguments)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Flatten(Module):
    """Flattens dims `start_dim..end_dim` into one (by default all but the batch dim)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        return flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expands dim `dim` into `unflattened_size`, e.g. `Unflatten(1, (1, 28, 28))`."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        if not isinstance(unflattened_size, (tuple, list)):
            raise ArgumentError(f"Unflatten: unflattened_size must be a tuple of ints, got {unflattened_size!r}")
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, input):
        return unflatten(input, self.dim, self.unflattened_size)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
