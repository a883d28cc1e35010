"""MultivariateNormal, as `torch.distributions.MultivariateNormal`: parameterized by exactly one of
`covariance_matrix`, `precision_matrix` or `scale_tril`, kept as the lower Cholesky factor L (Sigma = L L^T).

    >>> import ember
    >>> d = ember.distributions.MultivariateNormal(ember.zeros(2), ember.eye(2))
    >>> d.log_prob(ember.zeros(2))
    tensor(-1.8379)
"""
import math

from ember.distributions.distribution import Distribution
from ember.errors import ArgumentError, ShapeError
from ember.linalg import cholesky, inv, solve_triangular
from ember.ops.creation import randn
from ember.ops.query import broadcast_shapes

__all__ = ["MultivariateNormal"]


def mahalanobis(L, x):
    """x^T (L L^T)^-1 x over the last dim, batched (L broadcast against x)."""
    shape = broadcast_shapes(L.shape[:-2], x.shape[:-1])
    L = L.expand(tuple(shape) + tuple(L.shape[-2:]))
    y = solve_triangular(L, x.expand(tuple(shape) + (x.shape[-1],)).unsqueeze(-1), upper=False).squeeze(-1)
    return (y ** 2).sum(-1)


class MultivariateNormal(Distribution):
    """N(loc, Sigma) over the last dim of `loc`; `rsample` is loc + L eps."""
    has_rsample = True
    support = ("IndependentConstraint(Real(), 1)", lambda self, v: (v == v).all(-1))

    def __init__(self, loc, covariance_matrix=None, precision_matrix=None, scale_tril=None, validate_args=None):
        given = [m for m in (covariance_matrix, precision_matrix, scale_tril) if m is not None]
        if len(given) != 1:
            raise ArgumentError("MultivariateNormal: exactly one of covariance_matrix, precision_matrix or "
                                "scale_tril may be specified")
        m = given[0]
        if loc.ndim < 1 or m.ndim < 2 or m.shape[-1] != m.shape[-2] or m.shape[-1] != loc.shape[-1]:
            raise ShapeError(f"MultivariateNormal: loc of shape {tuple(loc.shape)} and a matrix of shape "
                             f"{tuple(m.shape)}: expected (..., n) and (..., n, n)")
        batch = broadcast_shapes(m.shape[:-2], loc.shape[:-1])
        self.loc = loc.expand(tuple(batch) + (loc.shape[-1],))
        if scale_tril is not None:
            if validate_args is not False and not bool((scale_tril.detach().diagonal(0, -2, -1) > 0).all()):
                raise ArgumentError("Expected parameter scale_tril of distribution MultivariateNormal to satisfy the "
                                    "constraint LowerCholesky(), but its diagonal is not positive")
            self._unbroadcasted_scale_tril = scale_tril.tril()
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = cholesky(inv(precision_matrix))
        self._given = m
        super().__init__(batch, loc.shape[-1:], validate_args)

    @property
    def scale_tril(self):
        L = self._unbroadcasted_scale_tril
        return L.expand(tuple(self._batch_shape) + tuple(L.shape[-2:]))

    @property
    def covariance_matrix(self):
        L = self.scale_tril
        return L @ L.mT

    @property
    def precision_matrix(self):
        return inv(self.covariance_matrix)

    mean = property(lambda self: self.loc)
    mode = property(lambda self: self.loc)

    @property
    def variance(self):
        v = (self._unbroadcasted_scale_tril ** 2).sum(-1)
        return v.expand(tuple(self._batch_shape) + tuple(self._event_shape))

    def rsample(self, sample_shape=()):
        eps = randn(self._extended_shape(sample_shape), dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + (self._unbroadcasted_scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def _half_log_det(self):
        return self._unbroadcasted_scale_tril.diagonal(0, -2, -1).log().sum(-1)

    def log_prob(self, value):
        self._validate_sample(value)
        m = mahalanobis(self._unbroadcasted_scale_tril, value - self.loc)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + m) - self._half_log_det()

    def entropy(self):
        h = 0.5 * self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + self._half_log_det()
        return h.expand(tuple(self._batch_shape)) if len(self._batch_shape) else h
