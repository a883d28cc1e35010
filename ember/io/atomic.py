"""Atomic file writes: a reader sees the old file or the complete new one, never a mix.

The data goes to a temporary file in the destination's folder, is flushed and fsynced, then
renamed over the destination (`os.replace`, atomic on POSIX and Windows) and the folder is fsynced
so the rename itself survives a power cut. On any exception the temporary file is removed and an
existing file at the destination is left as it was.

    >>> atomic_write("weights.ember", b"...")          # doctest: +SKIP
"""
import os
import secrets

TEMP_MARK = ".tmp-"  # temporary files are named ".<name>.tmp-<pid>-<token>"


def temp_name(path):
    """A fresh temporary path beside `path` (same folder, so the rename stays on one filesystem)."""
    folder, base = os.path.split(os.path.abspath(path))
    return os.path.join(folder, f".{base}{TEMP_MARK}{os.getpid()}-{secrets.token_hex(4)}")


def is_temp(filename):
    """True for the name of a temporary file left by `atomic_write` (e.g. by a killed process)."""
    return filename.startswith(".") and TEMP_MARK in filename


def fsync_dir(folder):
    """Flush a folder's entry table to disk (a no-op where folders cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path, data):
    """Write the bytes `data` to `path` atomically (see the module docstring)."""
    path = os.fspath(path)
    tmp = temp_name(path)
    try:
        with open(tmp, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise
    fsync_dir(os.path.dirname(os.path.abspath(path)))
