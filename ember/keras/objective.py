"""What `fit` minimizes and reports: each output's loss, loss weight and metrics, and the running
averages behind the logs (`loss`, `<output>_loss`, `<output>_<metric>`).

`compile` hands over its `loss`, `loss_weights` and `metrics` as given (one value, a list in output
order, or a dict by output name); they are matched to the outputs the first time the model runs,
when their number is known.

    >>> objective = Objective("sparse_categorical_crossentropy", None, ["accuracy"], "model")
    >>> outputs = objective.resolve(["output"])
    >>> [m.name for m in outputs[0].metrics]
    ['accuracy']
"""
import copy

import numpy as np

from ember.autograd import Tensor
from ember.errors import ArgumentError, ShapeError
from ember.keras import losses, metrics as metrics_module
from ember.keras.layers.base import flatten

__all__ = ["Objective", "Output", "class_weights"]


class Output:
    """One model output's share of the objective: its name, loss, loss weight, its `metrics` (never
    weighted) and `weighted` metrics (weighted by `sample_weight` and `class_weight`, as Keras's
    `weighted_metrics`)."""

    def __init__(self, name, loss, weight, metrics, weighted=()):
        self.name, self.loss, self.weight, self.metrics = name, loss, weight, metrics
        self.weighted = list(weighted)
        self.tracker = metrics_module.Mean(f"{name}_loss")


def per_output(spec, names, what, resolve):
    """`spec` (one value, a list in output order, or a dict by output name) as one resolved value per output."""
    if isinstance(spec, dict):
        unknown = sorted(set(spec) - set(names))
        if unknown:
            raise ArgumentError(f"compile: {what} names outputs {unknown} the model does not have; its outputs "
                                f"are {names}")
        return [resolve(spec.get(n), n) for n in names]
    listed = isinstance(spec, (list, tuple)) and (what != "metrics" or (spec and all(
        isinstance(m, (list, tuple)) for m in spec)))
    if listed:
        if len(spec) != len(names):
            raise ArgumentError(f"compile: {what} has {len(spec)} entries for a model with {len(names)} outputs "
                                f"({names})")
        return [resolve(s, n) for s, n in zip(spec, names)]
    return [resolve(spec, n) for n in names]


class Objective:
    """The losses and metrics of a compiled model, and their averages over the current epoch."""

    def __init__(self, loss, loss_weights, metrics, model_name, weighted_metrics=None):
        for leaf in flatten(loss):  # resolve names now, so a typo fails at compile
            if leaf is not None:
                losses.get(leaf)
        for leaf in flatten(metrics or []) + flatten(weighted_metrics or []):
            metrics_module.get(leaf)
        self.loss, self.loss_weights, self.metrics = loss, loss_weights, metrics or []
        self.weighted_metrics = weighted_metrics or []
        self.model_name, self.names, self.outputs = model_name, None, None
        # what a step's update reads besides the total: the per-output losses (several outputs) and the
        # predictions (metrics); known once the outputs are resolved, everything until then
        self.wants_terms, self.wants_preds = True, True
        self.tracker = metrics_module.Mean("loss")
        self.compile_metrics = CompileMetrics(self) if metrics or weighted_metrics else None

    def resolve(self, names):
        """Match the losses, weights and metrics to the outputs `names` (once per number of outputs)."""
        if self.outputs is not None and len(self.outputs) == len(names):
            return self.outputs
        several = len(names) > 1

        def metric_list(spec, name, prefix=""):
            out = []
            for m in spec or []:
                m = metrics_module.get(m) if isinstance(m, str) else copy.deepcopy(m) if several else m
                m = metrics_module.get(m)
                m.name = prefix + m.name
                if several:
                    m.name = f"{name}_{m.name}"
                out.append(m)
            return out
        loss_of = per_output(self.loss, names, "loss", lambda s, n: None if s is None else losses.get(s))
        weights = per_output(1.0 if self.loss_weights is None else self.loss_weights, names, "loss_weights",
                             lambda s, n: 1.0 if s is None else float(s))
        per_metrics = self._per_output_metrics(self.metrics, names, metric_list)
        plain = {m.name for ms in per_metrics for m in ms}
        # Keras logs a weighted metric whose name is taken by a plain one as "weighted_<name>".
        per_weighted = self._per_output_metrics(
            self.weighted_metrics, names, lambda spec, n: [_renamed(m, plain) for m in metric_list(spec, n)])
        self.names = list(names)
        self.outputs = [Output(n, l, w, m, wm) for n, l, w, m, wm in
                        zip(names, loss_of, weights, per_metrics, per_weighted)]
        self.wants_terms = several
        self.wants_preds = bool(self.metric_objects())
        return self.outputs

    @staticmethod
    def _per_output_metrics(spec, names, metric_list):
        nested = isinstance(spec, dict) or (spec and all(isinstance(m, (list, tuple)) for m in spec))
        return per_output(spec, names, "metrics", metric_list) if nested else [metric_list(spec, n) for n in names]

    def targets(self, y, n):
        """The targets as one entry per output (None where an output has no target)."""
        names = self.names
        if isinstance(y, dict):
            unknown = sorted(set(y) - set(names))
            if unknown:
                raise ArgumentError(f"{self.model_name}: targets given for outputs {unknown} the model does not "
                                    f"have; its outputs are {names}")
            return [y.get(k) for k in names]
        if isinstance(y, (list, tuple)):
            if len(y) != n:
                raise ShapeError(f"{self.model_name}: {len(y)} targets for a model with {n} outputs")
            return list(y)
        if n != 1 and y is not None:
            raise ShapeError(f"{self.model_name}: the model has {n} outputs ({names}); give y as a list or a "
                             "dict by output name")
        return [y] * n if y is None else [y]

    def compute(self, y, preds, sample_weight, penalties):
        """(the weighted total plus `penalties`, the loss of each output that has one)."""
        total, terms = None, []
        for out, target, pred in zip(self.outputs, self.targets(y, len(preds)), preds):
            if out.loss is None:
                continue
            if target is None:
                raise ArgumentError(f"{self.model_name}: output {out.name!r} has a loss but no target (y)")
            value = out.loss(target, pred) if sample_weight is None else \
                out.loss(target, pred, sample_weight=sample_weight)
            terms.append(value)
            weighted = value if out.weight == 1.0 else value * out.weight
            total = weighted if total is None else total + weighted
        for penalty in penalties:
            total = penalty if total is None else total + penalty
        if total is None:
            raise ArgumentError(f"{self.model_name}: no output has a loss; give compile(loss=...), or override "
                                "train_step/test_step to compute the loss yourself")
        return total, terms

    def update(self, y, preds, sample_weight, total, terms, batch):
        """Add one batch to the loss averages (weighted by its size) and to every metric. `terms` and
        `preds` are read only where `wants_terms` and `wants_preds` say so (the compiled step returns
        them only then)."""
        self.tracker.update_state(total.item(), sample_weight=batch)
        if self.wants_terms:
            for out, term in zip([o for o in self.outputs if o.loss is not None], terms):
                out.tracker.update_state(term.item(), sample_weight=batch)
        if self.wants_preds:
            self.update_metrics(y, preds, sample_weight)

    def update_metrics(self, y, preds, sample_weight=None):
        """Add one batch to the metrics: `metrics` unweighted, `weighted_metrics` with `sample_weight`
        (which holds the class weights too), as Keras does."""
        for out, target, pred in zip(self.outputs, self.targets(y, len(preds)), preds):
            if (out.metrics or out.weighted) and target is not None:
                p = pred.numpy(force=True)  # the values, shared (a metric never writes them)
                for m in out.metrics:
                    m.update_state(target, p)
                for m in out.weighted:
                    if sample_weight is None:
                        m.update_state(target, p)
                    else:
                        m.update_state(target, p, sample_weight=sample_weight)

    def metric_objects(self):
        return [m for out in self.outputs or [] for m in out.metrics + out.weighted]

    def reset(self):
        self.tracker.reset_state()
        for out in self.outputs or []:
            out.tracker.reset_state()
        for m in self.metric_objects():
            m.reset_state()

    def logs(self):
        logs = {"loss": self.tracker.result()}
        outputs = self.outputs or []
        if len(outputs) > 1:
            logs.update({o.tracker.name: o.tracker.result() for o in outputs if o.loss is not None})
        logs.update({m.name: _scalar(m.result()) for m in self.metric_objects()})
        return logs


def _scalar(value):
    """A metric's result as a Python float when it is one number (a custom metric's `result()` is
    often a 0-d tensor); Keras's logs and History hold floats."""
    if isinstance(value, Tensor) and value.ndim == 0:
        return float(value.detach().numpy())
    return value


def _renamed(metric, taken):
    if metric.name in taken:
        metric.name = "weighted_" + metric.name
    return metric


class CompileMetrics(metrics_module.Metric):
    """The metrics given to `compile` as one metric, as Keras's `model.metrics` lists them: a custom
    `train_step` calls `update_state(y, y_pred, sample_weight)` and `result()` is a dict by name."""

    def __init__(self, objective):
        self.objective = objective
        super().__init__(name="compile_metrics")

    @property
    def metrics(self):
        return self.objective.metric_objects()

    def update_state(self, y_true, y_pred, sample_weight=None):
        preds = list(y_pred.values()) if isinstance(y_pred, dict) else \
            list(y_pred) if isinstance(y_pred, (list, tuple)) else [y_pred]
        if self.objective.outputs is None or len(self.objective.outputs) != len(preds):
            self.objective.resolve(list(y_pred) if isinstance(y_pred, dict) else
                                   [f"output_{i}" for i in range(len(preds))] if len(preds) > 1 else ["output"])
        self.objective.update_metrics(y_true, preds, sample_weight)

    def reset_state(self):
        for m in self.metrics if getattr(self, "objective", None) else []:
            m.reset_state()

    def result(self):
        return {m.name: m.result() for m in self.metrics}


def class_weights(class_weight, y, sample_weight, op):
    """Per-sample weights from `class_weight` ({class: weight}) and the batch's labels, times any given;
    a class the dict does not name weighs 1, as in Keras."""
    if not class_weight:
        return sample_weight
    if isinstance(y, (list, dict)):
        raise ArgumentError(f"{op}: class_weight is for single-output models; for several outputs give "
                            "sample_weight")
    labels = y.argmax(-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(y.shape[0], -1)[:, 0]
    labels = np.rint(labels).astype(np.int64) if labels.dtype.kind == "f" else labels.astype(np.int64)
    weights = np.array([class_weight.get(c, 1.0) for c in labels.tolist()], dtype=np.float32)
    return weights if sample_weight is None else weights * sample_weight
