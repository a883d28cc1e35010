"""User-defined differentiable functions in PyTorch's form, and gradcheck itself."""
import numpy as np
import pytest

import ember
from ember.autograd import Function, GradcheckError, gradcheck, gradgradcheck


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return 3 * x * x * g


class ScaleShift(Function):
    """Two outputs, a non-tensor argument, and needs_input_grad."""

    @staticmethod
    def forward(ctx, x, y, k):
        ctx.k = k
        ctx.save_for_backward(x, y)
        return x * k + y, x - y

    @staticmethod
    def backward(ctx, g1, g2):
        assert ctx.needs_input_grad[:2] == (True, True) and ctx.needs_input_grad[2] is False
        return g1 * ctx.k + g2, g1 - g2, None


class WrongGrad(Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 3


class ArgMaxWithValue(Function):
    @staticmethod
    def forward(ctx, x):
        i = x.argmax() if hasattr(x, "argmax") else None
        ctx.mark_non_differentiable(i)
        ctx.save_for_backward(x)
        return x * 1, i


def x64(*shape, seed=0):
    return ember.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


def test_custom_function_forward_backward():
    x = x64(4)
    y = Cube.apply(x)
    assert y.grad_fn is not None
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * x.detach().numpy() ** 2)


def test_custom_function_gradcheck_and_double_backward():
    x = x64(3)
    assert gradcheck(Cube.apply, (x,))
    assert gradgradcheck(Cube.apply, (x,))


def test_custom_function_multiple_outputs():
    x, y = x64(3), x64(3, seed=1)
    assert gradcheck(lambda a, b: ScaleShift.apply(a, b, 2.5), (x, y))
    p, q = ScaleShift.apply(x, y, 2.0)
    p.sum().backward()  # only one output used: the other's gradient is materialized as zeros
    np.testing.assert_allclose(x.grad.numpy(), 2.0)
    np.testing.assert_allclose(y.grad.numpy(), 1.0)


def test_custom_function_saved_tensor_modified_in_place_is_an_error():
    x = x64(3)
    h = x * 1
    y = Cube.apply(h)
    with ember.no_grad():
        h.add_(1)
    with pytest.raises(ember.AutogradError, match="modified by an in-place"):
        y.sum().backward()


def test_custom_function_under_no_grad_records_nothing():
    x = x64(3)
    with ember.no_grad():
        assert Cube.apply(x).grad_fn is None


def test_gradcheck_catches_a_wrong_gradient():
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradcheck(WrongGrad.apply, (x64(3),))
    assert gradcheck(WrongGrad.apply, (x64(3),), raise_exception=False) is False


def test_gradcheck_refuses_float32():
    x = ember.ones(2, requires_grad=True)
    with pytest.raises(ember.AutogradError, match="float64"):
        gradcheck(lambda t: t * 2, (x,))


def test_a_returned_input_marked_non_differentiable_stays_so_as_in_pytorch():
    torch = pytest.importorskip("torch")
    seen = {}
    for lib in (torch, ember):
        class PassBoth(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a, b):
                ctx.mark_non_differentiable(b)
                return a, b

            @staticmethod
            def backward(ctx, ga, gb):
                seen[lib.__name__] = gb.numpy().tolist()
                return ga, None

        a = lib.ones(2, requires_grad=True)
        out_a, out_b = PassBoth.apply(a, lib.ones(2))
        assert out_a.requires_grad and not out_b.requires_grad
        (out_a * 3).sum().backward()
        assert a.grad.tolist() == [3.0, 3.0]
    assert seen["ember"] == seen["torch"] == [0.0, 0.0]   # the non-differentiable output's grad reads zeros
