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


SPLIT_CHILD = """
import os, threading, numpy as np, torch, ember
from ember.backend.threads import split_batch
import ember.nn.functional as F
rng = np.random.default_rng(0)
q, k, v = (rng.standard_normal((6, 4, 9, 8)).astype(np.float32) for _ in range(3))
g = rng.standard_normal((6, 4, 9, 8)).astype(np.float32)
mask = rng.random((6, 1, 9, 9)) < 0.7
runs = []
for n in (1, 2):
    ember.set_num_threads(n)
    where = []
    split_batch(4, lambda lo, hi: where.append((lo, hi, threading.current_thread().name.startswith("ember-split"))))
    outs = []
    for kw in ({"is_causal": True}, {"attn_mask": ember.tensor(mask)}, {"attn_mask": ember.tensor(mask[:1])}):
        ts = [ember.tensor(a, requires_grad=True) for a in (q, k, v)]
        y = F.scaled_dot_product_attention(*ts, **kw)
        y.backward(ember.tensor(g))
        outs += [y.detach().numpy()] + [t.grad.numpy() for t in ts]
    runs.append((sorted(where), outs))
tq, tk, tv = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
ty = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, attn_mask=torch.tensor(mask))
ty.backward(torch.tensor(g))
same = all(np.array_equal(a, b) for a, b in zip(runs[0][1], runs[1][1]))
close = all(np.allclose(a, b.detach().numpy(), atol=1e-5) for a, b in zip(runs[1][1][4:8], (ty, tq.grad, tk.grad, tv.grad)))
def fails(lo, hi):
    if lo:
        raise ValueError("the helper's half")
try:
    split_batch(4, fails)
    raised = False
except ValueError as e:
    raised = str(e)
pid = os.fork()
if pid == 0:  # a forked child makes its own helper thread
    done = []
    split_batch(2, lambda lo, hi: done.append(lo))
    os._exit(0 if sorted(done) == [0, 1] else 1)
print(runs[0][0], runs[1][0], same, close, raised, os.waitpid(pid, 0)[1])
"""


def test_split_batch_halves_attention_on_two_threads_with_the_same_values():
    """With one thread the work runs whole; with two its second half runs on the helper thread; the
    attention values and gradients are bit for bit the same either way, and PyTorch's; an error in a
    half reaches the caller; a forked child gets a working helper."""
    out = subprocess.run([sys.executable, "-c", SPLIT_CHILD], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == ("[(0, 4, False)] [(0, 2, False), (2, 4, True)] True True the helper's half 0"), \
        out.stdout
