"""PyTorch's sub-byte and bit-pattern "shell" dtypes (`uint1`..`uint7`, `int1`..`int7`, `bits1x8`,
`bits2x4`, `bits4x2`, `bits8`, `bits16`, `float4_e2m1fn_x2`), which PyTorch defines for packed formats
that libraries outside it compute with: it has no kernels for them (not even a copy), only the dtype
objects and uninitialized or zeroed storage.

ember has the dtype objects, with PyTorch's metadata (`itemsize`, `is_floating_point`, `is_signed`,
the last refused for the bits types, as PyTorch refuses it), so code can name and compare them; every
tensor operation with one raises an ember error, since ember keeps no storage in these formats.

    >>> import ember
    >>> ember.uint4.itemsize, ember.int4.is_signed
    (1, True)
"""
from ember.errors import DTypeError

__all__ = ["ShellDType", "SHELLS"]


class ShellDType:
    """A dtype ember names but stores nothing in (see the module docstring)."""

    __slots__ = ("name", "itemsize", "is_floating_point", "_signed", "is_complex")

    def __init__(self, name, itemsize, floating, signed):
        self.name, self.itemsize, self.is_floating_point, self._signed = name, itemsize, floating, signed
        self.is_complex = False

    @property
    def is_signed(self):
        if self._signed is None:
            raise DTypeError(f"{self!r}.is_signed: bits types are undefined (they carry no number format)")
        return self._signed

    def refuse(self, op=None):
        where = f"{op}: " if op else ""
        return DTypeError(f"{where}{self!r} is a packed shell dtype: ember keeps no tensors in it (PyTorch has "
                          f"only uninitialized or zeroed storage); unpack the data into uint8/int8 or a float dtype")

    def __repr__(self):
        return "ember." + self.name

    def __reduce__(self):  # pickled and copied by name: the module's one object
        return self.name


SHELLS = {}
for _bits in range(1, 8):
    SHELLS[f"uint{_bits}"] = ShellDType(f"uint{_bits}", 1, False, False)
    SHELLS[f"int{_bits}"] = ShellDType(f"int{_bits}", 1, False, True)
for _name, _size in (("bits1x8", 1), ("bits2x4", 1), ("bits4x2", 1), ("bits8", 1), ("bits16", 2)):
    SHELLS[_name] = ShellDType(_name, _size, False, None)
SHELLS["float4_e2m1fn_x2"] = ShellDType("float4_e2m1fn_x2", 1, True, True)
globals().update(SHELLS)
__all__ += list(SHELLS)
del _bits, _name, _size
