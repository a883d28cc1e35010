"""EmbeddingBag against torch.nn.EmbeddingBag: every mode, 1-d input with offsets (and the last offset),
2-d input, per-sample weights, padding_idx, empty bags; outputs and weight gradients; bad input."""
import numpy as np
import pytest

import ember
import ember.nn

torch = pytest.importorskip("torch")
rng = np.random.default_rng(0)
WEIGHT = rng.standard_normal((10, 4))


def both(kw, input, offsets=None, psw=None):
    results = []
    for lib in (ember, torch):
        bag = lib.nn.EmbeddingBag.from_pretrained(lib.tensor(WEIGHT.copy()), freeze=False, **kw)
        args = [lib.tensor(input)] + ([lib.tensor(offsets)] if offsets is not None else [None])
        w = lib.tensor(psw, requires_grad=True) if psw is not None else None
        out = bag(*args, per_sample_weights=w)
        (out * lib.tensor(np.arange(out.numel(), dtype=float).reshape(tuple(out.shape)))).sum().backward()
        results.append((out.detach().numpy(), bag.weight.grad.numpy(), None if w is None else w.grad.numpy(),
                        repr(bag)))
    return results


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("case", ["offsets", "last-offset", "2d", "padding", "empty-bag"])
def test_embedding_bag_matches_torch(mode, case):
    kw, offsets = dict(mode=mode), None
    input = np.array([1, 2, 4, 5, 4, 3, 2, 9])
    if case == "offsets":
        offsets = np.array([0, 3, 5])
    elif case == "last-offset":
        kw["include_last_offset"], offsets = True, np.array([0, 2, 8])
    elif case == "2d":
        input = input.reshape(2, 4)
    elif case == "padding":
        kw["padding_idx"], offsets = 4, np.array([0, 2, 5])
    else:
        offsets = np.array([0, 3, 3, 6])
    (e_out, e_grad, _, e_repr), (t_out, t_grad, _, t_repr) = both(kw, input, offsets)
    np.testing.assert_allclose(e_out, t_out, rtol=1e-12)
    np.testing.assert_allclose(e_grad, t_grad, rtol=1e-12)
    assert e_repr == t_repr


def test_per_sample_weights_get_gradients():
    input, offsets, psw = np.array([1, 2, 4, 5, 4]), np.array([0, 2]), rng.standard_normal(5)
    (e_out, e_grad, e_wgrad, _), (t_out, t_grad, t_wgrad, _) = both(dict(mode="sum"), input, offsets, psw)
    for e, t in ((e_out, t_out), (e_grad, t_grad), (e_wgrad, t_wgrad)):
        np.testing.assert_allclose(e, t, rtol=1e-12)


def test_bad_input_is_refused():
    bag = ember.nn.EmbeddingBag(10, 3)
    with pytest.raises(ember.ArgumentError, match="needs offsets"):
        bag(ember.tensor([1, 2, 3]))
    with pytest.raises(ember.ArgumentError, match="only supported with mode='sum'"):
        bag(ember.tensor([1, 2]), ember.tensor([0]), per_sample_weights=ember.ones(2))
    with pytest.raises(ember.ArgumentError, match="offsets must start at 0"):
        bag(ember.tensor([1, 2]), ember.tensor([1]))
    with pytest.raises(ember.ArgumentError, match="mode must be one of"):
        ember.nn.EmbeddingBag(10, 3, mode="median")(ember.tensor([[1, 2]]))
