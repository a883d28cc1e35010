"""`ember.accelerator`: the machine's accelerator, as `torch.accelerator`. ember's one accelerator
type is CUDA (through CuPy); without a usable GPU there is none, and these answer as PyTorch's do
on a CPU-only machine.

    >>> import ember
    >>> dev = ember.accelerator.current_accelerator() or ember.device("cpu")
    >>> ember.accelerator.is_available() == (dev.type == "cuda")
    True
"""
from ember.backend.device import cuda_device_count, cuda_is_available, device as as_device
from ember.errors import DeviceError

_current = [0]


def is_available():
    """True when a CUDA GPU is usable (CuPy installed, a driver and a device)."""
    return cuda_is_available()


def device_count():
    """How many accelerator devices there are (0 without one)."""
    return cuda_device_count()


def current_accelerator(check_available=False):
    """`device(type='cuda')` when CuPy sees a GPU; None otherwise (with `check_available`,
    PyTorch also answers None when the accelerator is present but unusable)."""
    return as_device("cuda") if cuda_is_available() else None


def current_device_index():
    """The index of the current accelerator device (0 by default)."""
    _need("current_device_index")
    return _current[0]


def set_device_index(device):
    """Make `device` (an index, "cuda:1" or a device) the current accelerator device."""
    _need("set_device_index")
    index = device if isinstance(device, int) else as_device(device).index
    if not 0 <= index < cuda_device_count():
        raise DeviceError(f"set_device_index: index {index} is out of range for {cuda_device_count()} device(s)")
    as_device("cuda").xp.cuda.Device(index).use()
    _current[0] = index


current_device_idx = current_device_index
set_device_idx = set_device_index


def synchronize(device=None):
    """Wait until every kernel queued on the accelerator has finished."""
    _need("synchronize")
    index = _current[0] if device is None else device if isinstance(device, int) else as_device(device).index
    cp = as_device("cuda").xp
    with cp.cuda.Device(index):
        cp.cuda.get_current_stream().synchronize()


def _need(what):
    if not cuda_is_available():
        raise DeviceError(f"ember.accelerator.{what}: no accelerator is available (ember's is CUDA through "
                          f"CuPy: install ember[cuda12] or ember[cuda13] on a machine with an NVIDIA GPU)")
