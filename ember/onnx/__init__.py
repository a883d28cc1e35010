"""Level 5: ONNX export and import (DESIGN.md "One core, one graph").

    >>> model = ember.nn.Linear(4, 2)
    >>> ember.onnx.export(model, ember.randn(3, 4), "linear.onnx")      # doctest: +SKIP
    >>> again = ember.onnx.load("linear.onnx")                          # doctest: +SKIP
"""
from ember.onnx._proto import OnnxError, UnsupportedError
from ember.onnx.exporter import DEFAULT_OPSET, export
from ember.onnx.lower import LOWERINGS

__all__ = ["export", "OnnxError", "UnsupportedError", "DEFAULT_OPSET", "LOWERINGS"]
from ember.onnx.importer import IMPORTERS, SUPPORTED_OPS, OnnxModule, load

__all__ += ["load", "OnnxModule", "IMPORTERS", "SUPPORTED_OPS"]
