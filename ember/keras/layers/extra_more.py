"""More of Keras's core layers: `AlphaDropout` (dropout that keeps SELU's mean and variance),
`GroupNormalization` (statistics over groups of channels) and `EinsumDense` (a dense layer
written as an einsum equation, the kernel's shape read from it).

    >>> keras.layers.GroupNormalization(groups=2)(ember.randn(4, 6)).shape
    ember.Size([4, 6])
    >>> keras.layers.EinsumDense("abc,cd->abd", output_shape=(None, 8))(ember.ones(2, 3, 4)).shape
    ember.Size([2, 3, 8])
"""
import re

from ember.errors import ArgumentError, ShapeError
from ember.nn import functional as F
from ember.ops.einsum import einsum
from ember.keras import activations
from ember.keras.layers._util import positive_int, weight_config
from ember.keras.layers.base import Layer

__all__ = ["AlphaDropout", "GroupNormalization", "EinsumDense"]


class AlphaDropout(Layer):
    """In training, drops values to SELU's negative saturation and rescales so the mean and variance
    stay those of the input; the identity at inference."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ArgumentError(f"AlphaDropout: rate must be in [0, 1), got {rate!r}")
        if noise_shape is not None:
            raise ArgumentError("AlphaDropout: noise_shape is not supported by ember")
        self.rate, self.seed = float(rate), seed
        self.supports_masking = True

    def call(self, inputs, training=False):
        return F.alpha_dropout(inputs, self.rate, training=True) if training and self.rate else inputs

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed, "noise_shape": None}


class GroupNormalization(Layer):
    """Normalizes each sample over groups of `groups` channels (the last axis) and all other
    non-batch dims, then `gamma`/`beta` per channel. `groups=-1` is instance normalization."""

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        if axis not in (-1,):
            raise ArgumentError(f"GroupNormalization: axis={axis!r} is not supported; use -1 (channels last)")
        self.groups, self.axis, self.epsilon = int(groups), axis, float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer, self.gamma_initializer = beta_initializer, gamma_initializer
        self.beta_regularizer, self.gamma_regularizer = beta_regularizer, gamma_regularizer
        self.supports_masking = True

    def build(self, input_shape):
        channels = input_shape[-1]
        groups = channels if self.groups == -1 else self.groups
        if channels is None or groups <= 0 or channels % groups:
            raise ShapeError(f"GroupNormalization {self.name!r}: groups={self.groups} must divide the channels of "
                             f"input shape {tuple(input_shape)}")
        self.groups = groups
        if self.scale:
            self.gamma = self.add_weight((channels,), self.gamma_initializer, name="gamma",
                                         regularizer=self.gamma_regularizer)
        if self.center:
            self.beta = self.add_weight((channels,), self.beta_initializer, name="beta",
                                        regularizer=self.beta_regularizer)

    def call(self, inputs):
        shape = tuple(inputs.shape)
        grouped = inputs.reshape(*shape[:-1], self.groups, shape[-1] // self.groups)
        dims = tuple(range(1, grouped.ndim - 2)) + (grouped.ndim - 1,)
        mean = grouped.mean(dims, keepdim=True)
        var = ((grouped - mean) ** 2).mean(dims, keepdim=True)
        out = ((grouped - mean) * (var + self.epsilon).rsqrt()).reshape(shape)
        if self.scale:
            out = out * self.gamma
        return out + self.beta if self.center else out

    def get_config(self):
        return {**super().get_config(), "groups": self.groups, "axis": self.axis, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale,
                **weight_config(self, "beta_initializer", "gamma_initializer", "beta_regularizer",
                                "gamma_regularizer")}


_EQUATION = re.compile(r"^(\.\.\.)?([a-zA-Z]+),([a-zA-Z]+)->(\.\.\.)?([a-zA-Z]+)$")


class EinsumDense(Layer):
    """`einsum(equation, inputs, kernel) + bias`: e.g. "ab,bc->ac" is `Dense`, "abc,cde->abde" a
    per-step projection to several heads. `output_shape` gives the output's dims after the batch
    (None where the input sets them); `bias_axes` names the output letters the bias spans."""

    def __init__(self, equation, output_shape, activation=None, bias_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        match = _EQUATION.match(equation.replace(" ", "")) if isinstance(equation, str) else None
        if not match or bool(match.group(1)) != bool(match.group(4)):
            raise ArgumentError(f"EinsumDense: equation must look like 'ab,bc->ac' or '...b,bc->...c', got "
                                f"{equation!r}")
        self.equation, self.elided = equation, bool(match.group(1))
        self.input_spec_, self.kernel_spec, self.output_spec = match.group(2), match.group(3), match.group(5)
        self.partial_output_shape = [output_shape] if isinstance(output_shape, int) or output_shape is None \
            else list(output_shape)
        self.bias_axes, self.activation = bias_axes, activations.get(activation)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer

    def _output_dims(self, input_shape):
        """{letter: size} of the output letters, from `output_shape` (right-aligned) and the input."""
        spec, given = self.output_spec, self.partial_output_shape[-len(self.output_spec):]
        given = [None] * (len(spec) - len(given)) + list(given)  # output_shape ends at the output's last dim
        in_dims = dict(zip(self.input_spec_, input_shape[len(input_shape) - len(self.input_spec_):]))
        return {c: (g if g is not None else in_dims.get(c)) for c, g in zip(spec, given)}, in_dims

    def build(self, input_shape):
        out_dims, in_dims = self._output_dims(input_shape)
        shape = []
        for c in self.kernel_spec:
            size = in_dims.get(c, out_dims.get(c))
            if size is None:
                raise ShapeError(f"EinsumDense {self.name!r}: the size of kernel letter {c!r} of {self.equation!r} "
                                 f"is set neither by the input shape {tuple(input_shape)} nor by output_shape")
            shape.append(positive_int(size, f"the size of {c!r}", f"EinsumDense {self.name!r}"))
        self.kernel = self.add_weight(tuple(shape), self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer)
        if self.bias_axes:
            first = min(self.output_spec.find(c) for c in self.bias_axes)
            bias_shape = tuple(out_dims[c] if c in self.bias_axes else 1 for c in self.output_spec[first:])
            self.bias = self.add_weight(bias_shape, self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer)

    def call(self, inputs):
        out = einsum(self.equation.replace(" ", ""), inputs, self.kernel)
        if self.bias_axes:
            out = out + self.bias
        return self.activation(out)

    def get_config(self):
        return {**super().get_config(), "equation": self.equation, "output_shape": self.partial_output_shape,
                "bias_axes": self.bias_axes,
                **weight_config(self, "activation", "kernel_initializer", "bias_initializer", "kernel_regularizer",
                                "bias_regularizer")}
