"""Tensors on the wire: the dtype table of both protocols, strict JSON, and JSON data to arrays.

Every check here runs before an array of the request's size is made: declared shapes are compared
with the data's length in Python integers, so `"shape": [1000000000, 1000000000]` is a 400, not an
allocation.

    >>> to_array([[1, 2], [3, 4]], "float32", "input 'x'").dtype
    dtype('float32')
"""
import json
import math

import ml_dtypes
import numpy as np

from ember.serve.errors import BadRequest

__all__ = ["DTYPES", "V2_TO_DTYPE", "parse_json", "to_array", "check_shape", "numel", "render_json"]

# dtype name -> (KServe v2 datatype, TF Serving DataType). One row per dtype both protocols speak.
DTYPES = {
    "float32": ("FP32", "DT_FLOAT"), "float64": ("FP64", "DT_DOUBLE"), "float16": ("FP16", "DT_HALF"),
    "bfloat16": ("BF16", "DT_BFLOAT16"),
    "int8": ("INT8", "DT_INT8"), "int16": ("INT16", "DT_INT16"), "int32": ("INT32", "DT_INT32"),
    "int64": ("INT64", "DT_INT64"), "uint8": ("UINT8", "DT_UINT8"), "uint16": ("UINT16", "DT_UINT16"),
    "uint32": ("UINT32", "DT_UINT32"), "uint64": ("UINT64", "DT_UINT64"), "bool": ("BOOL", "DT_BOOL"),
}
V2_TO_DTYPE = {v2: name for name, (v2, _) in DTYPES.items()}
_NUMPY = {name: (ml_dtypes.bfloat16 if name == "bfloat16" else np.dtype(name)) for name in DTYPES}


def numpy_dtype(name):
    return np.dtype(_NUMPY[name])


def _no_constant(token):
    raise BadRequest(f"malformed JSON: {token} is not a JSON number (JSON has no NaN or Infinity)")


def parse_json(body, what="request body"):
    """The JSON document in `body` (bytes): strict (no NaN/Infinity, no overflowing numbers); a
    BadRequest naming the problem otherwise."""
    if not body:
        raise BadRequest(f"the {what} is empty; send a JSON object")
    try:
        text = body.decode("utf-8")
        doc = json.loads(text, parse_constant=_no_constant)
    except UnicodeDecodeError as e:
        raise BadRequest(f"the {what} is not UTF-8 text: {e.reason} at byte {e.start}") from None
    except json.JSONDecodeError as e:
        raise BadRequest(f"malformed JSON in the {what}: {e.msg} at line {e.lineno} column {e.colno}") from None
    except RecursionError:
        raise BadRequest(f"malformed JSON in the {what}: nested too deeply") from None
    if not isinstance(doc, dict):
        raise BadRequest(f"the {what} must be a JSON object, got a JSON {type(doc).__name__}")
    return doc


def render_json(doc):
    return json.dumps(doc, separators=(",", ":")).encode()


def numel(shape):
    return math.prod(shape)


def _kind_error(a, dtype, where):
    if a.dtype.kind in "USO":
        return BadRequest(f"{where}: the data must be numbers ({dtype}); it holds strings, nulls or "
                          f"mixed values")
    return BadRequest(f"{where}: data of type {a.dtype} cannot be given to a {dtype} input")


# For a target dtype kind, the NumPy kinds of JSON data that convert without losing meaning.
_ACCEPTS = {"f": "biuf", "V": "biuf", "i": "biu", "u": "biu", "b": "b"}


def to_array(data, dtype, where):
    """`data` (nested lists of JSON numbers) as an array of `dtype`: ragged, non-numeric, non-integer
    (for integer inputs) or out-of-range data is a BadRequest naming `where`."""
    try:
        a = np.asarray(data)
    except (ValueError, TypeError) as e:
        raise BadRequest(f"{where}: the data is ragged or malformed (every row must have the same length): "
                         f"{str(e).splitlines()[0][:120]}") from None
    target = numpy_dtype(dtype)
    if a.dtype.kind not in _ACCEPTS[target.kind]:
        raise _kind_error(a, dtype, where)
    if target.kind in "iu" and a.size:
        info = np.iinfo(target)
        lo, hi = a.min(), a.max()
        if lo < info.min or hi > info.max:
            raise BadRequest(f"{where}: values from {lo} to {hi} do not fit {dtype}")
    if target.kind in "fV" and a.dtype.kind == "f" and a.size:
        big = np.abs(a).max()
        if not np.isfinite(big):  # JSON has no inf: a number like 1e999 overflowed while parsing
            raise BadRequest(f"{where}: a number is too large for a float (JSON has no Infinity)")
        if target.itemsize < 8 and big > np.finfo(target).max:
            raise BadRequest(f"{where}: the value {big:g} is out of range for {dtype}")
    return a.astype(target, copy=False)


def check_shape(a, spec_shape, where):
    """`a`'s shape against a model input's shape (None: any size); BadRequest naming both."""
    if spec_shape is None:
        return
    got = tuple(a.shape)
    if len(got) != len(spec_shape) or any(d is not None and d != g for d, g in zip(spec_shape, got)):
        want = "[" + ", ".join("-1" if d is None else str(d) for d in spec_shape) + "]"
        raise BadRequest(f"{where}: expected shape {want} (-1: any size), got {list(got)}")
    if got and got[0] == 0:
        raise BadRequest(f"{where}: the batch is empty (shape {list(got)}); send at least one instance")
