"""`ember.nn.init`: PyTorch's parameter initialisations. Each fills its tensor in place (under
`no_grad`), returns it, and takes an optional `generator` for reproducible draws.

    >>> w = ember.empty(128, 64)
    >>> _ = ember.nn.init.kaiming_uniform_(w, a=5 ** 0.5)
"""
import math

from ember.autograd.grad_mode import no_grad
from ember.errors import ArgumentError, ShapeError
from ember.ops import creation, diag

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
           "sigmoid", "identity")


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (PyTorch's table): tanh 5/3, relu sqrt(2),
    leaky_relu sqrt(2 / (1 + slope**2)), selu 3/4, linear and conv 1."""
    if nonlinearity in _LINEAR:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if isinstance(slope, bool) or not isinstance(slope, (int, float)):
            raise ArgumentError(f"calculate_gain: negative_slope {slope!r} is not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ArgumentError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; use one of "
                        f"{', '.join(_LINEAR + ('tanh', 'relu', 'leaky_relu', 'selu'))}")


def _calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight laid out as PyTorch's: (out, in, *kernel)."""
    if tensor.ndim < 2:
        raise ShapeError(f"fan in and fan out can not be computed for a tensor with fewer than 2 dimensions, "
                         f"got shape {tuple(tensor.shape)}")
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


calculate_fan_in_and_fan_out = _calculate_fan_in_and_fan_out


def _fan(tensor, mode):
    if mode not in ("fan_in", "fan_out"):
        raise ArgumentError(f"init: mode {mode!r} is not supported; use 'fan_in' or 'fan_out'")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with U(a, b)."""
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with N(mean, std**2)."""
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with N(mean, std**2) truncated to [a, b]: out-of-range draws are drawn again, which
    samples the truncated distribution exactly."""
    if not a < b:
        raise ArgumentError(f"trunc_normal_: expected a < b, got a={a}, b={b}")
    with no_grad():
        values = creation.normal(mean, std, size=tuple(tensor.shape), generator=generator, dtype=tensor.dtype)
        bad = (values < a) | (values > b)
        for _ in range(100):
            n = int(bad.sum().item())
            if not n:
                break
            redraw = creation.normal(mean, std, size=(n,), generator=generator, dtype=tensor.dtype)
            values[bad] = redraw
            bad = (values < a) | (values > b)
        return tensor.copy_(values.clamp(a, b))


def constant_(tensor, val):
    """Fill with `val`."""
    with no_grad():
        return tensor.fill_(val)


def ones_(tensor):
    return constant_(tensor, 1.0)


def zeros_(tensor):
    return constant_(tensor, 0.0)


def eye_(tensor):
    """The identity matrix (a 2-D tensor)."""
    if tensor.ndim != 2:
        raise ShapeError(f"eye_: only 2-D tensors are supported, got shape {tuple(tensor.shape)}")
    with no_grad():
        return tensor.copy_(creation.eye(*tensor.shape, dtype=tensor.dtype))


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot uniform: U(-r, r) with r = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot normal: N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He uniform: U(-r, r) with r = gain * sqrt(3 / fan). PyTorch's default for Linear and Conv
    weights is `kaiming_uniform_(w, a=sqrt(5))`."""
    fan = _fan(tensor, mode)
    if fan == 0:
        return tensor
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He normal: N(0, std**2) with std = gain / sqrt(fan)."""
    fan = _fan(tensor, mode)
    if fan == 0:
        return tensor
    return normal_(tensor, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan), generator)


def orthogonal_(tensor, gain=1.0, generator=None):
    """A (semi-)orthogonal matrix from the QR decomposition of a Gaussian one, signs fixed so the
    distribution is uniform (Saxe et al.); dims after the first are flattened."""
    if tensor.ndim < 2:
        raise ShapeError(f"orthogonal_: only tensors with 2 or more dimensions are supported, "
                         f"got shape {tuple(tensor.shape)}")
    if tensor.numel() == 0:
        return tensor
    rows, cols = tensor.shape[0], tensor.numel() // tensor.shape[0]
    with no_grad():
        flat = creation.randn(rows, cols, generator=generator, dtype=tensor.dtype)
        if rows < cols:
            flat = flat.T
        q, r = _qr(flat)
        q = q * diag.diagonal(r).sign()
        if rows < cols:
            q = q.T
        return tensor.copy_(q.reshape(tuple(tensor.shape)) * gain)


def _qr(matrix):
    xp = matrix.device.xp
    q, r = xp.linalg.qr(matrix._data.astype("float64"))
    return (creation.tensor(q, dtype=matrix.dtype, device=matrix.device),
            creation.tensor(r, dtype=matrix.dtype, device=matrix.device))


def dirac_(tensor, groups=1):
    """The Dirac delta for a 3-, 4- or 5-D convolution weight: the conv passes its input through."""
    if tensor.ndim not in (3, 4, 5):
        raise ShapeError(f"dirac_: only 3, 4 or 5-D tensors are supported, got shape {tuple(tensor.shape)}")
    out_per_group = tensor.shape[0] // groups
    if tensor.shape[0] % groups:
        raise ArgumentError(f"dirac_: dim 0 ({tensor.shape[0]}) must be divisible by groups={groups}")
    values = creation.zeros(*tensor.shape, dtype=tensor.dtype)
    center = tuple(k // 2 for k in tensor.shape[2:])
    for g in range(groups):
        for d in range(min(out_per_group, tensor.shape[1])):
            values[(g * out_per_group + d, d) + center] = 1.0
    with no_grad():
        return tensor.copy_(values)
