"""`DataParallel`: what the one `fit` loop asks of a distribution (see the package docstring).

The loop calls, in order: `callbacks_for_rank` (rank 0 keeps every callback; the others drop those
that print or write files), `begin_fit` after the callbacks' `on_train_begin` (rank 0's weights,
optimizer state, start epoch and random state to every rank; gradient hooks on), `batches` for each
pass over the data (this rank's slice of each global batch; floating buffers such as BatchNormalization's
moving statistics averaged over the ranks before each step), `global_batch` before the loss and
metrics are updated (every rank's slice, gathered), `any_rank` for `stop_training`, and `end_fit`.
"""
import numpy as np

from ember import distributed as dist
from ember.autograd import Tensor
from ember.backend.random import get_rng_state, set_rng_state
from ember.errors import ArgumentError
from ember.keras.layers.base import flatten, map_structure
from ember.nn.parallel import Reducer
from ember.ops.creation import from_numpy

__all__ = ["DataParallel"]

# Callbacks that only rank 0 runs (by class name, so subclasses and callbacks from other modules,
# such as TensorBoard, are found without importing them): they print or write files.
CHIEF_ONLY = frozenset({"ModelCheckpoint", "BackupAndRestore", "CSVLogger", "TensorBoard", "ProgbarLogger"})


class DataParallel:
    """Data parallelism over every rank of the MPI job (Keras 3's `keras.distribution.DataParallel`).

        >>> keras.distribution.set_distribution(keras.distribution.DataParallel())   # doctest: +SKIP
    """

    def __init__(self, device_mesh=None, devices=None, auto_shard_dataset=True):
        if device_mesh is not None:
            raise ArgumentError("DataParallel: device_mesh is not supported; ember's data parallelism is one "
                                "process per rank (give devices=None)")
        if auto_shard_dataset is not True:
            raise ArgumentError("DataParallel: auto_shard_dataset=False is not supported; each rank takes its "
                                "slice of every global batch")
        if not dist.is_initialized():
            dist.init_process_group("mpi")
        self.rank, self.size = dist.get_rank(), dist.get_world_size()
        every = [f"cpu:{r}" for r in range(self.size)]
        if devices is not None and list(devices) != every:
            raise ArgumentError(f"DataParallel: devices={devices!r}; ember uses every rank of the job: {every}")
        self.devices, self.reducer, self.buffers = every, None, []

    # -- callbacks ------------------------------------------------------------------------------
    def callbacks_for_rank(self, verbose, callbacks):
        """(verbose, callbacks) for this rank: all of them on rank 0, none that print or write elsewhere."""
        callbacks = list(callbacks or [])
        if self.rank == 0:
            return verbose, callbacks
        keep = [c for c in callbacks if not any(k.__name__ in CHIEF_ONLY for k in type(c).__mro__)]
        return 0, keep

    def any_rank(self, flag):
        """True on every rank when `flag` is true on any (so every rank stops after the same epoch)."""
        box = from_numpy(np.array([1 if flag else 0], np.int64))
        dist.all_reduce(box, op=dist.ReduceOp.MAX)
        return bool(box._data[0])

    # -- state ------------------------------------------------------------------------------------
    def begin_fit(self, model, start_epoch):
        """Copy rank 0's training state to every rank and switch the gradient reduction on; returns the
        epoch to start at (rank 0's, which `BackupAndRestore` may have moved)."""
        for t in model.state_dict(keep_vars=True).values():
            dist.broadcast(t.detach(), src=0)
        step_optimizer = model._step_optimizer
        state = [start_epoch, _pack(step_optimizer.state_dict()), getattr(model.optimizer, "iterations", None),
                 get_rng_state()]
        dist.broadcast_object_list(state, src=0)
        start_epoch, optimizer_state, iterations, rng = state
        if self.rank != 0:
            step_optimizer.load_state_dict(_unpack(optimizer_state))
            if iterations is not None:
                model.optimizer.iterations = iterations
            set_rng_state(rng)
        if self.reducer is not None:
            self.reducer.remove()
        self.reducer = Reducer([p for p in model.parameters() if p.requires_grad], self.size)
        self.buffers = [b for b in model.buffers() if b.is_floating_point()]
        return start_epoch

    def end_fit(self):
        self._average_buffers()  # the last step's statistics too
        if self.reducer is not None:
            self.reducer.remove()
            self.reducer = None

    # -- batches ----------------------------------------------------------------------------------
    def batches(self, adapter):
        """This rank's slice of each batch of `adapter` (with rank 0's random state, so every rank
        shuffles alike), as (x, y, sample_weight, (rank's rows, global rows))."""
        state = [get_rng_state()]
        dist.broadcast_object_list(state, src=0)
        set_rng_state(state[0])
        for x, y, sw in adapter.batches():
            total = flatten(x)[0].shape[0]
            if total < self.size:
                raise ArgumentError(f"fit: a batch of {total} samples cannot be split over {self.size} ranks; use "
                                    f"a batch_size (and a number of samples per epoch) of at least {self.size} per "
                                    "batch")
            bounds = np.linspace(0, total, self.size + 1).round().astype(int)
            lo, hi = int(bounds[self.rank]), int(bounds[self.rank + 1])
            part = map_structure(lambda a: None if a is None else a[lo:hi], (x, y, sw))
            if self.reducer is not None:
                self.reducer.scale = (hi - lo) / total  # the sum over ranks is then the global batch's mean
            self._average_buffers()
            yield part + ((hi - lo, total),)

    def _average_buffers(self):
        """Running statistics (BatchNormalization's moving mean and variance) averaged over the ranks before
        each step, so that every rank holds the same model; the mean is then the one of the global batch."""
        for b in self.buffers:
            dist.all_reduce(b.detach(), op=dist.ReduceOp.AVG)

    def global_batch(self, args, preds, total, terms, rows):
        """Every rank's (y, sample_weight, predictions) gathered in rank order, and the loss terms as means
        over the global batch: what a single process would have seen for the whole batch."""
        local, count = rows
        mine = (_arrays(args[1]), _arrays(args[2]), [p.detach().numpy() for p in preds],
                [float(total.item()) * local] + [float(t.item()) * local for t in terms])
        everyone = [None] * self.size
        dist.all_gather_object(everyone, mine)
        y = _concat([e[0] for e in everyone])
        sw = _concat([e[1] for e in everyone])
        preds = [from_numpy(np.concatenate([e[2][i] for e in everyone])) for i in range(len(preds))]
        sums = np.sum([e[3] for e in everyone], axis=0) / count
        total = from_numpy(np.asarray(sums[0]))
        terms = [from_numpy(np.asarray(s)) for s in sums[1:]]
        return (args[0], y, sw), preds, total, terms, count


class _Packed:
    """A tensor's values on their way to another rank (tensors themselves are never pickled)."""

    def __init__(self, array):
        self.array = array


def _pack(obj):
    if isinstance(obj, Tensor):
        return _Packed(obj.detach().numpy())
    if isinstance(obj, dict):
        return {k: _pack(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_pack(v) for v in obj)
    return obj


def _unpack(obj):
    if isinstance(obj, _Packed):
        return from_numpy(obj.array)
    if isinstance(obj, dict):
        return {k: _unpack(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_unpack(v) for v in obj)
    return obj


def _arrays(structure):
    return map_structure(lambda t: None if t is None else np.asarray(t.detach().numpy() if hasattr(t, "detach")
                                                                        else t), structure)


def _concat(parts):
    """Leaf-wise concatenation of the same structure from every rank."""
    first = parts[0]
    if first is None:
        return None
    if isinstance(first, dict):
        return {k: _concat([p[k] for p in parts]) for k in first}
    if isinstance(first, (list, tuple)):
        return type(first)(_concat([p[i] for p in parts]) for i in range(len(first)))
    return from_numpy(np.ascontiguousarray(np.concatenate(parts)))
