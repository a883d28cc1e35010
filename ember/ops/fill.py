"""In-place fills: `zero_`, `fill_`, `copy_` and the random fills `uniform_`, `normal_`,
`bernoulli_`, `random_`, `exponential_` that `ember.nn.init` and user code call on
parameters (under `no_grad`), as in PyTorch. Each writes through `Tensor._inplace`,
so views see the new values and the version counter moves.
"""
from ember.autograd.tensor import Tensor
from ember.errors import ArgumentError, DTypeError
from ember.ops import creation
from ember.ops._args import need_number

__all__ = []
METHODS = "zero_ fill_ copy_ uniform_ normal_ bernoulli_ random_ exponential_"
INPLACE = ""


def _need_float(op, t):
    if not t.is_floating_point():
        raise DTypeError(f"{op}: needs a floating point tensor, got {t.dtype}")


def zero_(self):
    """Fill with zeros."""
    return fill_(self, 0)


def fill_(self, value):
    """Fill with `value` (a number or a 0-d tensor)."""
    if isinstance(value, Tensor):
        if value.ndim:
            raise ArgumentError(f"fill_: value must be a number or a 0-d tensor, got shape {tuple(value.shape)}")
        return self._inplace(value.to(self.dtype).expand(self.shape), "fill_")
    return self._inplace(creation.full(self.shape, value, dtype=self.dtype, device=self.device), "fill_")


def copy_(self, src, non_blocking=False):
    """Copy `src` (broadcast to this tensor's shape, cast to its dtype and device) into this tensor."""
    if not isinstance(src, Tensor):
        src = creation.tensor(src)
    if src.device != self.device:
        src = src.to(self.device)
    return self._inplace(src.to(self.dtype).expand(self.shape), "copy_")


def uniform_(self, a=0.0, b=1.0, generator=None):
    """Fill with samples from U(a, b)."""
    _need_float("uniform_", self)
    a, b = need_number("uniform_", "a", a), need_number("uniform_", "b", b)
    if not a <= b:
        raise ArgumentError(f"uniform_: expected a <= b, got a={a}, b={b}")
    u = creation.rand(*self.shape, generator=generator, dtype=self.dtype, device=self.device)
    return self._inplace(u * (b - a) + a, "uniform_")


def normal_(self, mean=0.0, std=1.0, generator=None):
    """Fill with samples from N(mean, std**2)."""
    _need_float("normal_", self)
    z = creation.normal(mean, std, size=tuple(self.shape), generator=generator, dtype=self.dtype, device=self.device)
    return self._inplace(z, "normal_")


def bernoulli_(self, p=0.5, generator=None):
    """Fill with 1 with probability `p`, else 0."""
    _need_float("bernoulli_", self)
    return self._inplace(creation.bernoulli(self, p=p, generator=generator), "bernoulli_")


def random_(self, from_=0, to=None, generator=None):
    """Fill with integers drawn uniformly from [from_, to) (`random_(to)` means [0, to))."""
    if to is None:
        from_, to = 0, from_
    r = creation.randint(from_, to, tuple(self.shape), generator=generator, device=self.device)
    return self._inplace(r.to(self.dtype), "random_")


def exponential_(self, lambd=1.0, generator=None):
    """Fill with samples from the exponential distribution with rate `lambd`."""
    _need_float("exponential_", self)
    if not lambd > 0:
        raise ArgumentError(f"exponential_: lambd must be positive, got {lambd}")
    u = creation.rand(*self.shape, generator=generator, dtype=self.dtype, device=self.device)
    return self._inplace(-(1 - u).log() / lambd, "exponential_")
