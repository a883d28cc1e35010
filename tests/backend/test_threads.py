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
