"""Idioms from PyTorch vision code: a Dataset returning dicts (collated by the default collate),
DataLoader worker processes, ModuleList and ModuleDict, residual conv blocks with GroupNorm and
BatchNorm, bilinear interpolation, SGD with Nesterov momentum and weight decay, ReduceLROnPlateau,
a gradient hook, torch.autograd.grad for an input gradient, set_num_threads, and a dtype cast of the
whole model.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import Dataset, DataLoader
torch.manual_seed(0)
torch.set_num_threads(1)
print(torch.get_num_threads(), torch.__version__ is not None)

class DictDS(Dataset):
    def __init__(self, n=64):
        self.x = np.random.RandomState(0).randn(n, 3, 8, 8).astype("float32")
        self.y = (self.x.mean(axis=(1, 2, 3)) > 0).astype("int64")
    def __len__(self):
        return len(self.x)
    def __getitem__(self, i):
        return {"image": torch.from_numpy(self.x[i]), "label": int(self.y[i])}

dl = DataLoader(DictDS(), batch_size=16, shuffle=True, num_workers=2)

class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layers = nn.ModuleList([nn.Conv2d(c, c, 3, padding=1) for _ in range(2)])
        self.norms = nn.ModuleDict({"a": nn.GroupNorm(2, c), "b": nn.BatchNorm2d(c)})
    def forward(self, x):
        r = x
        x = F.relu(self.norms["a"](self.layers[0](x)))
        x = self.norms["b"](self.layers[1](x))
        return F.relu(x + r)

model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), Block(8), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 2))
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=5e-4)
plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=1)
grads_seen = []
model[-1].weight.register_hook(lambda g: grads_seen.append(g.norm().item()))
losses = []
for epoch in range(4):
    tot = 0
    for batch in dl:
        x, y = batch["image"], batch["label"]
        x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        out = model(x)
        loss = F.nll_loss(F.log_softmax(out, dim=1), y) + 0.0 * F.one_hot(y, 2).float().sum()
        opt.zero_grad(); loss.backward(); opt.step()
        tot += loss.item()
    plateau.step(tot)
    losses.append(tot)
    print(epoch, round(tot, 4), opt.param_groups[0]["lr"])
x = torch.randn(2, 3, 16, 16, requires_grad=True)
(gx,) = torch.autograd.grad(model(x).sum(), x)
print(gx.shape, len(grads_seen) > 0)
assert tuple(gx.shape) == (2, 3, 16, 16) and len(grads_seen) == 16 and all(g > 0 for g in grads_seen)
assert losses[-1] < losses[0], losses
wide = model.to(torch.float64)
assert next(wide.parameters()).dtype == torch.float64 and wide(x.double()).dtype == torch.float64
