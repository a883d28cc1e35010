"""An LSTM that reads a digit image row by row, in the shape of PyTorch's MNIST RNN example: the
last output goes through batch norm, dropout and two linear layers to log-probabilities. Stand-in
14x14 "digits" (each class a fixed pattern of rows, shifted and noisy) replace torchvision's MNIST.
"""
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, TensorDataset


def stand_in_digits(n, seed):
    patterns = (np.random.default_rng(0).random((10, 14, 14)) > 0.7).astype(np.float32)
    rng = np.random.default_rng(seed)
    targets = rng.integers(0, 10, n)
    shifts = rng.integers(-1, 2, n)
    images = np.stack([np.roll(patterns[t], s, axis=1) for t, s in zip(targets, shifts)])
    images = np.clip(images + 0.3 * rng.standard_normal(images.shape), 0.0, 1.0)
    images = (images - 0.1307) / 0.3081
    return TensorDataset(torch.tensor(images, dtype=torch.float32).unsqueeze(1), torch.tensor(targets))


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.rnn = nn.LSTM(input_size=14, hidden_size=48, batch_first=True)
        self.batchnorm = nn.BatchNorm1d(48)
        self.dropout1 = nn.Dropout2d(0.25)
        self.dropout2 = nn.Dropout2d(0.5)
        self.fc1 = nn.Linear(48, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, input):
        # Shape of input is (batch_size, 1, 14, 14): one time step per row of pixels
        input = input.reshape(-1, 14, 14)
        output, hidden = self.rnn(input)

        # Shape of output is (batch_size, seq_len, hidden_size); keep the last step
        output = output[:, -1, :]
        output = self.batchnorm(output)
        output = self.dropout1(output)
        output = self.fc1(output)
        output = F.relu(output)
        output = self.dropout2(output)
        output = self.fc2(output)
        output = F.log_softmax(output, dim=1)
        return output


def train(args, model, device, train_loader, optimizer, epoch):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        if batch_idx % args.log_interval == 0:
            print(f"Train Epoch: {epoch} [{batch_idx * len(data)}/{len(train_loader.dataset)} "
                  f"({100. * batch_idx / len(train_loader):.0f}%)]\tLoss: {loss.item():.6f}")


def test(args, model, device, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction='sum').item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()

    test_loss /= len(test_loader.dataset)
    accuracy = correct / len(test_loader.dataset)
    print(f"\nTest set: Average loss: {test_loss:.4f}, Accuracy: {correct}/{len(test_loader.dataset)} "
          f"({100. * accuracy:.0f}%)\n")
    return test_loss, accuracy


def main():
    parser = argparse.ArgumentParser(description='Stand-in MNIST RNN Example')
    parser.add_argument('--batch-size', type=int, default=64, metavar='N')
    parser.add_argument('--test-batch-size', type=int, default=256, metavar='N')
    parser.add_argument('--epochs', type=int, default=4, metavar='N')
    parser.add_argument('--lr', type=float, default=0.1, metavar='LR')
    parser.add_argument('--gamma', type=float, default=0.7, metavar='M')
    parser.add_argument('--cuda', action='store_true', default=False)
    parser.add_argument('--seed', type=int, default=1, metavar='S')
    parser.add_argument('--log-interval', type=int, default=8, metavar='N')
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    device = torch.device("cuda" if args.cuda and torch.cuda.is_available() else "cpu")
    train_loader = DataLoader(stand_in_digits(1024, seed=1), batch_size=args.batch_size, shuffle=True)
    test_loader = DataLoader(stand_in_digits(256, seed=2), batch_size=args.test_batch_size, shuffle=False)

    model = Net().to(device)
    optimizer = optim.Adam(model.parameters(), lr=args.lr * 0.1)
    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    first_loss, _ = test(args, model, device, test_loader)
    for epoch in range(1, args.epochs + 1):
        train(args, model, device, train_loader, optimizer, epoch)
        test_loss, accuracy = test(args, model, device, test_loader)
        scheduler.step()

    assert test_loss < first_loss / 3, (first_loss, test_loss)
    assert accuracy > 0.85, accuracy


if __name__ == '__main__':
    main()
