"""What needs no MPI job: argument checks (before MPI starts), the launcher's command line, the
engine's post-accumulate-grad hooks DistributedDataParallel builds on."""
import os
import sys

import numpy as np
import pytest

import ember
import ember.distributed as dist
from ember import nn
from ember.cli.main import main
from ember.distributed.launch import mpirun_command
from ember.errors import ArgumentError


def test_post_accumulate_grad_hook_runs_once_with_the_whole_gradient():
    w = ember.tensor(np.array([1.0, 2.0, 3.0], np.float32), requires_grad=True)
    seen = []
    handle = w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.numpy().copy()))
    ((w * w).sum() + (w * 3).sum() + w[0]).backward()  # three uses: one call, after all of them
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], [6.0, 7.0, 9.0])
    w.sum().backward()
    np.testing.assert_allclose(seen[1], [7.0, 8.0, 10.0])  # accumulated into .grad first
    handle.remove()
    w.sum().backward()
    assert len(seen) == 2
    with pytest.raises(ember.AutogradError, match="leaf"):
        (w * 2).register_post_accumulate_grad_hook(print)


def test_arguments_are_checked_before_mpi_starts():
    with pytest.raises(ArgumentError, match="backend 'nccl' is not supported"):
        dist.init_process_group("nccl")
    with pytest.raises(ArgumentError, match="timeout"):
        dist.init_process_group("mpi", timeout=-1)
    with pytest.raises(dist.DistributedError, match="not initialized"):
        dist.get_rank()
    with pytest.raises(dist.DistributedError, match="init_process_group"):
        dist.all_reduce(ember.ones(2))
    with pytest.raises(ArgumentError, match="device_ids"):
        nn.parallel.DistributedDataParallel(nn.Linear(2, 2), device_ids=[0])
    with pytest.raises(ArgumentError, match="bucket_cap_mb"):
        nn.parallel.DistributedDataParallel(nn.Linear(2, 2), bucket_cap_mb=0)


def test_mpirun_command_line():
    cmd = mpirun_command(3, ["train.py", "--epochs", "2"])
    assert os.path.basename(cmd[0]) == "mpirun" and os.access(cmd[0], os.X_OK)
    assert cmd[1:4] == ["-n", "3", "--oversubscribe"]
    assert cmd[-4:] == [sys.executable, "train.py", "--epochs", "2"]
    with pytest.raises(ArgumentError, match="-n must be a positive"):
        mpirun_command(0, ["train.py"])
    with pytest.raises(ArgumentError, match="hostfile"):
        mpirun_command(2, ["train.py"], hostfile="/nonexistent/hosts")


def test_ember_run_help(capsys):
    with pytest.raises(SystemExit) as e:
        main(["run", "--help"])
    assert e.value.code == 0
    assert "--hostfile" in capsys.readouterr().out
