"""The one training loop: `compile`, `fit`, `evaluate`, `predict` and the `*_on_batch` methods,
shared by every Keras model (`Model` inherits it; DESIGN.md "one fit loop").

`fit` turns what it is given into batches (`data_adapter`), runs the training step for each —
eagerly, or compiled with `ember.compile` (`jit_compile`) — and reports the loss and metrics of
the `Objective` to the callbacks.

`jit_compile="auto"` (the default) measures: it times a few compiled steps against a few eager
ones at the start of the first `fit` and keeps the faster; a step that cannot be traced (Python
control flow on tensor values in a custom layer) runs eagerly. Pass `jit_compile=True` or `False`
to fix the choice (compiled and eager steps agree to float rounding, not bit for bit).
"""
import logging

import numpy as np

from ember import optim
from ember.autograd import no_grad
from ember.errors import ArgumentError
from ember.keras import data_adapter as data, distribution as distribution_module, optimizers
from ember.keras.callbacks import CallbackList, History, ProgbarLogger
from ember.keras.layers.base import Layer, flatten, map_structure
from ember.keras.numerics import quiet
from ember.keras.objective import Objective, class_weights
from ember.keras.optimizers.paths import assign_paths
from ember.keras.steps import Steps
from ember.keras.training_step import TrainingStep

__all__ = ["Trainer"]

log = logging.getLogger("ember.keras")


def _loudly(batches, errors):
    """`batches` drawn in the NumPy error state `errors` (np.geterr()'s dict): a user's generator or
    loader runs as it would outside fit's `quiet()`."""
    it = iter(batches)
    while True:
        with np.errstate(**errors):
            batch = next(it, None)
        if batch is None:
            return
        yield batch


class Trainer(TrainingStep, Steps):
    """The training loop of Keras models; a `Trainer` is also a `Layer` (see `Model`). A subclass's own
    `train_step`/`test_step`/`predict_step` replace the loop's per-batch work (`steps.py`)."""

    def _init_trainer(self):
        self.compiled, self.stop_training, self.history = False, False, None
        self.optimizer, self.loss, self._objective = None, None, None
        self._step_optimizer, self._compile_config = None, None
        self._compiled_steps, self._jit_choice = {}, None
        self._initial_epoch_override = None
        self._penalty_layers = None
        self._data_parallel = None  # the keras.distribution.DataParallel of the running fit

    # -- compile ------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
                run_eagerly=False, steps_per_execution=1, jit_compile="auto", auto_scale_loss=True):
        """Set the optimizer, loss(es) and metrics, by Keras name or as objects. For several outputs,
        `loss`, `loss_weights` and `metrics` may be lists (output order) or dicts (by output name).
        `metrics` are never weighted; `weighted_metrics` are weighted by `sample_weight` and `class_weight`.
        Without a loss, the model's own `train_step` computes one (fit raises otherwise)."""
        if jit_compile not in (True, False, "auto"):
            raise ArgumentError(f"{self.name}.compile: jit_compile must be True, False or 'auto', "
                                f"got {jit_compile!r}")
        self.optimizer = optimizers.get(optimizer)
        if auto_scale_loss and self.dtype_policy.name == "mixed_float16" and \
                isinstance(self.optimizer, optimizers.Optimizer) and not hasattr(self.optimizer, "scale_loss"):
            self.optimizer = optimizers.LossScaleOptimizer(self.optimizer)  # as Keras: float16 needs scaling
        self._step_optimizer = self.optimizer if isinstance(self.optimizer, optim.Optimizer) else None
        self._objective = Objective(loss, loss_weights, metrics, self.name, weighted_metrics)
        self.loss = loss
        self._jit = False if run_eagerly else jit_compile
        self._jit_choice = None if self._jit == "auto" else self._jit
        self._compiled_steps = {}
        self._compile_config = {"optimizer": optimizer, "loss": loss, "loss_weights": loss_weights,
                                "metrics": metrics, "weighted_metrics": weighted_metrics, "jit_compile": jit_compile}
        self.compiled = True

    def _require_compiled(self, op):
        if not self.compiled:
            raise ArgumentError(f"{self.name}.{op}: you must call compile() before {op}(), e.g. "
                                "model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', "
                                "metrics=['accuracy'])")

    def _prepare(self, x):
        """Build the layers (from one batch of `x`) and the optimizer, once."""
        if not self.built or self._step_optimizer is None:
            was_training = self.training
            self.eval()
            with no_grad():
                self(data.as_tensors(map_structure(lambda a: a[:1], x)))
            self.train(was_training)
        if self._step_optimizer is None:
            params = [p for p in self.parameters() if p.requires_grad]
            if not params:
                raise ArgumentError(f"{self.name}.fit: the model has no trainable weights")
            assign_paths(self)  # Keras's variable paths, which Muon and MultiOptimizer select weights by
            self._step_optimizer = self.optimizer.build(params)

    def _penalties(self):
        """`self.losses`, walking only the layers that can add any (found once per `fit`)."""
        if self._penalty_layers is None:
            self._penalty_layers = [m for m in self.modules() if isinstance(m, Layer)]
        return [loss for m in self._penalty_layers for loss in m._own_losses()]

    # -- batches and one-batch methods (the step itself: training_step.py) ---------------------
    def _batches(self, adapter, tensors=False):
        """(x, y, sample_weight, rows) per batch: data-parallel, this rank's slice and its (own, global) rows.
        `tensors`: as ember tensors already (made ahead, with the epoch's batches) where the adapter can."""
        if self._data_parallel is not None:
            return self._data_parallel.batches(adapter)
        return ((x, y, sw, None) for x, y, sw in adapter.batches(tensors))

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One optimizer step on one batch. Returns the loss (and metrics, accumulated since the last
        `reset_metrics()`): a float, a list, or a dict with `return_dict=True`."""
        self._require_compiled("train_on_batch")
        adapter = data.make(x, y, sample_weight, batch_size=1 << 62, op="train_on_batch")
        x, y, sample_weight = next(adapter.batches())
        sample_weight = class_weights(class_weight, y, sample_weight, "train_on_batch")
        self._prepare(x)
        self.train()
        if self._overridden("train_step"):
            return self._result(return_dict, self._custom_step("train_step", x, y, sample_weight))
        self._objective_ready(x)
        self._train_batch(x, y, sample_weight)
        return self._result(return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """The loss (and metrics) of one batch, without training."""
        self._require_compiled("test_on_batch")
        adapter = data.make(x, y, sample_weight, batch_size=1 << 62, op="test_on_batch")
        x, y, sample_weight = next(adapter.batches())
        self._prepare(x)
        self.reset_metrics()
        self.eval()
        if self._overridden("test_step"):
            return self._result(return_dict, self._custom_step("test_step", x, y, sample_weight))
        self._objective_ready(x)
        self._test_batch(x, y, sample_weight)
        return self._result(return_dict)

    def predict_on_batch(self, x):
        """The model's outputs for one batch, as NumPy."""
        self.eval()
        with no_grad():
            out = self(data.as_tensors(data.to_arrays(x, "x", "predict_on_batch")), training=False)
        return map_structure(lambda t: t.numpy(), out)

    def _result(self, return_dict, logs=None):
        logs = self._objective.logs() if logs is None else logs
        if return_dict:
            return logs
        return logs["loss"] if len(logs) == 1 and "loss" in logs else self._in_metrics_order(logs)

    def _objective_ready(self, x):
        if self._objective.outputs is None:
            self.eval()
            with no_grad():
                self._run_outputs(data.as_tensors(map_structure(lambda a: a[:1], x)), training=False)

    def _test_batch(self, x, y, sample_weight, rows=None):
        args = data.as_tensors((x, y, sample_weight))
        with no_grad():
            preds = self._run_outputs(args[0], training=False)
            total, terms = self._objective.compute(args[1], preds, args[2], self._penalties())
        self._update_objective(args, preds, total, terms, rows or flatten(x)[0].shape[0])

    # -- the loop -----------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1):
        """Train for `epochs` passes over the data; returns a `History` whose `.history` maps the loss
        and each metric (and their `val_` forms with validation data) to per-epoch values.

        `x`/`y`: arrays or tensors (lists or dicts of them for several inputs/outputs), or `x` alone as an
        `ember.data` loader or a generator of `(x, y)` / `(x, y, sample_weight)` batches."""
        self._require_compiled("fit")
        train = data.make(x, y, sample_weight, batch_size, steps_per_epoch, shuffle, "fit")
        validation = None
        if validation_split:
            if not isinstance(train, data.ArrayAdapter):
                raise ArgumentError("fit: validation_split needs array data; with a loader or generator pass "
                                    "validation_data")
            train, validation = train.split(validation_split)
        if validation_data is not None:
            vx, vy, vsw = data.unpack(validation_data) if isinstance(validation_data, (tuple, list)) else \
                (validation_data, None, None)
            validation = data.make(vx, vy, vsw, validation_batch_size or batch_size, validation_steps, False,
                                   "fit (validation_data)")
        if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
            raise ArgumentError(f"fit: epochs must be a positive int, got {epochs!r}")
        self._prepare(train.first_x())
        verbose = 1 if verbose == "auto" else verbose
        dp = self._data_parallel = distribution_module.distribution()
        if dp is not None:
            verbose, callbacks = dp.callbacks_for_rank(verbose, callbacks)
        self.history = History()
        progress = [ProgbarLogger(verbose)] if verbose else []
        calls = CallbackList(list(callbacks or []) + [self.history] + progress, model=self, epochs=epochs,
                             steps=train.steps, verbose=verbose)
        self.stop_training, logs = False, {}
        self._initial_epoch_override = None
        calls.on_train_begin()
        start = initial_epoch if self._initial_epoch_override is None else self._initial_epoch_override
        if dp is not None:
            start = dp.begin_fit(self, start)
        self._compiled_steps = {}  # state may have been replaced (restored weights or optimizer state)
        self._penalty_layers = None
        for epoch in range(start, epochs):
            calls.on_epoch_begin(epoch)
            logs = self._train_epoch(train, class_weight, calls)
            if validation is not None and (epoch + 1) % validation_freq == 0:
                val = self._test_loop(validation, calls)
                logs.update({"val_" + k: v for k, v in val.items()})
            calls.on_epoch_end(epoch, logs)
            if dp is not None:
                self.stop_training = dp.any_rank(self.stop_training)
            if self.stop_training or getattr(train, "exhausted", False):
                if getattr(train, "exhausted", False) and epoch + 1 < epochs:
                    log.warning("ember.keras: fit: the generator ran out of data after %d epochs; give "
                                "steps_per_epoch, or a generator that repeats", epoch + 1)
                break
        calls.on_train_end(logs)
        if dp is not None:
            dp.end_fit()
            self._data_parallel = None
        return self.history

    def _train_epoch(self, train, class_weight, calls):
        self.reset_metrics()
        self.train()
        custom, logs = self._overridden("train_step"), {}
        # per-batch hooks and logs only where a callback reads them (Keras's logs are the running averages)
        begin, end = calls.wants("on_train_batch_begin"), calls.wants("on_train_batch_end")
        # quiet() once per epoch, not per step; the callbacks and a user's data source run in the caller's
        # NumPy error state, as they would outside fit
        outer = np.geterr()
        # tensors made ahead with the epoch's batches; class weights are computed on arrays, and a data-parallel
        # rank slices arrays, so those batches are converted per step
        made = not class_weight and self._data_parallel is None
        batches = self._batches(train, tensors=made)
        if not isinstance(train, data.ArrayAdapter):
            batches = _loudly(batches, outer)
        with quiet():
            for step, (x, y, sw, rows) in enumerate(batches):
                if begin:
                    with np.errstate(**outer):
                        calls.on_train_batch_begin(step)
                if class_weight:
                    sw = class_weights(class_weight, y, sw, "fit")
                if custom:
                    logs = self._custom_step("train_step", x, y, sw)
                else:
                    if self._objective.outputs is None:
                        self._objective_ready(x)
                        self.train()
                        self.reset_metrics()
                    self._step_batch((x, y, sw) if made else data.as_tensors((x, y, sw)), rows)
                if end:
                    with np.errstate(**outer):
                        calls.on_train_batch_end(step, logs if custom else self._objective.logs())
                if self.stop_training:
                    break
        return logs if custom else self._objective.logs()

    def _test_loop(self, adapter, calls):
        self.eval()
        calls.on_test_begin()
        started, custom, logs = False, self._overridden("test_step"), {}
        for step, (x, y, sw, rows) in enumerate(self._batches(adapter)):
            if not started:
                if not custom:
                    self._objective_ready(x)
                self.reset_metrics()
                started = True
            calls.on_test_batch_begin(step)
            if custom:
                logs = self._custom_step("test_step", x, y, sw)
            else:
                self._test_batch(x, y, sw, rows)
                logs = self._objective.logs()
            calls.on_test_batch_end(step, logs)
        calls.on_test_end(logs)
        self.train()
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        """The loss (and metrics) over all of the data: a float, a list [loss, *metrics], or a dict."""
        self._require_compiled("evaluate")
        adapter = data.make(x, y, sample_weight, batch_size, steps, False, "evaluate")
        self._prepare(adapter.first_x())
        calls = CallbackList(list(callbacks or []), model=self, steps=adapter.steps, verbose=verbose)
        logs = self._test_loop(adapter, calls)
        if verbose:
            print(" - ".join(f"{k}: {v:.4f}" for k, v in logs.items()))
        if return_dict:
            return logs
        return logs["loss"] if len(logs) == 1 and "loss" in logs else self._in_metrics_order(logs)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for `x`, batch by batch, as NumPy (a list or dict of arrays for several outputs)."""
        adapter = data.make(x, None, None, batch_size, steps, False, "predict")
        calls = CallbackList(list(callbacks or []), model=self, steps=adapter.steps, verbose=verbose)
        self.eval()
        calls.on_predict_begin()
        parts = []
        with no_grad():
            for step, (bx, _, _) in enumerate(adapter.batches()):
                calls.on_predict_batch_begin(step)
                out = map_structure(lambda t: t.numpy(), self.predict_step((data.as_tensors(bx),)))
                parts.append(out)
                calls.on_predict_batch_end(step, {"outputs": out})
        calls.on_predict_end()
        self.train()
        if not parts:
            return np.zeros((0,))
        first = parts[0]
        if isinstance(first, dict):
            return {k: np.concatenate([p[k] for p in parts]) for k in first}
        if isinstance(first, (list, tuple)):
            return [np.concatenate([p[i] for p in parts]) for i in range(len(first))]
        return np.concatenate(parts)

    def _run_outputs(self, x, training):
        """The model's outputs on `x` as a list in output order; the objective is matched to them."""
        return self._output_list(self(x, training=training))
