"""A memory-mapped dataset twice the size of a memory cap streams through a DataLoader.

The file is 256 MB; the cap on the process's own (anonymous) memory is 128 MB.
File pages that a memory map reads sit in the page cache, which the kernel
evicts under pressure, so the cap is checked on RssAnon (what loading the file
with `np.load` would grow by the whole 256 MB), sampled after every batch in
a child process.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROWS, COLS = 65536, 1024  # float32: 256 MiB
CAP_MB = 128

CHILD = """
import sys, numpy as np
from ember.data import ArrayDataset, DataLoader

def anon_mb():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("RssAnon")) / 1024

path, workers, mmap = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
base = anon_mb()
ds = ArrayDataset.from_npy(path, mmap=mmap)
peak, total, rows = 0.0, 0.0, 0
for (x,) in DataLoader(ds, batch_size=512, shuffle=True, num_workers=workers):
    total += float(x.numpy()[:, 0].astype(np.float64).sum())
    rows += x.shape[0]
    peak = max(peak, anon_mb() - base)
print(rows, total, peak)
"""


@pytest.fixture(scope="module")
def big_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("mmap") / "x.npy"
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float32, shape=(ROWS, COLS))
    for start in range(0, ROWS, 8192):
        out[start:start + 8192] = (np.arange(start, start + 8192, dtype=np.float32) % 1000)[:, None]
    out.flush()
    del out
    return path


def stream(path, workers, mmap=True):
    env = dict(os.environ, PYTHONPATH=ROOT)
    res = subprocess.run([sys.executable, "-c", CHILD, str(path), str(workers), "1" if mmap else "0"],
                         capture_output=True, text=True, timeout=300, env=env)
    assert res.returncode == 0, res.stderr
    rows, total, peak = res.stdout.split()
    return int(rows), float(total), float(peak)


@pytest.mark.slow
@pytest.mark.parametrize("workers", [0, 2])
def test_memory_mapped_dataset_streams_within_the_cap(big_file, workers):
    rows, total, peak = stream(big_file, workers)
    assert rows == ROWS
    assert total == float((np.arange(ROWS) % 1000).sum())
    assert peak < CAP_MB, f"RssAnon grew by {peak:.0f} MB while streaming a {ROWS * COLS * 4 >> 20} MB file"


@pytest.mark.slow
def test_loading_the_file_instead_exceeds_the_cap(big_file):
    # The measurement can see the difference: without mmap the whole file lands in anonymous memory.
    _, _, peak = stream(big_file, 0, mmap=False)
    assert peak > CAP_MB
