#!/usr/bin/env python3
"""GreenConsole reference trainer: a deterministic PyTorch MLP on scikit-learn's bundled digits.

It follows the training protocol (docs/training-protocol.md) through greenconsole_train and
is built so that a run stopped after any mini-batch and resumed elsewhere ends with weights
bit-identical to an uninterrupted run of the same configuration on the same software stack.

Configuration (command-line flag, else environment variable, else default):
  --seed        GC_SEED        1234
  --epochs      GC_EPOCHS      6
  --batch-size  GC_BATCH_SIZE  32
  --lr          GC_LR          0.05   (peak learning rate of the one-cycle schedule)
  --hidden      GC_HIDDEN      64
  --dropout     GC_DROPOUT     0.1
  --device      GC_DEVICE      cpu    (cuda: deterministic only with CUBLAS_WORKSPACE_CONFIG set)

Exit codes: 0 done or stopped cleanly, 1 unexpected failure, 2 bad configuration,
3 resume requested without a usable checkpoint (or one from another configuration).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import greenconsole_train as gct  # noqa: E402

TRAINER_FILE = "trainer.json"
FINAL_WEIGHTS_FILE = "final.pt"
TEST_SAMPLES = 297  # 1797 digits -> 1500 train / 297 test


def _config(argv):
    env = os.environ

    def default(name, fallback, kind):
        raw = env.get(name, "").strip()
        if not raw:
            return fallback
        try:
            return kind(raw)
        except ValueError:
            raise gct.ConfigError("%s must be a %s, got %r" % (name, kind.__name__, raw)) from None

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=default("GC_SEED", 1234, int))
    p.add_argument("--epochs", type=int, default=default("GC_EPOCHS", 6, int))
    p.add_argument("--batch-size", type=int, default=default("GC_BATCH_SIZE", 32, int))
    p.add_argument("--lr", type=float, default=default("GC_LR", 0.05, float))
    p.add_argument("--hidden", type=int, default=default("GC_HIDDEN", 64, int))
    p.add_argument("--dropout", type=float, default=default("GC_DROPOUT", 0.1, float))
    p.add_argument("--device", default=env.get("GC_DEVICE", "cpu").strip() or "cpu")
    a = p.parse_args(argv)
    if a.epochs < 1:
        raise gct.ConfigError("--epochs/GC_EPOCHS must be >= 1, got %d" % a.epochs)
    if a.batch_size < 1:
        raise gct.ConfigError("--batch-size/GC_BATCH_SIZE must be >= 1, got %d" % a.batch_size)
    if not a.lr > 0:
        raise gct.ConfigError("--lr/GC_LR must be > 0, got %r" % a.lr)
    if not 0 <= a.dropout < 1:
        raise gct.ConfigError("--dropout/GC_DROPOUT must be in [0, 1), got %r" % a.dropout)
    if a.device not in ("cpu", "cuda"):
        raise gct.ConfigError("--device/GC_DEVICE must be cpu or cuda, got %r" % a.device)
    return {"seed": a.seed, "epochs": a.epochs, "batch_size": a.batch_size, "lr": a.lr,
            "hidden": a.hidden, "dropout": a.dropout, "device": a.device}


def weights_sha256(model) -> str:
    """SHA-256 over name, dtype, shape and raw bytes of every state_dict tensor, in key order.

    Hashing a torch.save pickle would also hash zip/pickle metadata; this hashes only the numbers.
    """
    h = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        t = tensor.detach().to("cpu").contiguous()
        h.update(name.encode("utf-8"))
        h.update(str(t.dtype).encode("ascii"))
        h.update(json.dumps(list(t.shape)).encode("ascii"))
        h.update(t.numpy().tobytes())
    return h.hexdigest()


def run(cfg, job) -> int:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    # Determinism: one thread, no nondeterministic kernels.
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    torch.use_deterministic_algorithms(True)
    device = torch.device(cfg["device"])
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise gct.ConfigError("GC_DEVICE=cuda but torch.cuda.is_available() is false")
        if not os.environ.get("CUBLAS_WORKSPACE_CONFIG"):
            raise gct.ConfigError("GC_DEVICE=cuda needs CUBLAS_WORKSPACE_CONFIG=:4096:8 for deterministic cuBLAS")
        torch.backends.cudnn.benchmark = False

    seed = cfg["seed"]
    random.seed(seed)
    torch.manual_seed(seed)
    try:
        import numpy as np
        np.random.seed(seed % (2 ** 32))
    except ImportError:
        np = None

    from sklearn.datasets import load_digits
    X_np, y_np = load_digits(return_X_y=True)
    X_all = torch.tensor(X_np / 16.0, dtype=torch.float32)
    y_all = torch.tensor(y_np, dtype=torch.long)
    split = torch.randperm(len(X_all), generator=torch.Generator().manual_seed(seed))
    test_idx, train_idx = split[:TEST_SAMPLES], split[TEST_SAMPLES:]
    X_train, y_train = X_all[train_idx].to(device), y_all[train_idx].to(device)
    X_test, y_test = X_all[test_idx].to(device), y_all[test_idx].to(device)
    n_train = len(X_train)
    bs = cfg["batch_size"]
    batches_per_epoch = (n_train + bs - 1) // bs
    total_steps = batches_per_epoch * cfg["epochs"]

    model = nn.Sequential(
        nn.Linear(64, cfg["hidden"]), nn.ReLU(), nn.Dropout(cfg["dropout"]), nn.Linear(cfg["hidden"], 10)
    ).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg["lr"], momentum=0.9, weight_decay=1e-4)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=cfg["lr"], total_steps=total_steps)
    shuffle_gen = torch.Generator().manual_seed(seed + 1)

    # Data-order cursor: the next batch to run is batch `next_batch` of `order` in `epoch`.
    step, samples, epoch, next_batch, order = 0, 0, 0, 0, None
    resumed_from = None
    # Warm standby (GC_STANDBY=1): everything above is the slow part (torch, data, model); the checkpoint is
    # only complete once the controller says go.
    if not job.wait_for_go():
        print("reference_trainer: standby ended without a go (%s)" % job.stop_reason, file=sys.stderr)
        return gct.EXIT_OK
    if job.resume:
        ckpt = job.require_checkpoint()
        state = gct.load_state(ckpt.path)  # never a full unpickle: the checkpoint came from another cloud
        if state.get("config") != cfg:
            raise gct.CheckpointError("checkpoint %s was made with config %r, this run has %r"
                                      % (ckpt.name, state.get("config"), cfg))
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        rng = state["rng"]
        random.setstate(rng["python"])
        torch.set_rng_state(rng["torch_cpu"])
        shuffle_gen.set_state(rng["shuffle"])
        if np is not None and rng.get("numpy") is not None:
            np.random.set_state(rng["numpy"])
        if torch.cuda.is_available() and rng.get("torch_cuda") is not None:
            if len(rng["torch_cuda"]) == torch.cuda.device_count():
                torch.cuda.set_rng_state_all(rng["torch_cuda"])
        cur = state["cursor"]
        step, samples, epoch, next_batch = cur["step"], cur["samples"], cur["epoch"], cur["next_batch"]
        order = cur["order"]
        if step != ckpt.step:
            raise gct.CheckpointError("checkpoint %s: manifest step %d != state step %d" % (ckpt.name, ckpt.step, step))
        resumed_from = ckpt.name

    job.start(step=step, resumed_from=resumed_from, trainer="reference_trainer", config=cfg,
              total_steps=total_steps, batches_per_epoch=batches_per_epoch)

    def writer_for(cursor, extra_files=None):
        def write(directory):
            state = {
                "format": "greenconsole-reference-trainer/1",
                "config": cfg,
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "rng": {
                    "python": random.getstate(),
                    "torch_cpu": torch.get_rng_state(),
                    "torch_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
                    "numpy": np.random.get_state() if np is not None else None,
                    "shuffle": shuffle_gen.get_state(),
                },
                "cursor": cursor,
            }
            gct.save_state(directory, state)
            readable = {k: v for k, v in cursor.items() if k != "order"}
            readable.update({"config": cfg, "total_steps": total_steps, "torch": torch.__version__})
            with open(os.path.join(directory, TRAINER_FILE), "w", encoding="utf-8") as f:
                json.dump(readable, f, sort_keys=True, indent=2)
            for name, obj in (extra_files or {}).items():
                torch.save(obj, os.path.join(directory, name))
        return write

    started = time.monotonic()
    loss_value = float("nan")
    while epoch < cfg["epochs"]:
        if order is None:
            order = torch.randperm(n_train, generator=shuffle_gen)
        for b in range(next_batch, batches_per_epoch):
            idx = order[b * bs:(b + 1) * bs].to(device)
            model.train()
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(X_train[idx]), y_train[idx])
            loss.backward()
            optimizer.step()
            scheduler.step()
            step += 1
            samples += len(idx)
            loss_value = float(loss.item())
            job.log_step(step=step, epoch=epoch, batch_in_epoch=b, loss=loss_value, samples=samples,
                         lr=scheduler.get_last_lr()[0])
            if step < total_steps and job.should_stop(step):
                if b + 1 == batches_per_epoch:
                    cursor = {"step": step, "samples": samples, "epoch": epoch + 1, "next_batch": 0, "order": None}
                else:
                    cursor = {"step": step, "samples": samples, "epoch": epoch, "next_batch": b + 1,
                              "order": order.clone()}
                ckpt = job.save_checkpoint(step, writer_for(cursor), meta={"trainer": "reference_trainer",
                                                                           "final": False})
                job.mark_stopped(step, ckpt, train_seconds=round(time.monotonic() - started, 3))
                return gct.EXIT_OK
        epoch += 1
        next_batch = 0
        order = None

    model.eval()
    with torch.no_grad():
        train_acc = float((model(X_train).argmax(1) == y_train).float().mean().item())
        test_acc = float((model(X_test).argmax(1) == y_test).float().mean().item())
    digest = weights_sha256(model)
    cursor = {"step": step, "samples": samples, "epoch": epoch, "next_batch": 0, "order": None}
    weights = {k: v.detach().to("cpu").clone() for k, v in model.state_dict().items()}
    ckpt = job.save_checkpoint(step, writer_for(cursor, {FINAL_WEIGHTS_FILE: weights}),
                               meta={"trainer": "reference_trainer", "final": True,
                                     "final_weights_sha256": digest})
    job.mark_done(step, metrics={"last_loss": loss_value, "train_accuracy": train_acc, "test_accuracy": test_acc,
                                 "samples": samples, "epochs": cfg["epochs"]},
                  final_weights_sha256=digest, checkpoint=ckpt, final_weights_file=FINAL_WEIGHTS_FILE,
                  train_seconds=round(time.monotonic() - started, 3))
    return gct.EXIT_OK


def main(argv=None) -> int:
    try:
        cfg = _config(argv)
        job = gct.Job.from_env()
        job.install_signal_handlers()
        return run(cfg, job)
    except gct.ConfigError as e:
        print("reference_trainer: configuration error: %s" % e, file=sys.stderr)
        return gct.EXIT_CONFIG
    except gct.CheckpointError as e:
        print("reference_trainer: checkpoint error: %s" % e, file=sys.stderr)
        return gct.EXIT_NO_CHECKPOINT
    except Exception:  # noqa: BLE001 - any other failure is a real failure: report it and exit 1
        traceback.print_exc()
        return gct.EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
