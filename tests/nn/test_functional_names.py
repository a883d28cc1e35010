"""torch.nn.functional names called by name on ember and PyTorch with the same inputs: outputs (values,
shapes, dtypes) and input gradients equal; in-place forms change their input as PyTorch's do."""
import numpy as np
import pytest
import torch

import ember

RNG = np.random.default_rng(0)
F32 = np.float32
SIG = RNG.standard_normal((2, 4, 9)).astype(F32)          # (N, C, L)
IMG = RNG.standard_normal((2, 4, 6, 6)).astype(F32)       # (N, C, H, W)
VOL = RNG.standard_normal((1, 2, 4, 6, 6)).astype(F32)    # (N, C, D, H, W)
X = RNG.standard_normal((4, 5)).astype(F32)
Y = RNG.standard_normal((4, 5)).astype(F32)
Z = RNG.standard_normal((4, 5)).astype(F32)
POS = RNG.uniform(0.5, 2.0, (4, 5)).astype(F32)
LABELS = np.array([1, 0, 4, 2])
MULTI = np.array([[3, 0, -1, 1, 1], [1, 2, 4, -1, 0], [0, -1, 2, 2, 2], [4, 3, 2, 1, 0]])
SIGNS = np.array([[1, -1, 1, 1, -1]] * 4, F32)


class Const:
    """An array argument that does not require grad."""

    def __init__(self, a):
        self.a = a


CASES = {  # name -> (args, kwargs, differentiable in torch)
    "adaptive_avg_pool3d": ((VOL, (2, 3, 2)), {}, True),
    "adaptive_max_pool1d": ((SIG, 4), {}, True), "adaptive_max_pool1d_with_indices": ((SIG, 4), {}, True),
    "adaptive_max_pool2d": ((IMG, (3, 2)), {}, True), "adaptive_max_pool2d_with_indices": ((IMG, 3), {}, True),
    "adaptive_max_pool3d": ((VOL, 2), {}, True), "adaptive_max_pool3d_with_indices": ((VOL, (2, 3, 3)), {}, True),
    "affine_grid": ((RNG.standard_normal((2, 2, 3)).astype(F32), [2, 4, 5, 5]), {"align_corners": False}, True),
    "avg_pool3d": ((VOL, 2), {"stride": 2}, True), "celu": ((X,), {"alpha": 0.7}, True),
    "channel_shuffle": ((IMG, 2), {}, True), "native_channel_shuffle": ((IMG, 2), {}, False),
    "conv3d": ((VOL, RNG.standard_normal((3, 2, 2, 3, 3)).astype(F32)), {"padding": 1}, True),
    "conv_transpose3d": ((VOL, RNG.standard_normal((2, 3, 2, 2, 2)).astype(F32)), {"stride": 2}, True),
    "conv_tbc": ((RNG.standard_normal((7, 2, 3)).astype(F32), RNG.standard_normal((3, 3, 4)).astype(F32),
                  RNG.standard_normal(4).astype(F32), 1), {}, True),
    "embedding_bag": ((Const(np.array([1, 2, 3, 0, 3])), X, Const(np.array([0, 2]))), {"mode": "sum"}, True),
    "fold": ((RNG.standard_normal((2, 12, 9)).astype(F32), (4, 4), 2), {}, True),
    "unfold": ((IMG, 3), {"stride": 2, "padding": 1}, True),
    "gaussian_nll_loss": ((X, Y, POS), {"full": True}, True),
    "grid_sample": ((IMG, RNG.uniform(-1, 1, (2, 3, 3, 2)).astype(F32)), {"align_corners": True}, True),
    "hardshrink": ((X, 0.4), {}, True), "softshrink": ((X, 0.4), {}, True),
    "hinge_embedding_loss": ((X, Const(SIGNS)), {"margin": 0.5}, True),
    "instance_norm": ((IMG,), {}, True), "interpolate": ((IMG,), {"scale_factor": 2, "mode": "bilinear"}, True),
    "local_response_norm": ((IMG, 3), {}, True), "lp_pool1d": ((np.abs(SIG), 2, 3), {}, True),
    "lp_pool2d": ((np.abs(IMG), 3, 2), {}, True), "lp_pool3d": ((np.abs(VOL) + 0.1, 2, 2), {}, True),
    "margin_ranking_loss": ((X[:, 0].copy(), Y[:, 0].copy(), Const(SIGNS[0, :4].copy())), {"margin": 0.1}, True),
    "max_pool1d_with_indices": ((SIG, 3), {"stride": 2}, True), "max_pool2d_with_indices": ((IMG, 2), {}, True),
    "max_pool3d": ((VOL, 2), {}, True), "max_pool3d_with_indices": ((VOL, 2), {}, True),
    "multi_margin_loss": ((X, Const(LABELS)), {"margin": 0.5, "p": 2}, True),
    "multilabel_margin_loss": ((X, Const(MULTI)), {}, True),
    "multilabel_soft_margin_loss": ((X, Const((SIGNS > 0).astype(F32))), {}, True),
    "pairwise_distance": ((X, Y), {"p": 3.0}, True), "pdist": ((X,), {"p": 1.0}, True),
    "pixel_shuffle": ((IMG, 2), {}, True), "pixel_unshuffle": ((IMG, 2), {}, True),
    "prelu": ((IMG, np.full(4, 0.2, F32)), {}, True), "rms_norm": ((X, [5]), {"eps": 1e-5}, True),
    "selu": ((X,), {}, True), "sigmoid": ((X,), {}, True), "tanh": ((X,), {}, True),
    "soft_margin_loss": ((X, Const(SIGNS)), {}, True), "threshold": ((X, 0.1, -2.0), {}, True),
    "triplet_margin_loss": ((X, Y, Z), {"swap": True}, True),
    "triplet_margin_with_distance_loss": ((X, Y, Z), {"margin": 0.5}, True),
    "upsample": ((IMG,), {"scale_factor": 2, "mode": "nearest"}, True),
    "upsample_bilinear": ((IMG,), {"size": (9, 9)}, True),
    "upsample_nearest": ((IMG,), {"scale_factor": 2}, True),
}
IN_PLACE = {"celu_": (X,), "elu_": (X,), "hardtanh_": (X,), "leaky_relu_": (X, 0.2), "relu_": (X,), "selu_": (X,),
            "threshold_": (X, 0.1, -2.0)}
COVERS = {"torch.nn.functional": list(CASES) + list(IN_PLACE)}


def convert(lib, x, grad):
    if isinstance(x, Const):
        return lib.tensor(x.a)
    if isinstance(x, np.ndarray):
        t = lib.tensor(x)
        return t.requires_grad_() if grad and x.dtype.kind == "f" else t
    return x


def flat(x):
    return [o for v in x for o in flat(v)] if isinstance(x, (tuple, list)) else [x]


def close(e, t, what):
    assert tuple(e.shape) == tuple(t.shape), f"{what}: {tuple(e.shape)} vs {tuple(t.shape)}"
    assert str(e.dtype).split(".")[1] == str(t.dtype).split(".")[1], f"{what}: {e.dtype} vs {t.dtype}"
    np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=1e-4, atol=2e-5, err_msg=what)


@pytest.mark.parametrize("name", sorted(CASES))
def test_functional_as_torch(name):
    args, kwargs, grad = CASES[name]
    ta, ea = [convert(torch, a, grad) for a in args], [convert(ember, a, grad) for a in args]
    to = flat(getattr(torch.nn.functional, name)(*ta, **kwargs))
    eo = flat(getattr(ember.nn.functional, name)(*ea, **kwargs))
    assert len(eo) == len(to), name
    for e, t in zip(eo, to):
        close(e, t, name)
    floats = [(t, e) for t, e in zip(to, eo) if t.requires_grad]
    if not floats:
        return
    w = [RNG.standard_normal(tuple(t.shape)).astype(F32) for t, _ in floats]
    sum((t * torch.tensor(wi)).sum() for (t, _), wi in zip(floats, w)).backward()
    sum((e * ember.tensor(wi)).sum() for (_, e), wi in zip(floats, w)).backward()
    for t, e in zip(ta, ea):
        if isinstance(t, torch.Tensor) and t.grad is not None:
            if e.grad is None and not t.grad.any():  # torch materializes a zero gradient, ember leaves None
                continue
            close(e.grad, t.grad, f"{name}: gradient")


@pytest.mark.parametrize("name", sorted(IN_PLACE))
def test_in_place_activations_as_torch(name):
    t, e = torch.tensor(IN_PLACE[name][0]), ember.tensor(IN_PLACE[name][0])
    rest = IN_PLACE[name][1:]
    assert getattr(torch.nn.functional, name)(t, *rest) is t
    assert getattr(ember.nn.functional, name)(e, *rest) is e
    close(e, t, name)
