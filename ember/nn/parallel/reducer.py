"""The gradient reducer behind DistributedDataParallel (and Keras's `DataParallel`): parameters in
buckets of about `bucket_cap_mb`, each bucket all-reduced with a non-blocking MPI collective as soon
as backward has produced every gradient in it, so communication overlaps the rest of backward.

Buckets take parameters in reverse registration order (the order backward usually produces their
gradients). Each parameter's post-accumulate-grad hook copies its gradient into the bucket's flat
buffer; the bucket's last gradient starts its `Iallreduce`; the last bucket waits for all of them and
writes the sums back into `.grad` (each gradient is multiplied by `scale` before the sum, as PyTorch
divides by the world size before its all-reduce). Inside `ember.compile` tracing, each gradient is instead
reduced by the `AllReduce` primitive, so the compiled step holds the collective; the scale is then read
from a 0-d float64 array (a captured array: the compiled step reads its current contents), so a scale
set per step (Keras's uneven slices of a global batch) reaches the compiled step too.
"""
import numpy as np

from ember.autograd import grad_mode
from ember.distributed import AllReduce, DistributedError, all_reduce
from ember.distributed.collectives import ReduceOp
from ember.ops.creation import from_numpy

__all__ = ["Reducer"]


class _Bucket:
    def __init__(self, params):
        self.params = params
        dtype = params[0]._data.dtype
        self.offsets = np.cumsum([0] + [p._data.size for p in params])
        self.flat = np.zeros(int(self.offsets[-1]), dtype)
        self.ready, self.work = 0, None

    def view(self, i):
        return self.flat[self.offsets[i]:self.offsets[i + 1]].reshape(self.params[i]._data.shape)


class Reducer:
    """Sum `scale` x the gradients of `params` across ranks (1 / world size: the average; the caller may
    set another scale per step, such as a rank's share of an unevenly split batch), bucket by bucket
    during backward.
    `overlap=False` starts every bucket only after the whole backward (for measuring the overlap)."""

    def __init__(self, params, world_size, bucket_cap_mb=25, overlap=True):
        self.params = [p for p in params if p.requires_grad]
        self._scale = from_numpy(np.array(1.0 / world_size))
        self.overlap, self.enabled = overlap, True
        self.buckets, self.where = self._build(bucket_cap_mb), {}
        for b, bucket in enumerate(self.buckets):
            for i, p in enumerate(bucket.params):
                self.where[id(p)] = (b, i)
        self.launched = 0
        self.handles = [p.register_post_accumulate_grad_hook(self._ready) for p in self.params]

    def _build(self, cap_mb):
        cap = max(1, int(cap_mb * 2 ** 20))
        buckets, current, size = [], [], 0
        for p in reversed(self.params):
            nbytes = p._data.nbytes
            if current and (size + nbytes > cap or p._data.dtype != current[0]._data.dtype):
                buckets.append(_Bucket(current))
                current, size = [], 0
            current.append(p)
            size += nbytes
        if current:
            buckets.append(_Bucket(current))
        return buckets

    @property
    def scale(self):
        return float(self._scale._data)

    @scale.setter
    def scale(self, value):
        self._scale._data[...] = value  # in place: compiled steps hold this array

    def remove(self):
        for h in self.handles:
            h.remove()

    def check_finished(self, op):
        """Raise if the last backward left buckets unreduced (a parameter got no gradient)."""
        if self.launched or any(b.ready for b in self.buckets):
            missing = [i for i, p in enumerate(self.params) if p.grad is None]
            self._reset()
            raise DistributedError(f"{op}: the previous backward produced no gradient for {len(missing)} "
                                   f"parameter(s) (indices {missing[:8]} in parameters() order), so their "
                                   "buckets were never reduced; every parameter must take part in the loss")

    def _reset(self):
        for bucket in self.buckets:
            bucket.ready, bucket.work = 0, None
        self.launched = 0

    def _ready(self, p):
        if not self.enabled:
            return
        if grad_mode._state.tracer is not None:  # compiled step: the collective goes into the graph
            if p.grad is not None:
                p.grad = AllReduce.apply(p.grad * self._scale, op="sum")
            return
        b, i = self.where[id(p)]
        bucket = self.buckets[b]
        view = bucket.view(i)
        if p.grad is None:
            view.fill(0)
        else:  # scaled before the sum: with uneven slices each rank weighs its own mean by its rows
            np.multiply(p.grad._data, view.dtype.type(self.scale), out=view)
        bucket.ready += 1
        if bucket.ready == len(bucket.params):
            self.launched += 1
            if self.overlap:
                bucket.work = all_reduce(from_numpy(bucket.flat), ReduceOp.SUM, async_op=True)
        self._progress()
        if self.launched == len(self.buckets):
            self._finish()

    def _progress(self):
        """Let MPI move the started collectives along (Open MPI progresses them inside MPI calls)."""
        for bucket in self.buckets:
            if bucket.work is not None:
                bucket.work.is_completed()

    def _finish(self):
        for bucket in self.buckets:
            if bucket.work is None:
                bucket.work = all_reduce(from_numpy(bucket.flat), ReduceOp.SUM, async_op=True)
        for bucket in self.buckets:
            bucket.work.wait()
            for i, p in enumerate(bucket.params):
                if p.grad is None:
                    p.grad = from_numpy(np.zeros_like(p._data))
                np.copyto(p.grad._data, bucket.view(i))
        self._reset()

