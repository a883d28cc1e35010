"""Weights trained elsewhere: `.safetensors` files from PyTorch, and Keras-style names.

safetensors files are framework-neutral, so a file from `safetensors.torch.save_file` reads as
raw arrays; PyTorch's parameter names are ember's, so the result loads straight into the
matching ember module:

    >>> net.load_state_dict(ember.io.load_torch_safetensors("mlp.safetensors"))   # doctest: +SKIP

Keras names its weights `layer/kernel:0` and stores kernels transposed relative to PyTorch;
`keras_to_ember` renames and transposes them.
"""
import re
from collections import OrderedDict

import numpy as np

from ember.io.serialize import FileError, read_raw
from ember.ops.creation import from_numpy

__all__ = ["load_torch_safetensors", "keras_to_ember"]


def load_torch_safetensors(path):
    """A state dict (name -> ember tensor, in file order) from any safetensors file, e.g. one
    written by `safetensors.torch.save_file(model.state_dict(), path)`."""
    _, arrays = read_raw(path, "load_torch_safetensors")
    out = OrderedDict()
    for name, a in arrays.items():
        if a.dtype.kind == "u" and a.dtype.itemsize > 1:
            raise FileError(f"load_torch_safetensors: tensor {name!r} has dtype {a.dtype}, which ember "
                            f"tensors do not have")
        out[name] = from_numpy(np.array(a))
    return out


# Keras weight name -> (ember name, how to lay out the array for PyTorch/ember)
_KERAS = {"kernel": "weight", "bias": "bias", "gamma": "weight", "beta": "bias",
          "moving_mean": "running_mean", "moving_variance": "running_var", "embeddings": "weight"}


def _keras_layout(array):
    """Keras kernels are (in, out) and (kh, kw, in, out); ember's are (out, in) and (out, in, kh, kw)."""
    if array.ndim == 2:
        return array.T
    if array.ndim >= 3:  # (*spatial, in, out) -> (out, in, *spatial)
        n = array.ndim
        return array.transpose(n - 1, n - 2, *range(n - 2))
    return array


def keras_to_ember(weights, layer_names=None):
    """Rename Keras-style weights (`"dense_1/kernel:0"`) to ember state-dict names
    (`"dense_1.weight"`), transposing kernels. `layer_names` maps a Keras layer name to the ember
    module path (`{"dense_1": "0"}` gives `"0.weight"`). Values are arrays or tensors."""
    layer_names = layer_names or {}
    out = OrderedDict()
    for key, value in weights.items():
        m = re.fullmatch(r"(.+)/([a-z_]+)(:\d+)?", key)
        if not m or m.group(2) not in _KERAS:
            raise FileError(f"keras_to_ember: cannot map weight {key!r}; known kinds: {sorted(_KERAS)}")
        layer, kind = m.group(1), m.group(2)
        array = np.asarray(value)
        if kind == "kernel":
            array = _keras_layout(array)
        name = f"{layer_names.get(layer, layer.replace('/', '.'))}.{_KERAS[kind]}"
        out[name] = from_numpy(np.ascontiguousarray(array))
    return out
