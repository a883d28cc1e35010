"""`DistributedDataParallel`: PyTorch's DDP over `ember.distributed` (MPI).

    >>> dist.init_process_group("mpi")                                     # doctest: +SKIP
    >>> model = nn.parallel.DistributedDataParallel(net)                   # rank 0's weights everywhere
    >>> loss_fn(model(x_shard), y_shard).backward()                        # gradients averaged over ranks
    >>> optimizer.step()                                                   # same update on every rank
"""
import contextlib

from ember.autograd import grad_mode
from ember.distributed import broadcast, get_world_size
from ember.errors import ArgumentError
from ember.nn.module import Module
from ember.nn.parallel.reducer import Reducer

__all__ = ["DistributedDataParallel"]

# PyTorch arguments ember takes only at these values (CPU tensors, one process per rank, every
# parameter used in each step).
_FIXED = {"device_ids": None, "output_device": None, "dim": 0, "process_group": None,
          "find_unused_parameters": False, "check_reduction": False, "gradient_as_bucket_view": False,
          "static_graph": False}


class DistributedDataParallel(Module):
    """Data parallelism across the ranks of the process group.

    At construction rank 0's parameters and buffers are copied to every rank. In backward each gradient
    goes into a bucket of about `bucket_cap_mb` MB; a full bucket starts a non-blocking all-reduce while
    backward continues, and when backward ends every `.grad` holds the average over the ranks (so the
    optimizer takes the same step everywhere). With `broadcast_buffers` (PyTorch's default) rank 0's
    buffers (BatchNorm running statistics) are copied to every rank before each forward, so every rank
    must call it (code that runs on one rank only calls `ddp.module`).
    `no_sync()` skips the reduction, for gradient accumulation. `overlap=False` (ember's own) starts the
    all-reduces only after backward, to measure what overlap gains. Under `ember.compile` each gradient
    is all-reduced by a primitive recorded in the compiled step.
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 process_group=None, bucket_cap_mb=25, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, *, overlap=True):
        super().__init__()
        given = dict(device_ids=device_ids, output_device=output_device, dim=dim, process_group=process_group,
                     find_unused_parameters=find_unused_parameters, check_reduction=check_reduction,
                     gradient_as_bucket_view=gradient_as_bucket_view, static_graph=static_graph)
        for name, value in given.items():
            if value != _FIXED[name]:
                raise ArgumentError(f"DistributedDataParallel: {name}={value!r} is not supported (ember runs one CPU "
                                    f"process per rank with the default group); leave it at {_FIXED[name]!r}")
        if not isinstance(module, Module):
            raise ArgumentError(f"DistributedDataParallel: module must be an ember.nn.Module, got "
                                f"{type(module).__name__}")
        if isinstance(bucket_cap_mb, bool) or not isinstance(bucket_cap_mb, (int, float)) or bucket_cap_mb <= 0:
            raise ArgumentError(f"DistributedDataParallel: bucket_cap_mb must be a positive number, got "
                                f"{bucket_cap_mb!r}")
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.require_backward_grad_sync = True
        for t in list(module.parameters()) + list(module.buffers()):
            broadcast(t.detach(), src=0)
        self.reducer = Reducer(module.parameters(), get_world_size(), bucket_cap_mb, overlap)

    def forward(self, *args, **kwargs):
        tracing = grad_mode._state.tracer is not None
        if not tracing:
            self.reducer.check_finished("DistributedDataParallel.forward")
        if self.broadcast_buffers and not tracing:  # every forward, as PyTorch (run rank-0-only code on .module)
            for b in self.module.buffers():
                broadcast(b.detach(), src=0)
        self.reducer.enabled = self.require_backward_grad_sync and grad_mode.is_grad_enabled()
        return self.module(*args, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Inside, backward only accumulates local gradients; the first backward after it averages them all.

            >>> with ddp.no_sync():                                         # doctest: +SKIP
            ...     loss_fn(ddp(x1), y1).backward()
            >>> loss_fn(ddp(x2), y2).backward()                             # doctest: +SKIP
        """
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous
