"""`ember.save` / `ember.load`: tensors and nested containers in a safetensors file, never pickle.

The tensors (and NumPy arrays) go into the file's tensor table through the `safetensors`
library; everything else — the nesting of dicts, lists and tuples, ints, floats, strings, bools,
None, dict keys of any of those types — is one JSON document stored as the string
`__metadata__["ember"]` of the safetensors header, next to the file's metadata: format version,
ember version, creation time and a reproducibility record (seed, library versions, threads).

Loading reads JSON and raw tensor bytes only; nothing in a file can name code to run.

    >>> ember.save({"w": ember.ones(2), "step": 3}, "state.ember")     # doctest: +SKIP
    >>> ember.load("state.ember")["step"]                              # doctest: +SKIP
    3
"""
import datetime
import json
import math
import os
import platform
import struct
import sys

import numpy as np
import ml_dtypes

from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.backend.random import initial_seed
from ember.backend.device import Device, device as as_device
from ember.errors import ArgumentError, EmberError
from ember.io.atomic import atomic_write
from ember.ops.creation import from_numpy

try:
    import safetensors
    HAVE_SAFETENSORS = True
except ImportError:  # pragma: no cover - exercised only without the extra
    safetensors = None
    HAVE_SAFETENSORS = False

__all__ = ["save", "load"]

FORMAT = 1  # the version of the layout below; bump it with a migration when the layout changes
# format version v -> function(doc) returning the doc in the layout of version v + 1. A file of an
# older format is read by applying these in order; a newer format is refused.
MIGRATIONS = {}
MAX_HEADER = 100 * 2 ** 20  # a safetensors header larger than this is not a file ember wrote
_TO_NP = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "BF16": ml_dtypes.bfloat16,
          "I64": np.int64, "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8,
          "U16": np.uint16, "U32": np.uint32, "U64": np.uint64, "BOOL": np.bool_}


class FileError(EmberError, ValueError):
    """A file that ember cannot read: not an ember file, corrupt, truncated, or of a newer format."""


def require_safetensors(what):
    if not HAVE_SAFETENSORS:
        raise FileError(f"{what}: ember's files need the `safetensors` library; "
                        f"install it with `pip install ember[files]`")


# --- structure <-> JSON ---------------------------------------------------------------------
def encode(obj, arrays, where="obj"):
    """`obj` as JSON-able data; its tensors and arrays are added to `arrays` (name -> ndarray)."""
    if isinstance(obj, Tensor):
        name = f"t{len(arrays)}"
        arrays[name] = _contiguous(np.asarray(obj))
        return {"$tensor": name, "requires_grad": True} if obj.requires_grad else {"$tensor": name}
    if isinstance(obj, np.ndarray):
        if obj.dtype == object or obj.dtype.kind in "cUSVOMm":
            raise FileError(f"save: {where} is a NumPy array of dtype {obj.dtype}, which files cannot hold")
        name = f"t{len(arrays)}"
        arrays[name] = _contiguous(obj)
        return {"$array": name}
    if isinstance(obj, np.generic):
        return encode(obj.item(), arrays, where)
    if isinstance(obj, dtypes.DType):
        return {"$dtype": obj.name}
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else {"$float": repr(obj)}
    if isinstance(obj, tuple):
        return {"$tuple": [encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(obj)]
    if isinstance(obj, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in obj):
            return {k: encode(v, arrays, f"{where}[{k!r}]") for k, v in obj.items()}
        return {"$dict": [[encode(k, arrays, where + ".key"), encode(v, arrays, f"{where}[{k!r}]")]
                          for k, v in obj.items()]}
    raise FileError(f"save: {where} is a {type(obj).__name__}; files hold tensors, NumPy arrays, "
                    f"dicts, lists, tuples, ints, floats, strings, bools and None (no code, no pickle)")


def _contiguous(a):
    return a if a.flags.c_contiguous else a.copy(order="C")  # keeps 0-d arrays 0-d


def decode(doc, arrays):
    """The inverse of `encode`: JSON-able data and the file's arrays -> tensors and containers."""
    if isinstance(doc, list):
        return [decode(v, arrays) for v in doc]
    if not isinstance(doc, dict):
        if doc is None or isinstance(doc, (bool, int, float, str)):
            return doc
        raise FileError(f"load: unexpected JSON value of type {type(doc).__name__}")
    tags = [k for k in doc if k.startswith("$")]
    if not tags:
        return {k: decode(v, arrays) for k, v in doc.items()}
    tag, value = tags[0], doc[tags[0]]
    if tag in ("$tensor", "$array"):
        if not isinstance(value, str) or value not in arrays:
            raise FileError(f"load: the structure names tensor {value!r}, which the file does not hold")
        if tag == "$array":
            return arrays[value]
        try:
            t = from_numpy(arrays[value])
        except EmberError as e:
            raise FileError(f"load: tensor {value!r}: {e}") from None
        return t.requires_grad_(True) if doc.get("requires_grad") is True and t.is_floating_point() else t
    if tag == "$tuple" and isinstance(value, list):
        return tuple(decode(v, arrays) for v in value)
    if tag == "$dict" and isinstance(value, list):
        out = {}
        for pair in value:
            if not (isinstance(pair, list) and len(pair) == 2):
                raise FileError("load: a $dict entry is not a [key, value] pair")
            key = decode(pair[0], arrays)
            if not isinstance(key, (str, int, float, bool, tuple, type(None))):
                raise FileError(f"load: a dict key of type {type(key).__name__} is not allowed")
            out[key] = decode(pair[1], arrays)
        return out
    if tag == "$float" and value in ("nan", "inf", "-inf"):
        return float(value)
    if tag == "$dtype" and isinstance(value, str) and value in {d.name for d in dtypes.ALL}:
        return dtypes.as_dtype(value)
    raise FileError(f"load: unknown or malformed entry {str(doc)[:80]!r} in the file's structure")


# --- metadata -------------------------------------------------------------------------------
def ember_version():
    ember = sys.modules.get("ember")
    return getattr(ember, "__version__", "unknown")


def repro_record():
    """What is needed to reproduce a run: seed, library versions, threads, platform."""
    threads = {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
               if k in os.environ}
    return {"seed": initial_seed(), "ember": ember_version(), "numpy": np.__version__,
            "python": platform.python_version(), "safetensors": getattr(safetensors, "__version__", None),
            "cpu_count": os.cpu_count(), "threads": threads, "platform": sys.platform}


def make_header(kind, structure, **extra):
    return {"format": FORMAT, "kind": kind, "ember_version": ember_version(),
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "repro": repro_record(), "structure": structure, **extra}


# --- files ----------------------------------------------------------------------------------
def write(path, obj, kind="object", **extra):
    """Save `obj` to `path` (atomically) or to a writable binary file object, with a header of
    `kind` and `extra` JSON fields."""
    data = to_bytes(obj, kind, **extra)
    if hasattr(path, "write"):
        path.write(data)
    else:
        atomic_write(path, data)


def to_bytes(obj, kind="object", **extra):
    """The bytes of the safetensors file `write` writes."""
    require_safetensors("save")
    arrays = {}
    structure = encode(obj, arrays)
    header = make_header(kind, structure, **extra)
    specs = {name: safetensors.TensorSpec(dtype=a.dtype.name, shape=list(a.shape), data_ptr=a.ctypes.data,
                                          data_len=a.nbytes) for name, a in arrays.items()}
    return bytes(safetensors.serialize(specs, metadata={"ember": json.dumps(header, allow_nan=False)}))


def read_raw(path, what="load"):
    """(the safetensors header's metadata dict, {name: ndarray}) of any safetensors file."""
    require_safetensors(what)
    data = _read_bytes(path, what)
    if len(data) < 8:
        raise FileError(f"{what}: {_name(path)!r} is not a safetensors file ({len(data)} bytes)")
    n, = struct.unpack("<Q", data[:8])
    if n > len(data) - 8 or n > MAX_HEADER:
        raise FileError(f"{what}: {_name(path)!r}: header length {n} is larger than the file "
                        f"({len(data)} bytes); the file is truncated or not a safetensors file")
    try:
        head = json.loads(data[8:8 + n])
        flat = safetensors.deserialize(data)
    except (ValueError, UnicodeDecodeError, safetensors.SafetensorError, OverflowError, RecursionError) as e:
        raise FileError(f"{what}: {_name(path)!r} is corrupt or not a safetensors file: {e}") from None
    if not isinstance(head, dict):
        raise FileError(f"{what}: {_name(path)!r}: the header is not a JSON object")
    meta = head.get("__metadata__") or {}
    if not isinstance(meta, dict):
        raise FileError(f"{what}: {_name(path)!r}: __metadata__ is not a JSON object")
    arrays = {}
    for name, v in flat:
        if v["dtype"] not in _TO_NP:
            raise FileError(f"{what}: tensor {name!r} has dtype {v['dtype']}, which ember does not read")
        dt = np.dtype(_TO_NP[v["dtype"]])
        shape = tuple(v["shape"])
        if math.prod(shape) * dt.itemsize != len(v["data"]):
            raise FileError(f"{what}: tensor {name!r}: shape {shape} of {v['dtype']} does not match "
                            f"its {len(v['data'])} bytes")
        arrays[name] = np.frombuffer(v["data"], dtype=dt).reshape(shape)
    return meta, arrays


def _read_bytes(path, what):
    try:
        if hasattr(path, "read"):  # a binary file object (open(..., "rb"), io.BytesIO)
            data = path.read()
            if not isinstance(data, (bytes, bytearray, memoryview)):
                raise FileError(f"{what}: the file object returned {type(data).__name__} from read(); "
                                f"open it in binary mode ('rb')")
            return bytes(data)
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise FileError(f"{what}: cannot read {_name(path)!r}: {e.strerror or e}") from None


def _name(path):
    return getattr(path, "name", f"<{type(path).__name__}>") if hasattr(path, "read") else os.fspath(path)


def read(path, what="load"):
    """(header, object) of a file written by `write`; the header is migrated to `FORMAT`."""
    meta, arrays = read_raw(path, what)
    if "ember" not in meta:
        raise FileError(f"{what}: {_name(path)!r} is a safetensors file but not an ember file (no 'ember' "
                        f"metadata); read weights written elsewhere with ember.io.load_torch_safetensors")
    try:
        header = json.loads(meta["ember"])
    except (ValueError, TypeError, RecursionError) as e:
        raise FileError(f"{what}: {_name(path)!r}: the ember metadata is not valid JSON: {e}") from None
    header = migrate(header, path, what)
    try:
        return header, decode(header.get("structure"), arrays)
    except RecursionError:
        raise FileError(f"{what}: {_name(path)!r}: the structure is nested too deeply") from None


def migrate(header, path, what):
    """Bring an older header up to `FORMAT` through `MIGRATIONS`; refuse a newer or unknown one."""
    version = header.get("format") if isinstance(header, dict) else None
    if not isinstance(version, int) or isinstance(version, bool):
        raise FileError(f"{what}: {_name(path)!r}: the ember metadata has no format version")
    if version > FORMAT:
        raise FileError(f"{what}: {_name(path)!r} has file format {version}, newer than this ember "
                        f"({ember_version()}) reads (format {FORMAT}); upgrade ember to read it")
    while version < FORMAT:
        if version not in MIGRATIONS:
            raise FileError(f"{what}: {_name(path)!r} has file format {version}, which this ember "
                            f"cannot migrate (it reads formats {sorted(MIGRATIONS) + [FORMAT]})")
        header = MIGRATIONS[version](dict(header))
        version += 1
        header["format"] = version
    return header


def save(obj, path):
    """Save a tensor, or dicts/lists/tuples of tensors and plain values, to `path` (safetensors).

    State dicts of modules, optimizers and LR schedulers all fit. The write is atomic. Nothing is
    pickled: an object of any other type (a function, a module) is refused.
    """
    write(path, obj, "object")


def load(path, map_location=None):
    """Load what `save` wrote. Tensors come back on the CPU with their dtype, or on `map_location`
    ("cpu", "cuda", "cuda:1" or an `ember.device`); tuples stay tuples, dict keys keep their types.
    Never runs code from the file. (Files do not record the device tensors were saved from, so
    PyTorch's dict and function forms of `map_location` have nothing to map and are refused.)"""
    if map_location is not None and not isinstance(map_location, (str, Device)):
        raise ArgumentError(f"load: map_location must be a device such as 'cpu' or 'cuda:0', got "
                            f"{type(map_location).__name__}; ember files do not record the device they were saved from")
    obj = read(path)[1]
    if map_location is None:
        return obj
    return _to_device(obj, as_device(map_location))


def _to_device(obj, dev):
    if isinstance(obj, Tensor):
        return obj.to(dev)
    if isinstance(obj, dict):
        return type(obj)((k, _to_device(v, dev)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_device(v, dev) for v in obj)
    return obj


def header(path):
    """The metadata of an ember file: format, kind, ember_version, created, repro, ..."""
    head, _ = read(path, "header")
    return {k: v for k, v in head.items() if k != "structure"}
