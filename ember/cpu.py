"""`ember.cpu`, as `torch.cpu`: the CPU as a device module, and PyTorch's device-generic `Stream` and
`Event` with the CPU's semantics. ember runs CPU ops when they are called, so a CPU stream is always
done (`query()` is True, `synchronize()` returns at once) and the CPU has no events to record:
recording one raises, as in PyTorch.

    >>> import ember
    >>> ember.get_device_module("cpu").device_count(), ember.Stream().query()
    (1, True)
"""
import sys

from ember import cuda
from ember.autograd.tensor import Tensor
from ember.backend.device import device as as_device
from ember.backends import cudnn
from ember.errors import DeviceError, DTypeError

__all__ = ["Stream", "Event", "get_device_module", "is_available", "device_count", "current_device",
           "synchronize", "current_stream", "cudnn_is_acceptable", "is_storage"]


def _no_events(op):
    return DeviceError(f"{op}: the cpu device has no events (its ops finish when called); "
                       f"record events on a cuda stream")


def _cpu(op, device):
    dev = as_device("cpu" if device is None else device)
    if dev.type != "cpu":
        raise DeviceError(f"{op}: only cpu streams and events exist in ember's generic form, got {dev}; "
                          f"use ember.cuda for GPU work")
    return dev


class Stream:
    """A CPU stream: `Stream(device='cpu', priority=0)`; its work is always complete."""

    def __init__(self, device=None, *, priority=0):
        self.device = _cpu("Stream", device)
        self.device_index, self.stream_id = -1, 0

    def query(self):
        return True

    def synchronize(self):
        return None

    def wait_event(self, event):
        if not isinstance(event, Event):
            raise DeviceError(f"Stream.wait_event: expected an ember.Event, got {type(event).__name__}")

    def wait_stream(self, stream):
        raise _no_events("Stream.wait_stream")

    def record_event(self, event=None):
        raise _no_events("Stream.record_event")

    def __eq__(self, other):
        return isinstance(other, Stream) and (other.device, other.stream_id) == (self.device, self.stream_id)

    def __hash__(self):
        return hash(("cpu", self.stream_id))

    def __repr__(self):
        return f"ember.Stream device_type=cpu, device_index={self.device_index}, stream_id={self.stream_id}"


class Event:
    """A CPU event: never recorded (the CPU has none), so it is always complete."""

    def __init__(self, device=None, *, enable_timing=False, blocking=False, interprocess=False):
        self.device, self.event_id = _cpu("Event", device), 0
        self.enable_timing = enable_timing

    def query(self):
        return True

    def synchronize(self):
        return None

    def wait(self, stream=None):
        return None

    def record(self, stream=None):
        raise _no_events("Event.record")

    def elapsed_time(self, end_event):
        if not (self.enable_timing and getattr(end_event, "enable_timing", False)):
            raise DeviceError("Event.elapsed_time: both events must be created with enable_timing=True")
        raise _no_events("Event.elapsed_time")


def is_available():
    return True


def device_count():
    return 1


def current_device():
    return "cpu"


def synchronize(device=None):
    """Nothing is queued on the CPU: returns once `device` is checked."""
    _cpu("synchronize", device)


def current_stream(device=None):
    return Stream(device)


_MODULES = {"cpu": sys.modules[__name__], "cuda": cuda}


def get_device_module(device=None):
    """The module for `device`'s type (`ember.cpu`, `ember.cuda`, the latter also where CUDA is not
    available, as in PyTorch); with no argument, the default device's."""
    kind = device.split(":")[0] if isinstance(device, str) else getattr(device, "type", "cpu" if device is None else None)
    if kind not in _MODULES:
        raise DeviceError(f"get_device_module: unknown device {device!r}; ember's devices are 'cpu' and 'cuda'")
    return _MODULES[kind]


def cudnn_is_acceptable(tensor):
    """Whether cuDNN would take `tensor`: never in ember, which has no cuDNN (its CUDA kernels are CuPy's)."""
    if not isinstance(tensor, Tensor):
        raise DTypeError(f"cudnn_is_acceptable: expected a Tensor, got {type(tensor).__name__}")
    return cudnn.is_acceptable(tensor)


def is_storage(obj):
    """False for every object: ember has no storage type (a tensor's memory is its NumPy/CuPy array)."""
    return False
