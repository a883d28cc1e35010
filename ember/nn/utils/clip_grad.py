"""Gradient utilities, as PyTorch's `torch.nn.utils.clip_grad` and `convert_parameters`: clip gradients
by norm or by value, and flatten parameters into one vector and back.

    >>> import ember
    >>> w = ember.ones(4, requires_grad=True)
    >>> (10 * w).sum().backward()
    >>> total = ember.nn.utils.clip_grad_norm_([w], max_norm=1.0)
    >>> round(float(total), 4)
    20.0
    >>> round(float(w.grad.norm()), 4)
    1.0
"""
import functools
import types
import warnings

from ember.autograd.grad_mode import no_grad
from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.errors import ArgumentError, DeviceError, DTypeError
from ember.ops.creation import zeros
from ember.ops.join import cat, stack

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_",
           "parameters_to_vector", "vector_to_parameters"]


def _tensors(values, fn):
    if isinstance(values, Tensor):
        return [values]
    try:
        values = list(values)
    except TypeError:
        raise DTypeError(f"{fn}: expected a Tensor or an iterable of Tensors, got {type(values).__name__}") from None
    for i, t in enumerate(values):
        if not isinstance(t, Tensor):
            raise DTypeError(f"{fn}: item {i} is a {type(t).__name__}, not a Tensor")
    return values


def _norm(t, p):
    """The p-norm of all of t's elements, in its dtype (torch.linalg.vector_norm), as a recorded op:
    a compiled step that clips replays it on each step's gradients."""
    return zeros((), dtype=t.dtype, device=t.device) if t.numel() == 0 else t.detach().norm(p)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The `norm_type`-norm of the norms of `tensors` (as if concatenated), a 0-d tensor.

        >>> import ember
        >>> float(ember.nn.utils.get_total_norm([ember.tensor([3.0]), ember.tensor([4.0])]))
        5.0
    """
    tensors = _tensors(tensors, "get_total_norm")
    norm_type = float(norm_type)
    if not tensors:
        return Tensor(0.0)
    dev = tensors[0].device
    for t in tensors:
        if t.device != dev:
            raise DeviceError(f"get_total_norm: tensors on {dev} and {t.device}; move them to one device")
    with no_grad():
        norms = [_norm(t, norm_type) for t in tensors]
        dtype = functools.reduce(dtypes.promote_types, [n.dtype for n in norms])
        total = _norm(stack([n.to(dtype) for n in norms]), norm_type)
    if error_if_nonfinite and not bool(total.isfinite()):
        raise ArgumentError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
                            f"non-finite ({float(total)}), so it cannot be clipped; find the NaN/Inf with "
                            f"ember.autograd.detect_anomaly(), or pass error_if_nonfinite=False to scale anyway")
    return total


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the gradients in place by `min(1, max_norm / (total_norm + 1e-6))`."""
    grads = [p.grad for p in _tensors(parameters, "clip_grads_with_norm_") if p.grad is not None]
    if not grads:
        return
    with no_grad():
        coef = float(max_norm) / (total_norm + 1e-6)  # a 0-d tensor, or a number
        for g in grads:
            g.mul_(coef.to(g.dtype).clamp(max=1.0) if isinstance(coef, Tensor) else min(coef, 1.0))


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale the gradients of `parameters` so that their total `norm_type`-norm is at most `max_norm`.

    Returns the total norm before clipping (a 0-d tensor), as PyTorch.
    `norm_type` may be any p, `float('inf')` for the largest absolute value.
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = _tensors(parameters, "clip_grad_norm_")
        if is_generator and not parameters:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=2)
    grads = [p.grad for p in parameters if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total, foreach)
    return total


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated name of `clip_grad_norm_`."""
    warnings.warn("`clip_grad_norm` is deprecated in favor of `clip_grad_norm_`", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient of `parameters` to `[-clip_value, clip_value]` in place."""
    clip_value = float(clip_value)
    with no_grad():
        for p in _tensors(parameters, "clip_grad_value_"):
            if p.grad is not None:
                p.grad.clamp_(-clip_value, clip_value)


def _check_same_device(tensors, fn):
    for t in tensors[1:]:
        if t.device != tensors[0].device:
            raise DeviceError(f"{fn}: found parameters on {tensors[0].device} and {t.device}; "
                              f"all must be on one device")


def parameters_to_vector(parameters):
    """All `parameters` flattened and concatenated into one 1-D tensor (differentiable)."""
    parameters = _tensors(parameters, "parameters_to_vector")
    _check_same_device(parameters, "parameters_to_vector")
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-D tensor `vec` into the `.data` of each parameter."""
    if not isinstance(vec, Tensor):
        raise DTypeError(f"vector_to_parameters: expected a Tensor, got {type(vec).__name__}")
    parameters = _tensors(parameters, "vector_to_parameters")
    _check_same_device(parameters, "vector_to_parameters")
    total = sum(p.numel() for p in parameters)
    if vec.ndim != 1 or vec.numel() != total:
        raise ArgumentError(f"vector_to_parameters: vec of shape {tuple(vec.shape)} must be 1-D with "
                            f"{total} elements (the parameters' total size)")
    pointer = 0
    for p in parameters:
        n = p.numel()
        p.data = vec[pointer:pointer + n].view_as(p).data
        pointer += n
