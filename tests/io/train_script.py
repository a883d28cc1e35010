"""A PyTorch-style training loop with `ember.io.Checkpoint`, resumable after being killed.

    python train_script.py DIRECTORY STEPS RESULT [--slow-disk]

Prints "resume <step>" once restored, then trains to STEPS, saving a checkpoint every step, and
writes the final state dict to RESULT. `--slow-disk` makes every fsync take 20 ms, so a kill at a
random moment often lands inside a save.
"""
import os
import random
import sys
import time

import numpy as np

import ember
import ember.io
from ember import nn

BATCHES_PER_EPOCH = 4


def main(directory, steps, result, slow_disk):
    if slow_disk:
        real_fsync = os.fsync

        def slow_fsync(fd):
            time.sleep(0.02)
            real_fsync(fd)
        os.fsync = slow_fsync
    ember.manual_seed(0)
    np.random.seed(0)
    random.seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 2))
    optimizer = ember.optim.Adam(model.parameters(), lr=1e-2)
    scheduler = ember.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.9)
    ckpt = ember.io.Checkpoint(directory, model=model, optimizer=optimizer, scheduler=scheduler, keep_last=3)
    meta = ckpt.restore_latest()
    step = meta["step"] if meta else 0
    print(f"resume {step}", flush=True)
    while step < steps:
        epoch, position = divmod(step, BATCHES_PER_EPOCH)
        x = ember.tensor(np.random.randn(8, 6).astype(np.float32))  # NumPy's global generator
        y = ember.tensor(np.random.randn(8, 2).astype(np.float32) + random.random())  # and Python's
        optimizer.zero_grad()
        loss = ((model(x) - y) ** 2).mean()  # dropout draws from ember's generator
        loss.backward()
        optimizer.step()
        step += 1
        if position == BATCHES_PER_EPOCH - 1:
            scheduler.step()
        ckpt.save(epoch=epoch, step=step, loader_position=(position + 1) % BATCHES_PER_EPOCH)
    ember.io.save(model.state_dict(), result)
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], "--slow-disk" in sys.argv)
