"""The profiler's files: Chrome Trace Event JSON, and TensorBoard's trace directory layout."""
import json
import os
import socket
import time

from ember.errors import ArgumentError

_CATEGORY = {"op": "cpu_op", "node": "autograd", "kernel": "kernel", "range": "user_annotation"}


def chrome_trace(events):
    """The Trace Event format document: one complete ("X") event per recorded op, kernel and range,
    timestamps in microseconds from the first event."""
    t0 = min((e.start_ns for e in events), default=0)
    pid = os.getpid()
    out = []
    for e in events:
        args = {"phase": e.phase}
        if e.input_shapes:
            args["Input Dims"] = e.input_shapes
        if e.bytes:
            args["Bytes"] = e.bytes
        if e.module:
            args["Module"] = e.module
        if e.stack:
            args["Call stack"] = ";".join(e.stack)
        out.append({"name": e.key, "cat": _CATEGORY[e.kind], "ph": "X", "pid": pid, "tid": 0,
                    "ts": (e.start_ns - t0) / 1e3, "dur": (e.end_ns - e.start_ns) / 1e3, "args": args})
    return {"traceEvents": out, "displayTimeUnit": "ms"}


def write_chrome_trace(events, path):
    path = os.fspath(path)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(chrome_trace(events), f)
    os.replace(tmp, path)


def tensorboard_trace_handler(dir_name, worker_name=None, use_gzip=False):
    """An `on_trace_ready` that writes each finished trace as `<worker>.<ms>.pt.trace.json` in `dir_name`
    (the layout TensorBoard's PyTorch profiler plugin reads)."""
    if use_gzip:
        raise ArgumentError("tensorboard_trace_handler: use_gzip=True is not supported; the traces are plain JSON")
    worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"

    def handler(prof):
        os.makedirs(dir_name, exist_ok=True)
        prof.export_chrome_trace(os.path.join(dir_name, f"{worker}.{int(time.time() * 1000)}.pt.trace.json"))
    return handler
