"""A small CNN trained the way most PyTorch tutorials do it, made migratable with greenconsole_torch.

Lines marked "# GreenConsole" are the whole integration (see docs/own-training.md for the diff against the plain loop).
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

import greenconsole_torch as gct  # GreenConsole

parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--delay", type=float, default=0.0)
parser.add_argument("--ballast-mb", type=int, default=0, help="a frozen buffer of this size, to make a large checkpoint")
args = parser.parse_args()


class Shapes(Dataset):
    """Synthetic 12x12 images of four classes; each item depends only on its index (workers need no RNG)."""

    def __init__(self, n):
        g = torch.Generator().manual_seed(42)
        self.x = torch.randn(n, 1, 12, 12, generator=g)
        self.y = torch.randint(0, 4, (n,), generator=g)
        for c in range(4):
            self.x[self.y == c, 0, c * 3:(c + 1) * 3, :] += 1.5

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.fc1 = nn.Linear(16 * 3 * 3, 32)
        self.drop = nn.Dropout(0.2)
        self.fc2 = nn.Linear(32, 4)
        if args.ballast_mb > 0:
            # Stands in for a large model's weights: saved and restored with the rest, never trained.
            g = torch.Generator().manual_seed(7)
            self.register_buffer("ballast", torch.rand(args.ballast_mb * 262_144, generator=g))

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(self.drop(F.relu(self.fc1(x.flatten(1)))))


torch.manual_seed(0)
train_set = Shapes(768)
sampler = gct.ResumableSampler(len(train_set), seed=0)  # GreenConsole: instead of shuffle=True
loader = DataLoader(train_set, batch_size=32, sampler=sampler, num_workers=2,
                    generator=gct.loader_generator(0))  # GreenConsole
model = Net()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=args.epochs * len(loader))
use_cuda = torch.cuda.is_available()
scaler = torch.cuda.amp.GradScaler(enabled=use_cuda)
autocast_device, autocast_dtype = ("cuda", torch.float16) if use_cuda else ("cpu", torch.bfloat16)
run = gct.Resumable(model, optimizer, scheduler=scheduler, scaler=scaler, sampler=sampler)  # GreenConsole

for epoch in range(run.start(), args.epochs):  # GreenConsole: run.start() instead of 0
    sampler.set_epoch(epoch)  # GreenConsole
    model.train()
    for xb, yb in loader:
        optimizer.zero_grad()
        with torch.autocast(autocast_device, dtype=autocast_dtype):
            loss = F.cross_entropy(model(xb), yb)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        scheduler.step()
        print("epoch %d loss %.5f" % (epoch, loss.item()), flush=True)
        run.step(loss, batch_size=len(xb))  # GreenConsole
        time.sleep(args.delay)
run.done()  # GreenConsole
print("final weights", gct.weights_sha256(model), flush=True)
