"""Keras's models: `Model` (compile, the one `fit` loop, evaluate, predict), the functional API and
`Sequential`.

Three ways to build a model, one training loop for all of them:

    >>> model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
    >>> inputs = keras.Input(shape=(4,))                                   # the functional API
    >>> model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(inputs))
    >>> class MLP(keras.Model):                                            # subclassing
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.out = keras.layers.Dense(3, activation="softmax")
    ...     def call(self, x):
    ...         return self.out(x)
    >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    >>> history = model.fit(np.ones((8, 4)), np.zeros(8, dtype=np.int64), epochs=2, verbose=0)
    >>> sorted(history.history)
    ['accuracy', 'loss']

A functional model records each layer call on symbolic tensors (`Node`s: Keras's layer
connectivity, which its config stores) and runs them in order; for speed, export and serving it
lowers to the graph IR by tracing — `jit_compile` compiles the whole training step (forward, loss,
backward, optimizer update) with `ember.compile`, and `model.graph()` traces the forward pass.

`jit_compile="auto"` (the default) measures: it times a few compiled steps against a few eager
ones at the start of the first `fit` and keeps the faster; a step that cannot be traced (Python
control flow on tensor values in a custom layer) runs eagerly. Pass `jit_compile=True` or `False`
to fix the choice (compiled and eager steps agree to float rounding, not bit for bit).
"""
import copy
import logging
import time

import numpy as np

from ember import graph as ember_graph, optim
from ember.autograd import Tensor, no_grad
from ember.backend import dtypes
from ember.errors import ArgumentError, ShapeError
from ember.nn import Module
from ember.ops.creation import zeros
from ember.keras import data_adapter as data, losses as losses_module, metrics as metrics_module, optimizers
from ember.keras.callbacks import CallbackList, History, ProgbarLogger
from ember.keras import saving
from ember.keras.layers.base import (InputLayer, KerasTensor, Layer, example_value, flatten, map_structure,
                                     snake_case, spec_inputs, spec_of, unique_name)
from ember.keras.summary import print_summary

__all__ = ["Model", "Functional", "Sequential", "load_model"]

log = logging.getLogger("ember.keras")
_AUTO_TRIALS = 6  # steps timed per mode when jit_compile="auto" picks (the medians decide)


class _Output:
    """One model output's share of the objective: its name, loss, loss weight and metrics."""

    def __init__(self, name, loss, weight, metrics):
        self.name, self.loss, self.weight, self.metrics = name, loss, weight, metrics
        self.tracker = metrics_module.Mean(f"{name}_loss")


def _per_output(spec, names, what, resolve):
    """`spec` (one value, a list in output order, or a dict by output name) as one resolved value per output."""
    if isinstance(spec, dict):
        unknown = sorted(set(spec) - set(names))
        if unknown:
            raise ArgumentError(f"compile: {what} names outputs {unknown} the model does not have; its outputs "
                                f"are {names}")
        return [resolve(spec.get(n), n) for n in names]
    if isinstance(spec, (list, tuple)) and what != "metrics" or (
            what == "metrics" and isinstance(spec, (list, tuple)) and spec and
            all(isinstance(m, (list, tuple)) for m in spec)):
        if len(spec) != len(names):
            raise ArgumentError(f"compile: {what} has {len(spec)} entries for a model with {len(names)} outputs "
                                f"({names})")
        return [resolve(s, n) for s, n in zip(spec, names)]
    return [resolve(spec, n) for n in names]


class Model(Layer):
    """A trainable model. `keras.Model(inputs, outputs)` builds a functional model; subclass it
    with layers in `__init__` and the math in `call(inputs, training=None)`; or use `Sequential`.
    `compile` picks the optimizer, loss and metrics; `fit` trains."""

    def __new__(cls, *args, **kwargs):
        if cls is Model and (args or "inputs" in kwargs or "outputs" in kwargs):
            cls = Functional
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, *args, name=None, trainable=True, **kwargs):
        if args:
            raise ArgumentError(f"{type(self).__name__}: unexpected positional arguments; a subclassed model "
                                "takes keyword arguments (name=, trainable=)")
        super().__init__(name=name, trainable=trainable, **kwargs)
        self.compiled, self.stop_training, self.history = False, False, None
        self.optimizer, self.loss = None, None
        self._step_optimizer, self._outputs_spec = None, None
        self._compile_config = None
        self._compiled_steps, self._jit_choice = {}, None
        self._initial_epoch_override = None
        self._penalty_layers = None

    # -- compile ------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None,
                run_eagerly=False, steps_per_execution=1, jit_compile="auto"):
        """Set the optimizer, loss(es) and metrics, by Keras name or as objects. For several outputs,
        `loss`, `loss_weights` and `metrics` may be lists (output order) or dicts (by output name)."""
        if loss is None:
            raise ArgumentError(f"{self.name}.compile: give a loss, e.g. loss='sparse_categorical_crossentropy'; "
                                f"known names: {', '.join(sorted(losses_module.LOSSES))}")
        if jit_compile not in (True, False, "auto"):
            raise ArgumentError(f"{self.name}.compile: jit_compile must be True, False or 'auto', "
                                f"got {jit_compile!r}")
        self.optimizer = optimizers.get(optimizer)
        self._step_optimizer = self.optimizer if isinstance(self.optimizer, optim.Optimizer) else None
        for leaf in flatten(loss):  # resolve names now, so a typo fails at compile
            if leaf is not None:
                losses_module.get(leaf)
        for leaf in flatten(metrics or []):
            metrics_module.get(leaf)
        self.loss, self._loss_weights = loss, loss_weights
        self._metrics_spec = list(metrics or []) if not isinstance(metrics, dict) else metrics
        self._weighted_metrics = weighted_metrics
        self._jit = False if run_eagerly else jit_compile
        self._jit_choice = None if self._jit == "auto" else self._jit
        self._compiled_steps, self._outputs_spec = {}, None
        self._compile_config = {"optimizer": optimizer, "loss": loss, "loss_weights": loss_weights,
                                "metrics": metrics, "jit_compile": jit_compile}
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
            self._step_optimizer = self.optimizer.build(params)

    # -- outputs, losses and metrics ------------------------------------------------------------
    @property
    def output_names(self):
        return getattr(self, "_output_names", None) or ["output"]

    def _flat_outputs(self, y_pred):
        if isinstance(y_pred, dict):
            return [y_pred[k] for k in self.output_names]
        return list(y_pred) if isinstance(y_pred, (list, tuple)) else [y_pred]

    def _objective(self, preds):
        """The outputs' losses, weights and metrics, resolved once the number of outputs is known."""
        if self._outputs_spec is not None and len(self._outputs_spec) == len(preds):
            return self._outputs_spec
        names = self.output_names if len(self.output_names) == len(preds) else \
            [f"output_{i}" for i in range(len(preds))]
        loss_of = _per_output(self.loss, names, "loss", lambda s, n: None if s is None else losses_module.get(s))
        weights = _per_output(1.0 if self._loss_weights is None else self._loss_weights, names, "loss_weights",
                              lambda s, n: 1.0 if s is None else float(s))
        several = len(names) > 1

        def metric_list(spec, name):
            out = []
            for m in spec or []:
                m = metrics_module.get(m) if isinstance(m, str) else copy.deepcopy(m) if several else m
                if several:
                    m.name = f"{name}_{m.name}"
                out.append(metrics_module.get(m))
            return out
        spec = self._metrics_spec
        per_metrics = _per_output(spec, names, "metrics", metric_list) if isinstance(spec, dict) or (
            spec and all(isinstance(m, (list, tuple)) for m in spec)) else [metric_list(spec, n) for n in names]
        self._outputs_spec = [_Output(n, l, w, m) for n, l, w, m in zip(names, loss_of, weights, per_metrics)]
        self._loss_tracker = metrics_module.Mean("loss")
        return self._outputs_spec

    def _flat_targets(self, y, n):
        """The targets as one entry per output (None where an output has no target)."""
        if isinstance(y, dict):
            unknown = sorted(set(y) - set(self.output_names))
            if unknown:
                raise ArgumentError(f"{self.name}: targets given for outputs {unknown} the model does not have; "
                                    f"its outputs are {self.output_names}")
            return [y.get(k) for k in self.output_names]
        if isinstance(y, (list, tuple)):
            if len(y) != n:
                raise ShapeError(f"{self.name}: {len(y)} targets for a model with {n} outputs")
            return list(y)
        if n != 1 and y is not None:
            raise ShapeError(f"{self.name}: the model has {n} outputs ({self.output_names}); give y as a list "
                             "or a dict by output name")
        return [y] * n if y is None else [y]

    def _compute_loss(self, y, preds, sample_weight):
        outputs = self._objective(preds)
        targets = self._flat_targets(y, len(preds))
        total, terms = None, []
        for out, target, pred in zip(outputs, targets, preds):
            if out.loss is None:
                continue
            if target is None:
                raise ArgumentError(f"{self.name}: output {out.name!r} has a loss but no target (y)")
            value = out.loss(target, pred) if sample_weight is None else \
                out.loss(target, pred, sample_weight=sample_weight)
            terms.append(value)
            weighted = value if out.weight == 1.0 else value * out.weight
            total = weighted if total is None else total + weighted
        for penalty in self._penalties():
            total = penalty if total is None else total + penalty
        if total is None:
            raise ArgumentError(f"{self.name}: no output has a loss; give compile(loss=...)")
        return total, terms

    def _penalties(self):
        """`self.losses`, walking only the layers that can add any (found once per `fit`)."""
        if self._penalty_layers is None:
            self._penalty_layers = [m for m in self.modules() if isinstance(m, Layer)]
        out = []
        for m in self._penalty_layers:
            if m._regularizers:
                out.extend(reg(getattr(m, name)) for name, reg in m._regularizers)
            if m._added_losses:
                out.extend(m._added_losses)
        return out

    def _update_metrics(self, y, preds, sample_weight, total, terms, batch):
        outputs = self._outputs_spec
        self._loss_tracker.update_state(total.item(), sample_weight=batch)
        targets = self._flat_targets(y, len(preds))
        with_loss = [o for o in outputs if o.loss is not None]
        if len(outputs) > 1:
            for out, term in zip(with_loss, terms):
                out.tracker.update_state(term.item(), sample_weight=batch)
        for out, target, pred in zip(outputs, targets, preds):
            if out.metrics and target is not None:
                p = pred.detach().numpy()
                for m in out.metrics:
                    if sample_weight is None:
                        m.update_state(target, p)
                    else:
                        m.update_state(target, p, sample_weight=sample_weight)

    def reset_metrics(self):
        """Start every metric (and the loss average) afresh."""
        if self._outputs_spec is None:
            return
        self._loss_tracker.reset_state()
        for out in self._outputs_spec:
            out.tracker.reset_state()
            for m in out.metrics:
                m.reset_state()

    _reset_metrics = reset_metrics

    def _logs(self):
        logs = {"loss": self._loss_tracker.result()}
        outputs = self._outputs_spec or []
        if len(outputs) > 1:
            logs.update({o.tracker.name: o.tracker.result() for o in outputs if o.loss is not None})
        for out in outputs:
            logs.update({m.name: m.result() for m in out.metrics})
        return logs

    @property
    def metrics_names(self):
        return list(self._logs()) if self._outputs_spec is not None else ["loss"]

    # -- one step -----------------------------------------------------------------------------
    def _apply_optimizer(self):
        if isinstance(self.optimizer, optim.Optimizer):
            self.optimizer.step()
        else:
            self.optimizer.apply_gradients()

    def _train_fn(self, x, y, sample_weight):
        """The training step: forward, loss, backward, update. Returns (total, loss terms, outputs)."""
        self._step_optimizer.zero_grad()
        preds = self._flat_outputs(self(x, training=True))
        total, terms = self._compute_loss(y, preds, sample_weight)
        total.backward()
        self._apply_optimizer()
        return total, terms, preds

    def _compiled_step(self, args):
        """The training step compiled for the structure of `args` (x, y, sample_weight)."""
        leaves = flatten(args)
        key = tuple(a is None for a in leaves) + (type(args[0]), type(args[1]))
        step = self._compiled_steps.get(key)
        if step is None:
            skeleton = args

            def run(*flat):
                it = iter(flat)
                x, y, sw = map_structure(lambda a: None if a is None else next(it), skeleton)
                return self._train_fn(x, y, sw)
            run.__name__ = f"{self.name}_train_step"
            state = dict(self.state_dict(keep_vars=True))
            step = self._compiled_steps[key] = ember_graph.compile(run, state=state)
        return step(*[a for a in leaves if a is not None])

    def _train_batch(self, x, y, sample_weight):
        args = data.as_tensors((x, y, sample_weight))
        if hasattr(self.optimizer, "before_step"):
            self.optimizer.before_step()
        choice = self._jit_choice
        if choice is None:
            total, terms, preds = self._auto_step(args)
        elif choice:
            total, terms, preds = self._compiled_step(args)
        else:
            total, terms, preds = self._train_fn(*args)
        batch = flatten(x)[0].shape[0]
        self._update_metrics(args[1], preds, args[2], total, terms, batch)
        return total

    def _auto_step(self, args):
        """jit_compile="auto": trace on the first step, time a few compiled and eager steps, keep the faster."""
        trial = self.__dict__.setdefault("_auto_trial", {"compiled": [], "eager": []})
        compiled = len(trial["compiled"]) <= _AUTO_TRIALS
        if compiled:
            try:
                start = time.perf_counter()
                out = self._compiled_step(args)
            except ember_graph.TraceError as e:
                log.info("ember.keras: %s runs eagerly; its training step cannot be traced: %s", self.name, e)
                self._jit_choice = False
                self._step_optimizer.zero_grad()
                return self._train_fn(*args)
        else:
            start = time.perf_counter()
            out = self._train_fn(*args)
        trial["compiled" if compiled else "eager"].append(time.perf_counter() - start)
        if len(trial["eager"]) == _AUTO_TRIALS:
            fast, slow = np.median(trial["compiled"][1:]), np.median(trial["eager"])  # [0] was the trace
            self._jit_choice = fast < slow
            log.info("ember.keras: %s trains %s (compiled step %.2f ms, eager %.2f ms)", self.name,
                     "compiled" if self._jit_choice else "eagerly", fast * 1e3, slow * 1e3)
        return out

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One optimizer step on one batch. Returns the loss (and metrics, accumulated since the last
        `reset_metrics()`): a float, a list, or a dict with `return_dict=True`."""
        self._require_compiled("train_on_batch")
        adapter = data.make(x, y, sample_weight, batch_size=1 << 62, op="train_on_batch")
        x, y, sample_weight = next(adapter.batches())
        sample_weight = _class_weights(class_weight, y, sample_weight, "train_on_batch")
        self._prepare(x)
        self._objective_ready(x)
        self.train()
        self._train_batch(x, y, sample_weight)
        return self._result(return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """The loss (and metrics) of one batch, without training."""
        self._require_compiled("test_on_batch")
        adapter = data.make(x, y, sample_weight, batch_size=1 << 62, op="test_on_batch")
        x, y, sample_weight = next(adapter.batches())
        self._prepare(x)
        self._objective_ready(x)
        self.reset_metrics()
        self.eval()
        self._test_batch(x, y, sample_weight)
        return self._result(return_dict)

    def predict_on_batch(self, x):
        """The model's outputs for one batch, as NumPy."""
        self.eval()
        with no_grad():
            out = self(data.as_tensors(data.to_arrays(x, "x", "predict_on_batch")), training=False)
        return map_structure(lambda t: t.numpy(), out)

    def _result(self, return_dict):
        logs = self._logs()
        if return_dict:
            return logs
        return logs["loss"] if len(logs) == 1 else list(logs.values())

    def _objective_ready(self, x):
        if self._outputs_spec is None:
            self.eval()
            with no_grad():
                self._objective(self._flat_outputs(self(data.as_tensors(map_structure(lambda a: a[:1], x)))))

    def _test_batch(self, x, y, sample_weight):
        args = data.as_tensors((x, y, sample_weight))
        with no_grad():
            preds = self._flat_outputs(self(args[0], training=False))
            total, terms = self._compute_loss(args[1], preds, args[2])
        self._update_metrics(args[1], preds, args[2], total, terms, flatten(x)[0].shape[0])

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
        self.history = History()
        progress = [ProgbarLogger(verbose)] if verbose else []
        calls = CallbackList(list(callbacks or []) + [self.history] + progress, self,
                             {"epochs": epochs, "steps": train.steps, "verbose": verbose})
        self.stop_training, logs = False, {}
        self._initial_epoch_override = None
        calls.on_train_begin()
        start = initial_epoch if self._initial_epoch_override is None else self._initial_epoch_override
        self._compiled_steps = {}  # state may have been replaced (restored weights or optimizer state)
        self._penalty_layers = None
        for epoch in range(start, epochs):
            calls.on_epoch_begin(epoch)
            logs = self._train_epoch(train, class_weight, calls)
            if validation is not None and (epoch + 1) % validation_freq == 0:
                val = self._test_loop(validation, calls)
                logs.update({"val_" + k: v for k, v in val.items()})
            calls.on_epoch_end(epoch, logs)
            if self.stop_training or getattr(train, "exhausted", False):
                if getattr(train, "exhausted", False) and epoch + 1 < epochs:
                    log.warning("ember.keras: fit: the generator ran out of data after %d epochs; give "
                                "steps_per_epoch, or a generator that repeats", epoch + 1)
                break
        calls.on_train_end(logs)
        return self.history

    def _train_epoch(self, train, class_weight, calls):
        self.reset_metrics()
        self.train()
        for step, (x, y, sw) in enumerate(train.batches()):
            calls.on_train_batch_begin(step)
            if self._outputs_spec is None:
                self._objective_ready(x)
                self.train()
                self.reset_metrics()
            sw = _class_weights(class_weight, y, sw, "fit")
            self._train_batch(x, y, sw)
            calls.on_train_batch_end(step, self._logs())
            if self.stop_training:
                break
        return self._logs()

    def _test_loop(self, adapter, calls):
        self.eval()
        calls.on_test_begin()
        started = False
        for step, (x, y, sw) in enumerate(adapter.batches()):
            if not started:
                self._objective_ready(x)
                self.reset_metrics()
                started = True
            calls.on_test_batch_begin(step)
            self._test_batch(x, y, sw)
            calls.on_test_batch_end(step, self._logs())
        logs = self._logs() if started else {}
        calls.on_test_end(logs)
        self.train()
        return logs

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False):
        """The loss (and metrics) over all of the data: a float, a list [loss, *metrics], or a dict."""
        self._require_compiled("evaluate")
        adapter = data.make(x, y, sample_weight, batch_size, steps, False, "evaluate")
        self._prepare(adapter.first_x())
        calls = CallbackList(list(callbacks or []), self, {"steps": adapter.steps, "verbose": verbose})
        logs = self._test_loop(adapter, calls)
        if verbose:
            print(" - ".join(f"{k}: {v:.4f}" for k, v in logs.items()))
        if return_dict:
            return logs
        return logs["loss"] if len(logs) == 1 else list(logs.values())

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """The model's outputs for `x`, batch by batch, as NumPy (a list or dict of arrays for several outputs)."""
        adapter = data.make(x, None, None, batch_size, steps, False, "predict")
        calls = CallbackList(list(callbacks or []), self, {"steps": adapter.steps, "verbose": verbose})
        self.eval()
        calls.on_predict_begin()
        parts = []
        with no_grad():
            for step, (bx, _, _) in enumerate(adapter.batches()):
                calls.on_predict_batch_begin(step)
                out = map_structure(lambda t: t.numpy(), self(data.as_tensors(bx), training=False))
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

    # -- weights, files and display -------------------------------------------------------------
    def load_state_dict(self, state_dict, strict=True, assign=False):
        self._compiled_steps = {}
        return super().load_state_dict(state_dict, strict=strict, assign=assign)

    def save_weights(self, filepath, overwrite=True):
        """Write the weights (the state dict) to an ember file."""
        saving.save_weights(self, filepath, overwrite)

    def load_weights(self, filepath):
        """Read weights written by `save_weights` or `save` (the model must be built)."""
        saving.load_weights(self, filepath)

    def save(self, filepath, overwrite=True):
        """Write the whole model (architecture, weights, compile settings, optimizer state) to one file;
        `keras.models.load_model(filepath)` reads it back."""
        saving.save_model(self, filepath, overwrite)

    def summary(self, print_fn=None):
        """Print Keras's table: each layer with its output shape and parameter count, then the totals."""
        if not self.built or any(isinstance(m, Layer) and not m.built for m in self.modules()):
            raise ArgumentError(f"{self.name}.summary: the model has not been built yet; give it an input "
                                "shape (keras.Input(shape=...) first in a Sequential), call build(input_shape), "
                                "or call it on a batch of data first")
        print_summary(self, self._summary_rows(), print_fn or print)

    def _summary_rows(self):
        return [(name, m, getattr(m, "output_shape_", None)) for name, m in self.named_children()]

    def _maybe_build(self, inputs):
        if not self.built:  # the layers inside build themselves as the data flows through them
            self._build_spec = spec_of(inputs)
            self.built = True

    def build(self, input_shape):
        """Build the model's weights for inputs of `input_shape` (batch first) by a dry run."""
        shapes = input_shape if isinstance(input_shape, (list, dict)) else [input_shape]
        examples = map_structure(lambda s: example_value(tuple(s), "float32", 0), shapes) \
            if isinstance(input_shape, dict) else [example_value(tuple(s), "float32", 0) for s in shapes]
        was_training = self.training
        self.eval()
        with no_grad():
            self(examples if isinstance(input_shape, (list, dict)) else examples[0])
        self.train(was_training)

    def graph(self, *example_inputs):
        """The forward pass (inference mode) as the graph IR, traced on `example_inputs` (default: the
        inputs it was built with) — what export, serving and TensorBoard consume."""
        if not example_inputs:
            if self._build_spec is None:
                raise ArgumentError(f"{self.name}.graph: the model is not built; pass example inputs")
            example_inputs = tuple(flatten(spec_inputs(self._build_spec)))
        was_training = self.training
        self.eval()
        try:
            return ember_graph.trace(self, *example_inputs)
        finally:
            self.train(was_training)


def _class_weights(class_weight, y, sample_weight, op):
    """Per-sample weights from `class_weight` ({class: weight}) and the batch's labels, times any given."""
    if not class_weight:
        return sample_weight
    if isinstance(y, (list, dict)):
        raise ArgumentError(f"{op}: class_weight is for single-output models; for several outputs give "
                            "sample_weight")
    labels = y.argmax(-1) if y.ndim > 1 and y.shape[-1] > 1 else y.reshape(y.shape[0], -1)[:, 0]
    labels = np.rint(labels).astype(np.int64) if labels.dtype.kind == "f" else labels.astype(np.int64)
    missing = sorted(set(np.unique(labels).tolist()) - set(class_weight))
    if missing:
        raise ArgumentError(f"{op}: class_weight has no weight for classes {missing} found in y")
    weights = np.array([class_weight[c] for c in labels.tolist()], dtype=np.float32)
    return weights if sample_weight is None else weights * sample_weight


class Functional(Model):
    """A model defined by calling layers on `keras.Input`s: `keras.Model(inputs, outputs)`.

    `inputs` and `outputs` are a KerasTensor, a list of them or a dict by name; layers may be shared
    (called more than once), and models nest as layers.
    """

    def __init__(self, inputs, outputs, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self._input_structure, self._output_structure = inputs, outputs
        self._inputs = flatten(inputs)
        self._outputs = flatten(outputs)
        for what, tensors in (("inputs", self._inputs), ("outputs", self._outputs)):
            if not tensors or not all(isinstance(t, KerasTensor) for t in tensors):
                raise ArgumentError(f"Model: {what} must be keras.Input(...) results or layer outputs on them "
                                    f"(KerasTensors), got {[type(t).__name__ for t in tensors]}")
        for t in self._inputs:
            if not isinstance(t._history[0], InputLayer):
                raise ArgumentError(f"Model: input {t.name!r} is not a keras.Input(...); the inputs of a "
                                    "functional model must be Inputs")
        self._nodes = self._walk()
        layers = []
        for node in self._nodes:
            if node.layer not in layers:
                layers.append(node.layer)
        for t in self._inputs:
            if t._history[0] not in layers:
                layers.insert(0, t._history[0])
        self._layers = layers
        for layer in layers:
            if layer.name in self._modules:
                raise ArgumentError(f"Model: two different layers are named {layer.name!r}; layer names in a "
                                    "model must be unique")
            self.add_module(layer.name, layer)
        if isinstance(outputs, dict):
            self._output_names = list(outputs)
        else:
            self._output_names = [t._history[0].name for t in self._outputs]
        self._input_names = list(inputs) if isinstance(inputs, dict) else [t._history[0].name for t in self._inputs]
        self._build_spec = map_structure(lambda t: [list(t.shape), t.dtype], inputs)
        self.built = True

    def _walk(self):
        """The layer calls between the inputs and the outputs, in an order that runs them."""
        order, seen, inputs = [], set(), {id(t) for t in self._inputs}
        stack = [(t, False) for t in reversed(self._outputs)]
        while stack:
            t, ready = stack.pop()
            layer, index, _ = t._history
            node = layer._inbound_nodes[index]
            if id(node) in seen or id(t) in inputs:
                continue
            if isinstance(layer, InputLayer):
                raise ArgumentError(f"Model: the outputs depend on input {layer.name!r}, which is not among the "
                                    f"model's inputs ({[i.name for i in self._inputs]})")
            if ready:
                seen.add(id(node))
                order.append(node)
                continue
            stack.append((t, True))
            for arg in reversed(node.inputs()):
                stack.append((arg, False))
        return order

    @property
    def layers(self):
        return list(self._layers)

    @property
    def inputs(self):
        return list(self._inputs)

    @property
    def outputs(self):
        return list(self._outputs)

    def get_layer(self, name=None, index=None):
        """A layer by name or by index."""
        if index is not None:
            return self._layers[index]
        for layer in self._layers:
            if layer.name == name:
                return layer
        raise ArgumentError(f"{self.name}.get_layer: no layer named {name!r}; layers: "
                            f"{[l.name for l in self._layers]}")

    def _maybe_build(self, inputs):
        pass

    def _feed(self, inputs):
        """The given inputs matched to the model's Inputs: one tensor, a list in order, or a dict by name."""
        n = len(self._inputs)
        if isinstance(inputs, dict):
            missing = [k for k in self._input_names if k not in inputs]
            if missing:
                raise ArgumentError(f"{self.name}: inputs {missing} are missing; the model's inputs are "
                                    f"{self._input_names}, got keys {sorted(inputs)}")
            flat = [inputs[k] for k in self._input_names]
        elif isinstance(inputs, (list, tuple)):
            if len(inputs) != n:
                raise ArgumentError(f"{self.name}: the model has {n} inputs ({self._input_names}), got {len(inputs)}")
            flat = list(inputs)
        else:
            if n != 1:
                raise ArgumentError(f"{self.name}: the model has {n} inputs ({self._input_names}); pass a list or "
                                    "a dict by input name")
            flat = [inputs]
        values = {}
        for spec, value in zip(self._inputs, flat):
            value = data.as_tensor(value) if not isinstance(value, Tensor) else value
            shape = tuple(value.shape)
            if len(shape) != len(spec.shape) or any(d is not None and d != s for d, s in zip(spec.shape[1:], shape[1:])):
                raise ShapeError(f"{self.name}: input {spec.name!r} expects shape {spec.shape}, got {shape}")
            values[id(spec)] = value
        return values

    def call(self, inputs, training=None):
        values = self._feed(inputs)

        def get(a):
            return values[id(a)] if isinstance(a, KerasTensor) else a
        for node in self._nodes:
            args, kwargs = map_structure(get, (node.args, node.kwargs))
            out = node.layer(*args, training=training, **kwargs) if isinstance(node.layer, Layer) else \
                node.layer(*args, **kwargs)
            for t, v in zip(flatten(node.outputs), flatten(out)):
                values[id(t)] = v
        return map_structure(lambda t: values[id(t)], self._output_structure)

    def _summary_rows(self):
        return [(layer.name, layer, layer.output.shape if isinstance(layer, InputLayer) else layer.output_shape_)
                for layer in self._layers]

    def get_config(self):
        return saving.functional_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return saving.functional_from_config(cls, config, custom_objects)


class Sequential(Model):
    """A linear stack of layers: `Sequential([Input(shape=(784,)), Dense(10)])` or `.add(layer)`."""

    def __init__(self, layers=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self._stack, self._shapes, self.input_shape_ = [], {}, None
        self._input_dtype = "float32"
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self):
        return list(self._stack)

    def add(self, layer):
        """Append a layer (any `ember.nn.Module` too); a `keras.Input` first fixes the input shape."""
        if isinstance(layer, (KerasTensor, InputLayer)):
            if self._stack:
                raise ArgumentError(f"{self.name}.add: an Input must come first in a Sequential model")
            if isinstance(layer, KerasTensor):
                self._input_dtype = layer.dtype
                self.input_shape_ = layer.shape
            else:
                self._input_dtype, self.input_shape_ = layer.input_dtype, layer.batch_input_shape
            return self.build(self.input_shape_)
        if not isinstance(layer, Module):
            raise ArgumentError(f"{self.name}.add: expected a keras layer or an ember.nn.Module, "
                                f"got {type(layer).__name__}")
        name = layer.name if isinstance(layer, Layer) else unique_name(snake_case(type(layer).__name__))
        if name in self._modules:
            raise ArgumentError(f"{self.name}.add: a layer named {name!r} is already in the model; "
                                "layer names must be unique")
        self.add_module(name, layer)
        self._stack.append(layer)
        if len(self._stack) == 1 and getattr(layer, "batch_input_shape", None) is not None:
            self.input_shape_ = layer.batch_input_shape
        if self.input_shape_ is not None:
            self.build(self.input_shape_)

    def _maybe_build(self, inputs):
        if self._build_spec is None and isinstance(inputs, Tensor):
            self._build_spec = [[None] + list(inputs.shape[1:]), inputs.dtype.name]
        self.built = True  # the layers build themselves as the data flows through them

    def build(self, input_shape=None):
        """Build every layer from `input_shape` (batch first, e.g. (None, 8, 8, 1)) by a dry run."""
        input_shape = tuple(input_shape if input_shape is not None else self.input_shape_ or ())
        if not input_shape:
            raise ArgumentError(f"{self.name}.build: give the input shape, batch first, e.g. (None, 784)")
        self.input_shape_ = (None,) + input_shape[1:]
        self._build_spec = [list(self.input_shape_), self._input_dtype]
        was_training = self.training
        self.eval()
        with no_grad():
            self.call(zeros(*[1 if d is None else d for d in (1,) + input_shape[1:]],
                            dtype=getattr(dtypes, self._input_dtype)))
        self.train(was_training)
        self.built = True

    def call(self, inputs, training=None):
        x = inputs
        for name, layer in zip(self._modules, self._stack):
            x = layer(x, training=training) if isinstance(layer, Layer) else layer(x)
            if isinstance(x, Tensor):
                self._shapes[name] = (None,) + tuple(x.shape[1:])
        return x

    def _summary_rows(self):
        return [(name, m, self._shapes.get(name)) for name, m in zip(self._modules, self._stack)]

    def get_config(self):
        return saving.sequential_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return saving.sequential_from_config(cls, config, custom_objects)


saving.register_builtin(Model, Functional, Sequential)
load_model = saving.load_model
