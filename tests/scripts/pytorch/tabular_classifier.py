"""A tabular classifier in the common PyTorch idiom: TensorDataset, random_split with a seeded
Generator, DataLoaders, a module that initializes itself with `apply`, AdamW with a cosine schedule,
label smoothing, gradient clipping, a train/eval loop with `.item()` bookkeeping, a checkpoint
dictionary saved and loaded, and softmax/top-k predictions.
"""
import math
import os
import tempfile
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import TensorDataset, DataLoader, random_split
torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
X = torch.randn(512, 20)
w_true = torch.randn(20, 3)
y = (X @ w_true).argmax(dim=1)
ds = TensorDataset(X, y)
train_ds, val_ds = random_split(ds, [400, 112], generator=torch.Generator().manual_seed(1))
train = DataLoader(train_ds, batch_size=32, shuffle=True, drop_last=False)
val = DataLoader(val_ds, batch_size=64)

class Net(nn.Module):
    def __init__(self, d_in=20, hidden=64, n_out=3, p=0.1):
        super().__init__()
        self.fc1 = nn.Linear(d_in, hidden)
        self.bn = nn.BatchNorm1d(hidden)
        self.drop = nn.Dropout(p)
        self.fc2 = nn.Linear(hidden, n_out)
        self.apply(self._init)

    @staticmethod
    def _init(m):
        if isinstance(m, nn.Linear):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
            nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.fc2(self.drop(F.gelu(self.bn(self.fc1(x)))))

model = Net().to(device)
print(sum(p.numel() for p in model.parameters() if p.requires_grad), "params")
opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-2)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)
crit = nn.CrossEntropyLoss(label_smoothing=0.05)
best = math.inf
for epoch in range(10):
    model.train()
    total = 0.0
    for xb, yb in train:
        xb, yb = xb.to(device), yb.to(device)
        opt.zero_grad(set_to_none=True)
        loss = crit(model(xb), yb)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        opt.step()
        total += loss.item() * xb.size(0)
    sched.step()
    model.eval()
    correct = n = 0
    with torch.no_grad():
        for xb, yb in val:
            logits = model(xb)
            correct += (logits.argmax(1) == yb).sum().item()
            n += yb.numel()
    acc = correct / n
    print(f"epoch {epoch:2d} loss {total / len(train.dataset):.4f} val acc {acc:.3f} lr {sched.get_last_lr()[0]:.5f}")
path = os.path.join(tempfile.mkdtemp(), "ckpt.pt")
torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "epoch": epoch}, path)
ck = torch.load(path)
model.load_state_dict(ck["model"])
probs = F.softmax(model(X[:5]), dim=-1)
print(probs.detach().cpu().numpy().round(3), torch.topk(probs, 2).indices.tolist())
assert acc > 0.7, acc  # a linear rule in 20 dims, learned from 400 samples
assert ck["epoch"] == 9 and best == math.inf
