"""`torch.backends.cpu`: the SIMD capability PyTorch reports; ember's CPU kernels are NumPy's, which
pick their own instructions at run time, so this reports what NumPy was built to dispatch to.

    >>> import ember
    >>> ember.backends.cpu.get_cpu_capability() in ("AVX512", "AVX2", "DEFAULT")
    True
"""
import numpy as np


def get_cpu_capability():
    """'AVX512', 'AVX2' or 'DEFAULT', from the SIMD extensions NumPy found on this CPU (PyTorch's names)."""
    found = getattr(getattr(np, "_core", np), "_multiarray_umath", None)
    features = getattr(found, "__cpu_features__", {}) if found is not None else {}
    if features.get("AVX512F") and features.get("AVX512BW"):
        return "AVX512"
    if features.get("AVX2"):
        return "AVX2"
    return "DEFAULT"
