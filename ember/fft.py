"""`ember.fft`, PyTorch's `torch.fft` where its results are real: `fftfreq`, `rfftfreq`, `fftshift`,
`ifftshift` (differentiable: a roll).

ember has no complex dtype, so the transforms themselves (`fft`, `ifft`, `rfft`, `irfft`, `fft2`, `fftn`, ...
all return or take complex tensors) raise a DTypeError that says so, instead of an AttributeError.

    >>> import ember
    >>> ember.fft.fftfreq(4)
    tensor([ 0.0000,  0.2500, -0.5000, -0.2500])
    >>> ember.fft.fftshift(ember.arange(5))
    tensor([3, 4, 0, 1, 2])
"""
from ember.backend import dtypes
from ember.errors import ArgumentError, DTypeError
from ember.ops.creation import arange
from ember.ops.arrange import roll

__all__ = ["fftfreq", "rfftfreq", "fftshift", "ifftshift"]

COMPLEX_TRANSFORMS = ("fft", "ifft", "fft2", "ifft2", "fftn", "ifftn", "rfft", "irfft", "rfft2", "irfft2", "rfftn",
                      "irfftn", "hfft", "ihfft", "hfft2", "ihfft2", "hfftn", "ihfftn")


def _frequencies(op, n, d, count, dtype, device, requires_grad):
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ArgumentError(f"fft.{op}: n must be a non-negative int, got {n!r}")
    dtype = dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype, f"fft.{op}")
    if not dtype.is_floating_point:
        raise DTypeError(f"fft.{op}: dtype must be floating point, got {dtype}")
    k = arange(count, dtype=dtypes.int64, device=device)
    k = k - n * (k >= (n + 1) // 2).long() if op == "fftfreq" else k
    out = (k.to(dtypes.float64) / (n * d)).to(dtype)
    return out.requires_grad_() if requires_grad else out


def fftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """The sample frequencies of a length-n FFT with sample spacing d: [0, 1, ..., -1] / (n d)."""
    return _frequencies("fftfreq", n, d, n, dtype, device, requires_grad)


def rfftfreq(n, d=1.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """The non-negative sample frequencies of a length-n real FFT: [0, 1, ..., n // 2] / (n d)."""
    return _frequencies("rfftfreq", n, d, n // 2 + 1, dtype, device, requires_grad)


def _shift(input, dim, sign):
    dims = list(range(input.ndim)) if dim is None else ([dim] if isinstance(dim, int) else list(dim))
    return roll(input, [sign * (input.shape[k] // 2) for k in dims], dims) if dims else input


def fftshift(input, dim=None):
    """Move the zero frequency to the centre: roll each of `dim` (default: all) by half its size."""
    return _shift(input, dim, 1)


def ifftshift(input, dim=None):
    """Undo `fftshift`."""
    return _shift(input, dim, -1)


def _no_complex(name):
    def transform(*args, **kwargs):
        raise DTypeError(f"fft.{name}: ember has no complex dtype, so it has no Fourier transforms (they return "
                         f"or take complex tensors); fftfreq, rfftfreq, fftshift and ifftshift are available")
    transform.__name__ = transform.__qualname__ = name
    transform.__doc__ = f"Raises DTypeError: `torch.fft.{name}` works on complex tensors, which ember does not have."
    return transform


for _name in COMPLEX_TRANSFORMS:
    globals()[_name] = _no_complex(_name)
del _name
