"""ember.io.Checkpoint: full training state, keep_last, corrupt files skipped, the SIGKILL crash test."""
import os
import pathlib
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import ember
import ember.io
from ember import nn

SCRIPT = pathlib.Path(__file__).with_name("train_script.py")


def _setup(seed=0):
    ember.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.Linear(4, 1))
    opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = ember.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    return model, opt, sched


def _step(model, opt, sched):
    x = ember.tensor(np.random.randn(5, 3).astype(np.float32)) + random.random()
    opt.zero_grad()
    model(x).pow(2).mean().backward()
    opt.step()
    sched.step()


def test_restores_everything(tmp_path):
    model, opt, sched = _setup()
    ckpt = ember.io.Checkpoint(tmp_path, model=model, optimizer=opt, scheduler=sched, keep_last=2)
    assert ckpt.restore_latest() is None
    np.random.seed(3)
    random.seed(3)
    for i in range(3):
        _step(model, opt, sched)
        ckpt.save(epoch=i, step=i + 1, loader_position={"batch": i})
    assert [os.path.basename(p) for p in ckpt.checkpoints()] == ["ckpt-00000001.ember", "ckpt-00000002.ember"]
    assert sorted(os.listdir(tmp_path)) == ["ckpt-00000001.ember", "ckpt-00000002.ember"]
    expected = [_step(model, opt, sched) or {k: v.numpy().copy() for k, v in model.state_dict().items()}
                for _ in range(2)]

    model2, opt2, sched2 = _setup(seed=99)
    np.random.seed(7)
    random.seed(7)
    ember.manual_seed(7)
    meta = ember.io.Checkpoint(tmp_path, model=model2, optimizer=opt2, scheduler=sched2).restore_latest()
    assert (meta["epoch"], meta["step"], meta["loader_position"]) == (2, 3, {"batch": 2})
    assert sched2.last_epoch == sched.last_epoch - 2 and opt2.param_groups[0]["lr"] == 0.05
    for want in expected:  # same data, same dropout masks, same momentum: bit-identical
        _step(model2, opt2, sched2)
        for k, v in model2.state_dict().items():
            assert np.array_equal(v.numpy(), want[k]), k


def test_corrupt_and_temporary_files_are_skipped(tmp_path):
    model, opt, sched = _setup()
    ckpt = ember.io.Checkpoint(tmp_path, model=model, optimizer=opt)
    ckpt.save(step=1)
    _step(model, opt, sched)
    good = ckpt.save(step=2)
    last = ckpt.save(step=3)
    data = pathlib.Path(last).read_bytes()
    pathlib.Path(last).write_bytes(data[: len(data) // 2])  # a torn file (e.g. a disk without fsync)
    stale = tmp_path / ".ckpt-00000004.ember.tmp-999999999-abcd"  # a killed writer's leftover
    stale.write_bytes(data[:100])
    meta = ckpt.restore_latest()
    assert meta["step"] == 2 and meta["path"] == good
    assert [p for p, _ in ckpt.skipped] == [last] and not stale.exists()


def test_bad_arguments():
    with pytest.raises(ember.ArgumentError, match="keep_last"):
        ember.io.Checkpoint("unused", keep_last=0)
    with pytest.raises(ember.ArgumentError, match="state_dict"):
        ember.io.Checkpoint("unused", counter=3)


def _run(directory, steps, result, slow_disk=True):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(pathlib.Path(ember.__file__).parent.parent),
                                                       os.environ.get("PYTHONPATH", "")]))
    # The fast extra's first Adam call loads its compiled kernel (~0.4 s), longer than the kill window below:
    # kills would all land before the first save. This test is about saves, so the NumPy update runs.
    env["EMBER_NUMBA"] = "0"
    args = [sys.executable, str(SCRIPT), str(directory), str(steps), str(result)] + ["--slow-disk"] * slow_disk
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _newest_step(ckpt_dir):
    """The step of the newest checkpoint; every complete checkpoint file must read back."""
    files = sorted(f for f in os.listdir(ckpt_dir) if f.endswith(".ember") and not f.startswith("."))
    steps = [ember.io.load(os.path.join(ckpt_dir, f))["meta"]["step"] for f in files]
    assert steps == sorted(steps)
    return steps[-1] if steps else 0


@pytest.mark.slow
def test_crash_test_sigkill_at_random_moments(tmp_path):
    steps, kills = 100, 20
    ref = _run(tmp_path / "ref", steps, tmp_path / "ref.ember", slow_disk=False)
    out, err = ref.communicate(timeout=120)
    assert ref.returncode == 0, err
    rng = random.Random(1)
    temps_seen = 0
    for _ in range(kills):
        expected = _newest_step(tmp_path / "run") if (tmp_path / "run").exists() else 0
        proc = _run(tmp_path / "run", steps, tmp_path / "run.ember")
        line = proc.stdout.readline()
        assert line.strip() == f"resume {expected}", (line, proc.stderr.read() if proc.poll() is not None else "")
        time.sleep(rng.uniform(0.0, 0.25))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()
        temps_seen += any(f.startswith(".") for f in os.listdir(tmp_path / "run"))
    assert temps_seen > 0  # some kills landed inside a save
    resume_at = _newest_step(tmp_path / "run")
    final = _run(tmp_path / "run", steps, tmp_path / "run.ember", slow_disk=False)
    out, err = final.communicate(timeout=120)
    assert final.returncode == 0, err
    assert out.split()[:2] == ["resume", str(resume_at)] and 0 < resume_at < steps, out  # resumed mid-run
    want, got = ember.io.load(tmp_path / "ref.ember"), ember.io.load(tmp_path / "run.ember")
    assert list(want) == list(got)
    for k in want:
        assert np.array_equal(want[k].numpy(), got[k].numpy()), k
