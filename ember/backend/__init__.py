"""Level 0: devices with their array modules, dtypes, random generators, the malloc settings."""
from ember.backend import allocator
from ember.backend.fpwarnings import silence_numpy_fp_warnings
from ember.backend.device import CPU, Device, array_device, cuda_device_count, cuda_is_available, device
from ember.backend.dtypes import DType, as_dtype, dtype_of, get_default_dtype, promote_types, result_type
from ember.backend.random import Generator, default_generator, manual_seed

silence_numpy_fp_warnings()
