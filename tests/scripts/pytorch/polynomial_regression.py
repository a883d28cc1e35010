"""A third-order polynomial fitted to sin(x) on [-pi, pi], four ways, in the shape of the "Learning
PyTorch with Examples" tutorial: tensors and autograd with the update written out under no_grad;
a custom autograd Function (a Legendre polynomial); nn.Sequential with MSELoss, saved and loaded
as a whole model; and a custom Module trained by an optimizer. Each fit must come close to the
least-squares optimum, computed here with NumPy.
"""
import math

import numpy as np
import torch

dtype = torch.float
device = torch.device("cpu")
# device = torch.device("cuda:0")  # Uncomment this to run on GPU

# Create input and output data
x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
y = torch.sin(x)

# The best a cubic can do, for reference: the sum of squared errors of the least-squares fit.
X = np.stack([np.ones(2000), x.numpy(), x.numpy() ** 2, x.numpy() ** 3], axis=1).astype(np.float64)
coef = np.linalg.lstsq(X, y.numpy().astype(np.float64), rcond=None)[0]
best = float(((X @ coef - y.numpy()) ** 2).sum())
print(f"least squares: y = {coef[0]:.4f} + {coef[1]:.4f} x + {coef[2]:.4f} x^2 + {coef[3]:.4f} x^3, loss {best:.3f}")

# --- 1. Tensors and autograd --------------------------------------------------------------------
torch.manual_seed(0)
a = torch.randn((), device=device, dtype=dtype, requires_grad=True)
b = torch.randn((), device=device, dtype=dtype, requires_grad=True)
c = torch.randn((), device=device, dtype=dtype, requires_grad=True)
d = torch.randn((), device=device, dtype=dtype, requires_grad=True)

learning_rate = 1e-6
for t in range(2000):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3

    # Compute and print loss using operations on Tensors; loss is a scalar Tensor.
    loss = (y_pred - y).pow(2).sum()
    if t % 500 == 499:
        print(t, loss.item())

    # Use autograd to compute the backward pass: a.grad, b.grad, c.grad and d.grad.
    loss.backward()

    # Manually update weights using gradient descent. Wrap in torch.no_grad()
    # because weights have requires_grad=True, but we don't need to track this in autograd.
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad

        # Manually zero the gradients after updating weights
        a.grad = None
        b.grad = None
        c.grad = None
        d.grad = None

print(f'Result: y = {a.item()} + {b.item()} x + {c.item()} x^2 + {d.item()} x^3')
assert loss.item() < 2 * best, (loss.item(), best)
assert abs(b.item() - coef[1]) < 0.05 and abs(d.item() - coef[3]) < 0.01


# --- 2. A custom autograd Function ----------------------------------------------------------------
class LegendrePolynomial3(torch.autograd.Function):
    """P3(x) = 1/2 (5x^3 - 3x), with its derivative written by hand."""

    @staticmethod
    def forward(ctx, input):
        ctx.save_for_backward(input)
        return 0.5 * (5 * input ** 3 - 3 * input)

    @staticmethod
    def backward(ctx, grad_output):
        input, = ctx.saved_tensors
        return grad_output * 1.5 * (5 * input ** 2 - 1)


# y = a + b * P3(c + d * x); these weights start near the answer so that the fit converges.
a = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
b = torch.full((), -1.0, device=device, dtype=dtype, requires_grad=True)
c = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
d = torch.full((), 0.3, device=device, dtype=dtype, requires_grad=True)

learning_rate = 5e-6
first = None
for t in range(2000):
    P3 = LegendrePolynomial3.apply
    y_pred = a + b * P3(c + d * x)
    loss = (y_pred - y).pow(2).sum()
    first = loss.item() if first is None else first
    loss.backward()
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad
        a.grad = None
        b.grad = None
        c.grad = None
        d.grad = None

print(f'Result: y = {a.item()} + {b.item()} * P3({c.item()} + {d.item()} x), loss {loss:.2f}')
assert loss.item() < first / 5 and loss.item() < 3 * best, (first, loss.item(), best)

# --- 3. nn.Sequential, saved and loaded whole -----------------------------------------------------
# y is a linear function of (x, x^2, x^3): a Linear layer over those features.
p = torch.tensor([1, 2, 3])
xx = x.unsqueeze(-1).pow(p)

model = torch.nn.Sequential(
    torch.nn.Linear(3, 1),
    torch.nn.Flatten(0, 1)
)
loss_fn = torch.nn.MSELoss(reduction='sum')

learning_rate = 1e-6
for t in range(2000):
    y_pred = model(xx)
    loss = loss_fn(y_pred, y)
    model.zero_grad()
    loss.backward()
    with torch.no_grad():
        for param in model.parameters():
            param -= learning_rate * param.grad

linear_layer = model[0]
print(f'Result: y = {linear_layer.bias.item()} + {linear_layer.weight[:, 0].item()} x + '
      f'{linear_layer.weight[:, 1].item()} x^2 + {linear_layer.weight[:, 2].item()} x^3')
assert loss.item() < 2 * best, (loss.item(), best)

with torch.no_grad():
    y_pred = model(xx)
torch.save(model, 'model.pth')
model = torch.load('model.pth', weights_only=False)
model.eval()
assert torch.equal(model(xx), y_pred) and isinstance(model[1], torch.nn.Flatten)


# --- 4. A custom Module and an optimizer ---------------------------------------------------------
class Polynomial3(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.randn(()))
        self.b = torch.nn.Parameter(torch.randn(()))
        self.c = torch.nn.Parameter(torch.randn(()))
        self.d = torch.nn.Parameter(torch.randn(()))

    def forward(self, x):
        return self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3

    def string(self):
        return f'y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + {self.d.item()} x^3'


model = Polynomial3()
criterion = torch.nn.MSELoss(reduction='sum')
optimizer = torch.optim.RMSprop(model.parameters(), lr=4e-3)
for t in range(2000):
    y_pred = model(x)
    loss = criterion(y_pred, y)
    if t % 500 == 499:
        print(t, f"{loss:.4f}")
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

print(f'Result: {model.string()}')
assert loss.item() < 2 * best, (loss.item(), best)
assert sorted(model.state_dict()) == ['a', 'b', 'c', 'd']
