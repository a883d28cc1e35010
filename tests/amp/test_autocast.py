"""ember.autocast against torch.autocast("cpu"): every registry op's sample calls (float32 inputs and
low-precision inputs, for bfloat16 and float16) give the same output dtypes and values; small models
(MLP, CNN, attention block) give the same outputs and float32 gradients; compile traces the casts;
the context manager's arguments, nesting, decorator form and weight cache."""
import numpy as np
import pytest

import ember
import ember.nn.functional as F
from ember import nn
from ember.autograd import dispatch
from ember.ops.registry import REGISTRY, SampleMaker

torch = pytest.importorskip("torch")

# Outputs whose dtype differs from PyTorch's, and why. The test asserts they still differ, so a
# fix shows up here.
KNOWN = {
    # PyTorch runs an LSTM with projections by its composite path, whose cell state stays float32
    # (c_0 is float32); ember runs the whole LSTM in low precision.
    ("lstm", "proj-bidirectional"): "c_n dtype",
    # PyTorch's matrix_exp of bfloat16/float16 input overflows to inf/NaN on these small matrices; ember's
    # (autocast leaves it alone, as PyTorch) computes finite values
    ("matrix_exp", "2d"): "values", ("matrix_exp", "batched"): "values",
}
TOL = {"bfloat16": 2e-2, "float16": 4e-3}     # a few units in the last place of the low dtype
LOOSE = {"rnn_tanh", "rnn_relu", "lstm", "gru"}  # rounding compounds over time steps and layers


def _convert(x, lib, dtype):
    if isinstance(x, np.ndarray):
        t = ember.from_numpy(np.copy(x)) if lib is ember else torch.from_numpy(np.copy(x))
        return t.to(getattr(lib, dtype)) if x.dtype.kind == "f" else t
    if isinstance(x, ember.dtype):
        return x if lib is ember else getattr(torch, x.name)
    if isinstance(x, (list, tuple)):
        return type(x)(_convert(v, lib, dtype) for v in x)
    return x


def _reference(info):
    obj = torch
    for part in info.ref.split("."):
        obj = getattr(obj, part)
    return obj


def _flat(out):
    if isinstance(out, (list, tuple)):
        return [o for x in out for o in _flat(x)]
    return [out]


def _run(lib, fn, sample, fast, inputs):
    args = _convert(sample.args, lib, inputs)
    kwargs = {k: _convert(v, lib, inputs) for k, v in sample.kwargs.items()}
    with lib.autocast("cpu", dtype=getattr(lib, fast)):
        return _flat(fn(*args, **kwargs))


def _catalogue():
    for name, info in sorted(REGISTRY.items()):
        for i, s in enumerate(info.samples(SampleMaker("float32"))):
            if any(isinstance(a, np.ndarray) and a.dtype.kind == "f" for a in _flat(list(s.args) + list(s.kwargs.values()))):
                yield name, i, s


def test_every_registry_op_matches_torch_autocast():
    """Each sample call, for fast dtype in (bfloat16, float16) and inputs float32 or the fast dtype."""
    checked, known = 0, set()
    for name, i, s in _catalogue():
        info = REGISTRY[name]
        for fast in ("bfloat16", "float16"):
            for inputs in ("float32", fast):
                try:
                    t_out = _run(torch, _reference(info), s, fast, inputs)
                except (RuntimeError, TypeError, NotImplementedError):
                    continue  # PyTorch has no kernel for this dtype here; nothing to compare with
                e_out = _run(ember, info.fn, s, fast, inputs)
                assert len(e_out) == len(t_out), name
                for k, (e, t) in enumerate(zip(e_out, t_out)):
                    if not isinstance(t, torch.Tensor):
                        continue
                    where = f"{name}[{s.name or i}] autocast {fast}, {inputs} inputs, output {k}"
                    if e.dtype.name != str(t.dtype)[6:]:
                        assert (name, s.name) in KNOWN, f"{where}: dtype {e.dtype} vs PyTorch {t.dtype}"
                        known.add((name, s.name))
                        continue
                    if not t.is_floating_point():
                        continue  # indices (sort, topk): low-precision ties may order differently
                    if KNOWN.get((name, s.name)) == "values" and inputs == fast:
                        known.add((name, s.name))
                        continue
                    tol = TOL[fast] * (4 if name in LOOSE else 1)
                    ref = t.detach().float().numpy()
                    scale = max(1.0, float(np.nanmax(np.abs(ref), initial=0, where=np.isfinite(ref))))
                    np.testing.assert_allclose(e.detach().float().numpy(), ref, rtol=tol, atol=tol * scale,
                                               equal_nan=True, err_msg=where)  # atol: sums cancel
                    checked += 1
    assert known == set(KNOWN), f"known differences that no longer differ: {set(KNOWN) - known}"
    assert checked > 1500


def _mlp():
    return [nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 4)], \
        [torch.nn.Linear(12, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4)], (16, 12)


def _cnn():
    return [nn.Conv2d(3, 6, 3, padding=1, bias=False), nn.BatchNorm2d(6), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(6 * 4 * 4, 5), nn.LogSoftmax(1)], \
        [torch.nn.Conv2d(3, 6, 3, padding=1, bias=False), torch.nn.BatchNorm2d(6), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
         torch.nn.Flatten(), torch.nn.Linear(6 * 4 * 4, 5), torch.nn.LogSoftmax(1)], (4, 3, 8, 8)


def _block():
    return [nn.Linear(8, 16), nn.LayerNorm(16), nn.GELU(), nn.Linear(16, 8), nn.Softmax(-1)], \
        [torch.nn.Linear(8, 16), torch.nn.LayerNorm(16), torch.nn.GELU(), torch.nn.Linear(16, 8),
         torch.nn.Softmax(-1)], (5, 7, 8)


def _copy_weights(e_model, t_model):
    for (name, p), (_, q) in zip(e_model.state_dict().items(), t_model.state_dict().items()):
        with torch.no_grad():
            q.copy_(torch.from_numpy(np.array(p.numpy())))


@pytest.mark.parametrize("make", [_mlp, _cnn, _block], ids=["mlp", "cnn", "block"])
@pytest.mark.parametrize("fast", ["bfloat16", "float16"])
def test_models_match_torch_autocast(make, fast):
    ember.manual_seed(0)
    e_layers, t_layers, shape = make()
    e_model, t_model = nn.Sequential(*e_layers), torch.nn.Sequential(*t_layers)
    _copy_weights(e_model, t_model)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    with ember.autocast("cpu", dtype=getattr(ember, fast)):
        e_out = e_model(ember.from_numpy(x))
        e_loss = e_out.float().pow(2).mean()
    with torch.autocast("cpu", dtype=getattr(torch, fast)):
        t_out = t_model(torch.from_numpy(x))
        t_loss = t_out.float().pow(2).mean()
    assert e_out.dtype.name == str(t_out.dtype)[6:]
    tol = 3 * TOL[fast]
    np.testing.assert_allclose(e_out.detach().float().numpy(), t_out.detach().float().numpy(), rtol=tol, atol=tol)
    e_loss.backward()
    t_loss.backward()
    for (name, p), q in zip(e_model.named_parameters(), t_model.parameters()):
        assert p.grad.dtype == ember.float32, name  # gradients of float32 weights come back float32
        scale = max(float(q.grad.abs().max()), 1e-3)
        np.testing.assert_allclose(p.grad.numpy() / scale, q.grad.numpy() / scale, atol=6 * TOL[fast], err_msg=name)


def test_backward_runs_in_the_forward_dtypes():
    """No casts in backward: the gradient flowing into a bfloat16 matmul stays bfloat16."""
    w = ember.randn(4, 3, requires_grad=True)
    seen = []

    def spy(cls, args, attrs, proceed):
        if dispatch.in_backward() and cls.op_name() == "matmul":
            seen.append(tuple(a.dtype for a in args))
        return proceed(args, attrs)
    with ember.autocast("cpu"):
        y = ember.randn(2, 4) @ w
    with dispatch.observing(spy):
        y.float().sum().backward()
    assert seen and all(d == (ember.bfloat16, ember.bfloat16) for d in seen)
    assert w.grad.dtype == ember.float32


def test_compile_traces_autocast_regions():
    ember.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))
    opt = ember.optim.SGD(model.parameters(), lr=0.1)

    def step(x, y):
        opt.zero_grad()
        with ember.autocast("cpu"):
            out = model(x)
            loss = F.cross_entropy(out, y)
        loss.backward()
        opt.step()
        return out, loss

    x, y = ember.randn(8, 6), ember.randint(0, 3, (8,))
    eager_model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))
    eager_model.load_state_dict(model.state_dict())
    eager_opt = ember.optim.SGD(eager_model.parameters(), lr=0.1)
    compiled = ember.compile(step)
    for _ in range(3):
        out, loss = compiled(x, y)
        eager_opt.zero_grad()
        with ember.autocast("cpu"):
            e_out = eager_model(x)
            e_loss = F.cross_entropy(e_out, y)
        e_loss.backward()
        eager_opt.step()
        assert out.dtype == ember.bfloat16 and loss.dtype == ember.float32
        np.testing.assert_allclose(loss.item(), e_loss.item(), rtol=1e-6)
    for p, q in zip(model.parameters(), eager_model.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-6, atol=1e-7)
    assert "P_Cast" in compiled.source()  # the casts are in the graph


def test_context_decorator_nesting_and_state():
    a = ember.randn(3, 3)
    assert not ember.amp.is_autocast_enabled("cpu")
    with ember.autocast("cpu", dtype=ember.float16):
        assert ember.amp.is_autocast_enabled("cpu") and ember.amp.get_autocast_dtype("cpu") == ember.float16
        assert (a @ a).dtype == ember.float16
        with ember.autocast("cpu", enabled=False):
            assert (a @ a).dtype == ember.float32
        assert (a @ a).dtype == ember.float16
        assert (a.double() @ a.double()).dtype == ember.float64  # float64 is never cast, as in PyTorch
        assert ember.cat([a.half(), a]).dtype == ember.float32   # promote: the widest input
    assert not ember.amp.is_autocast_enabled("cpu") and (a @ a).dtype == ember.float32

    @ember.autocast("cpu")
    def f(x):
        return x @ x
    assert f(a).dtype == ember.bfloat16 and (a @ a).dtype == ember.float32
    with ember.autocast("cuda"):  # only CUDA tensors are cast: CPU ops run as they are
        assert (a @ a).dtype == ember.float32


def test_weights_are_cast_once_per_region():
    layer = nn.Linear(4, 4)
    casts = []

    def spy(cls, args, attrs, proceed):
        if cls.op_name() == "cast" and args[0] is layer.weight:
            casts.append(1)
        return proceed(args, attrs)
    with dispatch.observing(spy):
        with ember.autocast("cpu"):
            layer(layer(ember.randn(2, 4)).float())
        assert len(casts) == 1
        with ember.autocast("cpu", cache_enabled=False):
            layer(layer(ember.randn(2, 4)).float())
        assert len(casts) == 3


def test_unsupported_arguments_raise():
    with pytest.raises(ember.ArgumentError, match="device_type='mps'"):
        ember.autocast("mps")
    with pytest.raises(ember.DTypeError, match="float32"):
        ember.autocast("cpu", dtype=ember.float32)
    with pytest.raises(ember.ArgumentError, match="enabled"):
        ember.autocast("cpu", enabled="yes")
    with pytest.raises(ember.ArgumentError):
        ember.amp.is_autocast_enabled("xla")


def test_compiled_function_retraces_when_autocast_changes(caplog):
    """A graph traced inside an autocast region holds its casts; called outside, it retraces."""
    w = ember.randn(4, 3)
    f = ember.compile(lambda x: x @ w)
    x = ember.randn(2, 4)
    with ember.autocast("cpu"):
        assert f(x).dtype == ember.bfloat16
        assert f(x).dtype == ember.bfloat16   # replayed
    with caplog.at_level("WARNING", logger="ember.compile"):
        assert f(x).dtype == ember.float32    # retraced without the casts
    assert "autocast(cpu=bfloat16" in caplog.text and "autocast(cpu=off" in caplog.text
    np.testing.assert_allclose(f(x).numpy(), (x @ w).numpy(), rtol=1e-6)


def test_autocast_is_per_thread():
    # as PyTorch's: a region open on one thread casts nothing on another
    import threading
    a = ember.ones(4, 4)
    entered, release, seen = threading.Event(), threading.Event(), {}

    def other():
        with ember.autocast("cpu", dtype=ember.bfloat16):
            seen["other"] = (a @ a).dtype
            entered.set()
            release.wait(10)

    t = threading.Thread(target=other)
    t.start()
    assert entered.wait(10)
    seen["main"] = (a @ a).dtype
    seen["main enabled"] = ember.amp.is_autocast_enabled("cpu")
    release.set()
    t.join()
    assert seen == {"other": ember.bfloat16, "main": ember.float32, "main enabled": False}
    assert (a @ a).dtype == ember.float32  # and the observers are gone with the last region
