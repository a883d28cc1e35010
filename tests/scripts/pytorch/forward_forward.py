"""Hinton's forward-forward algorithm in the shape of PyTorch's mnist_forward_forward example: each
layer is trained on its own, with its own optimizer, to give high "goodness" (mean squared
activation) to images carrying their true label in the first pixels and low goodness to images
carrying a wrong one; prediction tries every label and keeps the best. No gradient flows between
layers. Stand-in 14x14 "digits" replace MNIST.
"""
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim import Adam
from torch.utils.data import DataLoader, TensorDataset


def stand_in_digits(n, seed):
    patterns = (np.random.default_rng(0).random((10, 196)) > 0.7).astype(np.float32)
    rng = np.random.default_rng(seed)
    targets = rng.integers(0, 10, n)
    images = np.clip(patterns[targets] + 0.3 * rng.standard_normal((n, 196)), 0.0, 1.0).astype(np.float32)
    return TensorDataset(torch.from_numpy((images - 0.1307) / 0.3081), torch.from_numpy(targets))


def overlay_y_on_x(x, y):
    """Replace the first 10 pixels of data [x] with one-hot-encoded label [y]."""
    x_ = x.clone()
    x_[:, :10] *= 0.0
    x_[range(x.shape[0]), y] = x.max()
    return x_


class Net(torch.nn.Module):
    def __init__(self, dims):
        super().__init__()
        self.layers = []
        for d in range(len(dims) - 1):
            self.layers += [Layer(dims[d], dims[d + 1]).to(device)]

    def predict(self, x):
        goodness_per_label = []
        for label in range(10):
            h = overlay_y_on_x(x, label)
            goodness = []
            for layer in self.layers:
                h = layer(h)
                goodness += [h.pow(2).mean(1)]
            goodness_per_label += [sum(goodness).unsqueeze(1)]
        goodness_per_label = torch.cat(goodness_per_label, 1)
        return goodness_per_label.argmax(1)

    def train(self, x_pos, x_neg):
        h_pos, h_neg = x_pos, x_neg
        for i, layer in enumerate(self.layers):
            print('training layer', i, '...')
            h_pos, h_neg = layer.train(h_pos, h_neg)


class Layer(nn.Linear):
    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__(in_features, out_features, bias, device, dtype)
        self.relu = torch.nn.ReLU()
        self.opt = Adam(self.parameters(), lr=args.lr)
        self.threshold = args.threshold
        self.num_epochs = args.epochs

    def forward(self, x):
        x_direction = F.normalize(x, p=2, dim=1, eps=1e-4)
        return self.relu(torch.mm(x_direction, self.weight.T) + self.bias.unsqueeze(0))

    def train(self, x_pos, x_neg):
        for i in range(self.num_epochs):
            g_pos = self.forward(x_pos).pow(2).mean(1)
            g_neg = self.forward(x_neg).pow(2).mean(1)
            # Push positive goodness above the threshold and negative goodness below it.
            loss = torch.log(1 + torch.exp(torch.cat([-g_pos + self.threshold, g_neg - self.threshold]))).mean()
            self.opt.zero_grad()
            # this backward just compute the derivative and hence is not considered backpropagation.
            loss.backward()
            self.opt.step()
            if i % 40 == 0:
                print(f"    epoch {i}: loss {loss:.4f}")
        return self.forward(x_pos).detach(), self.forward(x_neg).detach()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=120, help="training epochs per layer")
    parser.add_argument("--lr", type=float, default=0.03, help="learning rate")
    parser.add_argument("--no_cuda", action="store_true", default=False)
    parser.add_argument("--seed", type=int, default=1, help="random seed")
    parser.add_argument("--train_size", type=int, default=1024)
    parser.add_argument("--threshold", type=float, default=2)
    parser.add_argument("--test_size", type=int, default=256)
    args = parser.parse_args()
    use_cuda = not args.no_cuda and torch.cuda.is_available()
    device = torch.device("cuda" if use_cuda else "cpu")
    torch.manual_seed(args.seed)

    # One full batch each: forward-forward trains each layer on all the data at once.
    train_loader = DataLoader(stand_in_digits(args.train_size, seed=1), batch_size=args.train_size, shuffle=True)
    test_loader = DataLoader(stand_in_digits(args.test_size, seed=2), batch_size=args.test_size, shuffle=False)

    net = Net([196, 100, 100])
    x, y = next(iter(train_loader))
    x, y = x.to(device), y.to(device)
    x_pos = overlay_y_on_x(x, y)
    rnd = torch.randperm(x.size(0))
    x_neg = overlay_y_on_x(x, y[rnd])
    assert torch.equal(x_pos[:, 10:], x[:, 10:]) and (x_pos[:, :10] > 0).sum() == x.size(0)

    net.train(x_pos, x_neg)

    train_error = 1.0 - net.predict(x).eq(y).float().mean().item()
    print("train error:", train_error)

    x_te, y_te = next(iter(test_loader))
    x_te, y_te = x_te.to(device), y_te.to(device)
    test_error = 1.0 - net.predict(x_te).eq(y_te).float().mean().item()
    print("test error:", test_error)

    assert train_error < 0.15 and test_error < 0.2, (train_error, test_error)
