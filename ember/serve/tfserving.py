"""TF Serving's REST API: model status, metadata and `:predict` in the row and columnar formats.

Each handler is parse, validate, run, render. Bodies and errors have TF Serving's shapes, so its
clients and `curl` recipes work unchanged:

    curl -d '{"instances": [[1.0, 2.0]]}' localhost:8501/v1/models/net:predict
    {"predictions": [[0.3, 0.7]]}
"""
from ember.serve.errors import BadRequest, NotFound
from ember.serve.tensors import DTYPES, check_shape, parse_json, to_array

__all__ = ["ROUTES"]

SIGNATURE = "serving_default"
_PREDICT_KEYS = {"signature_name", "instances", "inputs"}


# --- status and metadata ------------------------------------------------------------------------
def _version_status(v):
    code = "OK" if v.state != "END" or not v.error else "UNKNOWN"
    return {"version": str(v.number), "state": v.state, "status": {"error_code": code, "error_message": v.error}}


async def status(app, request, name, version=None):
    model = app.repository.get(name)
    if version is None:
        versions = [model.versions[n] for n in sorted(model.versions, reverse=True)]
    else:
        try:
            versions = [model.versions[int(version)]]
        except (ValueError, KeyError):
            raise NotFound(f"model {name!r} has no version {version[:40]!r}; versions: {sorted(model.versions)}")
    return 200, {"model_version_status": [_version_status(v) for v in versions]}


def _tensor_info(spec):
    dims = [] if spec.shape is None else [{"size": str(-1 if d is None else d), "name": ""} for d in spec.shape]
    return {"dtype": DTYPES.get(spec.dtype, ("", "DT_INVALID"))[1], "name": f"{spec.name}:0",
            "tensor_shape": {"dim": dims, "unknown_rank": spec.shape is None}}


async def metadata(app, request, name, version=None):
    v = app.repository.get(name).version(version)
    s = v.servable
    signature = {"inputs": {t.name: _tensor_info(t) for t in s.inputs},
                 "outputs": {t.name: _tensor_info(t) for t in s.outputs},
                 "method_name": "tensorflow/serving/predict"}
    return 200, {"model_spec": {"name": name, "signature_name": "", "version": str(v.number)},
                 "metadata": {"signature_def": {"signature_def": {SIGNATURE: signature}}}}


# --- predict ------------------------------------------------------------------------------------
def _parse_predict(doc):
    unknown = sorted(set(doc) - _PREDICT_KEYS)
    if unknown:
        raise BadRequest(f"unknown keys {unknown[:5]} in the request; a predict request has \"instances\" (row "
                         f"format) or \"inputs\" (columnar format), and optionally \"signature_name\"")
    if ("instances" in doc) == ("inputs" in doc):
        raise BadRequest("a predict request needs exactly one of \"instances\" (row format) or \"inputs\" "
                         "(columnar format)")
    signature = doc.get("signature_name", SIGNATURE)
    if signature != SIGNATURE:
        raise BadRequest(f"signature_name {str(signature)[:40]!r} is not served; the only signature is "
                         f"{SIGNATURE!r}")
    return ("row", doc["instances"]) if "instances" in doc else ("columnar", doc["inputs"])


def _row_arrays(servable, instances):
    """One array per input from the row format: a list of instances (dicts by input name when the
    model has several inputs)."""
    if not isinstance(instances, list) or not instances:
        raise BadRequest("\"instances\" must be a non-empty list, one entry per example")
    names = [s.name for s in servable.inputs]
    if len(names) == 1 and not all(isinstance(i, dict) for i in instances):
        columns = {names[0]: instances}
    else:
        columns = {n: [] for n in names}
        for k, inst in enumerate(instances):
            if not isinstance(inst, dict) or set(inst) != set(names):
                got = sorted(inst) if isinstance(inst, dict) else type(inst).__name__
                raise BadRequest(f"instances[{k}] must be an object with exactly the inputs {names}, got {got}")
            for n in names:
                columns[n].append(inst[n])
    return [to_array(columns[s.name], s.dtype, f"input {s.name!r}") for s in servable.inputs]


def _columnar_arrays(servable, inputs):
    names = [s.name for s in servable.inputs]
    if isinstance(inputs, dict):
        if set(inputs) != set(names):
            raise BadRequest(f"\"inputs\" must name exactly the model's inputs {names}, got {sorted(inputs)[:8]}")
        values = [inputs[n] for n in names]
    elif len(names) == 1:
        values = [inputs]
    else:
        raise BadRequest(f"the model has {len(names)} inputs {names}: give \"inputs\" as an object by name")
    return [to_array(v, s.dtype, f"input {s.name!r}") for v, s in zip(values, servable.inputs)]


def validate(servable, form, payload):
    arrays = (_row_arrays if form == "row" else _columnar_arrays)(servable, payload)
    for a, spec in zip(arrays, servable.inputs):
        check_shape(a, spec.shape, f"input {spec.name!r}")
        if a.ndim == 0:
            raise BadRequest(f"input {spec.name!r}: expected a batch of examples, got a single number")
    sizes = {len(a) for a in arrays}
    if len(sizes) > 1:
        raise BadRequest(f"the inputs have different batch sizes {[len(a) for a in arrays]}; they must agree")
    return arrays


def render(servable, form, outputs):
    names = [s.name for s in servable.outputs]
    if form == "row":
        if len(outputs) == 1:
            return {"predictions": outputs[0].tolist()}
        columns = [o.tolist() for o in outputs]
        return {"predictions": [dict(zip(names, row)) for row in zip(*columns)]}
    if len(outputs) == 1:
        return {"outputs": outputs[0].tolist()}
    return {"outputs": {n: o.tolist() for n, o in zip(names, outputs)}}


async def predict(app, request, name, version=None):
    model = app.repository.get(name)
    form, payload = _parse_predict(parse_json(await app.read_body(request)))
    v = model.version(version)
    arrays = validate(v.servable, form, payload)
    outputs = await app.infer(v, arrays)
    return 200, render(v.servable, form, outputs)


_MODEL = r"/v1/models/(?P<name>[^/:]+)"
_VERSION = r"(?:/versions/(?P<version>[^/:]+))?"
# (method, path pattern, handler, endpoint label for the metrics)
ROUTES = [
    ("POST", _MODEL + _VERSION + r":predict", predict, "tfserving_predict"),
    ("GET", _MODEL + _VERSION + r"/metadata", metadata, "tfserving_metadata"),
    ("GET", _MODEL + _VERSION, status, "tfserving_status"),
]
