"""torch's top-level (ATen-order) forms of functional ops against PyTorch: values, dtypes, gradients."""
import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng(0)
F32 = np.float32
A, B = RNG.standard_normal((4, 5)).astype(F32), RNG.standard_normal((4, 5)).astype(F32)
SIGN = np.array([1.0, -1.0, 1.0, -1.0], F32)
IMG = RNG.standard_normal((2, 3, 5, 5)).astype(F32)
PROB = RNG.uniform(0.1, 0.9, (4, 5)).astype(F32)


class Const:
    """An array argument that does not require grad."""

    def __init__(self, a):
        self.a = a

CASES = {  # name -> (args, kwargs); float arrays require grad
    "kl_div": ((np.log(PROB), PROB[::-1].copy(), 1), {}),
    "cosine_embedding_loss": ((A, B, SIGN, 0.1, 2), {}), "hinge_embedding_loss": ((A, np.sign(B), 0.5, 0), {}),
    "margin_ranking_loss": ((A[:, 0].copy(), B[:, 0].copy(), SIGN, 0.2, 1), {}),
    "poisson_nll_loss": ((A, PROB, True, False, 1e-8, 1), {}),
    "triplet_margin_loss": ((A, B, PROB, 1.0, 2, 1e-6, True, 2), {}),
    "binary_cross_entropy_with_logits": ((A, PROB, None, Const(np.full(5, 2.0, F32)), 1), {}),
    "embedding": ((A, np.array([[0, 3], [2, 2]]), 2), {}), "constant_pad_nd": ((IMG, [1, 2, 0, 1], 0.5), {}),
    "convolution": ((IMG, RNG.standard_normal((4, 3, 3, 3)).astype(F32), np.ones(4, F32), [1, 1], [1, 1], [1, 1],
                     False, [0, 0], 1), {}),
    "batch_norm": ((IMG, np.ones(3, F32), np.zeros(3, F32), None, None, True, 0.1, 1e-5, False), {}),
    "instance_norm": ((IMG, None, None, None, None, True, 0.1, 1e-5, False), {}),
    "affine_grid_generator": ((RNG.standard_normal((2, 2, 3)).astype(F32), [2, 3, 4, 4], False), {}),
    "grid_sampler": ((IMG, RNG.uniform(-1, 1, (2, 4, 4, 2)).astype(F32), 0, 1, False), {}),
    "grid_sampler_2d": ((IMG, RNG.uniform(-1, 1, (2, 4, 4, 2)).astype(F32), 1, 0, True), {}),
    "norm_except_dim": ((A, 2, 1), {}), "unsafe_chunk": ((A, 2, 1), {}), "unsafe_split": ((A, 2), {}),
    "unsafe_split_with_sizes": ((A, [1, 4], 1), {}),
}
COVERS = {"torch": list(CASES) + ["convolution", "dropout_", "alpha_dropout_", "feature_alpha_dropout_", "feature_dropout",
                                  "feature_dropout_", "native_dropout", "OutOfMemoryError"]}


def convert(lib, x):
    if isinstance(x, Const):
        return lib.tensor(x.a)
    if isinstance(x, np.ndarray):
        t = lib.tensor(x)
        return t.requires_grad_() if x.dtype.kind == "f" else t
    return x


def flat(x):
    return [o for v in x for o in flat(v)] if isinstance(x, (tuple, list)) else [x]


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_and_gradients_as_torch(name):
    args, kwargs = CASES[name]
    ta, ea = [convert(torch, a) for a in args], [convert(ember, a) for a in args]
    to, eo = flat(getattr(torch, name)(*ta, **kwargs)), flat(getattr(ember, name)(*ea, **kwargs))
    assert len(to) == len(eo)
    for t, e in zip(to, eo):
        assert tuple(e.shape) == tuple(t.shape) and str(e.dtype)[6:] == str(t.dtype)[6:], name
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-4, atol=1e-5, err_msg=name)
    w = [RNG.standard_normal(tuple(t.shape)).astype(F32) for t in to]
    sum((t * torch.tensor(wi)).sum() for t, wi in zip(to, w)).backward()
    sum((e * ember.tensor(wi)).sum() for e, wi in zip(eo, w)).backward()
    for t, e in zip(ta, ea):
        if isinstance(t, torch.Tensor) and t.grad is not None:
            if e.grad is None and not t.grad.any():  # torch materializes a zero gradient, ember leaves None
                continue
            np.testing.assert_allclose(e.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-5, err_msg=name)


@pytest.mark.parametrize("transposed", [False, True])
@pytest.mark.parametrize("nd", [1, 3])
def test_convolution_dispatches_on_rank_as_torch(nd, transposed):
    x = RNG.standard_normal((1, 2) + (4,) * nd).astype(F32)
    w = RNG.standard_normal((2, 3) + (2,) * nd).astype(F32)
    args = (None, [2] * nd, [0] * nd, [1] * nd, transposed, [1 if transposed else 0] * nd, 1)
    t = torch.convolution(torch.tensor(x), torch.tensor(w if transposed else w.transpose(1, 0, *range(2, nd + 2))[:, :2]),
                          *args)
    e = ember.convolution(ember.tensor(x), ember.tensor(w if transposed else w.transpose(1, 0, *range(2, nd + 2))[:, :2]),
                          *args)
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-5, atol=1e-5)


def test_dropouts_keep_scale_or_zero_as_torch():
    x = np.ones((8, 6, 3, 3), F32)
    for lib in (torch, ember):
        assert bool((lib.feature_dropout(lib.tensor(x), 0.5, False) == lib.tensor(x)).all())
        y = lib.feature_dropout(lib.tensor(x), 0.5, True).numpy()
        per_channel = y.reshape(8, 6, -1)
        assert set(np.unique(per_channel)) <= {0.0, 2.0} and (per_channel.min(-1) == per_channel.max(-1)).all()
        z = lib.tensor(x)
        assert lib.feature_dropout_(z, 1.0, True) is z and float(z.sum()) == 0.0
        out, mask = lib.native_dropout(lib.tensor(x), 0.25, True)
        assert str(mask.dtype).endswith("bool")
        np.testing.assert_allclose(out.numpy(), mask.numpy() / 0.75, rtol=1e-6)
        out, mask = lib.native_dropout(lib.tensor(x), 0.25, False)
        assert bool(mask.all()) and bool((out == lib.tensor(x)).all())
        for name in ("dropout_", "alpha_dropout_", "feature_alpha_dropout_"):
            z = lib.tensor(x)
            assert getattr(lib, name)(z, 0.3, False) is z and bool((z == lib.tensor(x)).all())
        z = lib.tensor(x)
        lib.dropout_(z, 0.5, True)
        assert set(np.unique(z.numpy())) <= {0.0, 2.0}
    assert issubclass(ember.OutOfMemoryError, MemoryError) and issubclass(ember.OutOfMemoryError, ember.EmberError)
    with pytest.raises(ember.ArgumentError, match="reduction"):
        ember.kl_div(ember.ones(2), ember.ones(2), 3)
