"""`keras.callbacks.TensorBoard`: Keras's arguments, run layout and tag names, on ember's SummaryWriter.

`<log_dir>/train` gets `epoch_<metric>` (loss, accuracy, ..., and `epoch_learning_rate`) at each epoch,
`batch_<metric>` every `update_freq` batches when `update_freq` is "batch" or an int, per-layer weight
histograms `<layer>/<weight>/histogram` every `histogram_freq` epochs (with `write_images`, the weights
as images `<layer>/<weight>/image`), and with `write_graph` the graph of the first training step
(forward under module name scopes, backward under `gradients/`). `<log_dir>/validation` gets the
`epoch_<metric>` of the validation data and `evaluation_<metric>_vs_iterations`.

    >>> tb = keras.callbacks.TensorBoard(log_dir="logs", histogram_freq=1)
    >>> model.fit(x, y, validation_split=0.2, epochs=5, callbacks=[tb])     # doctest: +SKIP
    $ tensorboard --logdir logs

Differences from Keras: `profile_batch` must be 0 (use `ember.profiler` with
`tensorboard_trace_handler`), and `embeddings_freq` writes each `Embedding` layer's matrix as a
TSV that the Projector reads (Keras writes a weights checkpoint instead).
"""
import logging
import os
import time

import numpy as np

from ember.autograd import dispatch
from ember.errors import ArgumentError
from ember.keras.callbacks.base import Callback

log = logging.getLogger("ember.keras")


class TensorBoard(Callback):
    """Log metrics, weights and the graph for TensorBoard (see the module docstring)."""

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0, embeddings_freq=0,
                 embeddings_metadata=None):
        super().__init__()
        if update_freq != "epoch" and update_freq != "batch" and \
                (not isinstance(update_freq, int) or isinstance(update_freq, bool) or update_freq < 1):
            raise ArgumentError(f"TensorBoard: update_freq must be 'epoch', 'batch' or a positive int, "
                                f"got {update_freq!r}")
        for name, value in (("histogram_freq", histogram_freq), ("embeddings_freq", embeddings_freq)):
            if not isinstance(value, int) or value < 0:
                raise ArgumentError(f"TensorBoard: {name} must be an int >= 0, got {value!r}")
        if profile_batch:
            raise ArgumentError("TensorBoard: profile_batch is not supported; profile with ember.profiler.profile("
                                "on_trace_ready=ember.profiler.tensorboard_trace_handler(log_dir))")
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq, self.write_graph, self.write_images = histogram_freq, write_graph, write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.embeddings_freq, self.embeddings_metadata = embeddings_freq, embeddings_metadata
        self._writers = {}
        self._global_train_batch = 0
        self._graph_watch, self._graph_pending = None, False

    def _writer(self, run):
        if run not in self._writers:
            self._writers[run] = _board().SummaryWriter(os.path.join(self.log_dir, run))
        return self._writers[run]

    # --- hooks --------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._stop_graph_watch()
        self._global_train_batch = 0
        self._steps_at_epoch = 0
        self._graph_pending = self.write_graph

    def on_train_batch_begin(self, batch, logs=None):
        self._global_train_batch += 1
        if self._graph_pending:  # only the first step's trace gets module paths on its values
            self._graph_pending = False
            self._graph_watch = dispatch.module_paths()
            self._graph_watch.__enter__()
            dispatch.add_observer(_graph().tag_modules)

    def on_train_batch_end(self, batch, logs=None):
        if self._graph_watch is not None:
            self._stop_graph_watch()
            self._write_graph()
        if self.update_freq != "epoch" and self._global_train_batch % self.update_freq == 0:
            w = self._writer("train")
            for name, value in (logs or {}).items():
                w.add_scalar(f"batch_{name}", value, self._global_train_batch)

    def on_test_end(self, logs=None):
        iterations = getattr(self.model.optimizer, "iterations", None)
        if isinstance(iterations, int):
            for name, value in (logs or {}).items():
                self._writer("validation").add_scalar(f"evaluation_{name}_vs_iterations", value, iterations)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start, self._steps_at_epoch = time.time(), self._global_train_batch

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        lr = _learning_rate(self.model.optimizer)
        if lr is not None:
            train["learning_rate"] = lr
        if self.write_steps_per_second:
            train["steps_per_second"] = (self._global_train_batch - self._steps_at_epoch) / \
                max(time.time() - self._epoch_start, 1e-9)
        for name, value in train.items():
            self._writer("train").add_scalar(f"epoch_{name}", value, epoch)
        for name, value in logs.items():
            if name.startswith("val_"):
                self._writer("validation").add_scalar(f"epoch_{name[4:]}", value, epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._log_weights(epoch)
        if self.embeddings_freq and epoch % self.embeddings_freq == 0:
            self._log_embeddings(epoch)
        for w in self._writers.values():
            w.flush()

    def on_train_end(self, logs=None):
        self._stop_graph_watch()
        for w in self._writers.values():
            w.close()
        self._writers = {}

    # --- what is written ----------------------------------------------------------------------
    def _stop_graph_watch(self):
        if self._graph_watch is not None:
            dispatch.remove_observer(_graph().tag_modules)
            self._graph_watch.__exit__(None, None, None)
            self._graph_watch = None

    def _write_graph(self):
        steps = list(getattr(self.model, "_compiled_steps", {}).values())
        graph = steps[0].graph if steps else None
        if graph is None:
            log.warning("ember.keras: TensorBoard(write_graph=True): %s trained its first step eagerly, so "
                        "there is no step graph to write; compile with jit_compile=True or 'auto', or use "
                        "SummaryWriter.add_graph(model, x)", self.model.name)
            return
        self._writer("train").add_graph_def(_graph().graph_def(graph, root=type(self.model).__name__))

    def _log_weights(self, epoch):
        w = self._writer("train")
        for layer in self.model.layers:
            named = list(layer.named_parameters()) + list(layer.named_buffers())
            for name, weight in named:
                tag = f"{layer.name}/{name.replace('.', '/')}"
                w.add_histogram(f"{tag}/histogram", weight, epoch)
                if self.write_images:
                    img = _weight_image(weight.detach().numpy())
                    if img is not None:
                        w.add_images(f"{tag}/image", img, epoch, dataformats="NHWC")

    def _log_embeddings(self, epoch):
        w = self._writer("train")
        meta = self.embeddings_metadata
        for layer in self.model.layers:
            if type(layer).__name__ == "Embedding":
                labels = None
                path = meta.get(layer.name) if isinstance(meta, dict) else meta
                if path is not None:
                    with open(path) as f:
                        labels = [line.rstrip("\n") for line in f]
                weights = dict(layer.named_parameters())
                matrix = weights.get("embeddings", next(iter(weights.values())))
                w.add_embedding(matrix.detach().numpy(), metadata=labels, global_step=epoch,
                                tag=f"{layer.name}/embeddings")


def _learning_rate(optimizer):
    if optimizer is None:
        return None
    lr = getattr(optimizer, "learning_rate", None)
    if lr is None and getattr(optimizer, "param_groups", None):
        lr = optimizer.param_groups[0].get("lr")
    try:
        return float(lr)
    except (TypeError, ValueError):
        return None


def _weight_image(w):
    """A weight as Keras shows it: NHWC with one channel (1-D as a row, 2-D wide side last, 3-D per kernel)."""
    w = np.squeeze(w)
    if w.ndim == 1:
        w = w.reshape(1, 1, -1, 1)
    elif w.ndim == 2:
        w = (w.T if w.shape[0] > w.shape[1] else w)[None, :, :, None]
    elif w.ndim == 3:
        w = np.moveaxis(w, -1, 0)[..., None]
    else:
        return None
    lo, hi = float(w.min()), float(w.max())
    return (w - lo) / (hi - lo) if hi > lo else np.zeros_like(w)


def _board():
    """`ember.utils.tensorboard`, imported when a TensorBoard callback first writes: it needs the
    `tensorboard` extra, which `ember.keras` itself must not require."""
    from ember.utils import tensorboard
    return tensorboard


def _graph():
    from ember.utils.tensorboard import graph
    return graph
