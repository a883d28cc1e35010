"""Keras's normalization layers: `BatchNormalization` and `LayerNormalization` (channels-last,
`axis=-1`, epsilon 1e-3, weights `gamma`/`beta`).

`BatchNormalization` keeps `moving_mean` and `moving_variance` as buffers (saved with the
weights, never trained), updated in training as Keras does, with the batch's biased variance:
`moving = moving * momentum + batch * (1 - momentum)`.

    >>> bn = keras.layers.BatchNormalization()
    >>> bn(ember.randn(8, 3), training=True).shape, [k for k in bn.state_dict()]
    (ember.Size([8, 3]), ['gamma', 'beta', 'moving_mean', 'moving_variance'])
"""
from ember.autograd import no_grad
from ember.backend.dtypes import float32
from ember.errors import ArgumentError, ShapeError
from ember.ops.creation import empty
from ember.ops.norm import Normalize
from ember.keras import initializers
from ember.keras.layers.base import Layer
from ember.keras.layers._util import weight_config

__all__ = ["BatchNormalization", "LayerNormalization"]


def _axes(axis, where):
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    if not axes or not all(isinstance(a, int) and not isinstance(a, bool) for a in axes):
        raise ArgumentError(f"{where}: axis must be an int or a list of ints, got {axis!r}")
    return axes


class _Normalization(Layer):
    """Shared by both: the normalized axes, `gamma`/`beta` over them, the affine step."""

    def __init__(self, axis, epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                 gamma_regularizer, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # passes the input's mask on, as Keras
        where = type(self).__name__
        self.axis = _axes(axis, where)
        if not isinstance(epsilon, (int, float)) or epsilon < 0:
            raise ArgumentError(f"{where}: epsilon must be a number >= 0, got {epsilon!r}")
        self.epsilon, self.center, self.scale = float(epsilon), bool(center), bool(scale)
        self.beta_initializer, self.gamma_initializer = beta_initializer, gamma_initializer
        self.beta_regularizer, self.gamma_regularizer = beta_regularizer, gamma_regularizer

    def _resolve_axes(self, input_shape):
        ndim = len(input_shape)
        axes = tuple(sorted(a % ndim for a in self.axis)) if ndim else ()
        if not ndim or any(not -ndim <= a < ndim for a in self.axis) or 0 in axes or len(set(axes)) != len(axes):
            raise ShapeError(f"{type(self).__name__} {self.name!r}: axis={list(self.axis)} does not fit an input "
                             f"of shape {tuple(input_shape)} (the batch, dim 0, cannot be normalized over its own)")
        if any(input_shape[a] is None for a in axes):
            raise ShapeError(f"{type(self).__name__} {self.name!r}: the dims at axis={list(self.axis)} of input "
                             f"shape {tuple(input_shape)} must be known")
        self.input_ndim, self.axes = ndim, axes
        # the weights' shape, and how they broadcast against the input
        self.param_shape = tuple(input_shape[a] for a in axes)
        self.broadcast_shape = tuple(input_shape[d] if d in axes else 1 for d in range(ndim))
        return self.param_shape

    def _build_affine(self, shape):
        if self.scale:
            self.gamma = self.add_weight(shape, self.gamma_initializer, name="gamma",
                                         regularizer=self.gamma_regularizer)
        if self.center:
            self.beta = self.add_weight(shape, self.beta_initializer, name="beta", regularizer=self.beta_regularizer)

    def _check(self, inputs):
        shape = tuple(inputs.shape)
        if len(shape) != self.input_ndim or any(shape[a] != self.broadcast_shape[a] for a in self.axes):
            raise ShapeError(f"{type(self).__name__} {self.name!r} was built for inputs of {self.input_ndim} dims "
                             f"with {self.param_shape} at axis={list(self.axis)}; got input of shape {shape}")

    def _param(self, p):
        return p if self.axes == (self.input_ndim - 1,) else p.reshape(self.broadcast_shape)

    def _affine(self, y):
        if self.scale:
            y = y * self._param(self.gamma)
        if self.center:
            y = y + self._param(self.beta)
        return y

    def get_config(self):
        axis = self.axis[0] if len(self.axis) == 1 else list(self.axis)
        return {**super().get_config(), "axis": axis, "epsilon": self.epsilon, "center": self.center,
                "scale": self.scale, **weight_config(self, "beta_initializer", "gamma_initializer", "beta_regularizer",
                                                     "gamma_regularizer")}


class BatchNormalization(_Normalization):
    """Normalize each feature (`axis`, the channels by default) by the batch's statistics in training,
    by the moving statistics otherwise, Keras's `BatchNormalization`. A layer with `trainable=False`
    always uses the moving statistics, as in Keras."""

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, **kwargs):
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, **kwargs)
        if not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
            raise ArgumentError(f"BatchNormalization: momentum must be a number in [0, 1], got {momentum!r}")
        self.momentum = float(momentum)
        self.moving_mean_initializer = moving_mean_initializer
        self.moving_variance_initializer = moving_variance_initializer

    def build(self, input_shape):
        shape = self._resolve_axes(input_shape)
        self._build_affine(shape)
        for name, init in (("moving_mean", self.moving_mean_initializer),
                           ("moving_variance", self.moving_variance_initializer)):
            buffer = empty(*shape, dtype=float32)
            initializers.get(init)(buffer)
            self.register_buffer(name, buffer)

    def call(self, inputs, training=None):
        self._check(inputs)
        reduce = tuple(d for d in range(inputs.ndim) if d not in self.axes)
        if training and self.trainable:
            y, mean, var = Normalize.apply(inputs, axes=reduce, eps=self.epsilon)
            with no_grad():
                m = self.momentum
                self.moving_mean.copy_(self.moving_mean * m + mean.detach().reshape(self.param_shape) * (1 - m))
                self.moving_variance.copy_(self.moving_variance * m + var.detach().reshape(self.param_shape) * (1 - m))
        else:
            y = (inputs - self._param(self.moving_mean)) * (self._param(self.moving_variance) + self.epsilon).rsqrt()
        return self._affine(y)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum,
                **weight_config(self, "moving_mean_initializer", "moving_variance_initializer")}


class LayerNormalization(_Normalization):
    """Normalize each sample over `axis` (the last dim by default), then scale by `gamma` and shift
    by `beta`, Keras's `LayerNormalization` (epsilon 1e-3)."""

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, **kwargs):
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, **kwargs)

    def build(self, input_shape):
        self._build_affine(self._resolve_axes(input_shape))

    def call(self, inputs):
        self._check(inputs)
        y = Normalize.apply(inputs, axes=self.axes, eps=self.epsilon)[0]
        return self._affine(y)
