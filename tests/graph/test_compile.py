"""ember.compile against eager: every registry op (outputs and gradients), training steps step for
step with a changing batch size, guards, retrace logging and limits, printable source."""
import logging

import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember.graph import RecompileError, TraceError
from ember.ops.registry import REGISTRY, SampleMaker


def _cases():
    for name, info in sorted(REGISTRY.items()):
        for i, s in enumerate(info.samples(SampleMaker("float64"))):
            yield pytest.param(name, i, id=f"{name}-{s.name or i}")


def _tensors(x, found):
    """Sample args with arrays as tensors; the floating ones (in order) are collected in `found`."""
    if isinstance(x, np.ndarray):
        t = ember.from_numpy(np.copy(x, order="K"))
        if x.dtype.kind == "f":
            t.requires_grad_()
            found.append(t)
        return t
    if isinstance(x, (list, tuple)):
        return type(x)(_tensors(v, found) for v in x)
    return x


def _float_outputs(out):
    if isinstance(out, (list, tuple)):
        return [o for x in out for o in _float_outputs(x)]
    return [out] if isinstance(out, ember.Tensor) and out.is_floating_point() else []


@pytest.mark.parametrize("name,i", list(_cases()))
def test_registry_op_compiled_matches_eager(name, i):
    info = REGISTRY[name]
    sample = info.samples(SampleMaker("float64"))[i]
    leaves = []
    args = _tensors(sample.args, leaves)
    kwargs = {k: _tensors(v, leaves) for k, v in sample.kwargs.items()}
    if not leaves:
        pytest.skip("no floating tensor argument to trace through")

    def rebuild(xs):
        it = iter(xs)
        swap = {id(t): next(it) for t in leaves}

        def put(x):
            if isinstance(x, ember.Tensor):
                return swap.get(id(x), x)
            if isinstance(x, (list, tuple)):
                return type(x)(put(v) for v in x)
            return x
        return put(args), {k: put(v) for k, v in kwargs.items()}

    def forward_and_grads(*xs):
        a, kw = rebuild(xs)
        outs = _float_outputs(info.fn(*a, **kw))
        if not info.grad or not outs or not any(o.requires_grad for o in outs):
            return tuple(o.detach() for o in outs)
        total = sum((o * (k + 1.0)).sum() for k, o in enumerate(outs) if o.requires_grad)
        grads = ember.autograd.grad(total, list(xs), allow_unused=True)
        return tuple(o.detach() for o in outs) + tuple(g for g in grads if g is not None)

    fresh = [ember.from_numpy(np.array(t.detach().numpy() * 0.9 + 0.05)).requires_grad_() for t in leaves]
    expected = forward_and_grads(*fresh)
    compiled = ember.compile(forward_and_grads, dynamic_batch=False)
    compiled(*leaves)            # traces (an eager run)
    got = compiled(*fresh)       # replays the generated code on new values
    assert len(got) == len(expected)
    for e, g in zip(expected, got):
        np.testing.assert_allclose(np.asarray(g.numpy()), np.asarray(e.numpy()), rtol=1e-7, atol=1e-12)


def _models():
    V, T = 11, 6

    def mlp():
        return ember.nn.Sequential(ember.nn.Linear(8, 16), ember.nn.ReLU(), ember.nn.Linear(16, 4)), \
            lambda n, rng: (rng.standard_normal((n, 8)), rng.integers(0, 4, n))

    def cnn():
        nn = ember.nn
        return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                             nn.Linear(4 * 4 * 4, 4)), \
            lambda n, rng: (rng.standard_normal((n, 1, 8, 8)), rng.integers(0, 4, n))

    class LM(ember.nn.Module):
        def __init__(self, kind):
            super().__init__()
            nn = ember.nn
            self.embed = nn.Embedding(V, 8)
            self.kind = kind
            if kind == "lstm":
                self.body = nn.LSTM(8, 12, batch_first=True)
                width = 12
            else:
                self.pos = nn.Embedding(T, 8)
                self.body = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0,
                                                                             batch_first=True), 2)
                self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(T))
                width = 8
            self.head = nn.Linear(width, V)

        def forward(self, x):
            if self.kind == "lstm":
                return self.head(self.body(self.embed(x))[0]).reshape(-1, V)
            h = self.embed(x) + self.pos(ember.arange(T))
            return self.head(self.body(h, mask=self.mask, is_causal=True)).reshape(-1, V)

    def tokens(n, rng):
        return rng.integers(0, V, (n, T)), rng.integers(0, V, n * T)

    return {"mlp": mlp, "cnn": cnn, "lstm": lambda: (LM("lstm"), tokens),
            "transformer": lambda: (LM("transformer"), tokens)}


@pytest.mark.parametrize("workload", ["mlp", "cnn", "lstm", "transformer"])
def test_training_step_matches_eager_step_for_step(workload):
    def make():
        ember.manual_seed(0)
        model, data = _models()[workload]()
        return model, ember.optim.Adam(model.parameters(), lr=0.01), data

    def step_of(model, opt):
        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss
        return step

    m1, o1, data = make()
    m2, o2, _ = make()
    eager, compiled = step_of(m1, o1), ember.compile(step_of(m2, o2))
    rng = np.random.default_rng(1)
    for i in range(20):
        x, y = data(6 if i < 10 else 3, rng)  # the batch size changes half way: no retrace
        x = ember.tensor(x.astype(np.float32) if x.dtype.kind == "f" else x)
        y = ember.tensor(y)
        assert compiled(x, y).item() == pytest.approx(eager(x, y).item(), rel=1e-5, abs=1e-6)
        for (name, a), b in zip(m1.named_parameters(), m2.parameters()):
            np.testing.assert_allclose(b.detach().numpy(), a.detach().numpy(), rtol=1e-4, atol=1e-5,
                                       err_msg=f"{name} after step {i}")
    assert compiled.retraces == 0
    assert "def replay" in compiled.source() and "Update" in compiled.source()


def test_batch_size_change_does_not_retrace_but_dtype_and_features_do(caplog):
    model = ember.nn.Sequential(ember.nn.Linear(4, 3), ember.nn.Tanh()).eval()
    fast = ember.compile(model)
    for n in (5, 2, 9):
        x = ember.randn(n, 4)
        np.testing.assert_allclose(fast(x).numpy(), model(x).detach().numpy(), rtol=1e-6)
    assert fast.retraces == 0 and "B = inputs[0].shape[0]" in fast.source()
    with caplog.at_level(logging.WARNING, logger="ember.compile"):
        fast(ember.randn(3, 4, dtype=ember.float64).float().double().float())  # same signature
        assert fast.retraces == 0
        model.double()
        fast(ember.randn(3, 4, dtype=ember.float64))
    assert fast.retraces == 1
    assert "argument 0 dtype changed from float32 to float64" in caplog.text


@pytest.mark.parametrize("fn", [
    lambda x: (x @ x.T).sum() / (x.shape[0] * x.shape[0]),  # B * B: linear between B and B + 1 only
    lambda x: x.chunk(2)[0] * 2,                             # ceil(B / 2)
    lambda x: x[: x.shape[0] // 4] + 1,                      # constant between 64 and 67
    lambda x: x.reshape(2, -1).sum(0),                       # the batch joins another dim
], ids=["square", "chunk", "floor", "reshape"])
def test_literals_that_are_not_linear_in_the_batch_size_key_on_it(fn, caplog):
    # two probe sizes cannot tell these from k * B + c; each new batch size's first call is recorded and
    # compared, and where it disagrees the graph keys on the batch size (eager's results at every size)
    fast = ember.compile(fn)
    with caplog.at_level(logging.WARNING, logger="ember.compile"):
        for n in (64, 66, 128, 32, 64, 128, 66):
            x = ember.randn(n, 3)
            np.testing.assert_allclose(fast(x).numpy(), fn(x).numpy(), rtol=1e-5, err_msg=f"batch {n}")
    assert "keys on the batch size" in caplog.text


def test_a_linear_graph_is_verified_once_per_batch_size_and_then_replayed():
    model = ember.nn.Linear(3, 2).eval()
    fast = ember.compile(model)
    for n in (8, 5, 8, 5, 12):
        x = ember.randn(n, 3)
        np.testing.assert_allclose(fast(x).numpy(), model(x).detach().numpy(), rtol=1e-6)
    assert fast.retraces == 0 and fast.last.batch_dynamic and fast.last.sizes == {5, 8, 9, 12}


def test_arange_of_the_batch_size_is_recorded_not_captured():
    # arange is a primitive in a trace: its length follows the batch (positions, a batch index)
    def f(x):
        return x * ember.arange(x.shape[0]).float()[:, None] + ember.arange(0, 1, 0.25)
    fast = ember.compile(f)
    for n in (4, 6, 4, 9):
        x = ember.randn(n, 4)
        np.testing.assert_allclose(fast(x).numpy(), f(x).numpy(), rtol=1e-6)
    assert fast.retraces == 0 and "Arange" in fast.source() and "n=B" in fast.source()


def test_a_batch_size_whose_graph_differs_gets_its_own_and_the_rest_stay_dynamic():
    # at batch size 1 the gradient of a parameter broadcast over the batch needs no sum: that size gets
    # its own graph, and every other size still replays the batch-dynamic one
    p = ember.zeros(3, requires_grad=True)

    def step(x):
        p.grad = None
        (x + p[None]).pow(2).sum().backward()
        return p.grad * 1
    fast = ember.compile(step)
    for n in (4, 5, 6, 1, 2, 3, 7, 8, 9, 10, 11, 12, 1):
        x = ember.randn(n, 3)
        np.testing.assert_allclose(fast(x).numpy(), step(x).numpy(), rtol=1e-5)
    assert fast.retraces == 1


@pytest.mark.parametrize("rows", [1, 3, 6])
def test_an_argument_without_a_batch_dim_keeps_its_size(rows):
    # a weight passed as an argument, whose rows are a multiple of the batch size at the first call: the
    # key says each argument's dim 0 as a multiple of the batch size, so another batch size is another graph
    def f(x, w):
        return x[:, :1] * w.reshape(w.shape[0] * 5)[-5:] + x.sum()
    w = ember.randn(rows, 5)
    fast = ember.compile(f)
    for n in (1, 2, 3, 4, 6, 1, 3):
        x = ember.randn(n, 4)
        np.testing.assert_allclose(fast(x, w).numpy(), f(x, w).numpy(), rtol=1e-5)


def test_retrace_limit_raises_with_the_reason():
    fast = ember.compile(lambda x: x.sum(1), max_retraces=2)
    for k in (2, 3, 4):
        fast(ember.randn(2, k))
    with pytest.raises(RecompileError, match="shape changed"):
        fast(ember.randn(2, 5))


def test_data_dependent_control_flow_is_reported_with_the_line():
    def f(x):
        if x.sum() > 0:  # the line the error names
            return x
        return -x
    with pytest.raises(TraceError, match=r"test_compile.py:\d+ \(if x.sum\(\) > 0:"):
        ember.compile(f)(ember.randn(3))
    with pytest.raises(TraceError, match="item"):
        ember.compile(lambda x: x * x.max().item())(ember.randn(3))


def test_graph_listing_json_and_validation():
    model = ember.nn.Sequential(ember.nn.Linear(4, 3), ember.nn.ReLU())
    g = ember.graph.trace(model, ember.randn(2, 4))
    text = str(g)
    assert text.startswith("graph(%0: float32[B, 4]):") and "dense.Linear" in text and "parameter '0.weight'" in text
    again = ember.graph.Graph.from_json(g.to_json())
    assert str(again) == text
    x = ember.randn(5, 4)
    params = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    out, _ = ember.graph.interpret(again, [x.numpy()], params)
    np.testing.assert_allclose(out[0], model(x).detach().numpy(), rtol=1e-6)
    broken = ember.graph.Graph.from_json(g.to_json())
    broken.nodes[3].args = [ember.graph.Ref(99)]
    with pytest.raises(ember.graph.GraphError, match=r"graph node 3 .*uses %99 before it is defined"):
        broken.validate()
    broken.nodes[3].name = "not.a.Primitive"
    with pytest.raises(ember.graph.GraphError, match="not a registered primitive"):
        broken.validate()


def test_compiled_module_inference_latency_path():
    model = ember.nn.Sequential(ember.nn.Linear(8, 8), ember.nn.ReLU(), ember.nn.Linear(8, 2)).eval()
    fast = ember.compile(model)
    x = ember.randn(1, 8)
    expected = model(x).detach().numpy()
    assert not fast(x).requires_grad
    np.testing.assert_allclose(fast(x).numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("bad", [12, -1])
def test_a_compiled_replay_checks_index_values_as_eager_does(bad):
    # value checks live in the primitives (not in the public wrappers a replay skips): an index out
    # of range raises the same ember error in a replay, never wraps around or escapes as IndexError
    ember.manual_seed(0)
    emb, head = ember.nn.Embedding(10, 4), ember.nn.Linear(4, 3)

    def loss(tokens, target):
        return F.cross_entropy(head(emb(tokens)).mean(1), target)
    fast = ember.compile(loss)
    good_tokens, good_target = ember.tensor([[1, 2], [3, 4]]), ember.tensor([0, 2])
    np.testing.assert_allclose(fast(good_tokens, good_target).item(), loss(good_tokens, good_target).item(),
                               rtol=1e-6)
    for tokens, target, message in ((ember.tensor([[1, bad], [3, 4]]), good_target, "embedding: index"),
                                    (good_tokens, ember.tensor([0, bad if bad < 0 else 3]), "cross_entropy: target")):
        for run in (loss, fast):
            with pytest.raises(ember.errors.IndexOutOfRangeError, match=message):
                run(tokens, target)


def test_item_assignment_to_a_tensor_nothing_differentiates_is_replayed():
    """`t[key] = value` on a tensor that needs no gradient (a mask built in the step, a clone of the
    input, a parameter under no_grad) is a call of the compiled graph like any other, so every replay
    makes the write again: the same values as eager, call after call."""
    def make():
        w = ember.nn.Parameter(ember.ones(3))

        def f(x):
            t = ember.zeros(2, 3)
            t[:, 0] = 5.0
            y = x.clone()
            y[x > 1.5] = -1.0
            with ember.no_grad():
                w[1] = w[1] * 2
            return x + t + y * w
        return f, w
    (f, w), (compiled, cw) = make(), make()
    compiled = ember.compile(compiled, dynamic_batch=False)
    for i in range(3):
        x = ember.tensor(np.random.default_rng(i).uniform(1, 2, (2, 3)).astype(np.float32))
        np.testing.assert_array_equal(compiled(x).detach().numpy(), f(x).detach().numpy())
    assert cw.tolist() == w.tolist() == [1.0, 8.0, 1.0]   # three calls, each doubling w[1]


def test_train_and_eval_each_get_their_graph_and_freezing_retraces(caplog):
    """A compiled model remembers the training flags and requires_grad it was traced with: switched to
    eval() it retraces once (dropout off, as eager), and back in train() it finds its first graph
    again; freezing or unfreezing a parameter retraces a compiled training step, which then
    updates exactly the parameters eager updates."""
    ember.manual_seed(0)
    model = ember.nn.Sequential(ember.nn.Linear(4, 4), ember.nn.Dropout(0.5))
    compiled = ember.compile(model)
    x = ember.randn(3, 4)
    compiled(x)
    model.eval()
    np.testing.assert_array_equal(compiled(x).detach().numpy(), model(x).detach().numpy())
    model.train()
    compiled(x)
    model.eval()
    compiled(x)
    assert compiled.retraces == 1 and "Sequential.training changed from True to False" in caplog.text

    def run(compile_it):
        ember.manual_seed(0)
        lin = ember.nn.Linear(2, 1)
        opt = ember.optim.SGD(lin.parameters(), lr=0.1)

        def step(x):
            opt.zero_grad()
            lin(x).sum().backward()
            opt.step()
        fn = ember.compile(step) if compile_it else step
        x = ember.ones(5, 2)
        for i in range(6):
            lin.weight.requires_grad_(i % 2 == 0)
            fn(x)
        return lin.weight.detach().numpy().copy(), lin.bias.detach().numpy().copy()
    for got, want in zip(run(True), run(False)):
        np.testing.assert_array_equal(got, want)


def test_a_folded_constant_returned_is_a_new_array_each_call():
    """Eager makes a new tensor each call; a compiled function returning a constant its compile folded
    returns a copy, so changing one call's result in place leaves later calls' alone."""
    compiled = ember.compile(lambda x: (x + 1, ember.ones(3)))
    x = ember.zeros(2, 3)
    compiled(x)
    first = compiled(x)[1]
    first.mul_(5)
    assert compiled(x)[1].tolist() == [1.0, 1.0, 1.0]


def test_a_write_through_a_view_then_a_read_of_its_base_is_refused():
    """A compiled graph gives a view written in place its new value but not the tensor it views: a
    function that then reads that tensor (or another view of the written memory) is refused at trace
    time with a way out, where its replays silently read the old values. Writes to a view that is
    the only thing read afterwards, and to disjoint chunks read separately, replay as eager."""
    def reads_base(x):
        t = x.clone()
        t[0].mul_(10)
        return t * 1
    with pytest.raises(TraceError, match=r"wrote in place into a view .*t\[key\] = value"):
        ember.compile(reads_base)(ember.ones(2, 3))

    def through_base(x):
        t = x.clone()
        t[0] = t[0] * 10
        return t * 1

    def chunks(x):
        a, b = x.clone().chunk(2, 1)
        a.mul_(3)
        return a + 1, b * 2

    def only_view(x):
        y = x.clone().reshape(-1)
        y.add_(1)
        return y * 2
    for fn in (through_base, chunks, only_view):
        compiled = ember.compile(fn, dynamic_batch=False)
        for i in range(3):
            x = ember.tensor(np.random.default_rng(i).standard_normal((2, 4)).astype(np.float32))
            want, got = fn(x), compiled(x)
            for g, w in zip(got if isinstance(got, tuple) else (got,), want if isinstance(want, tuple) else (want,)):
                np.testing.assert_array_equal(g.numpy(), w.numpy())


def test_float_and_int_of_a_traced_tensor_are_refused_and_written_arguments_written_back():
    """`float(t)` and `int(t)` read a value as `.item()` does, and are refused the same way (they were
    baked into the graph: later calls reused the first call's value). An argument the function
    writes in place (a batch norm's running statistics passed in, `x[:, 0] = y`, `x.mul_(2)`) gets its
    new value after every call, as in eager (replays left it unchanged); a write into a view of an
    argument, which the graph cannot carry back, is refused."""
    for fn in (lambda x: x * float(x.sum()), lambda x: x[: int(x[0, 0] > 0) + 1]):
        with pytest.raises(TraceError, match=r"item\(\) of a traced tensor .*test_compile.py"):
            ember.compile(fn)(ember.randn(4, 3))

    def step(x, y, mean, var):
        x.mul_(2)
        x[:, 0] = y
        return F.batch_norm(x, mean, var, training=True, momentum=0.1).sum()
    compiled = ember.compile(step, dynamic_batch=False)
    rng = np.random.default_rng(0)
    ours, theirs = [ember.zeros(3), ember.ones(3)], [ember.zeros(3), ember.ones(3)]
    for _ in range(3):
        x, y = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal(4).astype(np.float32)
        a, b = ember.tensor(x), ember.tensor(x)
        np.testing.assert_allclose(float(compiled(a, ember.tensor(y), *ours)),
                                   float(step(b, ember.tensor(y), *theirs)), rtol=1e-6, atol=1e-6)
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        for o, t in zip(ours, theirs):
            np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-6)

    def through_a_view(x):
        x[0].mul_(2)
        return x.sum()
    with pytest.raises(TraceError, match="writes in place into a view of its argument 0"):
        ember.compile(through_a_view)(ember.ones(4, 3))
