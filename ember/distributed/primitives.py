"""`AllReduce` as a primitive op, so a compiled graph can hold it: `ember.compile` records it like any
other call and the generated code runs its `forward` (a new array, reduced across ranks) at replay.
DistributedDataParallel uses it for the gradients of a traced (compiled) training step.

    >>> g = AllReduce.apply(ember.ones(3), op="avg")          # doctest: +SKIP  (under mpirun)
"""
import numpy as np

from ember.autograd.function import Function
from ember.distributed.collectives import _MPI_OPS, _average, _check_op, _waited
from ember.distributed.group import _group

__all__ = ["AllReduce"]


class AllReduce(Function):
    """The input combined across ranks with `op` ("sum", "avg", "max", "min", "product"), as a new array.
    Not differentiable: it reduces gradients, it is not part of a model."""
    differentiable = False

    def forward(self, x, op="sum"):
        _check_op("AllReduce", op)
        g = _group("AllReduce")
        out = np.array(x, dtype=np.float32 if x.dtype.name in ("float16", "bfloat16") else x.dtype, order="C")
        _waited(g, "all_reduce", g.comm.Allreduce, g.MPI.IN_PLACE, out, getattr(g.MPI, _MPI_OPS[op]))
        if op == "avg":
            _average(out, g.size)()
        return out.astype(x.dtype, copy=False)
