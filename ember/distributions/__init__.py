"""`ember.distributions`, PyTorch's `torch.distributions` for the common families: `Normal`, `Uniform`,
`Bernoulli`, `Categorical`, `MultivariateNormal`, `Independent`, `Exponential`, `Laplace`, `Cauchy`,
`Gumbel`, `HalfNormal`, `LogNormal`, `Gamma`, `Beta`, `Dirichlet`, `Poisson`, `Geometric`, with `sample`,
`rsample` (reparameterized, where PyTorch has it, except Gamma/Beta/Dirichlet), `log_prob`, `entropy`,
`mean`, `stddev`, `variance`, and `kl_divergence` for pairs of one family. Samples come from ember's generator (`ember.manual_seed`), so they differ from PyTorch's
numbers for the same seed; every formula is PyTorch's.

    >>> import ember
    >>> from ember.distributions import Normal
    >>> ember.manual_seed(0)
    >>> x = Normal(ember.zeros(3), ember.ones(3)).rsample((100,))
    >>> x.shape
    ember.Size([100, 3])
"""
from ember.distributions.continuous import Independent, Normal, Uniform
from ember.distributions.discrete import Bernoulli, Categorical
from ember.distributions.distribution import Distribution
from ember.distributions.exponential_families import Beta, Dirichlet, Gamma, Geometric, Poisson
from ember.distributions.kl import kl_divergence, register_kl
from ember.distributions.location_scale import Cauchy, Exponential, Gumbel, HalfNormal, Laplace, LogNormal
from ember.distributions.multivariate_normal import MultivariateNormal

__all__ = ["Distribution", "Normal", "Uniform", "Independent", "Bernoulli", "Categorical", "MultivariateNormal",
           "Exponential", "Laplace", "Cauchy", "Gumbel", "HalfNormal", "LogNormal", "Gamma", "Beta", "Dirichlet",
           "Poisson", "Geometric", "kl_divergence", "register_kl"]
