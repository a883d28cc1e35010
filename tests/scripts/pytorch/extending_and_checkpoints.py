"""Extending PyTorch and checkpointing, in the style of the "Extending PyTorch" notes and the
save/load tutorial: a custom autograd.Function (ctx.save_for_backward, needs_input_grad,
once_differentiable-free) checked with gradcheck in float64, a Module with register_buffer (persistent
and not), forward pre-hooks, forward hooks and full backward hooks, state_dict round trips through
torch.save into io.BytesIO, load_state_dict(strict=False) reporting missing/unexpected keys, a
whole checkpoint dict with the optimizer's state, and SummaryWriter scalar/histogram logging.
"""
import io
import os
import tempfile
import torch
import torch.nn as nn
from torch.autograd import Function, gradcheck
from torch.utils.tensorboard import SummaryWriter
torch.manual_seed(0)

class LinearFunction(Function):
    @staticmethod
    def forward(ctx, input, weight, bias=None):
        ctx.save_for_backward(input, weight, bias)
        output = input.mm(weight.t())
        if bias is not None:
            output += bias.unsqueeze(0).expand_as(output)
        return output
    @staticmethod
    def backward(ctx, grad_output):
        input, weight, bias = ctx.saved_tensors
        grad_input = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_input = grad_output.mm(weight)
        if ctx.needs_input_grad[1]:
            grad_weight = grad_output.t().mm(input)
        if bias is not None and ctx.needs_input_grad[2]:
            grad_bias = grad_output.sum(0)
        return grad_input, grad_weight, grad_bias

class MulConstant(Function):
    @staticmethod
    def forward(ctx, tensor, constant):
        ctx.constant = constant
        return tensor * constant
    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.constant, None

linear = LinearFunction.apply
inputs = (torch.randn(5, 4, dtype=torch.double, requires_grad=True),
          torch.randn(3, 4, dtype=torch.double, requires_grad=True),
          torch.randn(3, dtype=torch.double, requires_grad=True))
assert gradcheck(linear, inputs, eps=1e-6, atol=1e-4)
assert gradcheck(MulConstant.apply, (torch.randn(3, dtype=torch.double, requires_grad=True), 2.5))
x = torch.randn(5, 4)
w = torch.randn(3, 4, requires_grad=True)
out = linear(x, w)   # no bias, input needs no grad
out.sum().backward()
assert x.grad is None and torch.allclose(w.grad, torch.ones(5, 3).t().mm(x))
assert out.grad_fn is not None and out.requires_grad

class MyLinear(nn.Module):
    def __init__(self, input_features, output_features):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(output_features, input_features).uniform_(-0.1, 0.1))
        self.bias = nn.Parameter(torch.zeros(output_features))
        self.register_buffer("calls", torch.zeros((), dtype=torch.long))
        self.register_buffer("scratch", torch.zeros(output_features), persistent=False)
    def forward(self, input):
        self.calls += 1
        return MulConstant.apply(linear(input, self.weight, self.bias), 1.0)
    def extra_repr(self):
        return f"input_features={self.weight.shape[1]}, output_features={self.weight.shape[0]}"

net = nn.Sequential(MyLinear(4, 8), nn.ReLU(), MyLinear(8, 2))
assert "input_features=4, output_features=8" in repr(net)
assert set(net.state_dict()) == {"0.weight", "0.bias", "0.calls", "2.weight", "2.bias", "2.calls"}
assert [n for n, _ in net.named_buffers()] == ["0.calls", "0.scratch", "2.calls", "2.scratch"]

activations, grads, seen_inputs = {}, {}, []
def save_activation(name):
    def hook(module, inp, output):
        activations[name] = output.detach()
    return hook
def save_grad(name):
    def hook(module, grad_input, grad_output):
        grads[name] = grad_output[0].detach().clone()
    return hook
handles = [net[0].register_forward_hook(save_activation("fc1")),
           net[2].register_full_backward_hook(save_grad("fc2")),
           net.register_forward_pre_hook(lambda module, args: seen_inputs.append(args[0].shape))]
double = net[1].register_forward_hook(lambda module, inp, output: output * 2)   # a hook may replace the output

opt = torch.optim.Adam(net.parameters(), lr=0.05)
data = torch.randn(64, 4)
target = (data[:, :1] - data[:, 1:2]).relu().repeat(1, 2)
logdir = tempfile.mkdtemp()
writer = SummaryWriter(log_dir=logdir)
for step in range(30):
    opt.zero_grad()
    loss = nn.functional.mse_loss(net(data), target)
    loss.backward()
    opt.step()
    writer.add_scalar("train/loss", loss.item(), step)
    if step % 10 == 0:
        writer.add_histogram("fc1/weight", net[0].weight, step)
writer.flush(); writer.close()
assert activations["fc1"].shape == (64, 8) and grads["fc2"].shape == (64, 2)
assert len(seen_inputs) == 30 and int(net[0].calls) == 30
with torch.no_grad():
    hooked = net(data)
    double.remove()
    plain = net(data)
assert torch.allclose(hooked, net[2](2 * net[1](net[0](data))))
assert not torch.allclose(hooked, plain)
for h in handles:
    h.remove()
activations.clear()
net(data)
assert not activations and len(seen_inputs) == 32
assert any(f.startswith("events.out.tfevents") for f in os.listdir(logdir))

buffer = io.BytesIO()
torch.save(net.state_dict(), buffer)
buffer.seek(0)
clone = nn.Sequential(MyLinear(4, 8), nn.ReLU(), MyLinear(8, 2))
clone.load_state_dict(torch.load(buffer, weights_only=True))
with torch.no_grad():
    assert torch.equal(clone(data), net(data))
assert int(clone[0].calls) == int(net[0].calls) == 35   # the buffer travelled
# a bigger model takes the shared part of a checkpoint: strict=False reports what did not match
bigger = nn.Sequential(MyLinear(4, 8), nn.ReLU(), MyLinear(8, 2), nn.Linear(2, 1))
state = net.state_dict()
state["head.weight"] = torch.zeros(1)
result = bigger.load_state_dict(state, strict=False)
assert sorted(result.missing_keys) == ["3.bias", "3.weight"] and result.unexpected_keys == ["head.weight"]
assert torch.equal(bigger[2].weight, net[2].weight)
try:
    bigger.load_state_dict(state)
    raise AssertionError("strict loading accepted missing keys")
except RuntimeError as e:
    assert "Missing key(s)" in str(e) and "Unexpected key(s)" in str(e)

checkpoint = io.BytesIO()
torch.save({"epoch": 30, "model_state_dict": net.state_dict(), "optimizer_state_dict": opt.state_dict(),
            "loss": loss}, checkpoint)
checkpoint.seek(0)
loaded = torch.load(checkpoint)
model2 = nn.Sequential(MyLinear(4, 8), nn.ReLU(), MyLinear(8, 2))
opt2 = torch.optim.Adam(model2.parameters(), lr=0.05)
model2.load_state_dict(loaded["model_state_dict"])
opt2.load_state_dict(loaded["optimizer_state_dict"])
assert loaded["epoch"] == 30 and opt2.state_dict()["state"][0]["step"] == 30
for o, m in ((opt, net), (opt2, model2)):   # one more step from the same state gives the same weights
    o.zero_grad(); nn.functional.mse_loss(m(data), target).backward(); o.step()
assert all(torch.allclose(a, b) for a, b in zip(net.parameters(), model2.parameters()))
print(f"final loss {loss.item():.4f}")
