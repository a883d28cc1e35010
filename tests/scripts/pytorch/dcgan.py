"""A DCGAN in the style of PyTorch's DCGAN example, on 16x16 stand-in images (blurred blobs): a
ConvTranspose2d generator and a Conv2d discriminator with BatchNorm2d and LeakyReLU, weights_init
applied with Module.apply, two Adam optimizers with betas, BCEWithLogitsLoss, and fake images
detached for the discriminator's step.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
torch.manual_seed(1)
nz, ngf, ndf = 8, 8, 8

def real_batch(n, rng):
    yy, xx = np.mgrid[0:16, 0:16]
    cy, cx = rng.uniform(5, 11, size=(2, n, 1, 1))
    img = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 8.0) * 2 - 1
    return torch.tensor(img[:, None].astype(np.float32))

def weights_init(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)

netG = nn.Sequential(
    nn.ConvTranspose2d(nz, ngf * 2, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
    nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
    nn.ConvTranspose2d(ngf, 1, 4, 2, 1, bias=False), nn.Tanh())
netD = nn.Sequential(
    nn.Conv2d(1, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True),
    nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(0.2, inplace=True),
    nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False))
netG.apply(weights_init)
netD.apply(weights_init)
criterion = nn.BCEWithLogitsLoss()
fixed_noise = torch.randn(16, nz, 1, 1)
real_label, fake_label = 1.0, 0.0
optimizerD = optim.Adam(netD.parameters(), lr=2e-3, betas=(0.5, 0.999))
optimizerG = optim.Adam(netG.parameters(), lr=2e-3, betas=(0.5, 0.999))
rng = np.random.RandomState(0)
G_losses, D_losses = [], []
netG.eval()
with torch.no_grad():
    start_mean = netG(fixed_noise).mean().item()
netG.train()
for i in range(150):
    real = real_batch(32, rng)
    b_size = real.size(0)
    # (1) Update D: maximize log(D(x)) + log(1 - D(G(z)))
    netD.zero_grad()
    label = torch.full((b_size,), real_label, dtype=torch.float)
    output = netD(real).view(-1)
    errD_real = criterion(output, label)
    errD_real.backward()
    D_x = torch.sigmoid(output).mean().item()
    noise = torch.randn(b_size, nz, 1, 1)
    fake = netG(noise)
    label.fill_(fake_label)
    output = netD(fake.detach()).view(-1)
    errD_fake = criterion(output, label)
    errD_fake.backward()
    errD = errD_real + errD_fake
    optimizerD.step()
    # (2) Update G: maximize log(D(G(z)))
    netG.zero_grad()
    label.fill_(real_label)
    output = netD(fake).view(-1)
    errG = criterion(output, label)
    errG.backward()
    D_G_z2 = torch.sigmoid(output).mean().item()
    optimizerG.step()
    G_losses.append(errG.item()); D_losses.append(errD.item())
    if i % 50 == 0:
        print(f"[{i}/150] Loss_D: {errD.item():.4f} Loss_G: {errG.item():.4f} D(x): {D_x:.4f} D(G(z)): {D_G_z2:.4f}")

assert all(p.grad is not None for p in netD.parameters())
netG.eval()
with torch.no_grad():
    samples = netG(fixed_noise).detach().cpu()
assert samples.shape == (16, 1, 16, 16) and samples.min() >= -1 and samples.max() <= 1
# the generator moved toward the data (mostly dark background) and D tells real from fake better than chance
real_mean = real_batch(64, rng).mean().item()
fake_mean = samples.mean().item()
print(f"fake mean {start_mean:.3f} -> {fake_mean:.3f}; real mean {real_mean:.3f}")
assert abs(fake_mean - real_mean) < abs(start_mean - real_mean) - 0.2, (start_mean, fake_mean, real_mean)
assert np.mean(D_losses[-10:]) < 2 * np.log(2), D_losses[-10:]
assert np.isfinite(G_losses).all() and np.isfinite(D_losses).all()
