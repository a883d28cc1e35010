"""What export and import share: the dtype table, ONNX's import guard, and the ember errors of
this package.

    >>> ONNX_DTYPE["float32"], EMBER_DTYPE[1]
    (1, 'float32')
"""
from ember.errors import EmberError

import importlib


class OnnxError(EmberError, ValueError):
    """An ONNX file or graph ember cannot write or read; the message names the node or field."""


class UnsupportedError(OnnxError, NotImplementedError):
    """A primitive with no ONNX lowering (export), or op types with no ember function (import)."""


# ember dtype name <-> TensorProto.DataType number (the numbers are ONNX's, fixed by its spec).
ONNX_DTYPE = {"float32": 1, "uint8": 2, "int8": 3, "uint16": 4, "int16": 5, "int32": 6, "int64": 7,
              "bool": 9, "float16": 10, "float64": 11, "uint32": 12, "uint64": 13, "bfloat16": 16}
EMBER_DTYPE = {v: k for k, v in ONNX_DTYPE.items()}
# The doc_string ember's exporter gives an initializer that was a Parameter (import makes it one again).
PARAMETER_DOC = "ember: parameter"


def onnx_lib(what="ember.onnx"):
    """The `onnx` package with `helper`, `numpy_helper` and `checker` loaded, imported on first use
    (so `import ember` does not pay for it); a clear error when the extra is not installed."""
    try:
        lib = importlib.import_module("onnx")
        for sub in ("helper", "numpy_helper", "checker", "defs", "external_data_helper", "shape_inference"):
            importlib.import_module(f"onnx.{sub}")
    except ImportError:
        raise OnnxError(f"{what}: the onnx package is not installed; pip install 'ember[onnx]'") from None
    return lib
