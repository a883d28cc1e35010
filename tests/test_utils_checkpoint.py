"""`ember.utils.checkpoint.checkpoint` against `torch.utils.checkpoint.checkpoint` on the same
weights, and against running the block directly (dropout masks replayed from the saved RNG state)."""
import numpy as np
import pytest
import torch
import torch.utils.checkpoint

import ember
from ember.errors import ArgumentError
from ember.utils.checkpoint import checkpoint


class Block(ember.nn.Module):
    def __init__(self, p=0.0):
        super().__init__()
        self.lin, self.drop = ember.nn.Linear(4, 4), ember.nn.Dropout(p)

    def forward(self, x, scale=1.0):
        return self.drop(self.lin(x).tanh()) * scale, x.sum()


def _weights():
    rng = np.random.default_rng(0)
    return rng.standard_normal((4, 4)).astype("float32"), rng.standard_normal(4).astype("float32")


def test_outputs_and_gradients_match_pytorch():
    w, b = _weights()
    x_np = np.random.default_rng(1).standard_normal((3, 4)).astype("float32")
    results = {}
    for lib, ckpt in ((torch, torch.utils.checkpoint.checkpoint), (ember, checkpoint)):
        block = lib.nn.Sequential(lib.nn.Linear(4, 4), lib.nn.Tanh())
        with lib.no_grad():
            block[0].weight.copy_(lib.tensor(w))
            block[0].bias.copy_(lib.tensor(b))
        x = lib.tensor(x_np, requires_grad=True)
        y = ckpt(block, x * 2, use_reentrant=False)
        (y.pow(2).sum() + y.sum()).backward()
        results[lib.__name__] = (y.detach().numpy(), x.grad.numpy(), block[0].weight.grad.numpy(),
                                 block[0].bias.grad.numpy())
    for ours, theirs in zip(results["ember"], results["torch"]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_recomputation_replays_dropout_and_gives_the_plain_gradients():
    grads = []
    for use_checkpoint in (True, False):
        ember.manual_seed(0)
        block = Block(p=0.5)
        x = ember.randn(8, 4, requires_grad=True)
        ember.manual_seed(1)
        y, s = checkpoint(block, x, scale=3.0, use_reentrant=False) if use_checkpoint else block(x, scale=3.0)
        (y.pow(2).sum() + s).backward()
        grads.append((y.detach().numpy().copy(), x.grad.numpy().copy(), block.lin.weight.grad.numpy().copy()))
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_forward_keeps_no_graph_of_the_block_and_rejects_what_it_does_not_support():
    block = Block()
    y, _ = checkpoint(block, ember.randn(2, 4, requires_grad=True), use_reentrant=False)
    assert type(y.grad_fn).__name__ == "_Recompute"
    with pytest.raises(ArgumentError, match="use_reentrant=False"):
        checkpoint(block, ember.randn(2, 4), scale=2.0)
    with pytest.raises(ArgumentError, match="context_fn"):
        checkpoint(block, ember.randn(2, 4), context_fn=lambda: None, use_reentrant=False)
