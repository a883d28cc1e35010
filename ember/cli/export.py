"""`ember export MODEL.ember OUT.onnx`: any ember model file (a Keras model from `model.save`, or an
`ember.io.save_model` file) as an ONNX file, with a dynamic batch dim.

    ember export ember-digits.ember digits.onnx
    ember export mlp.ember mlp.onnx --opset 21 --input-shape 784
"""
import argparse

from ember import io as ember_io
from ember.errors import EmberError
from ember.io.serialize import FileError
from ember.keras import saving as keras_saving
from ember.nn.module import Module
from ember.ops.creation import zeros
from ember.onnx.exporter import DEFAULT_OPSET, export


def add_arguments(parser):
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.description = __doc__.split("\n\n")[0]
    parser.add_argument("model", metavar="MODEL.ember", help="a model file written by ember (Keras model.save or "
                                                              "ember.io.save_model)")
    parser.add_argument("output", metavar="OUT.onnx", help="where to write the ONNX file")
    parser.add_argument("--opset", type=int, metavar="N", help=f"ONNX opset version (default: {DEFAULT_OPSET})")
    parser.add_argument("--input-shape", metavar="D1,D2,...",
                        help="the input's shape without the batch dim, for model files that do not record it "
                             "(a Keras model file does)")


def read_model(path):
    """The model in an ember file: a Keras model when the file is one, else what ember.io.load_model reads."""
    try:
        return keras_saving.load_model(path, compile=False)
    except FileError as keras_error:
        try:
            return ember_io.load_model(path)
        except FileError as io_error:
            raise FileError(f"ember export: {path!r} is neither a Keras model file ({keras_error}) nor an "
                            f"ember.io model file ({io_error})") from None


def export_file(model_path, onnx_path, opset=None, input_shape=None):
    """Read `model_path` and write it to `onnx_path` as ONNX; returns the ModelProto."""
    model = read_model(model_path)
    if hasattr(model, "export") and getattr(model, "_build_spec", None) is not None and input_shape is None:
        return model.export(onnx_path, format="onnx", opset_version=opset)
    if not isinstance(model, Module) or input_shape is None:
        raise FileError(f"ember export: {model_path!r} does not record its input shape; pass --input-shape "
                        f"(the dims after the batch dim, e.g. 1,28,28)")
    example = zeros(2, *input_shape)
    return export(model, example, onnx_path, opset_version=opset)


def _shape(parser, text):
    try:
        dims = tuple(int(d) for d in text.split(",") if d.strip())
    except ValueError:
        parser.error(f"--input-shape {text!r}: expected comma-separated positive ints such as 1,28,28")
    if not dims or any(d <= 0 for d in dims):
        parser.error(f"--input-shape {text!r}: expected comma-separated positive ints such as 1,28,28")
    return dims


def run(args, parser):
    shape = _shape(parser, args.input_shape) if args.input_shape else None
    try:
        proto = export_file(args.model, args.output, args.opset, shape)
    except EmberError as e:
        print(f"ember export: {e}")
        return 1
    ops = sorted({n.op_type for n in proto.graph.node})
    print(f"wrote {args.output}: opset {proto.opset_import[0].version}, {len(proto.graph.node)} nodes "
          f"({', '.join(ops)}), {len(proto.graph.initializer)} initializers")
    return 0
