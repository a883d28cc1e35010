"""Keras's step contract: `train_step`, `test_step` and `predict_step`, which a `Model` subclass may
override and `fit`, `evaluate` and `predict` then call once per batch, with `compute_loss` and
`metrics` to build them from (Keras 3's "customizing what happens in fit()" guide, torch backend).

    >>> class MyModel(keras.Model):
    ...     def train_step(self, data):
    ...         x, y = data
    ...         self.zero_grad()
    ...         y_pred = self(x, training=True)
    ...         loss = self.compute_loss(y=y, y_pred=y_pred)
    ...         loss.backward()
    ...         weights = self.trainable_weights
    ...         with ember.no_grad():
    ...             self.optimizer.apply([v.value.grad for v in weights], weights)
    ...         for metric in self.metrics:
    ...             metric.update_state(loss) if metric.name == "loss" else metric.update_state(y, y_pred)
    ...         return {m.name: m.result() for m in self.metrics}

`data` is what one batch holds: `(x,)`, `(x, y)` or `(x, y, sample_weight)` (class weights folded into
the sample weights), as ember tensors. What a step returns becomes the batch's logs: nested dicts
(such as `compile_metrics`'s result) are flattened and values turned into floats, as Keras does.
The default steps are the compiled training loop's own (`Trainer`); an overridden step runs eagerly.
"""
import numpy as np

from ember.autograd import Tensor, no_grad
from ember.errors import ArgumentError
from ember.keras import data_adapter as data
from ember.keras.metrics import Metric
from ember.keras.numerics import quiet

__all__ = ["Steps", "pack", "pythonify_logs"]


def pack(x, y, sample_weight):
    """The batch as Keras hands it to a step: (x,), (x, y) or (x, y, sample_weight)."""
    if sample_weight is not None:
        return (x, y, sample_weight)
    return (x,) if y is None else (x, y)


def pythonify_logs(logs, where):
    """A step's returned logs as a flat dict of floats (nested dicts merged in, as Keras does)."""
    if not isinstance(logs, dict):
        raise ArgumentError(f"{where} must return a dict of metric values, e.g. "
                            f"{{m.name: m.result() for m in self.metrics}}; got {type(logs).__name__}")
    out = {}
    for key, value in sorted(logs.items()):
        if isinstance(value, dict):
            out.update(pythonify_logs(value, where))
            continue
        if isinstance(value, Tensor):
            value = value.detach().numpy()
        try:
            out[key] = float(np.asarray(value))
        except (TypeError, ValueError):
            out[key] = value
    return out


class Steps:
    """The step methods of Keras models (mixed into `Trainer`)."""

    # -- the default steps: the loop's own ----------------------------------------------------
    def train_step(self, data):
        """One training step on `data` ((x,), (x, y) or (x, y, sample_weight)); returns the logs.
        Override it to customize what `fit` does per batch."""
        x, y, sample_weight = data_adapter_unpack(data)
        self._train_batch(x, y, sample_weight)
        return self._objective.logs()

    def test_step(self, data):
        """One evaluation step on `data`; returns the logs. Override it to customize `evaluate`."""
        x, y, sample_weight = data_adapter_unpack(data)
        self._test_batch(x, y, sample_weight)
        return self._objective.logs()

    def predict_step(self, data):
        """The model's outputs for one batch `data` ((x,) or x). Override it to customize `predict`."""
        x, _, _ = data_adapter_unpack(data)
        return self(x, training=False)

    def _overridden(self, name):
        return getattr(type(self), name) is not getattr(Steps, name)

    # -- what custom steps are built from -----------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss of `y_pred` against `y` (weighted by `sample_weight`), plus the layers'
        penalties (`self.losses`), as one scalar tensor."""
        if self._objective is None:
            raise ArgumentError(f"{self.name}.compute_loss: call compile() first")
        preds = self._output_list(y_pred)
        y = data.as_tensors(y)
        sample_weight = None if sample_weight is None else data.as_tensors(sample_weight)
        total, _ = self._objective.compute(y, preds, sample_weight, self._penalties())
        return total

    @property
    def metrics(self):
        """Keras's `model.metrics`: the loss tracker (named "loss") and the compiled metrics (one
        `compile_metrics` entry, whose result is a dict) once compiled, then the metrics assigned as
        attributes of the model."""
        found = []
        if self._objective is not None:
            found.append(self._objective.tracker)
            if self._objective.compile_metrics is not None:
                found.append(self._objective.compile_metrics)
        found += [v for v in vars(self).values() if isinstance(v, Metric)]
        return found

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        """Start every metric (and the loss average) afresh."""
        if self._objective is not None:
            self._objective.reset()
        for m in self.metrics:
            m.reset_state()

    def _in_metrics_order(self, logs):
        """A step's logs as a list in `self.metrics` order (compiled metrics expanded), as Keras's
        `evaluate` returns them; logs no metric names come last."""
        names = []
        for m in self.metrics:
            names += [s.name for s in m.metrics] if m.name == "compile_metrics" else [m.name]
        ordered = [logs[n] for n in names if n in logs]
        return ordered + [v for k, v in logs.items() if k not in names]

    # -- running overridden steps -------------------------------------------------------------
    def _custom_step(self, name, x, y, sample_weight):
        """Run the overridden `name` step on one batch; returns its logs as floats."""
        batch = pack(*data.as_tensors((x, y, sample_weight)))
        with quiet():
            if name == "test_step":
                with no_grad():
                    logs = self.test_step(batch)
            else:
                logs = self.train_step(batch)
        return pythonify_logs(logs, f"{type(self).__name__}.{name}")

    def _output_list(self, out):
        """The model's outputs as a list in output order; the objective is matched to them."""
        names = self.output_names
        preds = [out[k] for k in names] if isinstance(out, dict) and set(names) <= set(out) else \
            list(out.values()) if isinstance(out, dict) else \
            list(out) if isinstance(out, (list, tuple)) else [out]
        if len(names) != len(preds):
            names = list(out) if isinstance(out, dict) else \
                [f"output_{i}" for i in range(len(preds))] if len(preds) > 1 else ["output"]
        self._objective.resolve(names)
        return preds


def data_adapter_unpack(batch):
    """(x, y, sample_weight) of a step's `data`."""
    if isinstance(batch, tuple) and 1 <= len(batch) <= 3:
        return tuple(batch) + (None,) * (3 - len(batch))
    return batch, None, None
