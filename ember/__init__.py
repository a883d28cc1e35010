"""ember: eager tensors with autograd, Keras-style models and compiled graphs, in one library.

    >>> import ember
    >>> x = ember.randn(3, requires_grad=True)
    >>> (x * x).sum().backward()
    >>> bool((x.grad == 2 * x).all())
    True
"""
from ember import autograd, backend, errors, ops
from ember.autograd import Size, Tensor, enable_grad, is_grad_enabled, no_grad, set_grad_enabled, inference_mode
from ember.backend.device import Device as device_type, device
from ember.backend.dtypes import (DType as dtype, bfloat16, bool_ as bool, float16, float32, float64, get_default_dtype,
                                  int8, int16, int32, int64, promote_types, result_type as _result_type,
                                  set_default_dtype, uint8)
from ember.backend.random import (Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed,
                                  set_rng_state)
from ember.errors import (AllocationError, ArgumentError, AutogradError, DeviceError, DimError, DTypeError,
                          EmberError, IndexOutOfRangeError, ShapeError)
for _family in ops.FAMILIES:  # each family lists its public ops in __all__
    globals().update({_name: getattr(_family, _name) for _name in _family.__all__})
del _family
from ember import cuda, data, graph, io, keras, nn, optim
from ember import debug, profiler
from ember.io import load, register, save
from ember.graph import compile
from ember import accelerator, amp
from ember.amp import autocast

__version__ = "0.1.0"

float = float32
double = float64
half = float16
long = int64
int = int32
short = int16
