"""Keras's weight initializers, by name or object: `Dense(8, kernel_initializer="he_normal")`.

Fans follow Keras's layouts: a Dense kernel is (in, out); a Conv2D kernel is (kh, kw, in, out),
so fan_in = kh * kw * in and fan_out = kh * kw * out. Random numbers come from ember's default
generator (`ember.manual_seed` or `keras.utils.set_random_seed` make them repeatable).

    >>> w = ember.empty(3, 4)
    >>> _ = keras.initializers.get("glorot_uniform")(w)
    >>> bool((w.abs() <= (6 / 7) ** 0.5).all())
    True
"""
import inspect
import math

from ember.autograd import no_grad
from ember.backend.dtypes import as_dtype
from ember.backend.random import Generator
from ember.ops.creation import empty, tensor
from ember.errors import ArgumentError
from ember.nn import init

__all__ = ["Initializer", "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform",
           "LecunNormal", "RandomUniform", "RandomNormal", "TruncatedNormal", "Orthogonal", "Identity", "Zeros", "Ones",
           "Constant", "get", "serialize"]

_TRUNC_STD = 0.87962566103423978  # std of a unit normal truncated to [-2, 2]: Keras rescales by it


def compute_fans(shape):
    """(fan_in, fan_out) of a weight of Keras layout `shape`."""
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    """Base class: `initializer(tensor)` fills `tensor` in place and returns it; as in Keras,
    `initializer(shape, dtype=None)` returns a new tensor of that shape."""

    def __call__(self, tensor, dtype=None):
        if isinstance(tensor, (tuple, list, int)):
            shape = (tensor,) if isinstance(tensor, int) else tuple(tensor)
            tensor = empty(*shape, dtype=None if dtype is None else as_dtype(dtype))
        with no_grad():
            self.fill(tensor)
        return tensor

    def fill(self, tensor):
        raise NotImplementedError

    def generator(self):
        """With Keras's `seed=`, a generator seeded by it (each call of the initializer draws the same
        values); otherwise None: ember's default generator."""
        seed = getattr(self, "seed", None)
        return None if seed is None else Generator().manual_seed(int(seed))

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class VarianceScaling(Initializer):
    """Uniform or truncated normal with variance `scale / fan` (fan_in, fan_out or their mean, "fan_avg")."""
    scale, mode, distribution = 1.0, "fan_in", "truncated_normal"

    def __init__(self, scale=None, mode=None, distribution=None, seed=None, input_axes=None, output_axes=None):
        self.seed = seed
        if input_axes is not None or output_axes is not None:
            raise ArgumentError(f"{type(self).__name__}: input_axes/output_axes are not supported; the fans are "
                                "read from Keras's layouts (the last two dims)")
        if scale is not None:
            self.scale = float(scale)
        if mode is not None:
            self.mode = mode
        if distribution is not None:
            self.distribution = "truncated_normal" if distribution == "normal" else distribution
        if self.mode not in ("fan_in", "fan_out", "fan_avg") or self.scale <= 0 \
                or self.distribution not in ("uniform", "truncated_normal"):
            raise ArgumentError(f"{type(self).__name__}: expected scale > 0, mode in fan_in/fan_out/fan_avg and "
                                f"distribution 'uniform' or 'truncated_normal', got scale={self.scale!r}, "
                                f"mode={self.mode!r}, distribution={self.distribution!r}")

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self.seed}

    def fill(self, tensor):
        fan_in, fan_out = compute_fans(tensor.shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, fan)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            init.uniform_(tensor, -limit, limit, generator=self.generator())
        else:
            std = math.sqrt(variance) / _TRUNC_STD
            init.trunc_normal_(tensor, 0.0, std, -2 * std, 2 * std, generator=self.generator())


class _Preset(VarianceScaling):
    """A named `VarianceScaling` whose scale, mode and distribution are fixed."""

    def __init__(self, seed=None):
        super().__init__(seed=seed)

    def get_config(self):
        return {"seed": self.seed}


class GlorotUniform(_Preset):
    """U(-limit, limit) with limit = sqrt(6 / (fan_in + fan_out)): Keras's default kernel initializer."""
    scale, mode, distribution = 1.0, "fan_avg", "uniform"


class GlorotNormal(_Preset):
    """Truncated normal with std sqrt(2 / (fan_in + fan_out))."""
    scale, mode, distribution = 1.0, "fan_avg", "truncated_normal"


class HeUniform(_Preset):
    """U(-limit, limit) with limit = sqrt(6 / fan_in)."""
    scale, mode, distribution = 2.0, "fan_in", "uniform"


class HeNormal(_Preset):
    """Truncated normal with std sqrt(2 / fan_in)."""
    scale, mode, distribution = 2.0, "fan_in", "truncated_normal"


class LecunUniform(_Preset):
    """U(-limit, limit) with limit = sqrt(3 / fan_in)."""
    scale, mode, distribution = 1.0, "fan_in", "uniform"


class LecunNormal(_Preset):
    """Truncated normal with std sqrt(1 / fan_in)."""
    scale, mode, distribution = 1.0, "fan_in", "truncated_normal"


class RandomUniform(Initializer):
    """U(minval, maxval)."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.seed = seed
        self.minval, self.maxval = float(minval), float(maxval)

    def fill(self, tensor):
        init.uniform_(tensor, self.minval, self.maxval, generator=self.generator())

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class RandomNormal(Initializer):
    """N(mean, stddev^2)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.seed = seed
        self.mean, self.stddev = float(mean), float(stddev)

    def fill(self, tensor):
        init.normal_(tensor, self.mean, self.stddev, generator=self.generator())

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    """N(mean, stddev^2) with values beyond two standard deviations redrawn."""

    def fill(self, tensor):
        init.trunc_normal_(tensor, self.mean, self.stddev, self.mean - 2 * self.stddev, self.mean + 2 * self.stddev,
                           generator=self.generator())


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix times `gain`, over the weight flattened to (prod(shape[:-1]), shape[-1]):
    Keras's default `recurrent_initializer`."""

    def __init__(self, gain=1.0, seed=None):
        self.gain, self.seed = float(gain), seed

    def fill(self, tensor):
        # Keras makes the columns (the last dim) orthonormal; ember's orthogonal_ works on rows, so fill the transpose
        if tensor.ndim < 2:
            raise ArgumentError(f"Orthogonal: needs a weight with 2 or more dims, got shape {tuple(tensor.shape)}")
        flat = tensor.reshape(-1, tensor.shape[-1])
        filled = init.orthogonal_(flat.T.clone(), self.gain, generator=self.generator())
        tensor.copy_(filled.T.reshape(tuple(tensor.shape)))

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    """`gain` times the identity matrix (2-d weights)."""

    def __init__(self, gain=1.0):
        self.gain = float(gain)

    def fill(self, tensor):
        if tensor.ndim != 2:
            raise ArgumentError(f"Identity: needs a 2-d weight, got shape {tuple(tensor.shape)}")
        init.eye_(tensor)
        tensor.mul_(self.gain)

    def get_config(self):
        return {"gain": self.gain}


class Constant(Initializer):
    """Every element equal to `value`."""

    def __init__(self, value=0.0):
        self.value = float(value)

    def fill(self, tensor):
        init.constant_(tensor, self.value)

    def get_config(self):
        return {"value": self.value}


class Zeros(Constant):
    """All zeros: Keras's default bias initializer."""

    def __init__(self):
        super().__init__(0.0)

    def get_config(self):
        return {}


class Ones(Constant):
    """All ones."""

    def __init__(self):
        super().__init__(1.0)

    def get_config(self):
        return {}


INITIALIZERS = {"glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal, "he_uniform": HeUniform,
                "he_normal": HeNormal, "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal,
                "random_uniform": RandomUniform, "random_normal": RandomNormal, "uniform": RandomUniform,
                "normal": RandomNormal, "truncated_normal": TruncatedNormal,
                "orthogonal": Orthogonal, "identity": Identity, "variance_scaling": VarianceScaling, "zeros": Zeros,
                "ones": Ones, "constant": Constant}


def _class(name):
    cls = INITIALIZERS.get(name) or INITIALIZERS.get(_snake(name))
    if cls is None:
        raise ArgumentError(f"keras.initializers.get: unknown initializer {name!r}; "
                            f"known names: {', '.join(sorted(INITIALIZERS))}")
    return cls


def get(identifier):
    """An initializer for a name (`"glorot_uniform"`), a config dict (`{"class_name": "RandomUniform",
    "config": {...}}`, as `serialize` writes), an `Initializer` or a callable filling a tensor."""
    if isinstance(identifier, str):
        return _class(identifier)()
    if isinstance(identifier, dict) and isinstance(identifier.get("class_name"), str):
        return _class(identifier["class_name"]).from_config(identifier.get("config") or {})
    if callable(identifier):
        return identifier
    raise ArgumentError(f"keras.initializers.get: expected a name, a config dict or a callable, "
                        f"got {type(identifier).__name__}")


def serialize(initializer):
    """A JSON-ready description read back by `get`: a registered name as is, an `Initializer` as
    {"class_name", "config"}.

        >>> keras.initializers.serialize(keras.initializers.RandomUniform(-1, 1))
        {'class_name': 'RandomUniform', 'config': {'minval': -1.0, 'maxval': 1.0, 'seed': None}}
    """
    if initializer is None or isinstance(initializer, str):
        return initializer
    if isinstance(initializer, dict) and isinstance(initializer.get("class_name"), str):
        return {"class_name": initializer["class_name"], "config": dict(initializer.get("config") or {})}
    if isinstance(initializer, Initializer):
        return {"class_name": type(initializer).__name__, "config": initializer.get_config()}
    raise ArgumentError(f"keras.initializers.serialize: cannot serialize {initializer!r}; "
                        "use a name or a keras.initializers.Initializer")


def initialize(initializer, weight):
    """Fill `weight` with `initializer`: ember's initializers fill in place; a Keras-style callable
    (a function or an `Initializer` subclass defining `__call__(shape, dtype=None)`) returns the values."""
    if isinstance(initializer, Initializer) and type(initializer).__call__ is Initializer.__call__ or \
            not _takes_shape(initializer):
        initializer(weight)  # ember's convention: fill the tensor given
        return weight
    values = initializer(tuple(weight.shape), dtype="float32")
    if tuple(values.shape) != tuple(weight.shape):
        raise ArgumentError(f"initializer {initializer!r} returned shape {tuple(values.shape)} for a weight of "
                            f"shape {tuple(weight.shape)}")
    with no_grad():
        weight.copy_(values if hasattr(values, "detach") else tensor(values))
    return weight


def _takes_shape(fn):
    """Whether `fn` is called as Keras calls initializers, `fn(shape, dtype=None)`."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "shape" in params or "dtype" in params


def _snake(name):
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


# Keras's lowercase aliases of the classes: keras.initializers.he_normal(seed=1), .constant(0.5), ...
glorot_uniform, glorot_normal, he_uniform, he_normal = GlorotUniform, GlorotNormal, HeUniform, HeNormal
lecun_uniform, lecun_normal, random_uniform, random_normal = LecunUniform, LecunNormal, RandomUniform, RandomNormal
truncated_normal, orthogonal, identity, variance_scaling = TruncatedNormal, Orthogonal, Identity, VarianceScaling
zeros, ones, constant = Zeros, Ones, Constant
IdentityInitializer, OrthogonalInitializer = Identity, Orthogonal
__all__ += ["glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal",
            "random_uniform", "random_normal", "truncated_normal", "orthogonal", "identity", "variance_scaling",
            "zeros", "ones", "constant", "IdentityInitializer", "OrthogonalInitializer", "deserialize"]


def deserialize(config, custom_objects=None):
    """An initializer from `serialize`'s dict (or a name)."""
    return get(config)
