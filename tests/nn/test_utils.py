"""ember.nn.utils against torch.nn.utils: gradient clipping and parameter vectors."""
import math
import warnings

import numpy as np
import pytest
import torch

import ember
import ember.nn
from ember.errors import ArgumentError, DTypeError
from ember.nn.utils import (clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm,
                            parameters_to_vector, vector_to_parameters)

TOL = {"float64": dict(rtol=1e-10, atol=1e-12), "float32": dict(rtol=1e-4, atol=1e-5)}
SHAPES = [(3, 4), (4,), (2, 3, 2), ()]


def pairs(dtype, scale=1.0, seed=0):
    """Parameters with gradients, in ember and torch; the last parameter has no gradient."""
    rng = np.random.default_rng(seed)
    e, t = [], []
    for i, shape in enumerate(SHAPES + [(2,)]):
        w = rng.standard_normal(shape).astype(dtype)
        ep, tp = ember.tensor(w.copy(), requires_grad=True), torch.tensor(w.copy(), requires_grad=True)
        if i < len(SHAPES):
            g = (rng.standard_normal(shape) * scale).astype(dtype)
            ep.grad, tp.grad = ember.tensor(g.copy()), torch.tensor(g.copy())
        e.append(ep)
        t.append(tp)
    return e, t


def assert_grads_equal(e, t, dtype):
    for ep, tp in zip(e, t):
        if tp.grad is None:
            assert ep.grad is None
        else:
            np.testing.assert_allclose(ep.grad.numpy(), tp.grad.numpy(), **TOL[dtype])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("norm_type", [2, 1, math.inf, 3.0, 0.5, -math.inf, 0])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_torch(dtype, norm_type, max_norm):
    e, t = pairs(dtype, scale=3.0)
    e_total = clip_grad_norm_(e, max_norm, norm_type=norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(t, max_norm, norm_type=norm_type)
    assert isinstance(e_total, ember.Tensor) and e_total.shape == ()
    assert e_total.numpy().dtype == t_total.numpy().dtype
    np.testing.assert_allclose(e_total.numpy(), t_total.numpy(), **TOL[dtype])
    assert_grads_equal(e, t, dtype)


def test_clip_grad_norm_scales_to_max_norm_and_accepts_one_tensor_or_a_generator():
    w = ember.ones(4, requires_grad=True)
    w.grad = ember.full((4,), 10.0)
    total = clip_grad_norm_(w, max_norm=2.0)
    assert float(total) == pytest.approx(20.0)
    assert float((w.grad * w.grad).sum()) ** 0.5 == pytest.approx(2.0, rel=1e-5)
    e, t = pairs("float64")
    np.testing.assert_allclose(clip_grad_norm_((p for p in e), 0.1).numpy(),
                               torch.nn.utils.clip_grad_norm_((p for p in t), 0.1).numpy(), rtol=1e-12)
    with pytest.warns(UserWarning, match="empty generator"):
        assert float(clip_grad_norm_((p for p in []), 1.0)) == 0.0


@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_clip_grad_norm_nonfinite():
    e, t = pairs("float64")
    e[0].grad._data[0, 0] = np.inf
    t[0].grad[0, 0] = math.inf
    with pytest.raises(ArgumentError, match="clip_grad_norm_: the total norm of order 2.0 .* non-finite"):
        clip_grad_norm_(e, 1.0, error_if_nonfinite=True)
    e_total = clip_grad_norm_(e, 1.0)
    t_total = torch.nn.utils.clip_grad_norm_(t, 1.0)
    assert math.isinf(float(e_total)) and math.isinf(float(t_total))
    assert_grads_equal(e, t, "float64")  # both scale by 0 (and inf * 0 = nan) the same way


def test_get_total_norm_and_clip_grads_with_norm_match_torch():
    e, t = pairs("float64", seed=3)
    e_grads, t_grads = [p.grad for p in e if p.grad is not None], [p.grad for p in t if p.grad is not None]
    e_total = get_total_norm(e_grads, norm_type=3.0)
    t_total = torch.nn.utils.get_total_norm(t_grads, norm_type=3.0)
    np.testing.assert_allclose(e_total.numpy(), t_total.numpy(), rtol=1e-12)
    clip_grads_with_norm_(e, 0.3, e_total)
    torch.nn.utils.clip_grads_with_norm_(t, 0.3, t_total)
    assert_grads_equal(e, t, "float64")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_clip_grad_value_matches_torch(dtype):
    e, t = pairs(dtype, scale=2.0)
    clip_grad_value_(e, 0.7)
    torch.nn.utils.clip_grad_value_(t, 0.7)
    assert_grads_equal(e, t, dtype)
    assert max(float(p.grad.abs().max()) for p in e if p.grad is not None and p.grad.numel()) <= 0.7


def test_parameters_to_vector_and_back_match_torch():
    e, t = pairs("float64")
    ev, tv = parameters_to_vector(e), torch.nn.utils.parameters_to_vector(t)
    np.testing.assert_allclose(ev.detach().numpy(), tv.detach().numpy(), rtol=0)
    assert ev.requires_grad
    new = np.arange(ev.numel(), dtype=np.float64)
    vector_to_parameters(ember.tensor(new), e)
    torch.nn.utils.vector_to_parameters(torch.tensor(new), t)
    for ep, tp in zip(e, t):
        assert ep.shape == tuple(tp.shape)
        np.testing.assert_array_equal(ep.detach().numpy(), tp.detach().numpy())
        assert ep.requires_grad


def test_parameters_to_vector_is_differentiable():
    a, b = ember.ones(2, 2, requires_grad=True), ember.ones(3, requires_grad=True)
    v = parameters_to_vector([a, b])
    (v * ember.arange(7.0)).sum().backward()
    assert a.grad.tolist() == [[0.0, 1.0], [2.0, 3.0]] and b.grad.tolist() == [4.0, 5.0, 6.0]


def test_utils_errors():
    w = ember.ones(3, requires_grad=True)
    with pytest.raises(DTypeError, match="vector_to_parameters: expected a Tensor"):
        vector_to_parameters(np.zeros(3), [w])
    with pytest.raises(ArgumentError, match=r"vec of shape \(4,\) must be 1-D with 3 elements"):
        vector_to_parameters(ember.zeros(4), [w])
    with pytest.raises(DTypeError, match="clip_grad_norm_: item 1 is a list"):
        clip_grad_norm_([w, [1.0]], 1.0)
    with pytest.raises(DTypeError, match="clip_grad_value_: expected a Tensor or an iterable"):
        clip_grad_value_(3, 1.0)


def test_deprecated_clip_grad_norm_warns_and_clips():
    w = ember.ones(2, requires_grad=True)
    w.grad = ember.full((2,), 4.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ember.nn.utils.clip_grad_norm(w, 1.0)
    assert any(issubclass(c.category, FutureWarning) for c in caught)
    assert float((w.grad * w.grad).sum()) == pytest.approx(1.0, rel=1e-5)
