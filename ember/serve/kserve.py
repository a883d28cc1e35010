"""KServe's v2 inference protocol (also Triton's): health, server and model metadata, readiness,
and `infer` with typed JSON tensors, requested outputs and the binary tensor extension (what
`tritonclient.http` sends by default: a JSON header of `Inference-Header-Content-Length` bytes,
then the raw tensors).

    curl -d '{"inputs": [{"name": "input", "shape": [1, 2], "datatype": "FP32", "data": [1, 2]}]}' \\
        localhost:8501/v2/models/net/infer
"""
import numpy as np

import ember
from ember.serve.errors import BadRequest, NotFound, UnsupportedMediaType
from ember.serve.tensors import DTYPES, V2_TO_DTYPE, check_shape, numel, numpy_dtype, parse_json, to_array

__all__ = ["ROUTES", "HEADER_LENGTH"]

HEADER_LENGTH = "inference-header-content-length"
_REQUEST_KEYS = {"id", "parameters", "inputs", "outputs"}
_INPUT_KEYS = {"name", "shape", "datatype", "data", "parameters"}


# --- health and metadata --------------------------------------------------------------------------
async def live(app, request):
    return 200, {"live": True}


async def ready(app, request):
    ok = app.repository.ready() and app.started
    return (200 if ok else 400), {"ready": ok}


async def server_metadata(app, request):
    return 200, {"name": "ember", "version": ember.__version__, "extensions": ["binary_tensor_data"]}


def _tensor_meta(spec):
    return {"name": spec.name, "datatype": DTYPES.get(spec.dtype, ("BYTES",))[0],
            "shape": [-1] if spec.shape is None else [-1 if d is None else d for d in spec.shape]}


async def model_metadata(app, request, name, version=None):
    model = app.repository.get(name)
    v = model.version(version)
    s = v.servable
    return 200, {"name": name, "versions": [str(n) for n in sorted(model.versions)], "platform": f"ember_{s.kind}",
                 "inputs": [_tensor_meta(t) for t in s.inputs], "outputs": [_tensor_meta(t) for t in s.outputs]}


async def model_ready(app, request, name, version=None):
    model = app.repository.get(name)
    if version is None:
        ok = model.ready()
    else:
        if not version.isdigit():
            raise BadRequest(f"model {name!r}: version {version[:40]!r} is not a number")
        v = model.versions.get(int(version))
        if v is None:
            raise NotFound(f"model {name!r} has no version {int(version)}; versions: {sorted(model.versions)}")
        ok = v.state == "AVAILABLE"
    return (200 if ok else 400), {"name": name, "ready": ok}


# --- infer ----------------------------------------------------------------------------------------
def split_body(request, body):
    """(JSON document, binary tail) of an infer request."""
    if request.headers.get("content-encoding", "identity") != "identity":
        raise UnsupportedMediaType(f"Content-Encoding {request.headers['content-encoding'][:20]!r} is not "
                                   "supported; send the request uncompressed")
    text = request.headers.get(HEADER_LENGTH)
    if text is None:
        return parse_json(body), b""
    if not text.isdigit() or int(text) > len(body):
        raise BadRequest(f"Inference-Header-Content-Length {text[:20]!r} must be a byte count no larger than "
                         f"the body ({len(body)} bytes)")
    n = int(text)
    return parse_json(body[:n], "inference header"), body[n:]


def _shape(tensor, where):
    shape = tensor.get("shape")
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
                                              for d in shape):
        raise BadRequest(f"{where}: \"shape\" must be a list of non-negative integers, got {str(shape)[:60]}")
    return shape


def _tensor_array(tensor, spec, binary, offset, where):
    """The array of one request tensor and the new offset into the binary tail."""
    unknown = sorted(set(tensor) - _INPUT_KEYS)
    if unknown:
        raise BadRequest(f"{where}: unknown keys {unknown[:5]}")
    shape, datatype = _shape(tensor, where), tensor.get("datatype")
    if datatype not in V2_TO_DTYPE:
        raise BadRequest(f"{where}: datatype {str(datatype)[:20]!r} is not supported; use one of "
                         f"{sorted(V2_TO_DTYPE)}")
    if V2_TO_DTYPE[datatype] != spec.dtype:
        raise BadRequest(f"{where}: datatype {datatype}, but the model expects {DTYPES[spec.dtype][0]}")
    params = tensor.get("parameters") or {}
    size = params.get("binary_data_size") if isinstance(params, dict) else None
    count = numel(shape)
    if size is not None:
        dtype = numpy_dtype(spec.dtype)
        if not isinstance(size, int) or size != count * dtype.itemsize or offset + size > len(binary):
            raise BadRequest(f"{where}: binary_data_size {str(size)[:20]} does not fit shape {shape} of {datatype} "
                             f"({count * dtype.itemsize} bytes) within the {len(binary) - offset} bytes left")
        return np.frombuffer(binary, dtype, count, offset).reshape(shape), offset + size
    if "data" not in tensor:
        raise BadRequest(f"{where}: no \"data\" (and no binary_data_size parameter)")
    a = to_array(tensor["data"], spec.dtype, where)
    if a.size != count:
        raise BadRequest(f"{where}: shape {shape} has {count} elements but \"data\" has {a.size}")
    return a.reshape(shape), offset


def validate(servable, doc, binary):
    """Input arrays in the model's order, and the requested outputs as [(index, binary?)]."""
    unknown = sorted(set(doc) - _REQUEST_KEYS)
    if unknown:
        raise BadRequest(f"unknown keys {unknown[:5]} in the request; an infer request has \"inputs\" and "
                         "optionally \"id\", \"parameters\", \"outputs\"")
    tensors = doc.get("inputs")
    if not isinstance(tensors, list) or not tensors or not all(isinstance(t, dict) for t in tensors):
        raise BadRequest("\"inputs\" must be a non-empty list of tensors {name, shape, datatype, data}")
    given = [t.get("name") for t in tensors]
    want = [s.name for s in servable.inputs]
    if len(set(map(str, given))) != len(given) or set(given) != set(want):
        raise BadRequest(f"the request's inputs {[str(g)[:40] for g in given][:8]} must be exactly the model's "
                         f"inputs {want}, each once")
    by_name, offset = {}, 0
    for t in tensors:
        where = f"input {t['name']!r}"
        by_name[t["name"]], offset = _tensor_array(t, servable.input(t["name"]), binary, offset, where)
    if offset != len(binary):
        raise BadRequest(f"the body has {len(binary) - offset} bytes of binary data that no input claims")
    arrays = [by_name[n] for n in want]
    for a, spec in zip(arrays, servable.inputs):
        check_shape(a, spec.shape, f"input {spec.name!r}")
        if a.ndim == 0:
            raise BadRequest(f"input {spec.name!r}: expected a batch (shape [N, ...]), got a scalar")
    if len({len(a) for a in arrays}) > 1:
        raise BadRequest(f"the inputs have different batch sizes {[len(a) for a in arrays]}; they must agree")
    return arrays, _requested(servable, doc)


def _requested(servable, doc):
    params = doc.get("parameters") or {}
    if not isinstance(params, dict):
        raise BadRequest("\"parameters\" must be an object")
    default_binary = params.get("binary_data_output") is True
    names = [s.name for s in servable.outputs]
    outputs = doc.get("outputs")
    if outputs is None:
        return [(i, default_binary) for i in range(len(names))]
    if not isinstance(outputs, list) or not all(isinstance(o, dict) for o in outputs):
        raise BadRequest("\"outputs\" must be a list of {\"name\": ...} objects")
    picked = []
    for o in outputs:
        if o.get("name") not in names:
            raise BadRequest(f"requested output {str(o.get('name'))[:40]!r} is not an output of the model; "
                             f"outputs: {names}")
        p = o.get("parameters") or {}
        picked.append((names.index(o["name"]), p.get("binary_data", default_binary) is True))
    return picked


def render(servable, version, doc, outputs, picked):
    """(JSON document, binary tail) of the response."""
    result, tail = [], []
    for i, binary in picked:
        a, spec = outputs[i], servable.outputs[i]
        entry = {"name": spec.name, "datatype": DTYPES[a.dtype.name][0], "shape": list(a.shape)}
        if binary:
            raw = np.ascontiguousarray(a).tobytes()
            entry["parameters"] = {"binary_data_size": len(raw)}
            tail.append(raw)
        else:
            entry["data"] = a.reshape(-1).tolist()
        result.append(entry)
    out = {"model_name": servable.name, "model_version": str(version.number), "outputs": result}
    if isinstance(doc.get("id"), str):
        out["id"] = doc["id"]
    return out, b"".join(tail)


async def infer(app, request, name, version=None):
    model = app.repository.get(name)
    doc, binary = split_body(request, await app.read_body(request))
    v = model.version(version)
    arrays, picked = validate(v.servable, doc, binary)
    outputs = await app.infer(v, arrays)
    out, tail = render(v.servable, v, doc, outputs, picked)
    return 200, out, tail


_MODEL = r"/v2/models/(?P<name>[^/]+?)(?:/versions/(?P<version>[^/]+))?"
ROUTES = [
    ("GET", r"/v2/health/live", live, "v2_live"),
    ("GET", r"/v2/health/ready", ready, "v2_ready"),
    ("GET", r"/v2", server_metadata, "v2_server"),
    ("POST", _MODEL + r"/infer", infer, "v2_infer"),
    ("GET", _MODEL + r"/ready", model_ready, "v2_model_ready"),
    ("GET", _MODEL, model_metadata, "v2_model"),
]
