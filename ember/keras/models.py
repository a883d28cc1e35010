"""Keras's `Model` (compile, the one `fit` loop, evaluate, predict, summary) and `Sequential`.

    >>> model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
    >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    >>> history = model.fit(np.ones((8, 4)), np.zeros(8, dtype=np.int64), epochs=2, verbose=0)
    >>> sorted(history.history)
    ['accuracy', 'loss']
"""
import numpy as np

from ember import io, optim
from ember.autograd import Tensor, no_grad
from ember.errors import ArgumentError
from ember.nn import Module
from ember.nn.utils import clip_grad_norm_
from ember.ops.creation import zeros
from ember.keras import data_adapter as data, losses, metrics as metrics_module, optimizers
from ember.keras.callbacks import CallbackList, History, ProgbarLogger
from ember.keras.layers.base import InputLayer, KerasTensor, Layer, snake_case, unique_name
from ember.keras.summary import print_summary

__all__ = ["Model", "Sequential"]


class Model(Layer):
    """A trainable stack of layers. Subclass it with layers in `__init__` and the math in `call`,
    or use `Sequential`. `compile` picks the optimizer, loss and metrics; `fit` trains."""

    def __init__(self, *args, **kwargs):
        if args or "inputs" in kwargs or "outputs" in kwargs:
            raise ArgumentError("Model(inputs, outputs): the functional API is not available yet; use "
                                "keras.Sequential([...]) or subclass keras.Model with a call() method")
        super().__init__(**kwargs)
        self.compiled, self.stop_training, self.history = False, False, None
        self.optimizer, self.loss, self.metrics_list = None, None, []
        self._step_optimizer = None
        self._loss_tracker = metrics_module.Mean("loss")

    # -- compile ------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None):
        """Set the optimizer, loss and metrics, by Keras name or as objects."""
        if loss is None:
            raise ArgumentError(f"{self.name}.compile: give a loss, e.g. loss='sparse_categorical_crossentropy'; "
                                f"known names: {', '.join(sorted(losses.LOSSES))}")
        self.optimizer = optimizers.get(optimizer)
        self._step_optimizer = self.optimizer if isinstance(self.optimizer, optim.Optimizer) else None
        self.loss = losses.get(loss)
        self.metrics_list = [metrics_module.get(m) for m in (metrics or [])]
        self.compiled = True

    def _require_compiled(self, op):
        if not self.compiled:
            raise ArgumentError(f"{self.name}.{op}: you must call compile() before {op}(), e.g. "
                                "model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', "
                                "metrics=['accuracy'])")

    def _prepare(self, x):
        """Build the layers (from one sample) and the optimizer, once."""
        if self._step_optimizer is None or not self.built:
            was_training = self.training
            self.eval()
            with no_grad():
                self(data.as_tensor(x[:1]))
            self.train(was_training)
        if self._step_optimizer is None:
            params = [p for p in self.parameters() if p.requires_grad]
            if not params:
                raise ArgumentError(f"{self.name}.fit: the model has no trainable weights")
            self._step_optimizer = self.optimizer.build(params)

    # -- one step -----------------------------------------------------------------------------
    def _reset_metrics(self):
        self._loss_tracker.reset_state()
        for m in self.metrics_list:
            m.reset_state()

    def _update_metrics(self, y, y_pred, loss):
        self._loss_tracker.update_state(loss.item(), y.shape[0])
        pred = y_pred.detach().numpy()
        for m in self.metrics_list:
            m.update_state(y, pred)

    def _logs(self):
        return {"loss": self._loss_tracker.result(), **{m.name: m.result() for m in self.metrics_list}}

    def _train_step(self, x, y):
        opt = self._step_optimizer
        opt.zero_grad()
        y_pred = self(data.as_tensor(x), training=True)
        loss = self.loss(data.as_tensor(y), y_pred)
        loss.backward()
        clipnorm = getattr(self.optimizer, "clipnorm", None)
        if clipnorm:
            clip_grad_norm_([p for g in opt.param_groups for p in g["params"]], clipnorm)
        opt.step()
        self._update_metrics(y, y_pred, loss)

    def _test_step(self, x, y):
        y_pred = self(data.as_tensor(x), training=False)
        self._update_metrics(y, y_pred, self.loss(data.as_tensor(y), y_pred))

    def train_on_batch(self, x, y):
        """One optimizer step on one batch; returns the batch's loss and metrics as a dict."""
        self._require_compiled("train_on_batch")
        x, y = data.to_array(x, "x", "train_on_batch"), data.to_array(y, "y", "train_on_batch")
        data.check_lengths(x, y, "train_on_batch")
        self._prepare(x)
        self._reset_metrics()
        self.train()
        self._train_step(x, y)
        return self._logs()

    # -- the loop -----------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=32, epochs=1, verbose=1, callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, initial_epoch=0):
        """Train for `epochs` passes over (x, y); returns a `History` whose `.history` maps each loss and
        metric (and `val_` ones with validation data) to its per-epoch values."""
        self._require_compiled("fit")
        x, y = data.to_array(x, "x", "fit"), data.to_array(y, "y", "fit")
        data.check_lengths(x, y, "fit")
        data.check_batch_size(batch_size, "fit")
        if validation_data is not None:
            vx, vy = (data.to_array(v, what, "fit (validation_data)") for v, what in zip(validation_data[:2], "xy"))
            data.check_lengths(vx, vy, "fit (validation_data)")
            validation = (vx, vy)
        elif validation_split:
            (x, y), validation = data.split_validation(x, y, validation_split)
        else:
            validation = None
        self._prepare(x)
        self.history = History()
        progress = [ProgbarLogger(verbose)] if verbose else []
        steps = -(-x.shape[0] // batch_size)
        calls = CallbackList(list(callbacks or []) + [self.history] + progress, self,
                             {"epochs": epochs, "steps": steps, "verbose": verbose})
        self.stop_training, logs = False, {}
        calls.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            calls.on_epoch_begin(epoch)
            logs = self._run_epoch(x, y, batch_size, shuffle, calls)
            if validation is not None:
                logs.update({"val_" + k: v for k, v in self._test_loop(*validation, batch_size).items()})
            calls.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        calls.on_train_end(logs)
        return self.history

    def _run_epoch(self, x, y, batch_size, shuffle, calls):
        self._reset_metrics()
        self.train()
        for step, idx in enumerate(data.batch_indices(x.shape[0], batch_size, shuffle)):
            calls.on_train_batch_begin(step)
            self._train_step(x[idx], y[idx])
            calls.on_train_batch_end(step, self._logs())
        return self._logs()

    def _test_loop(self, x, y, batch_size):
        self._reset_metrics()
        self.eval()
        with no_grad():
            for idx in data.batch_indices(x.shape[0], batch_size, shuffle=False):
                self._test_step(x[idx], y[idx])
        return self._logs()

    def evaluate(self, x=None, y=None, batch_size=32, verbose=1, return_dict=False):
        """The loss (and metrics) over all of (x, y): a float, a list [loss, *metrics], or a dict."""
        self._require_compiled("evaluate")
        x, y = data.to_array(x, "x", "evaluate"), data.to_array(y, "y", "evaluate")
        data.check_lengths(x, y, "evaluate")
        data.check_batch_size(batch_size, "evaluate")
        logs = self._test_loop(x, y, batch_size)
        if verbose:
            print(" - ".join(f"{k}: {v:.4f}" for k, v in logs.items()))
        if return_dict:
            return logs
        return logs["loss"] if not self.metrics_list else list(logs.values())

    def predict(self, x, batch_size=32, verbose=0):
        """The model's outputs for `x`, batch by batch, as one NumPy array."""
        x = data.to_array(x, "x", "predict")
        data.check_batch_size(batch_size, "predict")
        self.eval()
        with no_grad():
            outs = [self(data.as_tensor(x[idx]), training=False).numpy()
                    for idx in data.batch_indices(x.shape[0], batch_size, shuffle=False)]
        if verbose:
            print(f"{len(outs)}/{len(outs)} batches predicted")
        return np.concatenate(outs) if outs else np.zeros((0,))

    # -- weights and display ------------------------------------------------------------------
    def save_weights(self, filepath):
        """Write the weights (the state dict) to an ember file."""
        io.save(self.state_dict(), filepath)

    def load_weights(self, filepath):
        """Read weights written by `save_weights` (the model must be built)."""
        self.load_state_dict(io.load(filepath))

    def summary(self, print_fn=None):
        """Print Keras's table: each layer with its output shape and parameter count, then the totals."""
        if not self.built or any(isinstance(m, Layer) and not m.built for m in self.modules()):
            raise ArgumentError(f"{self.name}.summary: the model has not been built yet; give it an input "
                                "shape (keras.Input(shape=...) first in a Sequential), call build(input_shape), "
                                "or call it on a batch of data first")
        print_summary(self, self._summary_rows(), print_fn or print)

    def _summary_rows(self):
        return [(name, m, getattr(m, "output_shape_", None)) for name, m in self.named_children()]


class Sequential(Model):
    """A linear stack of layers: `Sequential([Input(shape=(784,)), Dense(10)])` or `.add(layer)`."""

    def __init__(self, layers=None, name=None, trainable=True):
        super().__init__(name=name, trainable=trainable)
        self._stack, self._shapes, self.input_shape_ = [], {}, None
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
            self.input_shape_ = layer.shape if isinstance(layer, KerasTensor) else layer.batch_input_shape
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
        self.built = True  # the layers build themselves as the data flows through them

    def build(self, input_shape=None):
        """Build every layer from `input_shape` (batch first, e.g. (None, 8, 8, 1)) by a dry run."""
        input_shape = tuple(input_shape if input_shape is not None else self.input_shape_ or ())
        if not input_shape:
            raise ArgumentError(f"{self.name}.build: give the input shape, batch first, e.g. (None, 784)")
        self.input_shape_ = (None,) + input_shape[1:]
        was_training = self.training
        self.eval()
        with no_grad():
            self.call(zeros(*[1 if d is None else d for d in (1,) + input_shape[1:]]))
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
