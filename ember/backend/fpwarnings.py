"""Floating-point results without NumPy's warnings, as in PyTorch.

`torch.log(torch.tensor(0.))` is `-inf` and `torch.exp(torch.tensor(1000.))` is `inf`, silently;
NumPy computes the same values but warns "divide by zero encountered in log". Ember's kernels run
in ember's own modules, so one warnings filter on those modules silences exactly those warnings at
no cost per op (an `np.errstate` around each kernel measured more than half the cost of a small op).
The user's own NumPy code, in the user's modules, still warns as before.

    >>> import ember
    >>> ember.log(ember.tensor([0.0, 1.0]))   # no RuntimeWarning
    tensor([-inf, 0.])
"""
import warnings

# NumPy's floating-point error messages (numpy/_core/_ufunc_config.py), as a regular expression.
FP_MESSAGES = r"(divide by zero|overflow|underflow|invalid value) encountered in "
MODULES = r"ember\."   # matched from the start of the module a warning is attributed to


def silence_numpy_fp_warnings():
    """Ignore NumPy's floating-point RuntimeWarnings raised in ember's modules; idempotent.

    `import ember` calls it. A filter added later in the user's code (`simplefilter("error")`,
    pytest's `-W`) comes before this one and wins, as any later filter does; and an import inside a
    `warnings.catch_warnings()` block (pytest collects test modules in one) loses the filter when
    the block ends, so such code calls this again.
    """
    warnings.filterwarnings("ignore", message=FP_MESSAGES, category=RuntimeWarning, module=MODULES)
