"""ember's exceptions.

Every error a public op raises for bad input is an `EmberError`. Each also
derives from the built-in exception a Python user would expect (`ValueError`
for shapes, `IndexError` for dims and indices, `TypeError` for dtypes), so
`except ValueError` keeps working.

    >>> import ember
    >>> try:
    ...     ember.ones(2, 3) + ember.ones(4)
    ... except ember.ShapeError as e:
    ...     print(e)
    add: shapes (2, 3) and (4,) cannot be broadcast together
"""


class EmberError(Exception):
    """Base class of all ember exceptions."""


class ShapeError(EmberError, ValueError):
    """Shapes that do not fit the op (broadcasting, matmul, reshape...)."""


class DimError(EmberError, IndexError):
    """A dimension argument outside the tensor's rank."""


class IndexOutOfRangeError(EmberError, IndexError):
    """An index outside the size of the dimension it indexes."""


class DTypeError(EmberError, TypeError):
    """A dtype (or Python type) the op does not accept."""


class ArgumentError(EmberError, ValueError):
    """An argument with a value the op does not accept."""


class AllocationError(EmberError, MemoryError):
    """An op would allocate more memory than the machine has."""


class AutogradError(EmberError, RuntimeError):
    """Misuse of autograd: backward twice, in-place on saved values, ..."""


class AnomalyError(AutogradError):
    """`detect_anomaly` found a NaN or Inf."""


class DeviceError(EmberError, RuntimeError):
    """A device that is unknown, unavailable or mixed with another in one op."""


class StateDictError(EmberError, KeyError, RuntimeError):
    """A state dict that does not fit a module: every missing, unexpected and mis-shaped key, listed
    (a RuntimeError too, which is what PyTorch's load_state_dict raises and callers catch)."""

    def __str__(self):  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class DownloadError(EmberError, OSError):
    """A file could not be downloaded, or arrived with the wrong checksum (`keras.utils.get_file`)."""
