"""The one dispatch hook: observers see every primitive call, forward and backward, and may change
its arguments; with none installed nothing changes."""
import numpy as np

import ember
from ember.autograd import dispatch


def test_observer_sees_forward_and_backward_calls_in_order():
    seen = []

    def spy(cls, args, attrs, proceed):
        seen.append((cls.op_name(), dispatch.in_backward()))
        return proceed(args, attrs)

    x = ember.tensor([1.0, 2.0], requires_grad=True)
    with dispatch.observing(spy):
        y = (x * x).sum()
        y.backward()
    assert ("mul", False) in seen and ("sum", False) in seen
    assert any(backward for _, backward in seen)
    assert not dispatch._observers
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


def test_observer_can_change_arguments_and_observers_nest():
    order = []

    def outer(cls, args, attrs, proceed):
        order.append("outer")
        return proceed(args, attrs)

    def doubler(cls, args, attrs, proceed):
        order.append("inner")
        if cls.op_name() == "neg":
            args = tuple(a * 2 if isinstance(a, ember.Tensor) else a for a in args)
        return proceed(args, attrs)

    with dispatch.observing(outer), dispatch.observing(doubler):
        out = ember.neg(ember.tensor([1.0, 3.0]))
    np.testing.assert_allclose(out.numpy(), [-2.0, -6.0])
    assert order[:2] == ["outer", "inner"]


def test_observers_see_calls_while_tracing():
    seen = []

    def spy(cls, args, attrs, proceed):
        seen.append(cls.op_name())
        return proceed(args, attrs)

    fn = ember.compile(lambda x: ember.tanh(x) * 2)
    with dispatch.observing(spy):
        out = fn(ember.ones(3))
    np.testing.assert_allclose(out.numpy(), np.tanh(np.ones(3)) * 2, rtol=1e-6)
    assert "tanh" in seen
