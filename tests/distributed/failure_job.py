"""A data-parallel job that fails on purpose, for tests/distributed/test_distributed.py:

    ember run -n N failure_job.py kill OUT      # trains until the test SIGKILLs a rank (pids in OUT/pid<r>)
    ember run -n N failure_job.py raise OUT     # the last rank raises after a few steps
    ember run -n N failure_job.py timeout OUT   # rank 1 never joins an all_reduce (EMBER_DIST_TIMEOUT ends it)
    ember run -n N failure_job.py timeout-barrier OUT   # ... nor a barrier

In the timeout modes the ranks first all-reduce small tensors back to back for longer than the timeout:
many short collectives must not read as one long one.
"""
import os
import sys
import time

import ember
import ember.distributed as dist
import ember.nn.functional as F
from ember import nn

mode, out = sys.argv[1], sys.argv[2]
dist.init_process_group("mpi")
rank, size = dist.get_rank(), dist.get_world_size()
with open(os.path.join(out, f"pid{rank}"), "w") as f:
    f.write(str(os.getpid()))
if mode.startswith("timeout"):
    timeout, started, go = float(os.environ["EMBER_DIST_TIMEOUT"]), time.monotonic(), ember.ones(1)
    while go.item():  # rank 0 says when to stop: every rank makes the same number of calls
        go.fill_(float(time.monotonic() - started < 1.5 * timeout))
        dist.all_reduce(go, op=dist.ReduceOp.MIN)
    if rank == 1:
        time.sleep(120)  # never reaches the collective: rank 0's watchdog must end the job
    if mode == "timeout":
        dist.all_reduce(ember.ones(4))
    else:
        dist.barrier()
    sys.exit(0)
model = nn.parallel.DistributedDataParallel(nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2)))
opt = ember.optim.SGD(model.parameters(), lr=0.01)
step = 0
while True:
    opt.zero_grad()
    F.cross_entropy(model(ember.randn(8, 16)), ember.randint(0, 2, (8,))).backward()
    opt.step()
    step += 1
    if mode == "raise" and rank == size - 1 and step == 3:
        raise ValueError("a deliberate failure in the training step")
    time.sleep(0.01)
