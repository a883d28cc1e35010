"""The process group: one MPI job (`MPI.COMM_WORLD`), its rank and size, and the watchdog that ends
the job when a collective waits longer than the timeout.

`mpi4py` is imported when a group is made, not when `ember` is imported: importing `mpi4py.MPI`
initializes MPI, which a single-process user should not pay for (or need installed).

    >>> import ember.distributed as dist
    >>> dist.init_process_group(backend="mpi")          # under `mpirun -n 4` or `ember run -n 4`
    >>> dist.get_rank(), dist.get_world_size()           # doctest: +SKIP
    (0, 4)
"""
import datetime
import os
import sys
import threading
import time
import traceback

from ember.errors import ArgumentError, EmberError

__all__ = ["DistributedError", "init_process_group", "destroy_process_group", "is_initialized", "is_available",
           "get_rank", "get_world_size", "get_backend", "DEFAULT_TIMEOUT", "GroupMember"]

DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)  # PyTorch's default for CPU backends
BACKENDS = ("mpi",)


class DistributedError(EmberError, RuntimeError):
    """A process group used before `init_process_group`, or a collective given what it cannot run."""


class GroupMember:
    """`GroupMember.WORLD`: the default group (the only one ember has: every rank of the job)."""
    WORLD = "world"


class _Group:
    """The initialized group: the communicator, and the collective each rank is waiting in (if any)."""

    def __init__(self, comm, mpi, timeout):
        self.comm, self.MPI, self.timeout = comm, mpi, timeout
        self.rank, self.size = comm.Get_rank(), comm.Get_size()
        # ReduceOp value -> MPI op, where MPI has the op (AVG is a SUM, then a division)
        self.ops = {"sum": mpi.SUM, "max": mpi.MAX, "min": mpi.MIN, "product": mpi.PROD}
        self.stop = threading.Event()
        self.watchdog = threading.Thread(target=self._watch, name="ember-distributed-watchdog", daemon=True)
        self.watchdog.start()

    def _watch(self):
        """End the whole job (non-zero exit, naming the rank and the collective) when one rank has waited
        in one collective past the timeout: the other ranks are gone or stuck, and waiting longer cannot
        help. The wait is timed from when this thread first saw that collective (one check interval late
        at most).

        The collectives write nothing for it (a write per call is measurable on a 1 KB all-reduce): it
        looks at each thread's innermost Python frame, which during a blocking MPI call is the frame of
        the ember function that made it (registered in `WAITING_CODE`). It holds the frame it saw, so a
        later call's frame can never be the same object: the same frame at two looks is one call."""
        watched = {}  # thread id -> (the frame it waits in, when that was first seen)
        while not self.stop.wait(min(1.0, self.timeout / 4)):
            now, current = time.monotonic(), {}
            for tid, frame in sys._current_frames().items():
                if frame.f_code in WAITING_CODE:
                    old = watched.get(tid)
                    current[tid] = old if old is not None and old[0] is frame else (frame, now)
            watched = current
            for frame, since in watched.values():
                if now - since > self.timeout:
                    name = WAITING_CODE[frame.f_code] or frame.f_locals.get("name", "a collective")
                    sys.stderr.write(f"ember.distributed: rank {self.rank} of {self.size} waited {self.timeout:g} s "
                                     f"in {name} (the timeout of init_process_group): ending the job\n")
                    sys.stderr.flush()
                    os._exit(1)


# The code of the functions that make blocking MPI calls -> the collective's name (None: the function's
# local `name` says it). Filled by `ember.distributed.collectives`.
WAITING_CODE = {}

_state = {"group": None}


class _FastPath:
    """What the blocking `all_reduce` fast path reads, on one module-level object (one global lookup: it is
    timed against raw mpi4py): the bound `Allreduce`, `MPI.IN_PLACE`, the group's ops, and `fit`, the
    array last found fit for it (a contiguous CPU array of a dtype MPI reduces; None without a group)."""
    allreduce = in_place = ops = fit = None


FAST = _FastPath()


def _timeout_seconds(timeout):
    if timeout is None:
        env = os.environ.get("EMBER_DIST_TIMEOUT")
        return float(env) if env else DEFAULT_TIMEOUT.total_seconds()
    if isinstance(timeout, datetime.timedelta):
        timeout = timeout.total_seconds()
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ArgumentError(f"init_process_group: timeout must be a positive datetime.timedelta or number of "
                            f"seconds, got {timeout!r}")
    return float(timeout)


def _check_env(world_size, rank, init_method):
    """`world_size`/`rank` given (or, with init_method="env://", the WORLD_SIZE/RANK variables) must be
    what MPI says: a mismatch means the script was launched differently from how it thinks."""
    if init_method not in (None, "env://"):
        raise ArgumentError(f"init_process_group: init_method {init_method!r} is not supported; the MPI backend "
                            "takes rank and size from the launcher (mpirun, ember run), or init_method='env://'")
    if init_method == "env://":
        world_size = int(os.environ.get("WORLD_SIZE", world_size))
        rank = int(os.environ.get("RANK", rank))
    return world_size, rank


def is_available():
    """True when `mpi4py` can be imported (the `distributed` extra)."""
    try:
        import mpi4py  # noqa: F401  (a third-party package: imported only when asked for)
    except ImportError:
        return False
    return True


def init_process_group(backend="mpi", init_method=None, timeout=None, world_size=-1, rank=-1):
    """Join the job's process group. Rank and size come from MPI (`mpirun -n N python script.py`);
    `world_size`/`rank` (or `init_method="env://"` with WORLD_SIZE/RANK) are checked against them.
    A collective that waits longer than `timeout` (default 30 min, or EMBER_DIST_TIMEOUT seconds) ends
    the job. Sets RANK, WORLD_SIZE and LOCAL_RANK for code that reads them (`DistributedSampler`).

        >>> dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=60))   # doctest: +SKIP
    """
    if backend not in BACKENDS:
        raise ArgumentError(f"init_process_group: backend {backend!r} is not supported; ember runs on MPI: "
                            "backend='mpi'")
    if _state["group"] is not None:
        raise DistributedError("init_process_group: the default process group is already initialized; call "
                               "destroy_process_group() first")
    seconds = _timeout_seconds(timeout)
    world_size, rank = _check_env(world_size, rank, init_method)
    if not is_available():
        raise DistributedError("init_process_group: mpi4py is not installed; pip install 'ember[distributed]'")
    from mpi4py import MPI  # initializes MPI: only here, never at `import ember`
    group = _Group(MPI.COMM_WORLD, MPI, seconds)
    for name, given, actual in (("world_size", world_size, group.size), ("rank", rank, group.rank)):
        if given not in (-1, None) and int(given) != actual:
            group.stop.set()
            raise ArgumentError(f"init_process_group: {name}={given} but MPI started this process as {name} "
                                f"{actual}; launch with `mpirun -n N` / `ember run -n N` and leave {name} unset")
    _state["group"] = group
    FAST.allreduce, FAST.in_place, FAST.ops, FAST.fit = group.comm.Allreduce, MPI.IN_PLACE, group.ops, None
    local = os.environ.get("OMPI_COMM_WORLD_LOCAL_RANK", str(group.rank))
    os.environ.update({"RANK": str(group.rank), "WORLD_SIZE": str(group.size), "LOCAL_RANK": local})
    _install_excepthook(group)


def _install_excepthook(group):
    """A rank that raises ends the whole job (MPI_Abort) after printing its traceback with its rank: without
    this the other ranks would wait in their next collective until the timeout."""
    previous = sys.excepthook

    def hook(kind, value, tb):
        if _state["group"] is not group or group.size == 1:
            return previous(kind, value, tb)
        text = "".join(traceback.format_exception(kind, value, tb))
        sys.stderr.write(f"ember.distributed: rank {group.rank} of {group.size} raised; ending the job\n{text}")
        sys.stderr.flush()
        group.comm.Abort(1)
    sys.excepthook = hook


def destroy_process_group(group=None):
    """Leave the process group (MPI itself is finalized when the process exits)."""
    g = _group("destroy_process_group", group)
    g.stop.set()
    _state["group"] = None
    FAST.fit = None


def is_initialized():
    return _state["group"] is not None


def _group(op, group=None):
    """The initialized default group; `group` may only name it (ember has no sub-groups)."""
    if group not in (None, GroupMember.WORLD):
        raise ArgumentError(f"{op}: group={group!r}: ember has only the default group (group=None)")
    g = _state["group"]
    if g is None:
        raise DistributedError(f"{op}: the default process group is not initialized; call "
                               "ember.distributed.init_process_group(backend='mpi') first")
    return g


def get_rank(group=None):
    """This process's rank in the job (0 .. world size - 1)."""
    return _group("get_rank", group).rank


def get_world_size(group=None):
    """The number of processes in the job."""
    return _group("get_world_size", group).size


def get_backend(group=None):
    _group("get_backend", group)
    return "mpi"
