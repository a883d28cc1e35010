"""ember: eager tensors with autograd, Keras-style models and compiled graphs, in one library.

    >>> import ember
    >>> x = ember.randn(3, requires_grad=True)
    >>> (x * x).sum().backward()
    >>> bool((x.grad == 2 * x).all())
    True
"""
import math

from ember import autograd, backend, errors, ops
from ember.autograd import Size, Tensor, enable_grad, is_grad_enabled, no_grad, set_grad_enabled, inference_mode
from ember.autograd.grad_mode import is_anomaly_enabled, is_inference_mode_enabled
from ember.backend.device import Device as device_type, device
from ember.backend.dtypes import (DType as dtype, bfloat16, bool_ as bool, float16, float32, float64, get_default_dtype,
                                  int8, int16, int32, int64, promote_types, result_type as _result_type,
                                  set_default_dtype, uint8)
from ember.backend.threads import get_num_interop_threads, get_num_threads, set_num_interop_threads, set_num_threads
from ember.backend.random import (Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed,
                                  set_rng_state)
from ember.errors import (AllocationError, ArgumentError, AutogradError, DeviceError, DimError, DTypeError,
                          EmberError, IndexOutOfRangeError, ShapeError)
for _family in ops.FAMILIES:  # each family lists its public ops in __all__, and their in-place forms
    globals().update({_name: getattr(_family, _name) for _name in _family.__all__})
    globals().update({_name + "_": getattr(Tensor, _name + "_") for _name in _family.INPLACE.split()
                      if _name in _family.__all__})  # ember.exp_(x), as torch.exp_(x)
del _family
from ember import cuda

# Functions PyTorch also exports at its top level, with the signatures they have in torch.nn.functional
# (the losses and normalizations it exports there take other arguments and are left out). They load
# with ember.nn, on first use (see `__getattr__`).
_FUNCTIONAL_FORMS = ("hardshrink", "conv3d", "conv_tbc", "conv_transpose3d", "pdist", "pixel_shuffle",
                     "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle", "rrelu", "rrelu_", "threshold",
                     "threshold_", "max_pool3d", "max_pool1d_with_indices", "rms_norm", "selu_", "celu_")
from ember.ops.legacy_types import (BFloat16Tensor, BoolTensor, ByteTensor, CharTensor, DoubleTensor, FloatTensor,
                                    HalfTensor, IntTensor, LongTensor, ShortTensor)  # older scripts' constructors
from ember.autograd.printing import get_printoptions, set_printoptions
from ember import backends, fft, linalg, testing
from ember.backends.settings import (are_deterministic_algorithms_enabled, get_float32_matmul_precision,
                                     is_deterministic_algorithms_warn_only_enabled, set_float32_matmul_precision,
                                     use_deterministic_algorithms)
from ember import accelerator, amp
from ember.amp import GradScaler, get_autocast_dtype, is_autocast_enabled
from ember.backend.finfo import finfo, iinfo
from ember.func import cond, vmap, while_loop
from ember.autograd.anomaly_mode import is_anomaly_check_nan_enabled, set_anomaly_enabled
from ember.backends.settings import get_default_device
from ember.ops.dlpack import from_dlpack, to_dlpack
from ember.errors import AllocationError as OutOfMemoryError  # what ember raises when an allocation fails

e, pi, inf, nan, newaxis = math.e, math.pi, math.inf, math.nan, None  # PyTorch's constants
from ember.amp import autocast
from ember.amp.state import *  # noqa: F401,F403  (PyTorch's autocast state functions)
from ember.backends.runtime import *  # noqa: F401,F403  (runtime switches and build queries)
from ember import cpu
from ember.futures import Future, fork, wait
from ember.backend.dtypes import (float8_e4m3fn, float8_e4m3fnuz, float8_e5m2, float8_e5m2fnuz, float8_e8m0fnu,
                                  uint16, uint32, uint64)  # PyTorch's limited-support dtypes
from ember.backend.shell_dtypes import SHELLS as _SHELLS
globals().update(_SHELLS)  # uint1..uint7, int1..int7, bits*, float4_e2m1fn_x2: named, never stored
from ember.backend.memory_format import *  # noqa: F401,F403  (memory formats and layouts)
from ember.ops.symbolic import *  # noqa: F401,F403  (sym_int, sym_max, ...: on numbers, not tensors only)
from ember.cpu import Event, Stream, cudnn_is_acceptable, get_device_module, is_storage
from ember.lapack_extra import *  # noqa: F401,F403  (geqrf, orgqr, ormqr, lu, lu_solve, lu_unpack, *_lowrank)
for _name in ("geqrf", "orgqr", "ormqr", "lu", "lu_solve"):  # Tensor methods too, as in PyTorch
    setattr(Tensor, _name, globals()[_name])
del _name

__version__ = "0.1.0"

float = float32
double = float64
half = float16
long = int64
int = int32
short = int16


# The packages above level 2 load on first use: `import ember` then pays only for tensors, ops and
# autograd (about half its time was nn, io, data, optim, onnx and graph, which many scripts never touch).
_LAZY_MODULES = frozenset({"data", "debug", "distributed", "distributions", "graph", "io", "keras", "nn", "onnx",
                           "optim", "profiler", "serialization", "utils"})
_LAZY_NAMES = {"compile": "ember.graph", "load": "ember.io", "save": "ember.io", "register": "ember.io"}


def _nn_forms():
    """{name: function}: torch's top-level forms of nn.functional's functions."""
    import importlib
    functional, aten, extra = (importlib.import_module(m) for m in ("ember.nn.functional", "ember.nn.aten_forms",
                                                                     "ember.nn.aten_extra"))
    forms = {name: getattr(functional, name) for name in _FUNCTIONAL_FORMS}
    forms["adaptive_max_pool1d"] = functional.adaptive_max_pool1d_with_indices  # torch's returns (values, indices)
    forms.update((name, getattr(aten, name)) for name in aten.__all__)
    forms.update((name, getattr(extra, name)) for name in extra.__all__)  # native_* norms, SyncBatchNorm kernels
    return forms


def __getattr__(name):
    """`ember.nn`, `ember.optim`, `ember.compile`, `ember.conv3d`, ...: loaded on first use, then kept."""
    import importlib
    if name in _LAZY_MODULES:
        value = importlib.import_module("ember." + name)
    elif name in _LAZY_NAMES:
        value = getattr(importlib.import_module(_LAZY_NAMES[name]), name)
    elif name.startswith("__") or name not in (forms := _nn_forms()):
        raise AttributeError(f"module 'ember' has no attribute {name!r}")
    else:
        value = forms[name]
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | _LAZY_MODULES | set(_LAZY_NAMES) | set(_nn_forms()))
