"""SparseAdam against torch.optim.SparseAdam on an Embedding(sparse=True) table: weights and moment
estimates after steps that reach different rows (rows not reached stay as they were). Also a user-written
optimizer on the Optimizer base class, run on both libraries."""
import numpy as np
import pytest
import torch

import ember

COVERS = {"torch.optim": ["Optimizer"]}  # a custom optimizer subclasses it (last test)


@pytest.mark.parametrize("kwargs", [{}, {"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6}, {"maximize": True}])
def test_sparse_adam_updates_the_rows_reached_as_torch(kwargs):
    w = np.random.default_rng(0).standard_normal((12, 4))
    temb = torch.nn.Embedding(12, 4, sparse=True, _weight=torch.tensor(w))
    eemb = ember.nn.Embedding(12, 4, sparse=True, _weight=ember.tensor(w))
    topt, eopt = torch.optim.SparseAdam(temb.parameters(), **kwargs), ember.optim.SparseAdam(eemb.parameters(), **kwargs)
    batches = [[1, 3, 3, 7], [2, 3], [11, 0, 1], [5]]
    for step, idx in enumerate(batches):
        target = np.random.default_rng(step).standard_normal((len(idx), 4))
        for emb, opt, lib in ((temb, topt, torch), (eemb, eopt, ember)):
            opt.zero_grad()
            ((emb(lib.tensor(idx)) - lib.tensor(target)) ** 2).sum().backward()
            opt.step()
        np.testing.assert_allclose(eemb.weight.detach().numpy(), temb.weight.detach().numpy(), rtol=1e-12, atol=1e-14)
        ts, es = topt.state[temb.weight], eopt.state[eemb.weight]
        assert int(es["step"]) == ts["step"] == step + 1
        for key in ("exp_avg", "exp_avg_sq"):
            np.testing.assert_allclose(es[key].numpy(), ts[key].to_dense().numpy(), rtol=1e-12, atol=1e-15)
    untouched = [i for i in range(12) if i not in sum(batches, [])]
    np.testing.assert_array_equal(eemb.weight.detach().numpy()[untouched], w[untouched])


def test_sparse_adam_checks_its_hyperparameters():
    with pytest.raises(ValueError, match="lr"):
        ember.optim.SparseAdam([ember.ones(2, requires_grad=True)], lr=-1.0)
    with pytest.raises(ValueError, match="betas"):
        ember.optim.SparseAdam([ember.ones(2, requires_grad=True)], betas=(1.5, 0.9))


def custom_sign_sgd(lib):
    """A user-written optimizer on the base class, in the style of PyTorch's "writing an optimizer" docs."""
    class SignSGD(lib.optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, {"lr": lr})

        def step(self, closure=None):
            loss = closure() if closure is not None else None
            with lib.no_grad():
                for group in self.param_groups:
                    for p in group["params"]:
                        if p.grad is not None:
                            state = self.state[p]
                            state["steps"] = state.get("steps", 0) + 1
                            p.add_(p.grad.sign(), alpha=-group["lr"])
            return loss
    return SignSGD


def test_a_custom_optimizer_on_the_base_class_as_torch():
    w = np.random.default_rng(1).standard_normal((3, 2))
    results = []
    for lib in (torch, ember):
        p = lib.tensor(w, requires_grad=True)
        opt = custom_sign_sgd(lib)([p], lr=0.05)
        opt.add_param_group({"params": [lib.zeros(2, requires_grad=True)], "lr": 0.5})
        for _ in range(3):
            opt.zero_grad()
            loss = (p ** 3).sum() + (opt.param_groups[1]["params"][0] - 1).pow(2).sum()
            loss.backward()
            opt.step()
        results.append((p.detach().numpy().copy(), opt.param_groups[1]["params"][0].detach().numpy().copy(),
                        opt.state[p]["steps"], [g["lr"] for g in opt.param_groups]))
    for a, b in zip(results[0], results[1]):
        np.testing.assert_allclose(np.asarray(b), np.asarray(a))
