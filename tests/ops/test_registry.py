"""One test over the op registry: every op's forward and input gradients against
PyTorch 2.13 (float32 and float64), `gradcheck` in float64, and `gradgradcheck`
for ops whose gradients are differentiable. Arrays a sample names in `nograd`
(a loss's weight, running statistics) are constants; whatever the op writes
into them in place is compared with PyTorch too."""
import importlib
import inspect
import pkgutil

import numpy as np
import pytest

import ember
from ember.autograd.function import Function
import ember.ops as ops
from ember.ops.registry import REGISTRY, SampleMaker

torch = pytest.importorskip("torch")

DTYPES = ("float32", "float64")


def _cases():
    for name, info in sorted(REGISTRY.items()):
        for dtype in DTYPES:
            for i, s in enumerate(info.samples(SampleMaker(dtype))):
                yield pytest.param(name, dtype, i, id=f"{name}-{s.name or i}-{dtype}")


def _sample(name, dtype, i):
    return REGISTRY[name].samples(SampleMaker(dtype))[i]


def _copy(a):
    return np.copy(a, order="K")  # keeps a transposed sample non-contiguous


def to_ember(x, grad=True):
    if isinstance(x, np.ndarray):
        t = ember.from_numpy(_copy(x))
        return t.requires_grad_() if grad and x.dtype.kind == "f" else t
    if isinstance(x, ember.dtype):
        return x
    if isinstance(x, (list, tuple)):
        return type(x)(to_ember(v, grad) for v in x)
    return x


def to_torch(x, grad=True):
    if isinstance(x, np.ndarray):
        t = torch.from_numpy(_copy(x))
        return t.requires_grad_() if grad and x.dtype.kind == "f" else t
    if isinstance(x, ember.dtype):
        return getattr(torch, x.name)
    if isinstance(x, (list, tuple)):
        return type(x)(to_torch(v, grad) for v in x)
    return x


def convert(s, to):
    """A sample's args and kwargs as tensors: floating arrays require grad unless `s.nograd` names them."""
    args = tuple(to(a, i not in s.nograd) for i, a in enumerate(s.args))
    return args, convert_kwargs(s, to)


def convert_kwargs(s, to):
    return {k: to(v, k not in s.nograd) for k, v in s.kwargs.items()}


def reference(info):
    obj = torch
    for part in info.ref.split("."):
        obj = getattr(obj, part)
    return obj


def leaves(args, kind):
    out = []
    for a in args:
        if isinstance(a, kind) and a.requires_grad:
            out.append(a)
        elif isinstance(a, (list, tuple)):
            out.extend(leaves(a, kind))
    return out


def flat_outputs(out):
    if isinstance(out, (list, tuple)):
        return [o for x in out for o in flat_outputs(x)]
    return [out]


def as_np(t):
    if isinstance(t, ember.Tensor):
        return np.asarray(t.detach().numpy())
    if isinstance(t, torch.Tensor):
        return t.detach().numpy()
    return np.asarray(t)


def tolerances(info, dtype):
    return (1e-7, 1e-10) if dtype == "float64" else (info.rtol, info.atol)


def assert_close(a, b, rtol, atol, what):
    a, b = as_np(a), as_np(b)
    assert a.shape == b.shape, f"{what}: shape {a.shape} vs reference {b.shape}"
    if a.dtype.kind == "f" or b.dtype.kind == "f":
        np.testing.assert_allclose(a.astype(np.float64), b.astype(np.float64), rtol=rtol, atol=atol,
                                   equal_nan=True, err_msg=what)
    else:
        np.testing.assert_array_equal(a, b, err_msg=what)


@pytest.mark.parametrize("name,dtype,i", list(_cases()))
def test_forward_and_gradients_match_torch(name, dtype, i):
    info = REGISTRY[name]
    s = _sample(name, dtype, i)
    (e_args, e_kw), (t_args, t_kw) = convert(s, to_ember), convert(s, to_torch)
    e_out, t_out = info.fn(*e_args, **e_kw), reference(info)(*t_args, **t_kw)
    e_flat, t_flat = flat_outputs(e_out), flat_outputs(t_out)
    assert len(e_flat) == len(t_flat), f"{name}: {len(e_flat)} outputs vs {len(t_flat)}"
    rtol, atol = tolerances(info, dtype)
    for k, (e, t) in enumerate(zip(e_flat, t_flat)):
        if isinstance(t, torch.Tensor):
            assert isinstance(e, ember.Tensor), f"{name}: output {k} is {type(e)}"
            assert e.dtype.name == str(t.dtype).replace("torch.", ""), f"{name}: dtype {e.dtype} vs {t.dtype}"
        assert_close(e, t, rtol, atol, f"{name} output {k}")
    for key in s.nograd:  # what the op updates in place (batch_norm's running statistics) matches too
        e, t = (e_args[key], t_args[key]) if isinstance(key, int) else (e_kw[key], t_kw[key])
        assert_close(e, t, rtol, atol, f"{name} argument {key!r} after the call")

    e_in, t_in = leaves(e_args, ember.Tensor), leaves(t_args, torch.Tensor)
    pairs = [(e, t) for e, t in zip(e_flat, t_flat)
             if isinstance(t, torch.Tensor) and t.requires_grad and t.dtype.is_floating_point]
    if not info.grad or not e_in or not pairs:
        return
    rng = np.random.default_rng(1)
    cot = [rng.standard_normal(tuple(t.shape)).astype(dtype) for _, t in pairs]
    e_g = ember.autograd.grad([e for e, _ in pairs], e_in, [ember.from_numpy(c) for c in cot], allow_unused=True)
    t_g = torch.autograd.grad([t for _, t in pairs], t_in, [torch.from_numpy(c) for c in cot], allow_unused=True)
    for k, (eg, tg) in enumerate(zip(e_g, t_g)):
        ref = np.zeros(tuple(t_in[k].shape)) if tg is None else tg
        got = np.zeros(tuple(e_in[k].shape)) if eg is None else eg
        assert_close(got, ref, rtol * 10, atol * 10, f"{name} gradient of input {k}")


def _grad_cases():
    for name, info in sorted(REGISTRY.items()):
        if not info.grad:
            continue
        for i, s in enumerate(info.samples(SampleMaker("float64"))):
            if s.name != "extreme" and any(t.numel() for t in leaves(convert(s, to_ember)[0], ember.Tensor)):
                yield pytest.param(name, i, id=f"{name}-{s.name or i}")


@pytest.mark.parametrize("name,i", list(_grad_cases()))
def test_gradcheck(name, i):
    info = REGISTRY[name]
    s = _sample(name, "float64", i)
    args = convert(s, to_ember)[0]
    flat = leaves(args, ember.Tensor)
    rebuild = _rebuilder(args, flat)
    fn = lambda *xs: info.fn(*rebuild(xs), **convert_kwargs(s, to_ember))  # noqa: E731
    if any(o.dtype.is_floating_point and o.dtype != ember.float64 for o in flat_outputs(fn(*flat))
           if isinstance(o, ember.Tensor)):
        pytest.skip("finite differences need float64 outputs")
    assert ember.autograd.gradcheck(fn, flat)
    if info.gradgrad and s.gradgrad:
        assert ember.autograd.gradgradcheck(fn, flat)


def _rebuilder(args, flat):
    """Re-insert perturbed leaves into a nested argument structure (cat takes a list)."""
    ids = [id(t) for t in flat]

    def rebuild(xs, a=args):
        def walk(v):
            if isinstance(v, ember.Tensor) and id(v) in ids:
                return xs[ids.index(id(v))]
            if isinstance(v, (list, tuple)):
                return type(v)(walk(u) for u in v)
            return v
        return walk(a)
    return rebuild


def test_every_primitive_is_registered():
    registered = {info.primitive for info in REGISTRY.values() if info.primitive is not None}
    missing = []
    for module in _op_modules():
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Function) and cls.__module__ == module.__name__ and cls not in registered \
                    and not cls.__subclasses__() and not getattr(cls, "internal", False):
                missing.append(f"{module.__name__}.{cls.__name__}")
    assert not missing, f"primitives missing from the registry: {missing}"


def _op_modules():
    return [importlib.import_module(f"ember.ops.{m.name}") for m in pkgutil.iter_modules(ops.__path__)]
