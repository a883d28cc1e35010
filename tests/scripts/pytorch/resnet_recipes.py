"""Training recipes from ResNet-style image classification code: BasicBlock residual blocks with a
downsampling shortcut, parameter groups (no weight decay on norms and biases, a lower learning rate
for the stem), gradient accumulation over micro-batches, clip_grad_norm_, StepLR, a DataLoader with a
custom collate_fn and a WeightedRandomSampler, activation checkpointing of a stage, and top-1/top-5
accuracy under torch.no_grad().
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import Dataset, DataLoader, WeightedRandomSampler, SequentialSampler
from torch.optim.lr_scheduler import StepLR
from torch.utils.checkpoint import checkpoint
torch.manual_seed(0)
num_classes = 10

class Shapes(Dataset):
    """Images whose class is the position of a bright 2x2 square on a 3x3 grid (+1 class for none)."""
    def __init__(self, n, seed):
        rng = np.random.RandomState(seed)
        self.labels = rng.randint(0, num_classes, size=n)
        self.images = rng.randn(n, 3, 12, 12).astype(np.float32) * 0.3
        for img, c in zip(self.images, self.labels):
            if c < 9:
                r, q = divmod(int(c), 3)
                img[:, 4 * r + 1:4 * r + 3, 4 * q + 1:4 * q + 3] += 2.0
    def __len__(self):
        return len(self.labels)
    def __getitem__(self, idx):
        return self.images[idx], int(self.labels[idx])

def collate(batch):
    images, labels = zip(*batch)
    return torch.from_numpy(np.stack(images)), torch.tensor(labels, dtype=torch.long)

class BasicBlock(nn.Module):
    expansion = 1
    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != self.expansion * planes:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_planes, self.expansion * planes, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(self.expansion * planes))
    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        return F.relu(out)

class ResNet(nn.Module):
    def __init__(self, block, num_blocks, num_classes=10):
        super().__init__()
        self.in_planes = 8
        self.conv1 = nn.Conv2d(3, 8, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.layer1 = self._make_layer(block, 8, num_blocks[0], stride=1)
        self.layer2 = self._make_layer(block, 16, num_blocks[1], stride=2)
        self.linear = nn.Linear(16 * block.expansion, num_classes)
    def _make_layer(self, block, planes, num_blocks, stride):
        layers = []
        for stride in [stride] + [1] * (num_blocks - 1):
            layers.append(block(self.in_planes, planes, stride))
            self.in_planes = planes * block.expansion
        return nn.Sequential(*layers)
    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer1(out)
        out = checkpoint(self.layer2, out, use_reentrant=False) if self.training else self.layer2(out)
        out = F.adaptive_avg_pool2d(out, (1, 1))
        return self.linear(torch.flatten(out, 1))

def accuracy(output, target, topk=(1,)):
    """Computes the accuracy over the k top predictions for the specified values of k"""
    with torch.no_grad():
        maxk = max(topk)
        batch_size = target.size(0)
        _, pred = output.topk(maxk, 1, True, True)
        pred = pred.t()
        correct = pred.eq(target.view(1, -1).expand_as(pred))
        res = []
        for k in topk:
            correct_k = correct[:k].reshape(-1).float().sum(0, keepdim=True)
            res.append(correct_k.mul_(100.0 / batch_size))
        return res

train_set, test_set = Shapes(400, 0), Shapes(200, 1)
class_counts = np.bincount(train_set.labels, minlength=num_classes)
sample_weights = torch.tensor(1.0 / class_counts[train_set.labels], dtype=torch.double)
sampler = WeightedRandomSampler(sample_weights, num_samples=len(train_set), replacement=True)
train_loader = DataLoader(train_set, batch_size=16, sampler=sampler, collate_fn=collate, drop_last=True)
test_loader = DataLoader(test_set, batch_size=50, sampler=SequentialSampler(test_set), collate_fn=collate)

model = ResNet(BasicBlock, [1, 1], num_classes=num_classes)
decay, no_decay, stem = [], [], []
for name, param in model.named_parameters():
    if not param.requires_grad:
        continue
    if name.startswith(("conv1", "bn1")):
        stem.append(param)
    elif param.ndim <= 1 or name.endswith(".bias"):
        no_decay.append(param)
    else:
        decay.append(param)
optimizer = torch.optim.SGD([
    {"params": decay, "weight_decay": 5e-4},
    {"params": no_decay, "weight_decay": 0.0},
    {"params": stem, "lr": 0.02},
], lr=0.05, momentum=0.9)
scheduler = StepLR(optimizer, step_size=2, gamma=0.5)
accum_steps = 2
criterion = nn.CrossEntropyLoss(label_smoothing=0.05)
for epoch in range(4):
    model.train()
    optimizer.zero_grad(set_to_none=True)
    running, norms = 0.0, []
    for i, (images, target) in enumerate(train_loader):
        loss = criterion(model(images), target) / accum_steps
        loss.backward()
        running += loss.item()
        if (i + 1) % accum_steps == 0:
            norms.append(float(torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=2.0)))
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
    scheduler.step()
    print(f"epoch {epoch} loss {running / len(train_loader) * accum_steps:.3f} "
          f"lr {[g['lr'] for g in optimizer.param_groups]} grad-norm {max(norms):.2f}")
assert scheduler.get_last_lr() == [0.05 * 0.25, 0.05 * 0.25, 0.02 * 0.25], scheduler.get_last_lr()
assert optimizer.param_groups[1]["weight_decay"] == 0.0 and len(optimizer.param_groups[2]["params"]) == 3

model.eval()
top1 = top5 = 0.0
with torch.no_grad():
    for images, target in test_loader:
        output = model(images)
        acc1, acc5 = accuracy(output, target, topk=(1, 5))
        top1 += acc1.item() * images.size(0) / len(test_set)
        top5 += acc5.item() * images.size(0) / len(test_set)
        preds = output.argmax(dim=1)
        assert preds.dtype == torch.int64 and (output.argmax(1, keepdim=True).squeeze(1) == preds).all()
print(f" * Acc@1 {top1:.3f} Acc@5 {top5:.3f}")
assert top1 > 60 and top5 >= top1 and top5 > 90, (top1, top5)
