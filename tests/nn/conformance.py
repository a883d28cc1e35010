"""Layer conformance against PyTorch: the same weights (copied through `state_dict`), the same
inputs, the same upstream gradients; outputs, input gradients and parameter gradients compared.

    check_module(ember.nn.Linear(4, 3), torch.nn.Linear(4, 3), np.random.randn(2, 4))
"""
import numpy as np
import torch

import ember

TOL = {"float32": (1e-4, 1e-5), "float64": (1e-9, 1e-10)}


def copy_weights(ember_module, torch_module):
    """Load torch's state dict into the ember module (names must be torch's: strict)."""
    ember_module.load_state_dict({k: ember.tensor(v.detach().cpu().numpy()) for k, v in
                                  torch_module.state_dict().items()})


def _flat(out):
    if isinstance(out, (tuple, list)):
        return [x for o in out for x in _flat(o)]
    return [] if out is None else [out]


def _to_numpy(t):
    if isinstance(t, ember.Tensor):
        return t.detach().numpy()
    return t.detach().cpu().numpy()


def check_module(ember_module, torch_module, *inputs, dtype="float32", train=True, rtol=None, atol=None,
                 grad=True, kwargs=None, seed=0):
    """Compare forward and backward of two modules with the same weights.

    `inputs` are NumPy arrays (floating ones are cast to `dtype` and get gradients) or other
    values passed as they are. `kwargs` go to both forward calls (values: NumPy arrays or plain).
    Returns the ember outputs.
    """
    d_rtol, d_atol = TOL[dtype]
    rtol, atol = rtol or d_rtol, atol or d_atol
    torch_module = torch_module.to(getattr(torch, dtype))
    copy_weights(ember_module, torch_module)
    ember_module.to(getattr(ember, dtype))
    ember_module.train(train)
    torch_module.train(train)

    def convert(x, lib):
        if isinstance(x, np.ndarray):
            floating = x.dtype.kind == "f"
            arr = x.astype(dtype) if floating else x
            t = lib.tensor(arr)
            if floating and grad:
                t.requires_grad_(True)
            return t
        return x

    e_in = [convert(x, ember) for x in inputs]
    t_in = [convert(x, torch) for x in inputs]
    e_kw = {k: convert(v, ember) for k, v in (kwargs or {}).items()}
    t_kw = {k: convert(v, torch) for k, v in (kwargs or {}).items()}
    e_out, t_out = ember_module(*e_in, **e_kw), torch_module(*t_in, **t_kw)
    e_flat, t_flat = _flat(e_out), _flat(t_out)
    assert len(e_flat) == len(t_flat), f"{len(e_flat)} outputs, PyTorch gives {len(t_flat)}"
    for i, (e, t) in enumerate(zip(e_flat, t_flat)):
        assert tuple(e.shape) == tuple(t.shape), f"output {i}: shape {tuple(e.shape)} vs {tuple(t.shape)}"
        np.testing.assert_allclose(_to_numpy(e), _to_numpy(t), rtol=rtol, atol=atol, err_msg=f"output {i}")
    if not grad:
        return e_out
    rng = np.random.default_rng(seed)
    pairs = [(e, t) for e, t in zip(e_flat, t_flat) if t.requires_grad]
    if not pairs:
        return e_out
    ups = [rng.standard_normal(tuple(t.shape)).astype(dtype) for _, t in pairs]
    ember.autograd.backward([e for e, _ in pairs], [ember.tensor(u) for u in ups])
    torch.autograd.backward([t for _, t in pairs], [torch.tensor(u) for u in ups])
    for i, (e, t) in enumerate(zip(e_in, t_in)):
        if isinstance(t, torch.Tensor) and t.requires_grad:
            assert (e.grad is None) == (t.grad is None), f"input {i}: gradient presence differs"
            if t.grad is not None:
                np.testing.assert_allclose(_to_numpy(e.grad), _to_numpy(t.grad), rtol=rtol, atol=atol,
                                           err_msg=f"gradient of input {i}")
    t_params = dict(torch_module.named_parameters())
    e_params = dict(ember_module.named_parameters())
    assert sorted(e_params) == sorted(t_params), f"parameters {sorted(e_params)} vs {sorted(t_params)}"
    for name, tp in t_params.items():
        ep = e_params[name]
        assert (ep.grad is None) == (tp.grad is None), f"{name}: gradient presence differs"
        if tp.grad is not None:
            np.testing.assert_allclose(_to_numpy(ep.grad), _to_numpy(tp.grad), rtol=rtol, atol=atol,
                                       err_msg=f"gradient of parameter {name}")
    return e_out
