"""DLPack exchange, as PyTorch's `torch.from_dlpack` / `torch.utils.dlpack.to_dlpack`: tensors of other
libraries (PyTorch, NumPy, CuPy, JAX) read without a copy, and ember tensors handed out the same way
(`Tensor.__dlpack__`).

    >>> import ember, numpy as np
    >>> a = np.arange(3.0)
    >>> t = ember.from_dlpack(a)
    >>> t[0] = 7.0
    >>> a[0]
    np.float64(7.0)
"""
from ember.autograd.tensor import Tensor
from ember.backend.device import device as as_device
from ember.errors import DeviceError, DTypeError
from ember.ops._util import _wrap

__all__ = ["from_dlpack", "to_dlpack"]
_DEVICES = {1: "cpu", 2: "cuda"}  # DLPack device types


def from_dlpack(ext_tensor):
    """An ember tensor sharing memory with `ext_tensor` (any object with `__dlpack__`, or a DLPack capsule
    from a CPU library)."""
    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    if hasattr(ext_tensor, "__dlpack_device__"):
        kind, index = ext_tensor.__dlpack_device__()
        if kind not in _DEVICES:
            raise DeviceError(f"from_dlpack: DLPack device type {kind} is not one ember runs on (CPU, CUDA)")
        dev = as_device(_DEVICES[kind] if kind == 1 else f"cuda:{index}")
    elif type(ext_tensor).__name__ == "PyCapsule":
        dev = as_device("cpu")
        ext_tensor = _Capsule(ext_tensor)
    else:
        raise DTypeError(f"from_dlpack: expected an object with __dlpack__ or a DLPack capsule, got "
                         f"{type(ext_tensor).__name__}")
    return _wrap(dev.xp.from_dlpack(ext_tensor), dev)


class _Capsule:
    """A bare (legacy) DLPack capsule in the protocol NumPy's from_dlpack reads."""

    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, *args, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        return (1, 0)


def to_dlpack(tensor):
    """A DLPack capsule of `tensor`'s data (shared memory), for `torch.from_dlpack` and others."""
    if not isinstance(tensor, Tensor):
        raise DTypeError(f"to_dlpack: expected an ember Tensor, got {type(tensor).__name__}")
    return tensor.__dlpack__()
