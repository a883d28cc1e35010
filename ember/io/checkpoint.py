"""Training checkpoints that survive crashes.

    >>> ckpt = ember.io.Checkpoint("run", model=net, optimizer=opt, keep_last=3)   # doctest: +SKIP
    >>> meta = ckpt.restore_latest()                 # None on a fresh start    # doctest: +SKIP
    >>> ckpt.save(epoch=e, step=s, loader_position=i)                            # doctest: +SKIP

Each `save` writes one file `<prefix>-<n>.ember` atomically (temporary file, fsync, rename,
fsync of the folder) holding the state dicts of the model, optimizer, scheduler and any other
objects given as keyword arguments, the RNG states of ember, NumPy's global generator and
Python's `random`, and epoch, step and data-loader position. Old files are pruned only after
the new one is complete. `restore_latest` loads the newest file that reads back whole, skipping
corrupt ones, and restores everything.
"""
import os
import random
import re

import numpy as np

from ember.backend.random import get_rng_state, set_rng_state
from ember.errors import ArgumentError
from ember.io.atomic import TEMP_MARK
from ember.io.serialize import FileError, read, write

__all__ = ["Checkpoint"]


class Checkpoint:
    """Save and restore a training run's full state in `directory` (see the module docstring).

    `model`, `optimizer`, `scheduler` and every object in `other_state` need `state_dict()` and
    `load_state_dict()`. `keep_last=N` keeps the N newest files (None keeps all).
    """

    def __init__(self, directory, model=None, optimizer=None, scheduler=None, keep_last=None, prefix="ckpt",
                 **other_state):
        if keep_last is not None and (not isinstance(keep_last, int) or keep_last < 1):
            raise ArgumentError(f"Checkpoint: keep_last must be a positive int or None, got {keep_last!r}")
        if not re.fullmatch(r"[A-Za-z0-9_]+", prefix):
            raise ArgumentError(f"Checkpoint: prefix must be letters, digits and '_', got {prefix!r}")
        self.objects = {k: v for k, v in dict(model=model, optimizer=optimizer, scheduler=scheduler,
                                              **other_state).items() if v is not None}
        for name, obj in self.objects.items():
            if not (hasattr(obj, "state_dict") and hasattr(obj, "load_state_dict")):
                raise ArgumentError(f"Checkpoint: {name} is a {type(obj).__name__}, which has no "
                                    f"state_dict()/load_state_dict()")
        self.directory = os.fspath(directory)
        self.keep_last = keep_last
        self.prefix = prefix
        self._pattern = re.compile(rf"{prefix}-(\d+)\.ember")
        self.skipped = []  # files restore_latest found corrupt
        os.makedirs(self.directory, exist_ok=True)

    def checkpoints(self):
        """Paths of the complete checkpoint files (by name), oldest first."""
        found = []
        for f in os.listdir(self.directory):
            m = self._pattern.fullmatch(f)
            if m:
                found.append((int(m.group(1)), os.path.join(self.directory, f)))
        return [p for _, p in sorted(found)]

    def save(self, epoch=None, step=None, loader_position=None, **extra):
        """Write a new checkpoint (atomically), then prune old ones; returns its path."""
        paths = self.checkpoints()
        index = int(self._pattern.fullmatch(os.path.basename(paths[-1])).group(1)) + 1 if paths else 0
        path = os.path.join(self.directory, f"{self.prefix}-{index:08d}.ember")
        state = {"state": {k: obj.state_dict() for k, obj in self.objects.items()},
                 "rng": {"ember": get_rng_state(), "numpy": np.random.get_state(), "python": random.getstate()},
                 "meta": {"epoch": epoch, "step": step, "loader_position": loader_position, **extra}}
        write(path, state, "checkpoint")
        if self.keep_last is not None:
            for old in self.checkpoints()[:-self.keep_last]:
                try:
                    os.remove(old)
                except FileNotFoundError:
                    pass
        return path

    def restore_latest(self):
        """Restore from the newest complete checkpoint; returns its metadata (epoch, step,
        loader_position, path, ...), or None when there is none. Corrupt files are skipped (and
        listed in `self.skipped`); stale temporary files of dead writers are removed."""
        self._remove_stale_temps()
        self.skipped = []
        for path in reversed(self.checkpoints()):
            try:
                header, state = read(path, "Checkpoint.restore_latest")
                if header.get("kind") != "checkpoint" or not isinstance(state, dict):
                    raise FileError(f"{path!r} is not a checkpoint")
                objects, rng, meta = state["state"], state["rng"], state["meta"]
            except (FileError, KeyError, TypeError) as e:
                self.skipped.append((path, str(e)))
                continue
            missing = sorted(set(self.objects) - set(objects))
            if missing:
                raise FileError(f"Checkpoint.restore_latest: {path!r} holds no state for {missing}")
            for name, obj in self.objects.items():
                obj.load_state_dict(objects[name])
            set_rng_state(rng["ember"])
            np.random.set_state(rng["numpy"])
            random.setstate(rng["python"])
            return {**meta, "path": path}
        return None

    def _remove_stale_temps(self):
        for f in os.listdir(self.directory):
            if not (f.startswith(f".{self.prefix}-") and TEMP_MARK in f):
                continue
            pid = f.rsplit(TEMP_MARK, 1)[1].split("-")[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                try:
                    os.remove(os.path.join(self.directory, f))
                except OSError:
                    pass


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True
