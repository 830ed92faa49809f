"""GreenConsole protocol mode for a plain PyTorch training loop (docs/own-training.md, "Protocol mode").

One object saves and restores everything a loop's progress depends on: model, optimizer, LR scheduler, AMP grad
scaler, every RNG (Python, NumPy when imported, torch CPU and CUDA) and the data order, through a resumable sampler
that works with ``shuffle`` and ``num_workers > 0``. The checkpoint is written in the helper's safe format
(tensors readable with torch's weights-only loader, everything else JSON): nothing a cloud wrote is ever unpickled.

A loop becomes migratable with a handful of lines::

    import greenconsole_torch as gct
    sampler = gct.ResumableSampler(len(train_set), seed=0)                      # instead of shuffle=True
    loader = DataLoader(train_set, batch_size=64, sampler=sampler, num_workers=2,
                        generator=gct.loader_generator(0))                       # worker seeds from their own stream
    run = gct.Resumable(model, optimizer, scheduler=scheduler, scaler=scaler, sampler=sampler)
    for epoch in range(run.start(), epochs):                                    # resumes when GreenConsole says so
        sampler.set_epoch(epoch)
        for x, y in loader:
            ...                                                                 # the unchanged training step
            run.step(loss)                                                      # progress; on a stop request it checkpoints and exits
    run.done()

On a resume the loop continues at exactly the mini-batch after the checkpoint, with the same batches, the same
learning rate and the same random numbers, so the final weights equal those of an uninterrupted run.
"""

import os
import random
import sys
from typing import Any, Dict, Iterator, Optional

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import greenconsole_train as gct  # noqa: E402

__all__ = ["Resumable", "ResumableSampler", "loader_generator"]


def loader_generator(seed: int) -> torch.Generator:
    """A generator for DataLoader(generator=...): worker seeds then come from it, not from the global RNG."""
    g = torch.Generator()
    g.manual_seed(seed)
    return g


class ResumableSampler(torch.utils.data.Sampler):
    """A shuffled (or sequential) order per epoch, fixed by (seed, epoch), that can start in the middle of an epoch.

    The order is drawn from its own generator, so it does not depend on (or disturb) the global RNG, and is the same
    for every worker count. ``Resumable`` records how many samples of the epoch the loop consumed (the DataLoader
    prefetches ahead of the loop, so the sampler's own position would be wrong) and skips them after a resume.
    """

    def __init__(self, length: int, seed: int = 0, shuffle: bool = True) -> None:
        self.length = int(length)
        self.seed = int(seed)
        self.shuffle = shuffle
        self.epoch = 0
        self._skip_epoch: Optional[int] = None
        self._skip = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def order(self, epoch: int):
        if not self.shuffle:
            return list(range(self.length))
        g = torch.Generator()
        g.manual_seed(self.seed * 1_000_003 + epoch)
        return torch.randperm(self.length, generator=g).tolist()

    def resume_at(self, epoch: int, consumed: int) -> None:
        self._skip_epoch, self._skip = int(epoch), int(consumed)

    def __iter__(self) -> Iterator[int]:
        indices = self.order(self.epoch)
        if self._skip_epoch == self.epoch:
            indices = indices[self._skip:]
            self._skip_epoch, self._skip = None, 0
        return iter(indices)

    def __len__(self) -> int:
        if self._skip_epoch == self.epoch:
            return self.length - self._skip
        return self.length


def _rng_state() -> Dict[str, Any]:
    state: Dict[str, Any] = {"python": random.getstate(), "torch_cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["torch_cuda"] = torch.cuda.get_rng_state_all()
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        state["numpy"] = numpy.random.get_state()
    return state


def _set_rng_state(state: Dict[str, Any]) -> None:
    random.setstate(_as_python_state(state["python"]))
    torch.set_rng_state(state["torch_cpu"])
    if "torch_cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["torch_cuda"])
    numpy = sys.modules.get("numpy")
    if numpy is not None and "numpy" in state:
        numpy.random.set_state(tuple(state["numpy"]))


def _as_python_state(s: Any) -> Any:
    # random.setstate wants (version, tuple_of_ints, gauss_next).
    version, internal, gauss = s
    return int(version), tuple(int(v) for v in internal), gauss


class Resumable:
    """The loop's state under the training protocol: start (or resume), a progress line per step, stop at a boundary."""

    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any = None, scaler: Any = None,
                 sampler: Optional[ResumableSampler] = None, batches_per_epoch: Optional[int] = None,
                 extra: Optional[Dict[str, Any]] = None, job: Optional[gct.Job] = None) -> None:
        self.model = model
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.scaler = scaler
        self.sampler = sampler
        self.extra = extra if extra is not None else {}
        self.job = job or gct.Job.from_env()
        self.step_number = 0
        self.epoch = 0
        self.samples_in_epoch = 0
        self.samples = 0
        self._batches_per_epoch = batches_per_epoch
        self._started = False

    # ----------------------------------------------------------------- start
    def start(self) -> int:
        """Restores the latest verified checkpoint when GreenConsole resumes the job; returns the epoch to start at."""
        self.job.install_signal_handlers()
        if not self.job.wait_for_go():
            raise SystemExit(0)
        resumed_from = None
        if self.job.resume:
            ckpt = self.job.require_checkpoint()
            self.load_state_dict(gct.load_state(ckpt.path))
            resumed_from = ckpt.name
        self.job.start(step=self.step_number, resumed_from=resumed_from, adapter="greenconsole_torch")
        self._started = True
        return self.epoch

    # ----------------------------------------------------------------- per step
    def step(self, loss: Any = None, batch_size: Optional[int] = None) -> None:
        """Call once after each optimizer step. On a stop request it writes the checkpoint and exits (status 0)."""
        if not self._started:
            raise RuntimeError("call Resumable.start() before the first step")
        if self.sampler is not None and self.sampler.epoch != self.epoch:
            # The loop moved to a new epoch (sampler.set_epoch): the position counts from its start.
            self.epoch, self.samples_in_epoch = self.sampler.epoch, 0
        size = int(batch_size) if batch_size is not None else self._batch_size()
        self.step_number += 1
        self.samples_in_epoch += size
        self.samples += size
        value = float(loss.detach()) if hasattr(loss, "detach") else (float(loss) if loss is not None else None)
        self.job.log_progress(self.step_number, loss=value, epoch=self.epoch, samples=self.samples)
        if self.job.should_stop(self.step_number):
            ckpt = self.job.save_checkpoint(self.step_number, lambda d: gct.save_state(d, self.state_dict()),
                                            {"adapter": "greenconsole_torch", "epoch": self.epoch})
            self.job.mark_stopped(self.step_number, ckpt)
            raise SystemExit(0)

    def done(self) -> None:
        """Call after the last step: writes the final checkpoint and the done marker with the final weights' SHA-256."""
        ckpt = self.job.save_checkpoint(self.step_number, lambda d: gct.save_state(d, self.state_dict()),
                                        {"adapter": "greenconsole_torch", "final": True})
        digest = weights_sha256(self.model)
        self.job.mark_done(self.step_number, metrics={}, final_weights_sha256=digest, checkpoint=ckpt)

    def _batch_size(self) -> int:
        batch = getattr(self, "batch_size", None)
        if batch is None:
            raise ValueError("pass batch_size to Resumable.step() (or set run.batch_size)")
        return int(batch)

    # ----------------------------------------------------------------- state
    def state_dict(self) -> Dict[str, Any]:
        state: Dict[str, Any] = {
            "format": "greenconsole-torch/1",
            "step": self.step_number,
            "epoch": self.epoch,
            # A stop after the epoch's last batch resumes at the start of the next epoch.
            "samples_in_epoch": self.samples_in_epoch,
            "samples": self.samples,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "rng": _rng_state(),
            "extra": self.extra,
        }
        if self.scheduler is not None:
            state["scheduler"] = self.scheduler.state_dict()
        if self.scaler is not None:
            state["scaler"] = self.scaler.state_dict()
        return state

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        if state.get("format") != "greenconsole-torch/1":
            raise gct.CheckpointError("the checkpoint was not written by greenconsole_torch (format %r)" % state.get("format"))
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and "scheduler" in state:
            self.scheduler.load_state_dict(state["scheduler"])
        if self.scaler is not None and state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        self.step_number = int(state["step"])
        self.epoch = int(state["epoch"])
        self.samples_in_epoch = int(state["samples_in_epoch"])
        self.samples = int(state["samples"])
        self.extra.update(state.get("extra") or {})
        _set_rng_state(state["rng"])
        if self.sampler is not None:
            self.sampler.set_epoch(self.epoch)
            if self.samples_in_epoch >= self.sampler.length:
                self.epoch += 1
                self.samples_in_epoch = 0
                self.sampler.set_epoch(self.epoch)
            else:
                self.sampler.resume_at(self.epoch, self.samples_in_epoch)


def weights_sha256(model: torch.nn.Module) -> str:
    """SHA-256 over the model's tensors in state_dict order (names and raw bytes): equal weights, equal digest."""
    import hashlib

    h = hashlib.sha256()
    for name, tensor in model.state_dict().items():
        h.update(name.encode("utf-8"))
        h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()
