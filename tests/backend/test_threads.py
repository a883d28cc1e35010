"""`set_num_threads`/`get_num_threads` size NumPy's BLAS pool, as torch's size its own; run in a child
process so the limit does not reach the other tests."""
import subprocess
import sys

import pytest

import ember

CHILD = """
import threadpoolctl, torch, ember
before = ember.get_num_threads()
ember.set_num_threads(1)
torch.set_num_threads(1)
blas = [lib["num_threads"] for lib in threadpoolctl.threadpool_info() if lib["user_api"] == "blas"]
print(before >= 1, ember.get_num_threads(), torch.get_num_threads(), blas)
"""


def test_set_num_threads_sizes_the_blas_pool():
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[0] == "True 1 1 [1]", out.stdout


@pytest.mark.parametrize("bad", [0, -2, 1.5, True, "2"])
def test_a_thread_count_that_is_not_a_positive_int_raises(bad):
    with pytest.raises(ember.ArgumentError, match="set_num_threads: the number of threads"):
        ember.set_num_threads(bad)


def test_there_is_no_inter_op_pool():
    assert ember.get_num_interop_threads() == 1
    ember.set_num_interop_threads(1)
    with pytest.raises(ember.ArgumentError, match="one op at a time"):
        ember.set_num_interop_threads(4)


PARALLEL = """
import threading, numpy as np, threadpoolctl, ember
from ember.backend import threads
blas = lambda: sorted({lib.num_threads for lib in threads._controller().lib_controllers if lib.user_api == "blas"})
seen = []
def body(lo, hi):
    seen.append((lo, hi, threading.current_thread().name, blas()))
    return hi - lo
print(threads.parallel(body, 10), sorted(seen), blas())
timeouts = [lib.dynlib.openblas_thread_timeout() for lib in threads._controller().lib_controllers
            if hasattr(lib.dynlib, "openblas_thread_timeout")]
print(timeouts)
def fails(lo, hi):
    if lo:
        raise ValueError(f"part at {lo}")
    return 0
try:
    threads.parallel(fails, 10)
except ValueError as e:
    print("raised", e, blas())
print(threads.parallel(body, 1), threads.parallel(body, 10, 6))
ember.set_num_threads(1)
print(threads.parallel(body, 10))
"""


def test_parallel_runs_parts_on_threads_of_its_own_with_blas_single_threaded():
    # two threads (the CI machine's cores): two contiguous parts, the second on ember's worker, BLAS at one
    # thread meanwhile and at two again after; OpenBLAS's idle threads told to sleep soon (timeout 2^20 cycles);
    # a part's exception raised by the caller after every part ended; one part where there is one item,
    # where the parts would be too small, and with one thread
    env = dict(__import__("os").environ, OPENBLAS_NUM_THREADS="2")
    env.pop("OPENBLAS_THREAD_TIMEOUT", None)
    out = subprocess.run([sys.executable, "-c", PARALLEL], capture_output=True, text=True, check=True, env=env)
    lines = out.stdout.splitlines()
    assert lines[0] == "[5, 5] [(0, 5, 'MainThread', [1]), (5, 10, 'ember-worker', [1])] [2]", out.stdout
    assert set(eval(lines[1])) == {20}, out.stdout
    assert lines[2] == "raised part at 5 [2]", out.stdout
    assert lines[3] == "[1] [10]", out.stdout
    assert lines[4] == "[10]", out.stdout


CONCURRENT = """
import os, threading, numpy as np, ember
from ember.backend import threads
def total(lo, hi):
    return sum(range(lo, hi))
errors = []
def user(seed):
    for n in range(200 + 1000 * seed, 400 + 1000 * seed):
        got = sum(threads.parallel(total, n))
        if got != n * (n - 1) // 2:
            errors.append((seed, n, got))
threads.parallel(total, 10)  # the first region, on the only thread: OpenBLAS quieted, regions on from here
users = [threading.Thread(target=user, args=(i,)) for i in range(3)]
for u in users: u.start()
for u in users: u.join()
print("concurrent", errors, threads._blas() is not None)
pid = os.fork()
if pid == 0:  # the workers did not come along: the child makes its own
    os._exit(0 if sum(threads.parallel(total, 10)) == 45 else 1)
_, status = os.waitpid(pid, 0)
print("forked child", os.waitstatus_to_exitcode(status))
"""


def test_parallel_from_several_user_threads_and_after_fork():
    # one region at a time (a caller that finds one running runs its parts itself: no mixed-up results);
    # a forked child (a DataLoader worker) starts its own workers instead of waiting on its parent's
    env = dict(__import__("os").environ, OPENBLAS_NUM_THREADS="2")
    out = subprocess.run([sys.executable, "-c", CONCURRENT], capture_output=True, text=True, env=env, timeout=120)
    assert out.stdout.splitlines() == ["concurrent [] True", "forked child 0"], out.stdout + out.stderr


SAFETY = """
import os, signal, threading, time, numpy as np, threadpoolctl, ember
from ember.backend import threads
threads.MIN_PART = 1
a, stop = np.ones((300, 300), np.float32), False
def gemms():
    while not stop:
        a @ a
other = threading.Thread(target=gemms)
other.start()
time.sleep(0.05)
# the first region finds another thread (here in BLAS): OpenBLAS's pool is not restarted under it, and no region runs
print("with another thread", threads.parallel(lambda lo, hi: (lo, hi), 4), threads._blas())
stop = True
other.join()
threads._pool.pop("blas")
os.environ["OPENBLAS_THREAD_TIMEOUT"] = "20"  # as if set at start: regions run though the timer's thread is alive
# an interrupt while the caller waits for a part: the part's result is not taken for the next region's
threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
try:
    threads.parallel(lambda lo, hi: time.sleep(1.5) if lo else None, 2)  # the interrupt comes at 0.2 s
except KeyboardInterrupt:
    print("interrupted", {lib["num_threads"] for lib in threadpoolctl.threadpool_info()})
print("next region", threads.parallel(lambda lo, hi: (lo, hi), 4))
# a region run first from another thread: the main thread's limits still take effect
t = threading.Thread(target=lambda: threads.parallel(lambda lo, hi: None, 4))
t.start()
t.join()
ember.set_num_threads(1)
print("limit after a thread's region", {lib["num_threads"] for lib in threadpoolctl.threadpool_info()})
"""


def test_parallel_never_hangs_another_threads_blas_nor_mixes_regions_after_an_interrupt():
    env = dict(__import__("os").environ, OPENBLAS_NUM_THREADS="2")
    env.pop("OPENBLAS_THREAD_TIMEOUT", None)
    out = subprocess.run([sys.executable, "-c", SAFETY], capture_output=True, text=True, env=env, timeout=120)
    assert out.stdout.splitlines() == [
        "with another thread [(0, 4)] None", "interrupted {2}", "next region [(0, 2), (2, 4)]",
        "limit after a thread's region {1}"], out.stdout + out.stderr
