"""`SummaryWriter`: PyTorch's API and file layout, on TensorBoard's own event-file writer.

Events go to a queue that a background thread writes (tensorboard's `EventFileWriter`): `add_*`
returns at once unless `max_queue` events are waiting; the file is flushed every `flush_secs`, on
`flush()` and `close()`, and at interpreter exit for writers still open (nothing queued is lost).

    >>> from ember.utils.tensorboard import SummaryWriter
    >>> with SummaryWriter("runs/exp1") as w:
    ...     for step in range(100):
    ...         w.add_scalar("Loss/train", 1.0 / (step + 1), step)
    ...     w.add_histogram("fc1/weight", model.fc1.weight, 0)       # doctest: +SKIP
    $ tensorboard --logdir runs
"""
import atexit
import datetime
import os
import socket
import time
import weakref

import numpy as np

from ember.errors import ArgumentError
from ember.utils.tensorboard import summary as S
from ember.utils.tensorboard._deps import EventFileWriter, event_pb2
from ember.utils.tensorboard.graph import graph_def, trace_with_modules
from ember.utils.tensorboard.hparams import hparams
from ember.utils.tensorboard.projector import write_embedding

_open = weakref.WeakSet()


@atexit.register
def _close_all():
    for w in list(_open):
        w.close()


def default_log_dir(comment=""):
    """`runs/<Mon DD_HH-MM-SS>_<host><comment>`, as PyTorch names runs."""
    stamp = datetime.datetime.now().strftime("%b%d_%H-%M-%S")
    return os.path.join("runs", f"{stamp}_{socket.gethostname()}{comment}")


class SummaryWriter:
    """Write TensorBoard event files in `log_dir` (see the module docstring)."""

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120, filename_suffix=""):
        if not isinstance(max_queue, int) or max_queue < 1:
            raise ArgumentError(f"SummaryWriter: max_queue must be a positive int, got {max_queue!r}")
        if flush_secs <= 0:
            raise ArgumentError(f"SummaryWriter: flush_secs must be positive, got {flush_secs!r}")
        self.log_dir = os.fspath(log_dir) if log_dir is not None else default_log_dir(comment)
        self.purge_step, self.max_queue, self.flush_secs = purge_step, max_queue, flush_secs
        self.filename_suffix = filename_suffix
        self._writers = {}
        self._embedding_config = None
        self._file_writer(self.log_dir)
        if purge_step is not None:  # TensorBoard drops events at or after this step from earlier files
            w = self._writers[self.log_dir]
            w.add_event(event_pb2.Event(step=purge_step, file_version="brain.Event:2"))
            w.add_event(event_pb2.Event(step=purge_step, session_log=event_pb2.SessionLog(
                status=event_pb2.SessionLog.START)))
        _open.add(self)

    def _file_writer(self, path):
        if self._writers is None:
            raise ArgumentError(f"SummaryWriter({self.log_dir!r}) is closed; open a new one to write more")
        w = self._writers.get(path)
        if w is None:
            os.makedirs(path, exist_ok=True)
            w = self._writers[path] = EventFileWriter(path, self.max_queue, self.flush_secs, self.filename_suffix)
        return w

    def get_logdir(self):
        return self.log_dir

    def _add(self, summary, global_step, walltime, path=None):
        event = event_pb2.Event(wall_time=time.time() if walltime is None else walltime, summary=summary)
        if global_step is not None:
            event.step = int(global_step)
        self._file_writer(path or self.log_dir).add_event(event)

    # --- the add_* methods --------------------------------------------------------------------
    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):
        """One number under `tag` at `global_step`."""
        if new_style or double_precision:
            raise ArgumentError("add_scalar: new_style and double_precision are not supported; scalars are "
                                "written as simple_value (float32), as PyTorch does by default")
        self._add(S.scalar(tag, scalar_value), global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Several numbers on one chart: each key goes to its own run `<log_dir>/<main_tag>_<key>`."""
        walltime = time.time() if walltime is None else walltime
        for key, value in tag_scalar_dict.items():
            path = os.path.join(self.log_dir, f"{main_tag}_{key}".replace("/", "_"))
            self._add(S.scalar(main_tag, value), global_step, walltime, path)

    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None, max_bins=None):
        """A histogram of `values` (bins: "tensorflow", an int, a NumPy bin rule or edges)."""
        self._add(S.histogram(tag, values, bins, max_bins), global_step, walltime)

    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        """One image (CHW, HWC or HW; floats in [0, 1] or uint8)."""
        self._add(S.image(tag, img_tensor, dataformats), global_step, walltime)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW"):
        """A batch of images (NCHW or NHWC), shown as one grid."""
        if not dataformats.upper().startswith("N"):
            raise ArgumentError(f"add_images({tag!r}): dataformats must start with N (NCHW or NHWC), "
                                f"got {dataformats!r}")
        self._add(S.image(tag, img_tensor, dataformats), global_step, walltime)

    def add_figure(self, tag, figure, global_step=None, close=True, walltime=None):
        """A matplotlib figure (or a list of them, as a grid) rendered to an image."""
        figures = figure if isinstance(figure, (list, tuple)) else [figure]
        images = [S.figure_to_hwc(f) for f in figures]
        if close:
            import matplotlib.pyplot as plt  # the `plot` extra, only for figures
            for f in figures:
                plt.close(f)
        if len(images) == 1:
            self.add_image(tag, images[0], global_step, walltime, dataformats="HWC")
        else:
            self.add_images(tag, np.stack(images), global_step, walltime, dataformats="NHWC")

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        """Text (Markdown) under `tag` (TensorBoard's text plugin names it `<tag>/text_summary`)."""
        self._add(S.text(tag, text_string), global_step, walltime)

    def add_pr_curve(self, tag, labels, predictions, global_step=None, num_thresholds=127, weights=None,
                     walltime=None):
        """A precision-recall curve of binary `labels` against `predictions` in [0, 1]."""
        labels, predictions = S.as_numpy(labels, "add_pr_curve"), S.as_numpy(predictions, "add_pr_curve")
        self._add(S.pr_curve(tag, labels, predictions, num_thresholds, weights), global_step, walltime)

    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None,
                    global_step=None):
        """Hyperparameters and their final metrics, as one run of the HParams dashboard (a sub-run named
        `run_name`, by default the current time)."""
        path = os.path.join(self.log_dir, run_name or str(time.time()))
        for s in hparams(hparam_dict, metric_dict, hparam_domain_discrete):
            self._add(s, None, None, path)
        for k, v in metric_dict.items():
            self._add(S.scalar(k, v), global_step, None, path)

    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True):
        """The graph of `model(*input_to_model)`, traced once, for the Graphs dashboard (module paths as
        name scopes, primitives as op types, shapes and dtypes as attributes)."""
        if input_to_model is None:
            raise ArgumentError("add_graph: give input_to_model (a tensor or a tuple of tensors) to trace with")
        inputs = input_to_model if isinstance(input_to_model, (tuple, list)) else (input_to_model,)
        graph = trace_with_modules(model, inputs)
        gd = graph_def(graph, root=type(model).__name__)
        if verbose:
            print(graph)
        self.add_graph_def(gd)

    def add_graph_def(self, gd, walltime=None):
        """A ready GraphDef (what `add_graph` writes)."""
        w = self._file_writer(self.log_dir)
        w.add_event(event_pb2.Event(wall_time=time.time() if walltime is None else walltime,
                                    graph_def=gd.SerializeToString()))

    def add_embedding(self, mat, metadata=None, label_img=None, global_step=None, tag="default",
                      metadata_header=None):
        """Vectors for the Projector: `<log_dir>/<step>/` gets tensors.tsv (and metadata.tsv, sprite.png),
        `<log_dir>/projector_config.pbtxt` lists them."""
        self._embedding_config = write_embedding(self.log_dir, self._embedding_config, mat, metadata, label_img,
                                                 global_step, tag, metadata_header)

    # --- lifecycle ----------------------------------------------------------------------------
    def flush(self):
        """Write every queued event to disk now."""
        for w in (self._writers or {}).values():
            w.flush()

    def close(self):
        """Flush and close the event files (further writes raise)."""
        if self._writers is None:
            return
        for w in self._writers.values():
            w.flush()
            w.close()
        self._writers = None
        _open.discard(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
