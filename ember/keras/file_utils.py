"""`keras.utils.get_file`: download a file once into Keras's cache (`~/.keras/datasets`, or under
`$KERAS_HOME`), check its SHA-256 or MD5, and optionally extract it; plus the safe readers the
datasets need (no pickle can run code: only NumPy arrays and plain containers are rebuilt).

    >>> path = keras.utils.get_file("mnist.npz", origin="https://.../mnist.npz",
    ...                             file_hash="731c5ac6...")           # doctest: +SKIP
"""
import hashlib
import os
import pickle
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile

import numpy as np

from ember.errors import ArgumentError, DownloadError

__all__ = ["get_file", "keras_home", "validate_file", "load_npz", "RestrictedUnpickler"]

_CHUNK = 1 << 16
_TIMEOUT_S = 30


def keras_home():
    """`$KERAS_HOME`, else `~/.keras` (as Keras)."""
    return os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")


def _hasher(file_hash, algorithm):
    if algorithm == "auto":
        algorithm = "sha256" if len(file_hash) == 64 else "md5"
    if algorithm not in ("sha256", "md5"):
        raise ArgumentError(f"get_file: hash_algorithm must be 'auto', 'sha256' or 'md5', got {algorithm!r}")
    return hashlib.new(algorithm)


def validate_file(fpath, file_hash, algorithm="auto"):
    """Whether the file at `fpath` has the hex digest `file_hash` (SHA-256 or MD5, by length with "auto")."""
    hasher = _hasher(file_hash, algorithm)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            hasher.update(chunk)
    return hasher.hexdigest() == str(file_hash).lower()


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None, cache_subdir="datasets",
             hash_algorithm="auto", extract=False, archive_format="auto", cache_dir=None, force_download=False):
    """The local path of the file at `origin`, downloaded into `cache_dir/cache_subdir` (default
    `~/.keras/datasets`) unless a copy with the right hash is there. With `extract` (or `untar`),
    the archive is unpacked and the folder's path returned. Offline, the error names the file and
    the path to put it at."""
    if origin is None:
        raise ArgumentError("get_file: give origin, the URL of the file")
    fname = fname or os.path.basename(origin.split("?")[0])
    if not fname:
        raise ArgumentError(f"get_file: cannot name the file from origin={origin!r}; give fname")
    file_hash = file_hash or md5_hash
    if md5_hash and not file_hash:
        hash_algorithm = "md5"
    cache_dir = os.path.expanduser(cache_dir) if cache_dir else keras_home()
    datadir = cache_subdir if os.path.isabs(cache_subdir) else os.path.join(cache_dir, cache_subdir)
    os.makedirs(datadir, exist_ok=True)
    extract = extract or untar
    archive = fname + ".tar.gz" if untar and not fname.endswith((".tar.gz", ".tgz", ".tar")) else fname
    fpath = os.path.join(datadir, archive if extract else fname)
    fresh = force_download or not os.path.exists(fpath) or \
        (file_hash is not None and not validate_file(fpath, file_hash, hash_algorithm))
    if fresh:
        _download(origin, fpath, file_hash, hash_algorithm)
    if not extract:
        return fpath
    target = os.path.join(datadir, fname[:-7] if fname.endswith(".tar.gz") and not untar else fname)
    if target == fpath:
        target = fpath + "_extracted"
    if fresh or not os.path.isdir(target):
        _extract(fpath, target, archive_format)
    return target


def _download(origin, fpath, file_hash, algorithm):
    """Fetch `origin` into a temporary file beside `fpath`, check it, then move it into place."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(fpath), prefix=".download-")
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(origin, timeout=_TIMEOUT_S) as response:
            shutil.copyfileobj(response, out, _CHUNK)
        if file_hash is not None and not validate_file(tmp, file_hash, algorithm):
            raise DownloadError(f"get_file: {origin} arrived with the wrong checksum (expected {file_hash}); the "
                                "download may be incomplete or the file changed. Try again, or put a verified "
                                f"copy at {fpath}")
        os.replace(tmp, fpath)
    except (urllib.error.URLError, OSError) as e:
        if isinstance(e, DownloadError):
            raise
        raise DownloadError(f"get_file: could not download {os.path.basename(fpath)} from {origin} ({e}). If this "
                            f"machine is offline, download it elsewhere and put it at {fpath} (the cache is "
                            "$KERAS_HOME/datasets, default ~/.keras/datasets)") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _extract(fpath, target, archive_format):
    """Unpack a tar or zip archive into `target` (members that would land outside it are refused)."""
    kinds = {"auto": ("tar", "zip"), "tar": ("tar",), "zip": ("zip",)}.get(archive_format)
    if kinds is None:
        raise ArgumentError(f"get_file: archive_format must be 'auto', 'tar' or 'zip', got {archive_format!r}")
    tmp = target + ".partial"
    shutil.rmtree(tmp, ignore_errors=True)
    if "tar" in kinds and tarfile.is_tarfile(fpath):
        with tarfile.open(fpath) as archive:
            archive.extractall(tmp, filter="data")
    elif "zip" in kinds and zipfile.is_zipfile(fpath):
        with zipfile.ZipFile(fpath) as archive:
            root = os.path.realpath(tmp)
            for name in archive.namelist():
                if not os.path.realpath(os.path.join(tmp, name)).startswith(root):
                    raise DownloadError(f"get_file: {fpath} holds a member outside its folder: {name!r}")
            archive.extractall(tmp)
    else:
        raise DownloadError(f"get_file: {fpath} is not a {' or '.join(kinds)} archive")
    shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickles NumPy arrays, dtypes and plain containers only: any other class is refused, so a
    data file cannot run code."""
    _ALLOWED = {("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
                ("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "scalar"),
                ("numpy._core.multiarray", "scalar"), ("builtins", "list"), ("builtins", "dict"),
                ("builtins", "tuple"), ("builtins", "set"), ("builtins", "bytearray"), ("_codecs", "encode")}

    def find_class(self, module, name):
        if (module, name) not in self._ALLOWED:
            raise DownloadError(f"refusing to load {module}.{name} from a data file: only NumPy arrays and plain "
                                "containers are allowed")
        return super().find_class(module, name)


def load_npz(path):
    """{name: array} of an .npz file; object arrays (ragged sequences) through `RestrictedUnpickler`."""
    out = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            with archive.open(member) as f:
                version = np.lib.format.read_magic(f)
                read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                    np.lib.format.read_array_header_2_0
                shape, fortran, dtype = read_header(f)
                if dtype.hasobject:
                    array = RestrictedUnpickler(f, encoding="latin1").load()
                else:
                    array = np.frombuffer(f.read(), dtype=dtype).reshape(shape, order="F" if fortran else "C")
            out[member[:-4] if member.endswith(".npy") else member] = array
    return out
