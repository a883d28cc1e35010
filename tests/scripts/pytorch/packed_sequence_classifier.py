"""A bidirectional GRU that classifies variable-length token sequences, in the shape of PyTorch's
sequence-classification tutorials: pad a batch with `pad_sequence`, pack it with
`pack_padded_sequence(enforce_sorted=False)` so the GRU reads each sequence only up to its own length,
pool the unpacked outputs with `pad_packed_sequence`, and classify with a weight-normalized layer.
Stand-in data: the label is the sequence's last real token modulo 4, so a model that read the padding
as data could not learn it.
"""
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence
from torch.nn.utils.parametrizations import weight_norm

torch.backends.cudnn.deterministic = True
torch.backends.cudnn.benchmark = False
VOCAB, CLASSES = 20, 4


def stand_in_sequences(n, seed):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(2, 13, n)
    seqs = [torch.tensor(rng.integers(1, VOCAB, k)) for k in lengths]
    labels = torch.tensor([int(s[-1]) % CLASSES for s in seqs])
    return seqs, labels


class Classifier(nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, 16, padding_idx=0)
        self.gru = nn.GRU(16, hidden, batch_first=True, bidirectional=True)
        self.out = weight_norm(nn.Linear(4 * hidden, CLASSES))

    def forward(self, padded, lengths):
        packed = pack_padded_sequence(self.embed(padded), lengths, batch_first=True, enforce_sorted=False)
        outputs, h_n = self.gru(packed)
        outputs, out_lengths = pad_packed_sequence(outputs, batch_first=True)
        mean = outputs.sum(1) / out_lengths.unsqueeze(1).to(outputs.dtype)
        last = torch.cat([h_n[0], h_n[1]], dim=1)  # forward direction's last real step, backward's first
        return F.log_softmax(self.out(torch.cat([last, mean], dim=1)), dim=1)


def batches(seqs, labels, size, rng=None):
    order = rng.permutation(len(seqs)) if rng is not None else np.arange(len(seqs))
    for i in range(0, len(seqs), size):
        idx = order[i:i + size]
        chunk = [seqs[j] for j in idx]
        yield pad_sequence(chunk, batch_first=True), torch.tensor([len(s) for s in chunk]), labels[idx]


def evaluate(model, seqs, labels):
    model.eval()
    correct = 0
    with torch.no_grad():
        for padded, lengths, target in batches(seqs, labels, 256):
            correct += (model(padded, lengths).argmax(1) == target).sum().item()
    return correct / len(seqs)


def main():
    parser = argparse.ArgumentParser(description="packed-sequence GRU classifier")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=0.01)
    args = parser.parse_args()
    torch.manual_seed(0)
    device = "mps" if torch.backends.mps.is_available() else "cpu"
    train_x, train_y = stand_in_sequences(1200, seed=1)
    test_x, test_y = stand_in_sequences(500, seed=2)
    model = Classifier().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    rng = np.random.default_rng(3)
    first = evaluate(model, test_x, test_y)
    for epoch in range(1, args.epochs + 1):
        model.train()
        for padded, lengths, target in batches(train_x, train_y, 64, rng):
            optimizer.zero_grad()
            loss = F.nll_loss(model(padded, lengths), target)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
        print(f"epoch {epoch}: loss {loss.item():.4f}, test accuracy {evaluate(model, test_x, test_y):.3f}")
    accuracy = evaluate(model, test_x, test_y)
    assert first < 0.45, f"an untrained model should be near chance, got {first:.3f}"
    assert accuracy > 0.9, f"test accuracy {accuracy:.3f}"
    # Packing makes padding invisible: a sequence scores the same alone as inside a padded batch.
    model.eval()
    with torch.no_grad():
        padded, lengths, _ = next(batches(test_x, test_y, 16))
        together = model(padded, lengths)
        alone = torch.cat([model(s.unsqueeze(0), torch.tensor([len(s)])) for s in test_x[:16]])
    torch.testing.assert_close(together, alone, rtol=1e-4, atol=1e-5)
    print(f"test accuracy {accuracy:.3f} (untrained {first:.3f})")


if __name__ == "__main__":
    main()
