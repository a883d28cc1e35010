"""Special functions NumPy lacks. SciPy (the `fast` extra) computes them
vectorized when installed; otherwise the exact `math` functions run per element.
SciPy is imported on the first call, not with ember (it costs about 0.15 s)."""
import math

import numpy as np

_erf_py = np.frompyfunc(math.erf, 1, 1)
_scipy_special = []  # [module or None] once looked up


def _scipy():
    if not _scipy_special:
        try:
            from scipy import special
        except ImportError:  # the core needs NumPy only
            special = None
        _scipy_special.append(special)
    return _scipy_special[0]


def erf(xp, x):
    if xp is not np:  # CuPy ships its own
        from cupyx.scipy import special
        return special.erf(x)
    scipy_special = _scipy()
    if scipy_special is not None and x.dtype.itemsize >= 4:
        return scipy_special.erf(x)
    return np.asarray(_erf_py(x)).astype(x.dtype)  # asarray: a 0-d input gives a Python float
