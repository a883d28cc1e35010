"""A small causal language model in the idioms of PyTorch transformer code: sinusoidal positions in a
registered buffer, tied input/output embeddings, a pre-norm TransformerEncoder with a boolean causal
mask and a key-padding mask, OneCycleLR, gradient clipping, cross entropy with ignore_index, a
`@torch.no_grad()` greedy generator, and torch.linalg / einsum on the learned embeddings.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.manual_seed(0)
V, D, T, B = 50, 32, 12, 16

class PosEnc(nn.Module):
    def __init__(self, d, max_len=64):
        super().__init__()
        pe = torch.zeros(max_len, d)
        pos = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div = torch.exp(torch.arange(0, d, 2).float() * (-torch.log(torch.tensor(10000.0)) / d))
        pe[:, 0::2] = torch.sin(pos * div)
        pe[:, 1::2] = torch.cos(pos * div)
        self.register_buffer("pe", pe.unsqueeze(0))

    def forward(self, x):
        return x + self.pe[:, : x.size(1)]

class LM(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, D, padding_idx=0)
        self.pos = PosEnc(D)
        layer = nn.TransformerEncoderLayer(D, nhead=4, dim_feedforward=64, dropout=0.0, batch_first=True,
                                           norm_first=True)
        self.enc = nn.TransformerEncoder(layer, num_layers=2)
        self.head = nn.Linear(D, V)
        self.head.weight = self.emb.weight  # tied

    def forward(self, x):
        mask = torch.triu(torch.ones(x.size(1), x.size(1), dtype=torch.bool), diagonal=1)
        pad = x == 0
        h = self.enc(self.pos(self.emb(x) * D ** 0.5), mask=mask, src_key_padding_mask=pad)
        return self.head(h)

model = LM()
opt = torch.optim.Adam(model.parameters(), lr=1e-2, betas=(0.9, 0.98), eps=1e-9)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-2, total_steps=60)
data = torch.randint(1, V, (B, T + 1))
data[:, -3:] = torch.where(torch.rand(B, 3) < 0.3, torch.zeros(B, 3, dtype=torch.long), data[:, -3:])
for step in range(60):
    x, y = data[:, :-1], data[:, 1:]
    logits = model(x)
    loss = F.cross_entropy(logits.reshape(-1, V), y.reshape(-1), ignore_index=0)
    opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 0.5)
    opt.step(); sched.step()
    if step % 20 == 0:
        print(step, round(loss.item(), 4))
print("final", loss.item())

@torch.no_grad()
def generate(prefix, n):
    model.eval()
    out = prefix.clone()
    for _ in range(n):
        nxt = model(out)[:, -1].argmax(-1, keepdim=True)
        out = torch.cat([out, nxt], dim=1)
    return out
g = generate(data[:2, :4], 5)
print(g.shape, g.dtype)
emb_norms = torch.linalg.vector_norm(model.emb.weight, dim=1)
print(float(emb_norms.mean()) > 0, torch.einsum("bd,vd->bv", model.emb.weight[:3], model.emb.weight).shape)
assert loss.item() < 1.0, loss.item()  # it memorizes 16 sequences
assert tuple(g.shape) == (2, 9) and g.dtype == torch.int64
