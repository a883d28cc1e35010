"""A hand-written training loop in PyTorch's style: ember.nn, ember.optim and a DataLoader, on the digits.

    python examples/pytorch_style_loop.py        # about 10 s on 2 cores; needs `pip install ember[datasets]`

PyTorch code ports by changing `torch` to `ember`: the names, signatures and defaults are PyTorch's.
Claims (asserted at the end): at least 96% accuracy on the held-out 20% of the digits.
"""
import ember
from ember import nn
import ember.nn.functional as F
from ember.data import DataLoader
from ember.data.datasets import load_digits

ember.manual_seed(0)

train_loader = DataLoader(load_digits(train=True), batch_size=32, shuffle=True)   # (32, 1, 8, 8) images
test_loader = DataLoader(load_digits(train=False), batch_size=256)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc1 = nn.Linear(32 * 4 * 4, 64)
        self.fc2 = nn.Linear(64, 10)
        self.dropout = nn.Dropout(0.25)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)        # 8x8 -> 4x4
        x = self.dropout(F.relu(self.fc1(x.flatten(1))))
        return self.fc2(x)


def evaluate(model, loader):
    model.eval()
    correct = total = 0
    with ember.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
            total += y.shape[0]
    return correct / total


model = Net()
optimizer = ember.optim.Adam(model.parameters(), lr=2e-3)
scheduler = ember.optim.lr_scheduler.StepLR(optimizer, step_size=6, gamma=0.5)

for epoch in range(12):
    model.train()
    running = 0.0
    for x, y in train_loader:
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        running += loss.item() * y.shape[0]
    scheduler.step()
    print(f"epoch {epoch + 1:2d}: train loss {running / len(train_loader.dataset):.4f}, "
          f"test accuracy {evaluate(model, test_loader):.4f}")

accuracy = evaluate(model, test_loader)
print(f"test accuracy: {accuracy:.4f}")
assert accuracy >= 0.96, f"expected at least 96% test accuracy, got {accuracy:.4f}"
