"""Shared by the ONNX tests: onnxruntime runs (one thread) and ember reference outputs."""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import ember  # noqa: E402


def run_ort(proto, inputs):
    """Outputs of onnxruntime on a ModelProto, one CPU thread (the machine is shared)."""
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(proto.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    feed = {i.name: np.asarray(x) for i, x in zip(sess.get_inputs(), inputs)}
    return sess.run(None, feed)


def ember_outputs(model, args):
    with ember.no_grad():
        out = model(*args)
    flat = out if isinstance(out, (tuple, list)) else (out,)
    return [o.numpy() for o in flat]
