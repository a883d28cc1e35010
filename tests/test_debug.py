"""ember.debug's numerics checks: the first NaN/Inf names the op, the module path and the user's line,
forward, backward and in a compiled step."""
import inspect

import numpy as np
import pytest

import ember
from ember import nn
from ember.autograd import dispatch
from ember.debug import NumericsError, check_numerics, disable_check_numerics, enable_check_numerics
from ember.graph import observe

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's own warning for the NaN made


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 3)

    def forward(self, x):
        h = self.fc(x)
        return ember.log(h)  # LOG LINE


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(3, 3), Block())

    def forward(self, x):
        return self.body(x)


class SqrtNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Linear(3, 3)

    def forward(self, x):
        return ember.sqrt(x).sum() + self.scale(x).sum()  # SQRT LINE


def line_of(marker, cls):
    src, start = inspect.getsourcelines(cls)
    return start + next(i for i, line in enumerate(src) if marker in line)


def test_forward_nan_names_op_module_line_and_input_statistics():
    ember.manual_seed(0)
    net = Net()
    with ember.no_grad():
        net.body[1].fc.bias.fill_(-100.0)   # log of a negative number: NaN
    with check_numerics():
        with pytest.raises(NumericsError) as info:
            net(ember.randn(2, 3))
    text = str(info.value)
    assert text.startswith("check_numerics: log produced 6 NaN (of 6 values) in output 0, float32[2, 3]")
    assert "module: Net/body/1" in text
    assert f"{__file__}:{line_of('# LOG LINE', Block)}" in text
    assert "#0: float32[2, 3] min " in text and "0 NaN, 0 Inf" in text
    assert not dispatch._observers and not observe._observers   # the block's end removed the checks


def test_backward_inf_names_the_op_the_forward_op_and_its_line():
    net = SqrtNet()
    x = ember.tensor([[0.0, 1.0, 4.0]], requires_grad=True)
    enable_check_numerics()
    try:
        loss = net(x)
        with pytest.raises(NumericsError) as info:
            loss.backward()
    finally:
        disable_check_numerics()
    text = str(info.value)
    assert " in the backward of sqrt produced 1 Inf (of 3 values)" in text
    assert "module: SqrtNet\n" in text
    assert f"{__file__}:{line_of('# SQRT LINE', SqrtNet)}" in text
    assert "backward() called at:" in text and "loss.backward()" in text


def test_compiled_step_nan_names_op_module_and_line():
    ember.manual_seed(0)
    net = Net()
    opt = ember.optim.SGD(net.parameters(), lr=0.0)

    def step(x):
        opt.zero_grad()
        loss = net(x).sum()
        loss.backward()
        opt.step()
        return loss
    fast = ember.compile(step)
    with ember.no_grad():
        net.body[1].fc.bias.fill_(100.0)    # finite while tracing
    with check_numerics():
        fast(ember.randn(4, 3))
        fast(ember.randn(4, 3))
        with ember.no_grad():
            net.body[1].fc.bias.fill_(-100.0)
        with pytest.raises(NumericsError) as info:
            fast(ember.randn(4, 3))
    text = str(info.value)
    assert text.startswith("check_numerics: log (compiled step) produced 12 NaN")
    assert "module: Net/body/1" in text and f"{__file__}:{line_of('# LOG LINE', Block)}" in text


def test_finite_runs_pass_and_results_are_unchanged():
    ember.manual_seed(0)
    net, x = Net(), ember.rand(5, 3) + 10
    with ember.no_grad():
        net.body[1].fc.bias.fill_(50.0)
    expected = net(x).detach().numpy()
    with check_numerics():
        out = net(x)
        out.sum().backward()
    np.testing.assert_array_equal(out.detach().numpy(), expected)


def test_nan_in_the_data_is_reported_at_the_first_op_with_its_input_statistics():
    x = ember.tensor([1.0, float("nan"), 2.0])
    with check_numerics(), pytest.raises(NumericsError) as info:
        x * 2
    assert "mul produced 1 NaN" in str(info.value) and "1 NaN, 0 Inf" in str(info.value)
