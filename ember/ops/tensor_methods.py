"""Binds the ops to `Tensor` as operators and methods: the one place where level 1's
natural cycle (ops are built on Tensor; Tensor's methods are ops) is closed
(DESIGN.md, "Layers of the package"). Imported once, by `ember/ops/__init__.py`.
"""
from ember.autograd.tensor import Tensor
from ember.ops import binary, convert, creation, index, linalg, mathfn, shape, unary
from ember.ops.convert import CASTS
from ember.ops.registry import guard


def _swap(fn):
    fn = getattr(fn, "__wrapped__", fn)  # the method is guarded as `Tensor.__r*__`, with its operand rules

    def reflected(self, other):
        return fn(other, self)
    return reflected


def _inplace(fn, name):
    """`t.add_(x)` from `add`: compute out of place, then write into `t` (see Tensor._inplace)."""
    def method(self, *args, **kwargs):
        record = self._rg or any(getattr(a, "_rg", False) for a in args)
        keep = record and getattr(fn, "saves_self", True)
        return self._inplace(fn(self._snapshot(keep) if record else self, *args, **kwargs), name)
    method.__name__ = name
    method.__doc__ = f"In-place `{name[:-1]}`."
    return method


OPERATORS = {
    "__add__": binary.add, "__radd__": _swap(binary.add),
    "__sub__": binary.sub, "__rsub__": _swap(binary.sub),
    "__mul__": binary.mul, "__rmul__": binary.mul,  # x * s: PyTorch keeps s precise there
    "__truediv__": binary.div, "__rtruediv__": _swap(binary.div),
    "__floordiv__": binary.floor_divide, "__rfloordiv__": _swap(binary.floor_divide),
    "__mod__": binary.remainder, "__rmod__": _swap(binary.remainder),
    "__pow__": binary.pow, "__rpow__": _swap(binary.pow),
    "__eq__": binary.eq, "__ne__": binary.ne, "__lt__": binary.lt, "__le__": binary.le,
    "__gt__": binary.gt, "__ge__": binary.ge,
    "__and__": binary.bitwise_and, "__rand__": _swap(binary.bitwise_and),
    "__or__": binary.bitwise_or, "__ror__": _swap(binary.bitwise_or),
    "__xor__": binary.bitwise_xor, "__rxor__": _swap(binary.bitwise_xor),
    "__invert__": binary.bitwise_not,
    "__neg__": unary.neg, "__pos__": lambda self: self, "__abs__": unary.abs,
    "__matmul__": linalg.matmul, "__rmatmul__": _swap(linalg.matmul),
    "__getitem__": index.getitem, "__setitem__": index.setitem,
}

INPLACE_OPERATORS = {"__iadd__": "add_", "__isub__": "sub_", "__imul__": "mul_", "__itruediv__": "div_",
                     "__ifloordiv__": "floor_divide_", "__imod__": "remainder_", "__ipow__": "pow_",
                     "__iand__": "bitwise_and_", "__ior__": "bitwise_or_", "__ixor__": "bitwise_xor_"}

# Tensor's own methods and protocols (tensor.py) that take user arguments: guarded like the ops.
# Left out on purpose: attribute lookup and pickling hooks, whose exception types Python relies on.
PROTOCOLS = ("__init__ __float__ __int__ __index__ __len__ __iter__ __format__ __round__ __contains__ "
             "__array__ __repr__ __deepcopy__")


def bind(families):
    """Each family module lists its Tensor methods in METHODS and their in-place forms in INPLACE.

    Every method is bound guarded (registry.guard): bad arguments give ember errors naming
    `Tensor.<method>`.
    """
    _guard_own_methods()
    for name, fn in OPERATORS.items():
        setattr(Tensor, name, _method(name, fn))
    for module in families:
        for name in module.METHODS.split():
            setattr(Tensor, name, _method(name, getattr(module, name)))
    for module in families:
        for name, getter in getattr(module, "PROPERTIES", {}).items():
            setattr(Tensor, name, property(getter))
    for module in families:
        for name in getattr(module, "INPLACE", "").split():
            setattr(Tensor, name + "_", _method(name + "_", _inplace(getattr(Tensor, name), name + "_")))
    for dunder, name in INPLACE_OPERATORS.items():
        setattr(Tensor, dunder, getattr(Tensor, name))
    for name, dt in CASTS.items():
        setattr(Tensor, name, _method(name, _caster(dt)))
    Tensor.type = _method("type", convert.tensor_type)
    Tensor.polygamma = _method("polygamma", mathfn.polygamma_method)
    Tensor.T = property(_T)
    Tensor.mT = property(lambda self: shape.transpose(self, -2, -1))
    for name, fn in NEW.items():
        setattr(Tensor, name, _method(name, fn))


def _method(name, fn):
    return guard(f"Tensor.{name}", getattr(fn, "__wrapped__", fn))


# Read by the tracer, which names the user's line two frames up: a guard's frame would hide it.
# They raise only ember errors of their own.
TRACED = ("item", "tolist", "numpy", "__bool__")


def _guard_own_methods():
    names = PROTOCOLS.split() + [n for n, v in vars(Tensor).items() if not n.startswith("_") and callable(v)]
    for name in names:
        if name in TRACED:
            continue
        fn = vars(Tensor).get(name)
        if fn is not None and not getattr(fn, "__guarded__", False):
            setattr(Tensor, name, _method(name, fn))
    for name in ("requires_grad", "data", "grad"):
        prop = vars(Tensor)[name]
        setattr(Tensor, name, property(prop.fget, guard(f"Tensor.{name}", prop.fset), None, prop.__doc__))


def _new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
    return creation.zeros(*size, dtype=dtype or self.dtype, device=device or self.device,
                          requires_grad=requires_grad)


def _new_ones(self, *size, dtype=None, device=None, requires_grad=False):
    return creation.ones(*size, dtype=dtype or self.dtype, device=device or self.device,
                         requires_grad=requires_grad)


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    return creation.full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                         requires_grad=requires_grad)


def _new_empty(self, *size, dtype=None, device=None, requires_grad=False):
    return creation.empty(*size, dtype=dtype or self.dtype, device=device or self.device,
                          requires_grad=requires_grad)


def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    return creation.tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                           requires_grad=requires_grad)


def _where(self, condition, other):
    """`x.where(condition, y)`: x where condition holds, else y (self is the values, not the condition)."""
    return binary.where(condition, self, other)


NEW = {"where": _where, "new_zeros": _new_zeros, "new_ones": _new_ones, "new_full": _new_full, "new_empty": _new_empty,
       "new_tensor": _new_tensor}


def _caster(dt):
    def method(self, *, memory_format=None):
        return convert.to(self, dt, memory_format=memory_format)
    method.__name__ = dt.name
    return method


def _T(self):
    return shape.permute(self, tuple(range(self.ndim - 1, -1, -1)))
