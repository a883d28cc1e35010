"""`weight_norm` and `spectral_norm` as parametrizations, as PyTorch's `torch.nn.utils.parametrizations`.

    >>> import ember
    >>> m = ember.nn.utils.parametrizations.weight_norm(ember.nn.Linear(4, 3))
    >>> [name for name, _ in m.named_parameters()]
    ['bias', 'parametrizations.weight.original0', 'parametrizations.weight.original1']
"""
from ember.autograd.grad_mode import no_grad
from ember.errors import ArgumentError
from ember.nn.module import Module
from ember.nn.utils.parametrize import register_parametrization
from ember.ops.creation import empty
from ember.ops.dense import normalize
from ember.ops.linalg import mv, vdot

__all__ = ["weight_norm", "spectral_norm", "norm_except_dim"]


def random_unit(n, like, eps):
    """A random unit vector of `n` elements (normal directions), with `like`'s dtype and device."""
    return normalize(empty(n, dtype=like.dtype, device=like.device).normal_(0, 1), dim=0, eps=eps)


def norm_except_dim(v, pow=2, dim=0):
    """The `pow`-norm of `v` over every dim but `dim`, shaped to broadcast against `v` (dim=-1: all)."""
    if dim == -1:
        return v.norm(pow)
    if dim < 0:
        dim += v.ndim
    if dim != 0:
        return norm_except_dim(v.transpose(0, dim), pow, 0).transpose(0, dim)
    return v.reshape(v.shape[0], -1).norm(pow, dim=1).reshape(v.shape[0], *([1] * (v.ndim - 1)))


class _WeightNorm(Module):
    """w = g * v / ||v|| (norm over every dim but `dim`)."""

    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return weight_v * (weight_g / norm_except_dim(weight_v, 2, self.dim))

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """Reparametrize `module.<name>` as g * v / ||v||: `original0` holds g, `original1` holds v."""
    return register_parametrization(module, name, _WeightNorm(dim), unsafe=True)


class _SpectralNorm(Module):
    """W / sigma(W), sigma estimated by power iteration on the weight as a (dim, rest) matrix; the
    vectors `_u`, `_v` are buffers, advanced `n_power_iterations` times per forward in training mode."""

    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        if n_power_iterations <= 0:
            raise ArgumentError(f"spectral_norm: n_power_iterations must be positive, got {n_power_iterations}")
        self.dim = dim + weight.ndim if dim < 0 else dim
        self.eps, self.n_power_iterations = eps, n_power_iterations
        if weight.ndim > 1:
            h, w = self._matrix(weight).shape
            self.register_buffer("_u", random_unit(h, weight, eps))
            self.register_buffer("_v", random_unit(w, weight, eps))
            self._power_method(self._matrix(weight), 15)

    def _matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *[d for d in range(weight.ndim) if d != self.dim])
        return weight.flatten(1)

    def _power_method(self, weight_mat, iterations):
        with no_grad():
            for _ in range(iterations):
                self._u = normalize(mv(weight_mat, self._v), dim=0, eps=self.eps)
                self._v = normalize(mv(weight_mat.mT, self._u), dim=0, eps=self.eps)

    def forward(self, weight):
        if weight.ndim == 1:
            return normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        sigma = vdot(self._u.clone(), mv(weight_mat, self._v.clone()))
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Reparametrize `module.<name>` as W / sigma(W) (its largest singular value, by power iteration).
    `dim` defaults to 1 for transposed convolutions, else 0."""
    weight = getattr(module, name, None)
    if weight is None:
        raise ArgumentError(f"spectral_norm: {type(module).__name__} has no parameter {name!r}")
    if dim is None:
        dim = 1 if type(module).__name__.startswith("ConvTranspose") else 0
    return register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
