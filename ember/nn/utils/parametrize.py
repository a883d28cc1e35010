"""Parametrizations, as PyTorch's `torch.nn.utils.parametrize`: a tensor of a module computed on every
access from stored originals, `module.weight = f(module.parametrizations.weight.original)`.

The module keeps its class: `Module.__getattr__` finds the name in `module.parametrizations` (a
ModuleDict of `ParametrizationList`s) and computes it, and assigning to the name goes through the
parametrizations' `right_inverse`. Parameter names and `state_dict` keys are PyTorch's
(`parametrizations.weight.original`, or `original0`, `original1`, ... when `right_inverse` returns a tuple).

    >>> import ember
    >>> class Symmetric(ember.nn.Module):
    ...     def forward(self, x):
    ...         return x.triu() + x.triu(1).mT
    >>> m = ember.nn.Linear(3, 3)
    >>> _ = ember.nn.utils.parametrize.register_parametrization(m, "weight", Symmetric())
    >>> bool((m.weight == m.weight.mT).all())
    True
"""
from ember.autograd.grad_mode import no_grad
from ember.autograd.tensor import Tensor
from ember.errors import ArgumentError, DTypeError
from ember.nn.containers import ModuleDict, ModuleList
from ember.nn.module import Module
from ember.nn.parameter import Parameter

__all__ = ["register_parametrization", "remove_parametrizations", "is_parametrized", "type_before_parametrizations",
           "ParametrizationList", "cached"]


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, applied in order to the stored originals."""

    def __init__(self, modules, original):
        super().__init__(modules)
        with no_grad():
            new = modules[0].right_inverse(original) if hasattr(modules[0], "right_inverse") else original
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            self.original = _as_parameter(new, original)
        else:
            for i, t in enumerate(new):
                setattr(self, f"original{i}", _as_parameter(t, original))

    def originals(self):
        if self.is_tensor:
            return (self.original,)
        return tuple(getattr(self, f"original{i}") for i in range(self.ntensors))

    def right_inverse(self, value):
        """Store what makes `forward()` return `value` (each parametrization's `right_inverse`, last first)."""
        with no_grad():
            for p in reversed(list(self)):
                if not hasattr(p, "right_inverse"):
                    raise ArgumentError(f"parametrize: {type(p).__name__} has no right_inverse, so the "
                                        f"parametrized tensor cannot be assigned")
                value = p.right_inverse(value)
            values = (value,) if self.is_tensor else tuple(value)
            for o, v in zip(self.originals(), values):
                o.data = v.to(o.dtype).detach().clone().data

    def forward(self):
        modules = list(self)
        x = modules[0](*self.originals())
        for p in modules[1:]:
            x = p(x)
        return x


def _as_parameter(new, original):
    new = new.detach().clone()
    if isinstance(original, Parameter):
        return Parameter(new, requires_grad=original.requires_grad)
    return new


def register_parametrization(module, tensor_name, parametrization, *, unsafe=False):
    """Make `module.<tensor_name>` the output of `parametrization` (a Module) on the stored original;
    a second call on the same name appends to its ParametrizationList. Returns `module`."""
    if not isinstance(parametrization, Module):
        raise DTypeError(f"register_parametrization: parametrization must be an ember.nn.Module, got "
                         f"{type(parametrization).__name__}")
    if is_parametrized(module, tensor_name):
        module.parametrizations[tensor_name].append(parametrization)
        return module
    if tensor_name in module._parameters:
        original = module._parameters[tensor_name]
    elif tensor_name in module._buffers:
        original = module._buffers[tensor_name]
    else:
        raise ArgumentError(f"register_parametrization: {type(module).__name__} has no parameter or buffer "
                            f"{tensor_name!r}")
    if original is None:
        raise ArgumentError(f"register_parametrization: {type(module).__name__}.{tensor_name} is None")
    entry = ParametrizationList([parametrization], original)
    delattr(module, tensor_name)
    if "parametrizations" not in module._modules:
        module.parametrizations = ModuleDict()
    module.parametrizations[tensor_name] = entry
    return module


def is_parametrized(module, tensor_name=None):
    """Whether `module` has parametrizations (on `tensor_name`, when given)."""
    p = module._modules.get("parametrizations")
    if p is None:
        return False
    return len(p) > 0 if tensor_name is None else tensor_name in p._modules


def type_before_parametrizations(module):
    """`type(module)`: ember does not change a module's class when it parametrizes it."""
    return type(module)


def remove_parametrizations(module, tensor_name, leave_parametrized=True):
    """Remove the parametrizations of `tensor_name`; the tensor becomes a plain parameter again, holding
    the parametrized value (`leave_parametrized=True`) or the original (a single original only)."""
    if not is_parametrized(module, tensor_name):
        raise ArgumentError(f"remove_parametrizations: {type(module).__name__} has no parametrization on "
                            f"{tensor_name!r}")
    entry = module.parametrizations[tensor_name]
    if leave_parametrized:
        with no_grad():
            value = Parameter(entry().detach().clone())
    elif entry.is_tensor:
        value = entry.original
    else:
        raise ArgumentError(f"remove_parametrizations: {tensor_name!r} has {entry.ntensors} originals, so "
                            f"leave_parametrized=False has no single tensor to leave")
    del module.parametrizations[tensor_name]
    if len(module.parametrizations) == 0:
        del module.parametrizations
    setattr(module, tensor_name, value)
    return module


class cached:
    """`with parametrize.cached():` in PyTorch caches parametrized tensors; ember computes them on
    each access (same values), so this context does nothing."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
