"""Keras 3's `keras.distribution` for ember: `DataParallel` over the ranks of an MPI job.

The same `model.fit` script trains data-parallel when it sets a `DataParallel` distribution and is
launched with `mpirun -n N` (or `ember run -n N`): `batch_size` is the global batch, each rank runs
its slice of every batch, gradients are summed across ranks during backward (weighted by the share of
the batch each rank ran), and the loss and metrics are those of the whole global batch, so a run on N
ranks follows a single-process run of the same script up to float rounding. Only rank 0 prints
progress and runs the callbacks that write files (checkpoints, backups, CSV and TensorBoard logs);
`BackupAndRestore` restores on rank 0 and the restored state is copied to every rank.

    >>> from ember import keras
    >>> keras.distribution.set_distribution(keras.distribution.DataParallel())   # doctest: +SKIP
    >>> model.fit(x, y, batch_size=64, epochs=3)                                  # doctest: +SKIP
"""
from ember import distributed as dist
from ember.errors import ArgumentError
from ember.keras.distribution.data_parallel import DataParallel

__all__ = ["DataParallel", "set_distribution", "distribution", "list_devices", "initialize"]

_state = {"distribution": None}


def initialize(job_addresses=None, num_processes=None, process_id=None):
    """Join the MPI job (Keras's multi-process setup; the launcher gives ranks and size, which
    `num_processes`/`process_id` are checked against)."""
    if job_addresses is not None:
        raise ArgumentError("keras.distribution.initialize: job_addresses is not used by ember; the MPI launcher "
                            "(mpirun / ember run, with --hostfile) places the processes")
    if not dist.is_initialized():
        dist.init_process_group("mpi", world_size=num_processes if num_processes is not None else -1,
                                rank=process_id if process_id is not None else -1)


def list_devices(device_type=None):
    """The devices of the job: one CPU per rank ("cpu:0" .. "cpu:N-1")."""
    if device_type not in (None, "cpu", "CPU"):
        raise ArgumentError(f"keras.distribution.list_devices: device_type {device_type!r} is not available; "
                            "ember's data parallelism runs one CPU process per rank")
    initialize()
    return [f"cpu:{r}" for r in range(dist.get_world_size())]


def set_distribution(value):
    """Make `value` (a `DataParallel`, or None for single-process) the distribution `fit` uses."""
    if value is not None and not isinstance(value, DataParallel):
        raise ArgumentError(f"keras.distribution.set_distribution: expected a DataParallel or None, got "
                            f"{type(value).__name__}")
    _state["distribution"] = value


def distribution():
    """The distribution set by `set_distribution` (None when none is)."""
    return _state["distribution"]
