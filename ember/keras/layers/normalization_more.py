"""Keras's `SpectralNormalization`: a wrapper that divides the wrapped layer's `kernel` (or
`embeddings`) by its largest singular value, estimated by power iteration.

As in Keras, the division happens in training calls and is written into the kernel itself (the
next step starts from the normalized kernel), and the power iteration's left vector `vector_u`
(1, units), a non-trainable weight started truncated-normal with stddev 0.02, carries over between
steps. Inference calls use the kernel as it is. An all-zero kernel is left alone.

    >>> sn = keras.layers.SpectralNormalization(keras.layers.Dense(3))
    >>> sn(ember.randn(2, 4), training=True).shape, tuple(sn.vector_u.shape)
    (ember.Size([2, 3]), (1, 3))
"""
from ember.autograd import no_grad
from ember.errors import ArgumentError
from ember.ops.binary import minimum
from ember.ops.creation import as_tensor
from ember.keras import initializers
from ember.keras.layers.wrappers import Wrapper

__all__ = ["SpectralNormalization"]

_EPSILON = 1e-7  # Keras's backend epsilon, the floor of the norm in its `normalize`


def _normalize(x):
    """`x` over its L2 norm (all elements), as Keras's `ops.normalize(x, axis=None)`."""
    return x * minimum((x * x).sum().rsqrt(), x.new_tensor(1.0 / _EPSILON))


class SpectralNormalization(Wrapper):
    """`SpectralNormalization(layer, power_iterations=1)`: `layer` must have a `kernel` or `embeddings`."""

    def __init__(self, layer, power_iterations=1, **kwargs):
        super().__init__(layer, **kwargs)
        if not isinstance(power_iterations, int) or isinstance(power_iterations, bool) or power_iterations <= 0:
            raise ArgumentError(f"SpectralNormalization: power_iterations must be a positive int, "
                                f"got {power_iterations!r}")
        self.power_iterations = power_iterations

    def build(self, input_shape):
        if not self.layer.built:
            self.layer.build(tuple(input_shape))
            self.layer.built = True
        kernel = getattr(self.layer, "kernel", None)
        kernel = getattr(self.layer, "embeddings", None) if kernel is None else kernel
        if kernel is None:
            raise ArgumentError(f"SpectralNormalization {self.name!r}: the wrapped {type(self.layer).__name__} has "
                                "no 'kernel' nor 'embeddings' weight")
        self._kernel_name = "kernel" if getattr(self.layer, "kernel", None) is not None else "embeddings"
        self.vector_u = self.add_weight((1, kernel.shape[-1]), initializers.TruncatedNormal(stddev=0.02),
                                        trainable=False, name="vector_u")

    @property
    def kernel(self):
        return getattr(self.layer, self._kernel_name)

    def normalized_weights(self):
        """(new vector_u, the kernel divided by its estimated largest singular value)."""
        kernel = self.kernel
        weights = kernel.reshape(-1, kernel.shape[-1])
        u = self.vector_u
        for _ in range(self.power_iterations):
            v = _normalize(u @ weights.T)
            u = _normalize(v @ weights)
        sigma = (v @ weights) @ u.T
        return u, kernel / sigma

    def call(self, inputs, training=False):
        if training:
            with no_grad():
                if bool((self.kernel != 0).any()):
                    u, kernel = self.normalized_weights()
                    self.vector_u.copy_(u)
                    self.kernel.copy_(kernel)
        return self.layer(inputs).to(inputs.dtype)

    def _keras_order(self):
        """Keras's weight order: the wrapped kernel, `vector_u`, then the wrapped layer's other weights."""
        inner = self.layer.weights
        kernel = next(i for i, w in enumerate(inner) if w is self.kernel)
        return [inner[kernel], self.vector_u] + inner[:kernel] + inner[kernel + 1:]

    def get_weights(self):
        """The weights as NumPy arrays, in Keras's order (see `_keras_order`)."""
        return [w.detach().numpy().copy() for w in self._keras_order()]

    def set_weights(self, weights):
        """Set the weights from NumPy arrays in `get_weights`'s (Keras's) order."""
        order = self._keras_order()
        if len(weights) != len(order):
            raise ArgumentError(f"{self.name}.set_weights: expected {len(order)} arrays, got {len(weights)}")
        for w, value in zip(order, weights):
            if tuple(w.shape) != tuple(getattr(value, "shape", ())):
                raise ArgumentError(f"{self.name}.set_weights: a weight of shape {tuple(w.shape)} got an array of "
                                    f"shape {tuple(getattr(value, 'shape', ()))}")
        with no_grad():
            for w, value in zip(order, weights):
                w.copy_(as_tensor(value).to(w.dtype))

    def get_config(self):
        return {**super().get_config(), "power_iterations": self.power_iterations}
