"""Keras's dtype policies: a layer computes in `compute_dtype` and keeps its weights in
`variable_dtype`. "mixed_float16" and "mixed_bfloat16" compute in half precision with float32
weights: a layer casts its floating inputs and, while it runs, its own weights to the compute
dtype (an observer on the dispatch hook, so compiled training steps record the casts) and
returns outputs of the compute dtype. Gradients reach the float32 weights as float32.

    >>> from ember import keras
    >>> keras.mixed_precision.set_global_policy("mixed_bfloat16")
    >>> layer = keras.layers.Dense(2)
    >>> y = layer(ember.ones(1, 3))
    >>> layer.compute_dtype, layer.variable_dtype, y.dtype
    ('bfloat16', 'float32', ember.bfloat16)
    >>> keras.mixed_precision.set_global_policy("float32")
"""
import contextlib

from ember.autograd import dispatch
from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.errors import ArgumentError

# name -> (compute dtype, variable dtype)
POLICIES = {"float32": ("float32", "float32"), "float64": ("float64", "float64"),
            "mixed_float16": ("float16", "float32"), "mixed_bfloat16": ("bfloat16", "float32")}
_LOW = ("float16", "bfloat16")


class DTypePolicy:
    """`DTypePolicy(name)`: "float32" (the default), "mixed_float16", "mixed_bfloat16" or "float64".

        >>> keras.mixed_precision.Policy("mixed_float16").compute_dtype
        'float16'
    """

    def __init__(self, name="float32"):
        if isinstance(name, DTypePolicy):
            name = name.name
        if name not in POLICIES:
            hint = " (ember keeps weights in float32: use 'mixed_float16'/'mixed_bfloat16')" \
                if name in _LOW else ""
            raise ArgumentError(f"DTypePolicy: unknown or unsupported policy {name!r}{hint}; "
                                f"known: {', '.join(POLICIES)}")
        self.name = name
        self.compute_dtype, self.variable_dtype = POLICIES[name]

    @property
    def is_mixed(self):
        return self.compute_dtype != self.variable_dtype

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return f'<DTypePolicy "{self.name}">'


Policy = DTypePolicy
_global = [None]  # unset until first read: then the policy named by floatx, as Keras fixes it
_floatx = ["float32"]


def set_global_policy(policy):
    """The policy of layers created from now on (a name or a `DTypePolicy`); None unsets it (the next
    read takes `keras.config.floatx()` again)."""
    _global[0] = None if policy is None else DTypePolicy(policy)


def global_policy():
    if _global[0] is None:
        _global[0] = DTypePolicy(_floatx[0])
    return _global[0]


set_dtype_policy, dtype_policy = set_global_policy, global_policy


def policy_of(dtype):
    """The policy a layer made with `dtype=` gets: the global one for None, else that name/policy.
    A plain dtype name ("float32", "float64") is the policy of that name."""
    if dtype is None:
        return global_policy()
    if not isinstance(dtype, (str, DTypePolicy)):
        dtype = getattr(dtype, "name", dtype)
    return DTypePolicy(dtype)


# --- what a layer does with its policy ----------------------------------------------------------

def cast_inputs(policy, value):
    """Floating tensors in `value` (nested lists/tuples/dicts) cast to the compute dtype: all of them
    under a mixed or float64 policy, and half-precision ones reaching a full-precision layer. (Under
    the default float32 policy a float64 tensor passes: PyTorch's `layer.double()` idiom.)"""
    target = getattr(dtypes, policy.compute_dtype)
    every = policy.is_mixed or policy.compute_dtype == "float64"

    def cast(t):
        if not isinstance(t, Tensor) or not t.dtype.is_floating_point or t.dtype is target:
            return t
        return t.to(target) if every or t.dtype.name in _LOW else t
    return _map(cast, value)


# The weights cast while a layer runs, innermost layer last: (ids of its weights, target dtype, cache).
_scopes = []


@contextlib.contextmanager
def layer_scope(layer, policy):
    """While `layer` runs under a mixed policy, every float32 weight of it (and of the layers inside it
    that it reads directly, such as an RNN's cell) reaches the ops cast to the compute dtype, once per
    call, as Keras's autocast scope does. A layer inside it runs in its own scope: a float32 layer in a
    mixed model keeps its weights float32. Outside any mixed layer this does nothing."""
    if not policy.is_mixed and not _scopes:
        yield
        return
    own = {id(p) for p in layer.parameters() if p.dtype is dtypes.float32} if policy.is_mixed else set()
    _scopes.append((own, getattr(dtypes, policy.compute_dtype), {}))
    if len(_scopes) == 1:
        dispatch.add_observer(_observe_primitive)
        dispatch.add_composite_observer(_observe_op)
    try:
        yield
    finally:
        _scopes.pop()
        if not _scopes:
            dispatch.remove_observer(_observe_primitive)
            dispatch.remove_composite_observer(_observe_op)


def _cast_weight(t):
    own, target, cache = _scopes[-1]
    if not isinstance(t, Tensor) or id(t) not in own:
        return t
    if id(t) not in cache:
        cache[id(t)] = t.to(target)
    return cache[id(t)]


def _observe_primitive(cls, args, attrs, proceed):
    if dispatch.in_backward() or cls.op_name() == "cast":
        return proceed(args, attrs)
    return proceed(_map(_cast_weight, args), attrs)


def _observe_op(name, args, kwargs, proceed):  # public ops check dtypes before their primitives run
    if dispatch.in_backward():
        return proceed(args, kwargs)
    return proceed(_map(_cast_weight, args), _map(_cast_weight, kwargs))


def _map(fn, value):
    if isinstance(value, (list, tuple)):
        return type(value)(_map(fn, v) for v in value)
    if isinstance(value, dict):
        return {k: _map(fn, v) for k, v in value.items()}
    return fn(value)
