"""torch.embedding_bag (the top-level form): all four outputs, PyTorch's CPU bookkeeping included, for every
mode with and without padding_idx, include_last_offset and per-sample weights; weight gradients; refusals."""
import numpy as np
import pytest
import torch

import ember

W = np.arange(12.0).reshape(4, 3) * np.array([1.0, -1.0, 0.5])
INDICES = [0, 1, 3, 2, 2]
CASES = [(mode, pad, last, dt) for mode in (0, 1, 2) for pad in (None, 2, 3) for last in (False, True)
         for dt in ("float32", "float64")]


@pytest.mark.parametrize("mode,padding_idx,include_last_offset,dtype", CASES)
def test_embedding_bag_matches_torch(mode, padding_idx, include_last_offset, dtype):
    offsets = [0, 2, 2, 5] if include_last_offset else [0, 2, 2]
    w = W.astype(dtype)
    ew, tw = ember.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    ours = ember.embedding_bag(ew, ember.tensor(INDICES), ember.tensor(offsets), False, mode, False, None,
                               include_last_offset, padding_idx)
    theirs = torch.embedding_bag(tw, torch.tensor(INDICES), torch.tensor(offsets), False, mode, False, None,
                                 include_last_offset, padding_idx)
    for k, (a, b) in enumerate(zip(ours, theirs)):
        assert tuple(a.shape) == tuple(b.shape), k
        assert a.dtype.name == str(b.dtype).split(".")[1], k
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-6)
    ours[0].sum().backward()
    theirs[0].sum().backward()
    np.testing.assert_allclose(ew.grad.numpy(), tw.grad.numpy(), rtol=1e-6)
    # a weight without grad: torch's forward-only kernel sizes the sum mode's zeros by offsets
    theirs = torch.embedding_bag(tw.detach(), torch.tensor(INDICES), torch.tensor(offsets), False, mode, False, None,
                                 include_last_offset, padding_idx)
    ours = ember.embedding_bag(ew.detach(), ember.tensor(INDICES), ember.tensor(offsets), False, mode, False, None,
                               include_last_offset, padding_idx)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_per_sample_weights_and_refusals():
    psw = np.array([1.0, 2.0, 0.5, -1.0, 3.0], dtype=np.float32)
    ours = ember.embedding_bag(ember.tensor(W, dtype=ember.float32), ember.tensor(INDICES), ember.tensor([0, 2]),
                               False, 0, False, ember.tensor(psw))
    theirs = torch.embedding_bag(torch.tensor(W, dtype=torch.float32), torch.tensor(INDICES), torch.tensor([0, 2]),
                                 False, 0, False, torch.tensor(psw))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6)
    with pytest.raises(ember.ArgumentError, match="mode"):
        ember.embedding_bag(ember.tensor(W), ember.tensor(INDICES), ember.tensor([0]), False, 3)
    with pytest.raises(ember.ShapeError, match="1-d"):
        ember.embedding_bag(ember.tensor(W), ember.tensor([INDICES]), ember.tensor([0]), False, 0)
