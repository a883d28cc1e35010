"""The metric base: `Metric`, the weighted `Mean` and `Sum`, and `MeanMetricWrapper` (a mean of
per-sample values), with the array helpers the metrics share."""
import numpy as np

from ember.autograd import Tensor
from ember.keras.numerics import quietly
from ember.keras.variables import Variable
from ember.ops.creation import zeros_like

__all__ = ["Metric", "Mean", "Sum", "MeanMetricWrapper", "EPSILON"]

EPSILON = 1e-7


def _array(x):
    if isinstance(x, Tensor):
        x = x.numpy(force=True)  # the values, shared: no detached tensor made per batch
    return np.asarray(x)


def _same_rank(y_true, y_pred):
    """Targets (batch,) fit outputs (batch, 1) and the reverse, as in Keras."""
    if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
        return y_true[..., None]
    if y_pred.ndim == y_true.ndim - 1 and y_true.shape[-1] == 1:
        return y_true[..., 0]
    return y_true


def _weights(sample_weight, values):
    """`sample_weight` broadcast over `values` (one weight per sample, or per value)."""
    if sample_weight is None:
        return np.ones_like(values)
    w = _array(sample_weight).astype(np.float64)
    if w.ndim == values.ndim + 1 and w.shape[-1] == 1:
        w = w[..., 0]
    w = w.reshape(w.shape + (1,) * (values.ndim - w.ndim))
    return np.broadcast_to(w, values.shape)


class Metric:
    """Base class: `update_state`, `result`, `reset_state`, `name`, `get_config`.

    A subclass keeps its state in variables made by `add_variable` (as in Keras; the base
    `reset_state` zeroes them) or, as ember's own metrics do, in attributes its `reset_state` sets.

        >>> class Count(keras.metrics.Metric):
        ...     def __init__(self, name="count"):
        ...         super().__init__(name=name)
        ...         self.n = self.add_variable(shape=(), initializer="zeros", name="n")
        ...     def update_state(self, y_true, y_pred, sample_weight=None):
        ...         self.n.assign_add(float(len(y_true)))
        ...     def result(self):
        ...         return self.n
    """
    default_name = "metric"

    def __init__(self, name=None, dtype=None):
        self.name = name or self.default_name
        self._variables = []
        # ember's metrics set their state in reset_state; a user's reset_state may read variables its
        # __init__ has not made yet, so it is not called here (Keras never calls it at construction)
        own = next(k for k in type(self).__mro__ if "reset_state" in vars(k))
        if own.__module__.startswith("ember."):
            own.reset_state(self)

    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        """A non-trainable `keras.Variable` of state, zeroed by the base `reset_state`."""
        variable = Variable(initializer if initializer is not None else "zeros", shape=shape, dtype=dtype,
                            trainable=False, name=name)
        self._variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer=None, dtype=None, name=None):
        """`add_variable` under its older name."""
        return self.add_variable(shape, initializer, dtype=dtype, name=name)

    @property
    def variables(self):
        return list(getattr(self, "_variables", []))

    def reset_state(self):
        for v in self.variables:
            v.assign(zeros_like(v))

    def __call__(self, *args, **kwargs):
        """`update_state(...)`, then the `result()`."""
        self.update_state(*args, **kwargs)
        return self.result()

    def update_state(self, *args, **kwargs):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"{type(self).__name__}(name={self.name!r})"


class Mean(Metric):
    """The weighted mean of the values given: `update_state(values, sample_weight=None)`."""
    default_name = "mean"

    def reset_state(self):
        self.total, self.count = 0.0, 0.0

    def update_state(self, values, sample_weight=None):
        if isinstance(values, (float, int)) and isinstance(sample_weight, (float, int, type(None))):
            w = 1.0 if sample_weight is None else sample_weight  # the per-batch loss: no arrays needed
            self.total += values * w
            self.count += w
            return
        values = _array(values)
        if sample_weight is None:  # every value weighs 1: the same sums without a weights array (per batch in fit)
            # hits (accuracy's booleans) are counted, exactly; other values summed in float64
            self.total += float(np.count_nonzero(values) if values.dtype == bool else values.astype(np.float64).sum())
            self.count += float(values.size)
            return
        values = values.astype(np.float64)
        w = _weights(sample_weight, values)
        self.total += float((values * w).sum())
        self.count += float(w.sum())

    def result(self):
        return self.total / self.count if self.count else 0.0


class Sum(Metric):
    """The weighted sum of the values given."""
    default_name = "sum"

    def reset_state(self):
        self.total = 0.0

    def update_state(self, values, sample_weight=None):
        values = _array(values).astype(np.float64)
        self.total += float((values * _weights(sample_weight, values)).sum())

    def result(self):
        return self.total


class MeanMetricWrapper(Mean):
    """The weighted mean over all samples of `fn(y_true, y_pred, **kwargs)`, one value per sample."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        self.fn, self._fn_kwargs = fn, kwargs
        super().__init__(name or getattr(fn, "__name__", "mean_metric_wrapper"))

    @quietly
    def update_state(self, y_true, y_pred, sample_weight=None):
        values = self.fn(_array(y_true), _array(y_pred), **self._fn_kwargs)
        super().update_state(values, sample_weight)

    def values(self, y_true, y_pred):
        return self.fn(_array(y_true), _array(y_pred), **self._fn_kwargs)

    def get_config(self):
        return {"name": self.name, **self._fn_kwargs}


# -- per-sample functions on NumPy arrays ---------------------------------------------------------
