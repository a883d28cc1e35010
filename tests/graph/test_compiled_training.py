"""The compiled training step as one graph: forward, backward at primitive level and the
optimizer update run in place, against eager training with every optimizer; the generated
source stays readable."""
import tracemalloc

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.graph.codegen import in_place_calls
from test_compile import _models

OPTIMIZERS = {
    "sgd": lambda ps: ember.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
    "adam": lambda ps: ember.optim.Adam(ps, lr=0.01),
    "adamw": lambda ps: ember.optim.AdamW(ps, lr=0.01, weight_decay=0.1),
    "rmsprop": lambda ps: ember.optim.RMSprop(ps, lr=0.01, momentum=0.5),
    "adagrad": lambda ps: ember.optim.Adagrad(ps, lr=0.05),
    "adadelta": lambda ps: ember.optim.Adadelta(ps, lr=0.5),
    "adamax": lambda ps: ember.optim.Adamax(ps, lr=0.01),
    "nadam": lambda ps: ember.optim.NAdam(ps, lr=0.01),
}


def _step_of(model, opt):
    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return step


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@pytest.mark.parametrize("workload", ["mlp", "cnn", "lstm", "transformer"])
def test_compiled_step_matches_eager_with_every_optimizer(workload, optimizer):
    def make():
        ember.manual_seed(0)
        model, data = _models()[workload]()
        return model, OPTIMIZERS[optimizer](model.parameters()), data

    (m1, o1, data), (m2, o2, _) = make(), make()
    eager, compiled = _step_of(m1, o1), ember.compile(_step_of(m2, o2))
    rng = np.random.default_rng(1)
    for i in range(4):
        x, y = data(5, rng)
        x = ember.tensor(x.astype(np.float32) if x.dtype.kind == "f" else x)
        y = ember.tensor(y)
        assert compiled(x, y).item() == pytest.approx(eager(x, y).item(), rel=1e-5, abs=1e-6)
        for (name, a), b in zip(m1.named_parameters(), m2.parameters()):
            np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-4, atol=1e-5,
                                       err_msg=f"{name} after step {i}")
    source = compiled.source()
    # the optimizer's update runs in place: one call for the parameter group, nothing copied back
    assert source.count("forward_inplace(") == 1
    assert len(in_place_calls(compiled.graph)) == 1
    update = next(n for n in compiled.graph.nodes if n.op == "call" and n.name.endswith(".Update"))
    assert update.attrs["params"] == tuple(range(len(list(m2.parameters()))))


def test_backward_is_recorded_at_primitive_level():
    """Linear, conv and max-pool backwards are ember ops: the graph holds their primitives, not
    opaque `backward` nodes that rebuild tensors at replay."""
    ember.manual_seed(0)
    model, data = _models()["cnn"]()
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    compiled = ember.compile(_step_of(model, opt))
    x, y = data(4, np.random.default_rng(0))
    compiled(ember.tensor(x.astype(np.float32)), ember.tensor(y))
    graph = compiled.graph
    calls = [n.name.rsplit(".", 1)[-1] for n in graph.nodes if n.op == "call"]
    replayed = {n.args[0].id for n in graph.nodes if n.op == "call" and n.name == "backward"}
    opaque = {n.name.rsplit(".", 1)[-1] for n in graph.nodes
              if n.op == "call" and n.outputs and n.outputs[0].id in replayed}
    assert {"ConvInputGrad", "ConvWeightGrad", "WindowSpread"} <= set(calls) or \
        {"ConvWeightGrad", "WindowSpread"} <= set(calls)
    assert not opaque & {"Conv", "MaxPool", "Linear"}


def test_source_is_readable():
    ember.manual_seed(0)
    model, data = _models()["mlp"]()
    opt = ember.optim.Adam(model.parameters(), lr=0.01)
    compiled = ember.compile(_step_of(model, opt))
    x, y = data(4, np.random.default_rng(0))
    compiled(ember.tensor(x.astype(np.float32)), ember.tensor(y))
    source = compiled.source()
    lines = source.splitlines()
    assert lines[0] == "def replay(inputs, state, constants):"
    assert all(len(line) < 400 for line in lines)
    assert "P_Linear" in source and "forward_inplace" in source and "return [" in source
    compile(source, "<replay>", "exec")  # valid Python as printed


def test_in_place_update_never_overwrites_a_value_read_later():
    """A step that reads a weight after the optimizer updated it: that update must not run in
    place before the read (the read would see the wrong array), and results match eager."""
    def make():
        ember.manual_seed(0)
        model, data = _models()["mlp"]()
        return model, ember.optim.Adam(model.parameters(), lr=0.01), data

    def step_of(model, opt):
        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            before = model[0].weight * 1.0   # read before the update
            loss.backward()
            opt.step()
            return loss, before.sum(), (model[2].weight * 2.0).sum()  # read after the update
        return step

    (m1, o1, data), (m2, o2, _) = make(), make()
    eager, compiled = step_of(m1, o1), ember.compile(step_of(m2, o2))
    rng = np.random.default_rng(0)
    for _ in range(3):
        x, y = data(4, rng)
        x, y = ember.tensor(x.astype(np.float32)), ember.tensor(y)
        for a, b in zip(compiled(x, y), eager(x, y)):
            assert a.item() == pytest.approx(b.item(), rel=1e-5, abs=1e-6)
    n_params = len(list(m2.parameters()))
    assert len(in_place_calls(compiled.graph)) < n_params  # the update of model[2].weight is not in place


def _intervals(graph):
    """value id -> (index of the node that makes it, index of its last use), from the graph alone."""
    made = {v.id: i for i, n in enumerate(graph.nodes) for v in n.outputs}
    plan = graph.meta["memory_plan"]
    return {vid: (made[vid], plan["last_use"][vid]) for vid in plan["slots"]}


def _overlaps(graph):
    """Pairs of values that share a buffer slot while both are alive."""
    plan, spans = graph.meta["memory_plan"], _intervals(graph)
    by_slot = {}
    for vid, slot in plan["slots"].items():
        by_slot.setdefault(slot, []).append(vid)
    bad = []
    for vids in by_slot.values():
        vids.sort(key=lambda v: spans[v][0])
        for a, b in zip(vids, vids[1:]):
            if spans[b][0] <= spans[a][1]:  # b is made while a is still needed
                bad.append((a, b))
    return bad


@pytest.mark.parametrize("workload", ["mlp", "cnn", "lstm", "transformer"])
def test_buffer_reuse_never_aliases_a_live_value(workload):
    ember.manual_seed(0)
    model, data = _models()[workload]()
    opt = ember.optim.Adam(model.parameters(), lr=0.01)
    compiled = ember.compile(_step_of(model, opt))
    x, y = data(4, np.random.default_rng(0))
    compiled(ember.tensor(x.astype(np.float32) if x.dtype.kind == "f" else x), ember.tensor(y))
    graph = compiled.graph
    plan = graph.meta["memory_plan"]
    assert plan["bytes_with_reuse"] < plan["bytes_without_reuse"]  # buffers are shared...
    assert _overlaps(graph) == []                                    # ...never while both live
    # the check catches a bad plan: put a value into the slot of one that is still alive
    spans = _intervals(graph)
    a, b = next((a, b) for a in spans for b in spans
                if a != b and spans[a][0] < spans[b][0] <= spans[a][1])
    plan["slots"][b] = plan["slots"][a]
    assert (a, b) in _overlaps(graph)


def _traced_step_peak(compiled):
    """(held, peak): the memory (tracemalloc: NumPy's allocations too) held when a warm training step
    starts, counting everything made since before the model (parameters, optimizer state, gradients, the
    compiled program), and the most held during the step."""
    tracemalloc.start()
    try:
        ember.manual_seed(0)
        model = ember.nn.Sequential(ember.nn.Linear(256, 512), ember.nn.ReLU(), ember.nn.Linear(512, 512),
                                    ember.nn.ReLU(), ember.nn.Linear(512, 10))
        step = _step_of(model, ember.optim.Adam(model.parameters()))
        run = ember.compile(step, state=dict(model.state_dict(keep_vars=True))) if compiled else step
        x, y = ember.randn(64, 256), ember.randint(0, 10, (64,))
        run(x, y)
        run(x, y)  # the compile's tracing and the optimizer's first state are not the step's
        tracemalloc.reset_peak()
        held = tracemalloc.get_traced_memory()[0]
        run(x, y)
        return held, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_compiled_step_holds_no_more_memory_than_eager():
    # the gradients a step replaces without reading (zero_grad set them to None) are dropped before the
    # replay: before, the old and the new gradients were held at once (+25% here)
    for compiled in (False, True):  # once untraced: modules imported on first use are not the step's
        _traced_step_peak(compiled)
    (held_e, peak_e), (held_c, peak_c) = _traced_step_peak(False), _traced_step_peak(True)
    assert peak_c - held_c <= peak_e - held_e  # what the step itself adds: activations, gradients, temporaries
    assert peak_c <= 1.05 * peak_e  # the compiled program (graph, generated code) is held on top


@pytest.mark.parametrize("with_state", [False, True])
def test_compiled_step_leaves_eager_gradients_on_captured_and_state_parameters(with_state):
    # a step that captures its model (torch.compile's usual use) leaves each replay's gradients in .grad,
    # as eager backward does: code after the step (clipping, logging grad norms) reads the current ones
    models, grads = [], []
    for compiled in (False, True):
        ember.manual_seed(0)
        model = ember.nn.Sequential(ember.nn.Linear(4, 8), ember.nn.Tanh(), ember.nn.Linear(8, 2))
        opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

        def step(x, y):
            opt.zero_grad()
            loss = F.mse_loss(model(x), y)
            loss.backward()
            opt.step()
            return loss
        run = ember.compile(step, state=dict(model.state_dict(keep_vars=True)) if with_state else None) \
            if compiled else step
        ember.manual_seed(1)
        seen = []
        for _ in range(4):
            run(ember.randn(8, 4), ember.randn(8, 2))
            seen.append([p.grad.numpy().copy() for p in model.parameters()])
        models.append(model)
        grads.append(seen)
    for eager_step, compiled_step in zip(*grads):
        for e, c in zip(eager_step, compiled_step):
            np.testing.assert_allclose(c, e, rtol=1e-5, atol=1e-7)
    for e, c in zip(models[0].parameters(), models[1].parameters()):
        np.testing.assert_allclose(c.detach().numpy(), e.detach().numpy(), rtol=1e-5, atol=1e-7)


def test_an_output_nothing_reads_is_dropped_right_after_its_call():
    """An LSTM's final states go as soon as the call returns, though its backward node runs later:
    that replays the call's instance, which holds what the forward saved, and never reads them."""
    lstm = ember.nn.LSTM(4, 6)
    opt = ember.optim.SGD(lstm.parameters(), lr=0.1)

    def step(x):
        opt.zero_grad()
        loss = lstm(x)[0].square().mean()
        loss.backward()
        opt.step()
        return loss
    run = ember.compile(step)
    x = ember.randn(5, 3, 4)
    run(x)
    lines = [line.strip() for line in run.source().splitlines()]
    call = next(i for i, line in enumerate(lines) if ".forward(" in line and "LSTMRecurrence" in lines[i - 1])
    out, h_n, c_n = (v.strip() for v in lines[call].split("=")[0].rstrip(", ").split(","))
    assert lines[call + 1].startswith("del ") and {h_n, c_n} <= set(lines[call + 1][4:].split(", "))
    backward = next(i for i, line in enumerate(lines) if f"run_backward(f{out[1:]}," in line)
    assert backward > call + 1
    ref = ember.nn.LSTM(4, 6)
    ref.load_state_dict(lstm.state_dict())
    np.testing.assert_allclose(run(x).item(), ref(x)[0].square().mean().item(), rtol=1e-6)


def _accumulating(compiled, zero_every, captured_grad_first):
    """A step that adds to its gradients (no zero_grad inside): the optimizer steps and clears them
    outside, every `zero_every` calls (gradient accumulation); a captured leaf `w` differentiated too,
    with a gradient from an eager backward before the first call when `captured_grad_first`."""
    ember.manual_seed(0)
    model = ember.nn.Linear(3, 2)
    w = ember.randn(3, requires_grad=True)
    opt = ember.optim.SGD(list(model.parameters()) + [w], lr=0.1)
    if captured_grad_first:
        (model(w[None]) ** 2).sum().backward()

    def step(x):
        loss = (model(x * w) ** 2).sum()
        loss.backward()
        return loss
    run = ember.compile(step) if compiled else step
    seen = []
    for i in range(7):
        ember.manual_seed(i)
        seen.append(float(run(ember.randn(4, 3))))
        seen += [model.weight.grad.numpy().copy(), w.grad.numpy().copy()]
        if i % zero_every == zero_every - 1:
            opt.step()
            opt.zero_grad()
    return seen + [model.weight.detach().numpy(), w.detach().numpy()]


@pytest.mark.parametrize("zero_every,captured_grad_first", [(1, False), (3, False), (7, False), (3, True)])
def test_a_step_that_adds_to_its_gradients_adds_as_eager_does(zero_every, captured_grad_first):
    # the graph writes a gradient that was absent when traced and adds to one that was there: which one
    # it is is checked at each call (a gradient that appears or goes retraces), and a captured leaf's
    # existing gradient is read at each replay, not the array it held when traced
    eager = _accumulating(False, zero_every, captured_grad_first)
    compiled = _accumulating(True, zero_every, captured_grad_first)
    for e, c in zip(eager, compiled):
        np.testing.assert_allclose(c, e, rtol=1e-5, atol=1e-6)


def test_gradients_of_the_arguments_and_of_tensors_the_step_makes_are_not_assumed():
    # a saliency step: the argument's gradient is new at every call, as is a leaf the step makes itself
    model = ember.nn.Linear(4, 2)

    def saliency(x):
        model.zero_grad()
        z = x.detach().requires_grad_(True)
        (model(x) + model(z)).sum().backward()
        return x.grad + z.grad
    fast = ember.compile(saliency)
    for _ in range(10):
        x = ember.randn(3, 4, requires_grad=True)
        np.testing.assert_allclose(fast(x).numpy(), saliency(x.detach().requires_grad_(True)).numpy(), rtol=1e-6)
    assert fast.retraces == 0


def test_a_step_that_clears_its_gradients_traces_once(caplog):
    # zero_grad inside the step: the gradients it is called with do not matter, so no retrace for them
    ember.manual_seed(0)
    model = ember.nn.Linear(3, 2)
    opt = ember.optim.Adam(model.parameters())
    for set_to_none in (True, False):
        def step(x):
            opt.zero_grad(set_to_none=set_to_none)
            loss = model(x).pow(2).sum()
            loss.backward()
            opt.step()
            return loss
        run = ember.compile(step)
        with caplog.at_level("WARNING", logger="ember.compile"):
            for _ in range(3):
                run(ember.randn(4, 3))
        assert run.retraces == 0, caplog.text


@pytest.mark.parametrize("norm_type", [2.0, float("inf"), 1.0])
def test_gradient_clipping_inside_a_compiled_step_clips_every_step(norm_type):
    # clip_grad_norm_ and clip_grad_value_ are recorded ops: each replay clips its own gradients (the
    # norm was computed on raw arrays and captured, so replays scaled by the first step's factor)
    def run(compiled):
        ember.manual_seed(0)
        model = ember.nn.Sequential(ember.nn.Linear(4, 8), ember.nn.Tanh(), ember.nn.Linear(8, 2))
        opt = ember.optim.SGD(model.parameters(), lr=0.1)

        def step(x, y):
            opt.zero_grad()
            loss = F.mse_loss(model(x), y) * 50
            loss.backward()
            ember.nn.utils.clip_grad_norm_(model.parameters(), 0.5, norm_type=norm_type)
            ember.nn.utils.clip_grad_value_(model.parameters(), 0.05)
            opt.step()
            return loss
        fn = ember.compile(step) if compiled else step
        ember.manual_seed(1)
        losses = [float(fn(ember.randn(8, 4), ember.randn(8, 2))) for _ in range(5)]
        return losses + [p.detach().numpy() for p in model.parameters()]
    for e, c in zip(run(False), run(True)):
        np.testing.assert_allclose(c, e, rtol=1e-6, atol=1e-7)
