"""`ember.nn.parallel`: `DistributedDataParallel` over `ember.distributed` (MPI).

    >>> ddp = ember.nn.parallel.DistributedDataParallel(model, bucket_cap_mb=25)    # doctest: +SKIP
"""
from ember.nn.parallel.distributed import DistributedDataParallel
from ember.nn.parallel.reducer import Reducer

__all__ = ["DistributedDataParallel", "Reducer"]
