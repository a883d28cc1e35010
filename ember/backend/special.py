"""Special functions NumPy lacks. SciPy (the `fast` extra) computes them
vectorized when installed; otherwise the exact `math` functions run per element."""
import math

import numpy as np

try:
    from scipy import special as _scipy_special
except ImportError:  # the core needs NumPy only
    _scipy_special = None

_erf_py = np.frompyfunc(math.erf, 1, 1)


def erf(xp, x):
    if xp is not np:  # CuPy ships its own
        from cupyx.scipy import special
        return special.erf(x)
    if _scipy_special is not None and x.dtype.itemsize >= 4:
        return _scipy_special.erf(x)
    return np.asarray(_erf_py(x)).astype(x.dtype)  # asarray: a 0-d input gives a Python float
