"""The hook-based `weight_norm` and `spectral_norm` of PyTorch's `torch.nn.utils` (and their `remove_*`):
the original is stored as `<name>_g`/`<name>_v` (weight norm) or `<name>_orig` with buffers `<name>_u`,
`<name>_v` (spectral norm), and a forward pre-hook recomputes `module.<name>` before each call.
PyTorch deprecates `weight_norm` in favour of `nn.utils.parametrizations.weight_norm` (and warns, as here).

    >>> import ember, warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     m = ember.nn.utils.weight_norm(ember.nn.Linear(4, 3))
    >>> m.weight_g.shape, m.weight_v.shape
    (ember.Size([3, 1]), ember.Size([3, 4]))
"""
import warnings

from ember.autograd.grad_mode import no_grad
from ember.errors import ArgumentError
from ember.nn.parameter import Parameter
from ember.nn.utils.parametrizations import norm_except_dim, random_unit
from ember.ops.dense import normalize
from ember.ops.linalg import dot, mv

__all__ = ["weight_norm", "remove_weight_norm", "spectral_norm", "remove_spectral_norm"]


class _WeightNormHook:
    def __init__(self, name, dim):
        self.name, self.dim = name, dim

    def compute(self, module):
        g, v = getattr(module, self.name + "_g"), getattr(module, self.name + "_v")
        return v * (g / norm_except_dim(v, 2, self.dim))

    def __call__(self, module, args):
        object.__setattr__(module, self.name, self.compute(module))


class _SpectralNormHook:
    def __init__(self, name, n_power_iterations, dim, eps):
        self.name, self.n, self.dim, self.eps = name, n_power_iterations, dim, eps

    def matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *[d for d in range(weight.ndim) if d != self.dim])
        return weight.reshape(weight.shape[0], -1)

    def compute(self, module, power_iteration):
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        mat = self.matrix(weight)
        if power_iteration:
            with no_grad():
                for _ in range(self.n):
                    v = normalize(mv(mat.mT, u), dim=0, eps=self.eps)
                    u = normalize(mv(mat, v), dim=0, eps=self.eps)
                setattr(module, self.name + "_u", u)
                setattr(module, self.name + "_v", v)
            u, v = u.clone(), v.clone()
        return weight / dot(u, mv(mat, v))

    def __call__(self, module, args):
        object.__setattr__(module, self.name, self.compute(module, module.training))


def _find(module, name, kind):
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, kind) and hook.name == name:
            return key, hook
    raise ArgumentError(f"{kind.__name__.strip('_').replace('Hook', '')} of {name!r} not found in "
                        f"{type(module).__name__}")


def _take(module, name, fn):
    weight = module._parameters.get(name)
    if weight is None:
        raise ArgumentError(f"{fn}: {type(module).__name__} has no parameter {name!r}")
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, (_WeightNormHook, _SpectralNormHook)) and hook.name == name:
            raise ArgumentError(f"{fn}: {type(module).__name__}.{name} already has a {type(hook).__name__[1:-4]}")
    del module._parameters[name]
    return weight


def weight_norm(module, name="weight", dim=0):
    """`module.<name>` = g * v / ||v||, from parameters `<name>_g` and `<name>_v` (deprecated in PyTorch)."""
    warnings.warn("torch.nn.utils.weight_norm is deprecated in favor of "
                  "torch.nn.utils.parametrizations.weight_norm.", FutureWarning, stacklevel=2)
    hook = _WeightNormHook(name, -1 if dim is None else dim)
    weight = _take(module, name, "weight_norm")
    module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, 2, hook.dim).detach()))
    module.register_parameter(name + "_v", Parameter(weight.detach()))
    object.__setattr__(module, name, hook.compute(module))
    module.register_forward_pre_hook(hook)
    return module


def remove_weight_norm(module, name="weight"):
    """Make `module.<name>` a plain parameter again, holding its current normalized value."""
    key, hook = _find(module, name, _WeightNormHook)
    weight = hook.compute(module).detach()
    del module._forward_pre_hooks[key]
    module.__dict__.pop(name, None)
    del module._parameters[name + "_g"], module._parameters[name + "_v"]
    setattr(module, name, Parameter(weight))
    return module


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """`module.<name>` = W / sigma(W) from the parameter `<name>_orig` and power-iteration buffers."""
    if dim is None:
        dim = 1 if type(module).__name__.startswith("ConvTranspose") else 0
    if n_power_iterations <= 0:
        raise ArgumentError(f"spectral_norm: n_power_iterations must be positive, got {n_power_iterations}")
    hook = _SpectralNormHook(name, n_power_iterations, dim, eps)
    weight = _take(module, name, "spectral_norm")
    h, w = hook.matrix(weight).shape
    u, v = random_unit(h, weight, eps), random_unit(w, weight, eps)
    module.register_parameter(name + "_orig", weight)
    object.__setattr__(module, name, weight.detach() * 1)
    module.register_buffer(name + "_u", u)
    module.register_buffer(name + "_v", v)
    module.register_forward_pre_hook(hook)
    return module


def remove_spectral_norm(module, name="weight"):
    """Make `module.<name>` a plain parameter again, holding W / sigma(W) without a power iteration."""
    key, hook = _find(module, name, _SpectralNormHook)
    weight = hook.compute(module, False).detach()
    del module._forward_pre_hooks[key]
    module.__dict__.pop(name, None)
    del module._parameters[name + "_orig"], module._buffers[name + "_u"], module._buffers[name + "_v"]
    setattr(module, name, Parameter(weight))
    return module
