"""A training script in the style researchers write: it saves its own checkpoint every N steps and takes --resume.

It knows nothing of GreenConsole. Each step it runs is appended to steps_run.log (step, and the weight's value), so a
test can check that no step before the last checkpoint ran twice and that the result equals an uninterrupted run.
"""
import argparse
import os
import signal
import sys
import time

import torch

parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=60)
parser.add_argument("--ckpt-every", type=int, default=10)
parser.add_argument("--ckpt-dir", default="checkpoints")
parser.add_argument("--resume", default=None)
parser.add_argument("--delay", type=float, default=0.0)
parser.add_argument("--ignore-sigterm", action="store_true")
args = parser.parse_args()

stop = False


def on_term(signum, frame):
    global stop
    stop = True


signal.signal(signal.SIGTERM, signal.SIG_IGN if args.ignore_sigterm else on_term)

torch.manual_seed(7)
model = torch.nn.Linear(4, 1)
opt = torch.optim.SGD(model.parameters(), lr=0.05)
x = torch.randn(256, 4)
y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]]) + 0.1
start = 0
if args.resume:
    state = torch.load(args.resume, map_location="cpu")
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["opt"])
    start = int(state["step"])
    print("resumed from step %d" % start, flush=True)

os.makedirs(args.ckpt_dir, exist_ok=True)
for step in range(start + 1, args.steps + 1):
    i = (step * 32) % 256
    xb, yb = x[i:i + 32], y[i:i + 32]
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(model(xb), yb)
    loss.backward()
    opt.step()
    with open("steps_run.log", "a") as f:
        f.write("%d\n" % step)
    print("step %d loss %.6f" % (step, loss.item()), flush=True)
    if step % args.ckpt_every == 0:
        tmp = os.path.join(args.ckpt_dir, ".ckpt-%06d.pt.tmp" % step)
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step}, tmp)
        os.replace(tmp, os.path.join(args.ckpt_dir, "ckpt-%06d.pt" % step))
    if stop:
        print("stopping after step %d" % step, flush=True)
        sys.exit(0)
    time.sleep(args.delay)

w = model.weight.detach().numpy().tobytes() + model.bias.detach().numpy().tobytes()
import hashlib  # noqa: E402

with open("final.sha256", "w") as f:
    f.write(hashlib.sha256(w).hexdigest() + "\n")
print("done", flush=True)
