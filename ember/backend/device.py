"""Devices: where a tensor's array lives and which array module computes on it.

Ops never import NumPy or CuPy directly for tensor data; they use `device.xp`,
so a CuPy device slots in without touching them.

    >>> import ember
    >>> ember.device("cpu"), ember.cuda.is_available() in (True, False)
    (device(type='cpu'), True)
"""
import numpy as np

from ember.errors import DeviceError


class Device:
    """A device: `type` ("cpu" or "cuda"), `index`, and its array module `xp`."""

    __slots__ = ("type", "index", "xp")

    def __init__(self, type, index, xp):
        self.type = type
        self.index = index
        self.xp = xp

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            try:  # parsed, not looked up: `x.device == "cuda"` is False, not an error, without CUDA
                return (self.type, self.index or 0) == _parse(other, None)
            except DeviceError:
                return False
        return isinstance(other, Device) and (self.type, self.index or 0) == (other.type, other.index or 0)

    def __hash__(self):
        return hash((self.type, self.index or 0))


CPU = Device("cpu", None, np)
_cuda = {}


def _cupy():
    try:
        import cupy
    except ImportError:
        return None
    try:
        return cupy if cupy.cuda.runtime.getDeviceCount() > 0 else None
    except Exception:  # no driver, no device: CUDA is simply not available
        return None


def cuda_is_available():
    return _cupy() is not None


def cuda_device_count():
    cp = _cupy()
    return 0 if cp is None else cp.cuda.runtime.getDeviceCount()


def _parse(spec, index):
    """`"cuda:1"` -> ("cuda", 1); `"cpu"` -> ("cpu", 0). Checks the spelling, not availability."""
    kind, colon, idx = spec.partition(":")
    if kind not in ("cpu", "cuda"):
        raise DeviceError(f"device: unknown device type {kind!r} in {spec!r}; ember knows 'cpu' and 'cuda'")
    if colon:
        if not idx.isdigit():
            raise DeviceError(f"device: invalid device index {idx!r} in {spec!r}; expected e.g. 'cuda:0'")
        if index is not None and index != int(idx):
            raise DeviceError(f"device: {spec!r} already names an index, got index={index} as well")
        index = int(idx)
    if index is None:
        index = 0
    elif not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise DeviceError(f"device: index must be a non-negative int, got {index!r}")
    return kind, index


def device(spec=None, index=None):
    """Parse `"cpu"`, `"cuda"`, `"cuda:1"`, `("cuda", 1)` or a Device into a Device.

        >>> ember.device("cpu")
        device(type='cpu')
    """
    if spec is None:
        return CPU
    if isinstance(spec, Device):
        return spec
    if isinstance(spec, int) and not isinstance(spec, bool):  # PyTorch: device(1) is cuda:1
        spec, index = "cuda", spec
    if not isinstance(spec, str):
        raise DeviceError(f"device: expected a string like 'cpu' or 'cuda:0', got {spec!r}")
    kind, i = _parse(spec, index)
    if kind == "cpu":
        return CPU
    if i not in _cuda:
        cp = _cupy()
        if cp is None:
            raise DeviceError(f"device {spec!r} is not available: install ember[cuda] (CuPy) on a "
                              "machine with an NVIDIA GPU; ember.cuda.is_available() tells")
        if i >= cp.cuda.runtime.getDeviceCount():
            raise DeviceError(f"device {spec!r}: index {i} is out of range; this machine has "
                              f"{cp.cuda.runtime.getDeviceCount()} CUDA device(s)")
        _cuda[i] = Device("cuda", i, cp)
    return _cuda[i]


def array_device(array):
    """The Device an array lives on."""
    if isinstance(array, np.ndarray) or np.isscalar(array):
        return CPU
    return device(f"cuda:{array.device.id}")
