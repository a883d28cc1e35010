"""ember.profiler: what it records (eager forward and backward, compiled kernels), its accounting,
its Chrome trace (parsed as JSON and checked against the Trace Event format) and its schedule."""
import json

import numpy as np
import pytest

import ember
from ember import nn
from ember.autograd import dispatch
from ember.errors import ArgumentError
from ember.graph import observe
from ember.profiler import (EventList, FunctionEvent, ProfilerAction, profile, record_function, schedule,
                            tensorboard_trace_handler)


def mlp():
    ember.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3))


def ops(prof, kind="op"):
    return [e for e in prof.events() if e.kind == kind]


def test_records_every_eager_op_forward_and_backward_with_shapes_and_bytes():
    model, x = mlp(), ember.randn(4, 6)
    seen = []

    def spy(cls, args, attrs, proceed):   # an independent count of the primitive calls
        seen.append((cls.op_name(), dispatch.in_backward()))
        return proceed(args, attrs)
    with dispatch.observing(spy):
        with profile(record_shapes=True, profile_memory=True, with_modules=True) as prof:
            model(x).sum().backward()
    recorded = [(e.name, e.phase == "backward") for e in ops(prof)]
    assert recorded == seen
    linear = [e for e in ops(prof) if e.name == "linear"]
    assert [e.input_shapes for e in linear] == [[[4, 6], [5, 6], [5]], [[4, 5], [3, 5], [3]]]
    assert [e.bytes for e in linear] == [4 * 5 * 4, 4 * 3 * 4]   # float32 outputs
    assert [e.module for e in linear] == ["Sequential/0", "Sequential/2"]
    assert any(e.phase == "backward" for e in ops(prof))
    assert not dispatch._observers and not observe._observers and not dispatch._want_modules[0]


def test_compiled_step_kernels_are_recorded():
    model, x = mlp(), ember.randn(4, 6)
    opt = ember.optim.SGD(model.parameters(), lr=0.1)

    def step(x):
        opt.zero_grad()
        loss = model(x).sum()
        loss.backward()
        opt.step()
        return loss
    fast = ember.compile(step)
    fast(x)
    fast(x)
    with profile() as prof:
        fast(x)
    kernels = ops(prof, "kernel")
    calls = [n for n in fast.graph.nodes if n.op == "call"]
    assert len(kernels) == len(calls)
    # relu runs inside linear's epilogue; linear's and relu's backward are recorded at primitive level
    # (matmuls, sums, relu's gradient from its output); sum's replays as one node
    assert {e.name for e in kernels} >= {"linear", "matmul", "relugrad", "sum_backward"}
    assert all(e.phase == "backward" for e in kernels if e.name.endswith("_backward"))
    with profile() as prof:   # the plain generated code again once the profiler is closed
        pass
    assert fast.last._observed is not None and not observe._observers


def test_self_times_and_nesting_are_exact_on_known_events():
    events = EventList([
        FunctionEvent("step", 0, 10_000, "range"),
        FunctionEvent("matmul", 1_000, 4_000),
        FunctionEvent("relu", 4_000, 5_000),
        FunctionEvent("linear_backward", 6_000, 9_000, "kernel", "backward"),
        FunctionEvent("mul", 6_500, 7_500, "op", "backward"),
    ])
    by = {e.name: e for e in events}
    assert events.self_cpu_time_total == pytest.approx(10.0)       # microseconds: the whole span, once
    assert by["step"].self_cpu_time_total == pytest.approx(3.0)     # 10 - (3 + 1 + 3)
    assert by["linear_backward"].self_cpu_time_total == pytest.approx(2.0)
    avg = {a.key: a for a in events.key_averages()}
    assert avg["mul [backward]"].count == 1 and avg["matmul"].cpu_time_total == pytest.approx(3.0)
    table = events.table(sort_by="self_cpu_time_total", row_limit=2)
    rows = [line.split()[0] for line in table.splitlines()[3:5]]
    assert rows == ["step", "matmul"] and "Self CPU time total: 10.000us" in table
    with pytest.raises(ArgumentError, match="sort_by"):
        events.table(sort_by="gpu_time")


def test_chrome_trace_is_valid_trace_event_json_one_event_per_op(tmp_path):
    model, x = mlp(), ember.randn(4, 6)
    with profile(record_shapes=True) as prof:
        with record_function("forward"):
            y = model(x).sum()
        y.backward()
    prof.export_chrome_trace(tmp_path / "trace.json")
    doc = json.loads((tmp_path / "trace.json").read_text())
    events = doc["traceEvents"]
    assert len([e for e in events if e["cat"] == "cpu_op"]) == len(ops(prof))
    assert [e["name"] for e in events if e["cat"] == "user_annotation"] == ["forward"]
    for e in events:
        assert e["ph"] == "X" and isinstance(e["ts"], float) and e["dur"] >= 0
        assert isinstance(e["pid"], int) and isinstance(e["tid"], int) and isinstance(e["name"], str)
    fwd = next(e for e in events if e["name"] == "forward")
    inside = [e for e in events if e["cat"] == "cpu_op" and fwd["ts"] <= e["ts"] <= fwd["ts"] + fwd["dur"]]
    assert {e["name"] for e in inside} == {"linear", "relu", "sum"}


def test_schedule_and_tensorboard_trace_handler(tmp_path):
    plan = schedule(wait=1, warmup=1, active=2, repeat=1)
    assert [plan(i) for i in range(5)] == [ProfilerAction.NONE, ProfilerAction.WARMUP, ProfilerAction.RECORD,
                                           ProfilerAction.RECORD_AND_SAVE, ProfilerAction.NONE]
    model, x = mlp(), ember.randn(4, 6)
    ready = []
    handler = tensorboard_trace_handler(str(tmp_path), worker_name="w0")
    with profile(schedule=plan, on_trace_ready=lambda p: (ready.append(len(ops(p))), handler(p))) as prof:
        for step in range(6):
            with record_function(f"step{step}"):
                model(x).sum().backward()
            prof.step()
    per_step = len(ops(prof)) // 2
    assert ready == [2 * per_step]   # the two active steps, not the wait or warmup ones
    (trace,) = tmp_path.iterdir()
    assert trace.name.startswith("w0.") and trace.name.endswith(".pt.trace.json")
    names = [e["name"] for e in json.loads(trace.read_text())["traceEvents"] if e["cat"] == "user_annotation"]
    assert names == ["step2", "step3"]


def test_unsupported_arguments():
    with pytest.raises(ArgumentError, match="with_flops"):
        profile(with_flops=True)
    with pytest.raises(ArgumentError, match="active"):
        schedule(wait=0, warmup=0, active=0)
