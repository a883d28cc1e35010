"""The GPU suite (CuPy on CUDA): skipped only where CuPy sees no GPU.

- every registry op's samples on "cuda" against the same call on "cpu" (outputs and gradients);
- the four benchmark workloads (benchmarks/nn.py) trained a few Adam steps on both devices from
  the same weights and batches: equal losses (float32) within tolerance; eager and compiled;
- mixed precision on the GPU: ember.autocast("cuda") against torch.autocast("cuda") (dtypes and
  values over the registry), GradScaler against torch.amp.GradScaler("cuda");
- the ember.cuda / accelerator API, map_location, pin_memory.
"""
import copy
import os
import sys

import numpy as np
import pytest

import ember
from ember.ops.registry import REGISTRY, SampleMaker

pytestmark = pytest.mark.skipif(not ember.cuda.is_available(), reason="no CUDA GPU (CuPy) on this machine")
torch = pytest.importorskip("torch")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))


def _tensors(x, device, grad=True):
    if isinstance(x, np.ndarray):
        t = ember.from_numpy(np.copy(x)).to(device)
        return t.requires_grad_() if grad and x.dtype.kind == "f" else t
    if isinstance(x, (list, tuple)):
        return type(x)(_tensors(v, device, grad) for v in x)
    return x


def _flat(out):
    if isinstance(out, (list, tuple)):
        return [o for x in out for o in _flat(x)]
    return [out]


def _leaves(args):
    return [a for a in _flat(list(args)) if isinstance(a, ember.Tensor) and a.requires_grad]


def _cases():
    for name, info in sorted(REGISTRY.items()):
        for i, s in enumerate(info.samples(SampleMaker("float32"))):
            yield pytest.param(name, i, id=f"{name}-{s.name or i}")


def _run(info, sample, device):
    args = tuple(_tensors(a, device, i not in sample.nograd) for i, a in enumerate(sample.args))
    kwargs = {k: _tensors(v, device, k not in sample.nograd) for k, v in sample.kwargs.items()}
    ember.manual_seed(0)  # random ops draw the same numbers on both devices (one host generator)
    out = [o for o in _flat(info.fn(*args, **kwargs)) if isinstance(o, ember.Tensor)]
    grads = []
    floats = [o for o in out if o.requires_grad]
    leaves = _leaves(args)
    if info.grad and floats and leaves:
        cot = [ember.ones(tuple(o.shape), device=device) * 0.5 for o in floats]
        grads = ember.autograd.grad(floats, leaves, cot, allow_unused=True)
    return [o.detach().cpu().numpy() for o in out], [None if g is None else g.cpu().numpy() for g in grads]


@pytest.mark.parametrize("name,i", list(_cases()) if ember.cuda.is_available() else [])
def test_registry_op_on_cuda_matches_cpu(name, i):
    info = REGISTRY[name]
    sample = info.samples(SampleMaker("float32"))[i]
    cpu_out, cpu_grads = _run(info, sample, "cpu")
    gpu_out, gpu_grads = _run(info, sample, "cuda")
    for a, b in zip(gpu_out + gpu_grads, cpu_out + cpu_grads):
        if a is None or b is None:
            assert a is None and b is None
            continue
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64), rtol=1e-4, atol=1e-5,
                                   equal_nan=True, err_msg=name)


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled"])
@pytest.mark.parametrize("workload", ["mlp", "cnn", "lstm", "transformer"])
def test_workloads_train_the_same_on_both_devices(workload, compiled):
    import nn as bench  # benchmarks/nn.py
    ember.manual_seed(0)
    model, batch, loss_fn = bench.build(ember, workload)
    data = [batch(16) for _ in range(3)]
    losses = {}
    for device in ("cpu", "cuda"):
        m = copy.deepcopy(model).to(device)
        opt = ember.optim.Adam(m.parameters(), lr=1e-3)

        def step(x, y):
            opt.zero_grad()
            loss = loss_fn(m(x), y)
            loss.backward()
            opt.step()
            return loss
        run = ember.compile(step) if compiled else step
        losses[device] = [run(x.to(device), y.to(device)).item() for x, y in data * 2]
    np.testing.assert_allclose(losses["cuda"], losses["cpu"], rtol=2e-4, atol=1e-5)


def _torch_tensor(x, dtype):
    if isinstance(x, np.ndarray):
        t = torch.from_numpy(np.copy(x)).cuda()
        return t.to(getattr(torch, dtype)) if x.dtype.kind == "f" else t
    if isinstance(x, ember.dtype):
        return getattr(torch, x.name)
    if isinstance(x, (list, tuple)):
        return type(x)(_torch_tensor(v, dtype) for v in x)
    return x


def _ember_tensor(x, dtype):
    if isinstance(x, np.ndarray):
        t = ember.from_numpy(np.copy(x)).to("cuda")
        return t.to(getattr(ember, dtype)) if x.dtype.kind == "f" else t
    if isinstance(x, (list, tuple)):
        return type(x)(_ember_tensor(v, dtype) for v in x)
    return x


def test_autocast_cuda_matches_torch():
    """float16 autocast on CUDA: each registry op's first sample gives PyTorch's output dtypes and values."""
    mismatches = []
    for name, info in sorted(REGISTRY.items()):
        s = info.samples(SampleMaker("float32"))[0]
        ref = torch
        for part in info.ref.split("."):
            ref = getattr(ref, part)
        try:
            with torch.autocast("cuda", dtype=torch.float16):
                t_out = _flat(ref(*_torch_tensor(s.args, "float32"),
                                  **{k: _torch_tensor(v, "float32") for k, v in s.kwargs.items()}))
        except (RuntimeError, TypeError, NotImplementedError):
            continue
        with ember.autocast("cuda", dtype=ember.float16):
            e_out = _flat(info.fn(*_ember_tensor(s.args, "float32"),
                                  **{k: _ember_tensor(v, "float32") for k, v in s.kwargs.items()}))
        for e, t in zip(e_out, t_out):
            if isinstance(t, torch.Tensor) and e.dtype.name != str(t.dtype)[6:]:
                mismatches.append(f"{name}: {e.dtype} vs {t.dtype}")
            elif isinstance(t, torch.Tensor) and t.is_floating_point():
                ref_np = t.detach().float().cpu().numpy()
                scale = max(1.0, float(np.nanmax(np.abs(ref_np), initial=0, where=np.isfinite(ref_np))))
                if not np.allclose(e.detach().float().cpu().numpy(), ref_np, rtol=4e-3, atol=4e-3 * scale,
                                   equal_nan=True):
                    mismatches.append(f"{name}: values")
    assert not mismatches, "\n".join(mismatches)


def test_grad_scaler_on_cuda_matches_torch():
    ember.manual_seed(0)
    e = ember.nn.Linear(4, 2).to("cuda")
    t = torch.nn.Linear(4, 2).cuda()
    with torch.no_grad():
        t.weight.copy_(torch.from_numpy(e.weight.detach().cpu().numpy()))
        t.bias.copy_(torch.from_numpy(e.bias.detach().cpu().numpy()))
    e_opt, t_opt = ember.optim.SGD(e.parameters(), lr=0.05), torch.optim.SGD(t.parameters(), lr=0.05)
    kw = dict(init_scale=2.0 ** 20, growth_interval=3)
    e_s, t_s = ember.amp.GradScaler("cuda", **kw), torch.amp.GradScaler("cuda", **kw)
    rng = np.random.default_rng(0)
    for i in range(10):
        x = rng.standard_normal((8, 4)).astype(np.float32) * (1e4 if i in (2, 6) else 1.0)
        e_opt.zero_grad()
        t_opt.zero_grad()
        with ember.autocast("cuda"):
            e_loss = e(ember.from_numpy(x).to("cuda")).float().pow(2).mean()
        with torch.autocast("cuda"):
            t_loss = t(torch.from_numpy(x).cuda()).float().pow(2).mean()
        e_s.scale(e_loss).backward()
        t_s.scale(t_loss).backward()
        e_s.step(e_opt)
        t_s.step(t_opt)
        e_s.update()
        t_s.update()
        assert e_s.get_scale() == t_s.get_scale(), i
    np.testing.assert_allclose(e.weight.detach().cpu().numpy(), t.weight.detach().cpu().numpy(), rtol=1e-2, atol=1e-3)


def test_cuda_api(tmp_path):
    assert ember.accelerator.is_available() and ember.accelerator.current_accelerator() == ember.device("cuda")
    assert ember.cuda.device_count() == torch.cuda.device_count() >= 1
    assert ember.cuda.get_device_name() == torch.cuda.get_device_name()
    before = ember.cuda.memory_allocated()
    x = ember.ones(1024, 1024, device="cuda")
    assert ember.cuda.memory_allocated() >= before + 4 * 1024 * 1024
    ember.cuda.synchronize()
    ember.accelerator.synchronize()
    ember.cuda.manual_seed(3)
    a = ember.randn(5, device="cuda")
    ember.cuda.manual_seed(3)
    np.testing.assert_array_equal(a.cpu().numpy(), ember.randn(5).numpy())  # one generator for both devices
    model = ember.nn.Linear(3, 2).to("cuda")
    assert all(p.device == ember.device("cuda") for p in model.parameters())
    ember.save(model.state_dict(), tmp_path / "w.safetensors")
    back = ember.load(tmp_path / "w.safetensors", map_location="cuda")
    assert back["weight"].device == ember.device("cuda")
    np.testing.assert_array_equal(back["weight"].cpu().numpy(), model.weight.detach().cpu().numpy())
    loader = ember.data.DataLoader(ember.data.ArrayDataset(np.arange(8.0, dtype=np.float32).reshape(4, 2)),
                                   batch_size=2, pin_memory=True)
    got = [b[0].to("cuda").cpu().numpy() for b in loader]
    np.testing.assert_array_equal(np.concatenate(got), np.arange(8.0).reshape(4, 2))
    del x


@pytest.mark.skipif(not ember.cuda.is_bf16_supported(), reason="this CuPy has no bfloat16")
def test_bfloat16_autocast_on_cuda():
    layer = ember.nn.Linear(8, 4).to("cuda")
    with ember.autocast("cuda", dtype=ember.bfloat16):
        y = layer(ember.randn(3, 8, device="cuda"))
    assert y.dtype == ember.bfloat16
    y.float().sum().backward()
    assert layer.weight.grad.dtype == ember.float32
