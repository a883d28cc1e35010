"""Collectives on ember tensors, with PyTorch's names and signatures, over MPI.

A contiguous CPU tensor of a dtype MPI knows is handed to MPI as it is (the buffer interface of its
NumPy array: no copy); float16 and bfloat16 travel as float32, and a non-contiguous tensor through a
contiguous copy that is written back. `async_op=True` starts a non-blocking collective and returns a
`Work` whose `wait()` finishes it.

    >>> t = ember.ones(4) * (dist.get_rank() + 1)
    >>> dist.all_reduce(t, op=dist.ReduceOp.SUM)      # in place: every rank now holds 1 + 2 + ... + N
    >>> work = dist.all_reduce(t, async_op=True)      # overlaps with whatever runs before wait()
    >>> work.wait()
"""
import datetime
import time

import numpy as np

from ember.autograd import Tensor
from ember.errors import ArgumentError, DeviceError, DTypeError, ShapeError
from ember.distributed.group import FAST, WAITING_CODE, DistributedError, _group

__all__ = ["ReduceOp", "Work", "all_reduce", "broadcast", "all_gather", "all_gather_into_tensor", "reduce_scatter",
           "reduce_scatter_tensor", "barrier", "broadcast_object_list", "all_gather_object"]


class ReduceOp:
    """How `all_reduce` and `reduce_scatter` combine the ranks' values (AVG is SUM divided by the size)."""
    SUM, AVG, MAX, MIN, PRODUCT = "sum", "avg", "max", "min", "product"


_MPI_OPS = {ReduceOp.SUM: "SUM", ReduceOp.AVG: "SUM", ReduceOp.MAX: "MAX", ReduceOp.MIN: "MIN",
            ReduceOp.PRODUCT: "PROD"}
_NATIVE = {np.dtype(t) for t in ("float32", "float64", "int8", "int16", "int32", "int64", "uint8")}
_NATIVE_CHARS = "".join(sorted({t.char for t in _NATIVE}))
_WIDENED = {"float16", "bfloat16"}  # MPI has no reductions for them: reduced as float32, rounded back


class Work:
    """A started collective: `wait()` blocks until it is done (and finishes AVG and copies back);
    `is_completed()` asks without blocking."""

    def __init__(self, group, name, request, finish=None):
        self.group, self.name, self.request, self.finish = group, name, request, finish
        self.done = False

    def is_completed(self):
        if not self.done and self.request.Test():
            self._complete()
        return self.done

    def wait(self, timeout=None):
        """Wait for the collective (the group's timeout still ends the job if it never finishes). With
        `timeout` (seconds or a timedelta), raise `DistributedError` if it is not done by then."""
        if self.done:
            return True
        if timeout is None:
            _waited(self.group, self.name, self.request.Wait)
        else:
            seconds = timeout.total_seconds() if isinstance(timeout, datetime.timedelta) else float(timeout)
            deadline, pause = time.monotonic() + seconds, 1e-5
            while not self.request.Test():
                if time.monotonic() > deadline:
                    raise DistributedError(f"Work.wait: {self.name} did not finish within {seconds:g} s on rank "
                                           f"{self.group.rank}")
                time.sleep(pause)
                pause = min(pause * 2, 1e-2)
        self._complete()
        return True

    def _complete(self):
        self.done = True
        if self.finish is not None:
            self.finish()


def _waited(group, name, call, *args):
    """Run a blocking MPI call (the watchdog reads `name` from this frame)."""
    return call(*args)


def _check_tensor(op, tensor, what="tensor"):
    if not isinstance(tensor, Tensor):
        raise ArgumentError(f"{op}: {what} must be an ember Tensor, got {type(tensor).__name__}")
    if tensor.device.type != "cpu":
        raise DeviceError(f"{op}: {what} is on {tensor.device}; the MPI backend reduces CPU tensors: move it with "
                          ".cpu() (and back with .to(device))")
    name = tensor._data.dtype.name
    if tensor._data.dtype not in _NATIVE and name not in _WIDENED:
        raise DTypeError(f"{op}: {what} has dtype {tensor.dtype}, which MPI cannot reduce; use a float or integer "
                         "dtype")


def _check_op(op_name, op):
    if op not in _MPI_OPS:
        raise ArgumentError(f"{op_name}: op must be a ReduceOp (SUM, AVG, MAX, MIN, PRODUCT), got {op!r}")


class _Buffer:
    """The array MPI reads and writes for `tensor`: its own when it can be (contiguous, native dtype),
    else a contiguous (float32 for float16/bfloat16) copy that `write_back()` returns into the tensor."""

    def __init__(self, tensor):
        self.tensor = tensor
        data = tensor._data
        self.own = data.dtype in _NATIVE and data.flags.c_contiguous
        self.array = data if self.own else np.ascontiguousarray(
            data, dtype=np.float32 if data.dtype.name in _WIDENED else data.dtype)

    def write_back(self):
        if not self.own:
            np.copyto(self.tensor._data, self.array.astype(self.tensor._data.dtype, copy=False))


def _finisher(*steps):
    def finish():
        for step in steps:
            if step is not None:
                step()
    return finish


def _average(array, size):
    def divide():
        if array.dtype.kind == "f":
            np.divide(array, size, out=array)
        else:
            np.floor_divide(array, size, out=array)
    return divide


def _run(group, name, blocking, nonblocking, args, finish, async_op):
    if async_op:
        return Work(group, name, nonblocking(*args), finish)
    _waited(group, name, blocking, *args)
    finish()
    return None


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Combine `tensor` across ranks with `op`, in place on every rank. With `async_op=True` returns a
    `Work` (the tensor holds the result after `wait()`)."""
    # The common case with the least Python (it is timed against raw mpi4py): a blocking call on the
    # array last found fit (a tensor's contiguous CPU array of a dtype MPI reduces; an array's dtype and
    # layout do not change). Anything else, or any error here, takes the checked path below.
    try:
        if tensor._data is FAST.fit and group is None and not async_op:
            FAST.allreduce(FAST.in_place, FAST.fit, FAST.ops[op])
            return None
    except (AttributeError, KeyError, TypeError):
        pass
    g = _group("all_reduce", group)
    data = tensor._data if isinstance(tensor, Tensor) else None
    if (type(data) is np.ndarray and data.dtype.char in _NATIVE_CHARS and data.flags.c_contiguous
            and type(op) is str and op in g.ops):
        FAST.fit = data
        if not async_op:
            FAST.allreduce(FAST.in_place, data, g.ops[op])
            return None
    _check_op("all_reduce", op)
    _check_tensor("all_reduce", tensor)
    buf = _Buffer(tensor)
    mpi_op = getattr(g.MPI, _MPI_OPS[op])
    finish = _finisher(_average(buf.array, g.size) if op == ReduceOp.AVG else None, buf.write_back)
    return _run(g, "all_reduce", g.comm.Allreduce, g.comm.Iallreduce, (g.MPI.IN_PLACE, buf.array, mpi_op), finish,
                async_op)


def broadcast(tensor, src=0, group=None, async_op=False):
    """Copy rank `src`'s `tensor` into `tensor` on every rank."""
    g = _group("broadcast", group)
    _check_rank("broadcast", "src", src, g)
    _check_tensor("broadcast", tensor)
    buf = _Buffer(tensor)
    return _run(g, "broadcast", g.comm.Bcast, g.comm.Ibcast, (buf.array, src), buf.write_back, async_op)


def _check_rank(op, what, rank, g):
    if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or not 0 <= rank < g.size:
        raise ArgumentError(f"{op}: {what}={rank!r} is not a rank of this job (0 .. {g.size - 1})")


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Every rank's `input_tensor`, stacked along the first dimension in rank order, into `output_tensor`
    (shape (world_size * n, ...) for an input of shape (n, ...))."""
    g = _group("all_gather_into_tensor", group)
    _check_tensor("all_gather_into_tensor", input_tensor, "input_tensor")
    _check_tensor("all_gather_into_tensor", output_tensor, "output_tensor")
    _check_stacked("all_gather_into_tensor", output_tensor, input_tensor, g.size)
    src, out = _Buffer(input_tensor), _Buffer(output_tensor)
    return _run(g, "all_gather", g.comm.Allgather, g.comm.Iallgather, (src.array, out.array), out.write_back,
                async_op)


def _check_stacked(op, big, small, size):
    want = (small.shape[0] * size,) + tuple(small.shape[1:]) if small.ndim else (size,)
    if tuple(big.shape) != want or big.dtype != small.dtype:
        raise ShapeError(f"{op}: with {size} ranks and a per-rank tensor of shape {tuple(small.shape)} "
                         f"({small.dtype}) the whole tensor must have shape {want} and that dtype, got "
                         f"{tuple(big.shape)} ({big.dtype})")


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """Rank i's `tensor` into `tensor_list[i]` on every rank (a list of world_size tensors of its shape)."""
    g = _group("all_gather", group)
    _check_tensor("all_gather", tensor)
    _check_list("all_gather", "tensor_list", tensor_list, tensor, g.size)
    stacked = Tensor(np.empty((g.size,) + tuple(tensor._data.shape), tensor._data.dtype))
    flat = Tensor(tensor._data.reshape((1,) + tuple(tensor._data.shape)))
    work = all_gather_into_tensor(stacked, flat, async_op=True)

    def scatter():
        for i, t in enumerate(tensor_list):
            np.copyto(t._data, stacked._data[i])
    work.finish = _finisher(work.finish, scatter)
    return work if async_op else work.wait() and None


def _check_list(op, what, tensors, like, size):
    if not isinstance(tensors, (list, tuple)) or len(tensors) != size:
        length = len(tensors) if hasattr(tensors, "__len__") else "?"
        raise ArgumentError(f"{op}: {what} must be a list of {size} tensors (one per rank), got "
                            f"{type(tensors).__name__} of length {length}")
    for i, t in enumerate(tensors):
        _check_tensor(op, t, f"{what}[{i}]")
        if tuple(t.shape) != tuple(like.shape) or t.dtype != like.dtype:
            raise ShapeError(f"{op}: {what}[{i}] has shape {tuple(t.shape)} ({t.dtype}); every entry must match "
                             f"{tuple(like.shape)} ({like.dtype})")


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """Combine `input` (shape (world_size * n, ...)) across ranks with `op`; rank i keeps rows
    i*n .. (i+1)*n - 1 of the result in `output` (shape (n, ...))."""
    g = _group("reduce_scatter_tensor", group)
    _check_op("reduce_scatter_tensor", op)
    _check_tensor("reduce_scatter_tensor", input, "input")
    _check_tensor("reduce_scatter_tensor", output, "output")
    _check_stacked("reduce_scatter_tensor", input, output, g.size)
    src, out = _Buffer(input), _Buffer(output)
    finish = _finisher(_average(out.array, g.size) if op == ReduceOp.AVG else None, out.write_back)
    return _run(g, "reduce_scatter", g.comm.Reduce_scatter_block, g.comm.Ireduce_scatter_block,
                (src.array, out.array, getattr(g.MPI, _MPI_OPS[op])), finish, async_op)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """Combine `input_list[i]` across ranks with `op` into `output` on rank i."""
    g = _group("reduce_scatter", group)
    _check_tensor("reduce_scatter", output, "output")
    _check_list("reduce_scatter", "input_list", input_list, output, g.size)
    stacked = Tensor(np.stack([t._data for t in input_list]))
    flat = Tensor(output._data.reshape((1,) + tuple(output._data.shape))) if output._data.flags.c_contiguous \
        else Tensor(np.empty((1,) + tuple(output.shape), output._data.dtype))
    work = reduce_scatter_tensor(flat, stacked, op, async_op=True)
    if flat._data.base is not output._data and flat._data is not output._data:
        work.finish = _finisher(work.finish, lambda: np.copyto(output._data, flat._data[0]))
    return work if async_op else work.wait() and None


def barrier(group=None, async_op=False):
    """Wait until every rank has reached this call."""
    g = _group("barrier", group)
    if async_op:
        return Work(g, "barrier", g.comm.Ibarrier())
    _waited(g, "barrier", g.comm.Barrier)


def broadcast_object_list(object_list, src=0, group=None):
    """Replace the entries of `object_list` on every rank with rank `src`'s (pickled between the job's own
    processes; never use it on data from elsewhere)."""
    g = _group("broadcast_object_list", group)
    _check_rank("broadcast_object_list", "src", src, g)
    objects = _waited(g, "broadcast_object_list", g.comm.bcast, list(object_list) if g.rank == src else None, src)
    object_list[:] = objects


def all_gather_object(object_list, obj, group=None):
    """Every rank's `obj` into `object_list` (length world_size), in rank order."""
    g = _group("all_gather_object", group)
    if not isinstance(object_list, list) or len(object_list) != g.size:
        raise ArgumentError(f"all_gather_object: object_list must be a list of length {g.size} (the world size)")
    object_list[:] = _waited(g, "all_gather_object", g.comm.allgather, obj)


# what the watchdog looks for in a waiting thread's innermost frame (see group._Group._watch)
WAITING_CODE.update({all_reduce.__code__: "all_reduce", _waited.__code__: None})
