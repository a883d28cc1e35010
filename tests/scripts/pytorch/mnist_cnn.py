"""A convolutional digit classifier, trained and tested epoch by epoch, in the shape of PyTorch's
MNIST example: a Dataset, two DataLoaders, Adadelta with StepLR, NLL over log-softmax, a state
dict saved at the end. A stand-in dataset of 14x14 "digits" replaces torchvision's MNIST.
"""
import argparse

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, Dataset


class StandInDigits(Dataset):
    """Ten fixed 14x14 patterns, each sample shifted by up to a pixel and blurred with noise."""

    def __init__(self, train=True):
        patterns = (np.random.default_rng(0).random((10, 14, 14)) > 0.7).astype(np.float32)
        rng = np.random.default_rng(1 if train else 2)
        n = 1024 if train else 256
        self.targets = rng.integers(0, 10, n)
        shifts = rng.integers(-1, 2, (n, 2))
        images = np.stack([np.roll(patterns[t], tuple(s), axis=(0, 1)) for t, s in zip(self.targets, shifts)])
        images = np.clip(images + 0.3 * rng.standard_normal(images.shape), 0.0, 1.0)
        self.data = torch.from_numpy(images.astype(np.float32))

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        image = (self.data[index].unsqueeze(0) - 0.1307) / 0.3081   # transforms.Normalize's numbers
        return image, int(self.targets[index])


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, 1)
        self.conv2 = nn.Conv2d(16, 32, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(800, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
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
            print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(
                epoch, batch_idx * len(data), len(train_loader.dataset),
                100. * batch_idx / len(train_loader), loss.item()))


def test(model, device, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction='sum').item()  # sum up batch loss
            pred = output.argmax(dim=1, keepdim=True)  # get the index of the max log-probability
            correct += pred.eq(target.view_as(pred)).sum().item()

    test_loss /= len(test_loader.dataset)
    print('\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\n'.format(
        test_loss, correct, len(test_loader.dataset),
        100. * correct / len(test_loader.dataset)))
    return test_loss, correct / len(test_loader.dataset)


def main():
    parser = argparse.ArgumentParser(description='Stand-in MNIST Example')
    parser.add_argument('--batch-size', type=int, default=64, metavar='N')
    parser.add_argument('--test-batch-size', type=int, default=256, metavar='N')
    parser.add_argument('--epochs', type=int, default=3, metavar='N')
    parser.add_argument('--lr', type=float, default=1.0, metavar='LR')
    parser.add_argument('--gamma', type=float, default=0.7, metavar='M')
    parser.add_argument('--no-cuda', action='store_true', default=False)
    parser.add_argument('--seed', type=int, default=1, metavar='S')
    parser.add_argument('--log-interval', type=int, default=8, metavar='N')
    parser.add_argument('--save-model', action='store_true', default=True)
    args = parser.parse_args()
    use_cuda = not args.no_cuda and torch.cuda.is_available()

    torch.manual_seed(args.seed)
    device = torch.device("cuda" if use_cuda else "cpu")

    train_kwargs = {'batch_size': args.batch_size, 'shuffle': True}
    test_kwargs = {'batch_size': args.test_batch_size}
    train_loader = torch.utils.data.DataLoader(StandInDigits(train=True), **train_kwargs)
    test_loader = DataLoader(StandInDigits(train=False), **test_kwargs)

    model = Net().to(device)
    optimizer = optim.Adadelta(model.parameters(), lr=args.lr)

    first_loss, _ = test(model, device, test_loader)
    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    for epoch in range(1, args.epochs + 1):
        train(args, model, device, train_loader, optimizer, epoch)
        test_loss, accuracy = test(model, device, test_loader)
        scheduler.step()
    assert abs(scheduler.get_last_lr()[0] - args.lr * args.gamma ** args.epochs) < 1e-9

    if args.save_model:
        torch.save(model.state_dict(), "mnist_cnn.pt")
        restored = Net()
        restored.load_state_dict(torch.load("mnist_cnn.pt", weights_only=True))
        assert test(restored.to(device), device, test_loader)[1] == accuracy
        data, _ = next(iter(test_loader))
        with torch.no_grad():
            assert torch.allclose(restored(data.to(device)), model(data.to(device)))

    assert test_loss < first_loss / 4, (first_loss, test_loss)
    assert accuracy > 0.9, accuracy


if __name__ == '__main__':
    main()
