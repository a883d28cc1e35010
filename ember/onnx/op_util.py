"""What the import tables share: values are ember Tensors (computed from the data) or NumPy arrays
(static: known when the graph is read, such as shapes and the results of `Shape`), and helpers
that turn either into what an ember op takes.

    >>> tensor_of(np.ones(2)).shape
    ember.Size([2])
"""
import numpy as np

from ember.autograd.tensor import Tensor
from ember.ops.creation import tensor
from ember.onnx._proto import OnnxError, UnsupportedError


class Attrs(dict):
    """A node's attributes by name, plus its op type and number of outputs (some ops need them)."""

    def __init__(self, values, op_type, n_out, name=""):
        super().__init__(values)
        self.op_type, self.n_out, self.name = op_type, n_out, name


def tensor_of(v, like=None):
    """An ember Tensor for a value (a static array becomes a constant on `like`'s device)."""
    if v is None or isinstance(v, Tensor):
        return v
    t = tensor(np.asarray(v))
    return t if like is None or like.device == t.device else t.to(like.device)


def tensors(xs):
    """The inputs as tensors, on the device of the first tensor among them."""
    like = next((x for x in xs if isinstance(x, Tensor)), None)
    return [tensor_of(x, like) for x in xs]


def static(v, a, what):
    """The NumPy value of an input that must be known when the graph is read (a shape, axes...)."""
    if v is None:
        return None
    if isinstance(v, Tensor):
        v = v.numpy()  # computed from the data: fixed at its current value, as a traced shape would be
    return np.asarray(v)


def ints(v, a=None, what="input"):
    if v is None:
        return None
    return [int(i) for i in static(v, a, what).reshape(-1)]


def axis(a, x, name="axis", default=0):
    """An axis attribute, negative counted from the end, checked against x's rank."""
    d = int(a.get(name, default))
    rank = x.ndim if hasattr(x, "ndim") else np.ndim(x)
    if not -max(rank, 1) <= d < max(rank, 1):
        raise OnnxError(f"onnx {a.op_type} {a.name!r}: {name}={d} is out of range for rank {rank}")
    return d % max(rank, 1)


def refuse(a, what):
    raise UnsupportedError(f"onnx {a.op_type} {a.name!r}: {what} is not supported by ember's importer")


def np_dtype_of(x):
    return x.numpy().dtype if isinstance(x, Tensor) else np.asarray(x).dtype
