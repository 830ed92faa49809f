#!/usr/bin/env python3
"""GreenConsole remote training helper (standard library only).

GreenConsole starts a training job over SSH and may later stop it, copy its
checkpoint to another cloud and resume it there.  This module implements the
training side of that contract (see docs/training-protocol.md):

* progress lines in ``$GC_JOB_DIR/progress.jsonl`` at every mini-batch boundary,
* stop requests (``$GC_JOB_DIR/stop``, SIGTERM, or ``GC_STOP_AT_STEP``),
* atomic, manifest-verified checkpoints in ``$GC_CHECKPOINT_DIR/step-<k>``,
* a checkpoint state format that is never unpickled: ``save_state``/``load_state`` keep tensors in
  ``state.pt`` (read with torch's weights-only loader) and everything else in ``state.json``;
  ``verify`` refuses any pickle that names a callable outside a short allow-list,
* the ``stopped`` / ``done`` markers,
* a command line: ``verify <checkpoint_dir>`` and ``status <job_dir>``,
* warm standby (``GC_STANDBY=1``): ``Job.wait_for_go()`` lets a trainer import its
  framework and build its model before the checkpoint it resumes from has arrived.

It must stay importable without torch (the controller runs ``verify`` and
``status`` on hosts that may have no deep-learning stack at all).

Example with PyTorch::

    import torch, greenconsole_train as gct

    job = gct.Job.from_env()
    job.install_signal_handlers()
    # ... import the framework, build data, model and optimizer ...
    if not job.wait_for_go():                   # returns at once unless GC_STANDBY=1
        raise SystemExit(0)                     # standby released without a go: nothing to do
    step = 0
    if job.resume:
        ckpt = job.latest_checkpoint()          # verified against its manifest
        state = gct.load_state(ckpt.path)       # tensors with torch's weights-only loader, the rest JSON
        model.load_state_dict(state["model"]); optimizer.load_state_dict(state["optimizer"])
        step = state["step"]
    job.start(step=step)
    for xb, yb in batches_from(step):
        loss = train_one_batch(xb, yb)
        step += 1
        job.log_step(step=step, epoch=epoch, batch_in_epoch=b, loss=float(loss), samples=seen)
        if job.should_stop(step):
            ckpt = job.save_checkpoint(step, writer=lambda d: gct.save_state(
                d, {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "step": step}))
            job.mark_stopped(step, ckpt)
            raise SystemExit(0)
    job.mark_done(step, metrics={"loss": float(loss)}, final_weights_sha256=weights_hash(model))
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import os
import shutil
import signal
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

FORMAT_VERSION = 1

ENV_JOB_DIR = "GC_JOB_DIR"
ENV_CHECKPOINT_DIR = "GC_CHECKPOINT_DIR"
ENV_RESUME = "GC_RESUME"
ENV_STOP_AT_STEP = "GC_STOP_AT_STEP"
ENV_CHECKPOINT_PAD_BYTES = "GC_CHECKPOINT_PAD_BYTES"
ENV_STEP_DELAY_MS = "GC_STEP_DELAY_MS"
ENV_PROGRESS_FSYNC_EVERY = "GC_PROGRESS_FSYNC_EVERY"
ENV_CHECKPOINT_KEEP = "GC_CHECKPOINT_KEEP"
ENV_STANDBY = "GC_STANDBY"
ENV_STANDBY_TIMEOUT_S = "GC_STANDBY_TIMEOUT_S"
ENV_HASH_THREADS = "GC_HASH_THREADS"

PROGRESS_FILE = "progress.jsonl"
STOP_FILE = "stop"
EXIT_FILE = "exit.json"
SUSPENDED_FILE = "suspended"
STOPPED_FILE = "stopped"
DONE_FILE = "done"
JOB_FILE = "job.json"
LATEST_FILE = "latest"
MANIFEST_FILE = "manifest.json"
PADDING_FILE = "padding.bin"
GO_FILE = "go"
READY_FILE = "standby.ready"
VERIFIED_FILE = ".verified"
CHECKPOINT_PREFIX = "step-"
TMP_PREFIX = ".tmp-"

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CONFIG = 2
EXIT_NO_CHECKPOINT = 3

_CHUNK = 4 * 1024 * 1024

# Padding above this size is written as padding-<i>.bin shards, so writing, hashing and verifying use
# several cores (real multi-GB checkpoints are sharded the same way).
PADDING_SHARD_BYTES = 64 * 1024 * 1024
DEFAULT_STANDBY_TIMEOUT_S = 1800

# A stop file older than this process belongs to an earlier incarnation (see Job.start).
_PROCESS_START = time.time()


class ConfigError(Exception):
    """A GC_* variable or argument is missing or malformed (exit code 2)."""


class CheckpointError(Exception):
    """No usable checkpoint, or a checkpoint that fails verification (exit code 3)."""


def utc_now_iso() -> str:
    """ISO-8601 UTC with milliseconds and a Z suffix, e.g. 2026-01-02T03:04:05.678Z."""
    now = _dt.datetime.now(_dt.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (now.microsecond // 1000)


def _env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError("%s must be an integer, got %r" % (name, raw)) from None
    if value < minimum:
        raise ConfigError("%s must be >= %d, got %d" % (name, minimum, value))
    return value


def _fsync_path(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file_atomic(path: str, data: bytes) -> None:
    """Write path so that readers see either the old or the complete new content."""
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, ".%s.tmp-%d" % (os.path.basename(path), os.getpid()))
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_path(directory)


def _json_safe(obj: Any) -> Any:
    """NaN/Infinity are not JSON: a diverged loss is written as null so every reader can parse the line."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    return obj


def _json_bytes(obj: Any) -> bytes:
    return (json.dumps(_json_safe(obj), sort_keys=True, indent=2, allow_nan=False) + "\n").encode("utf-8")


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            chunk = f.read(_CHUNK)
            if not chunk:
                break
            h.update(chunk)
    return h.hexdigest()


# --------------------------------------------------------------------- safe checkpoint state
# A checkpoint comes from a cloud, and any cloud may be compromised: a full pickle would run whatever code
# that cloud put in it on the cloud that loads it. So state is split in two files that load without
# running code: the tensors (state.pt, a flat {key: tensor} dict that torch reads with weights_only=True)
# and everything else (state.json, with {"__tensor__": key} where a tensor was).
STATE_TENSORS_FILE = "state.pt"
STATE_JSON_FILE = "state.json"
STATE_FORMAT = "greenconsole-state/1"

# The only globals a tensor file may name: what torch.save emits for plain tensors and their storages.
# Anything else (os.system, builtins.eval, a user class, ...) means the pickle would run code when loaded.
_SAFE_PICKLE_GLOBALS = {
    ("collections", "OrderedDict"),
    ("torch._utils", "_rebuild_tensor_v2"),
    ("torch._utils", "_rebuild_tensor_v3"),
    ("torch._utils", "_rebuild_parameter"),
    ("torch", "Size"),
}
_PICKLE_SUFFIXES = (".pt", ".pth", ".pkl", ".pickle", ".ckpt")
_MAX_PICKLE_BYTES = 64 * 1024 * 1024


def _safe_global(module: str, name: str) -> bool:
    if (module, name) in _SAFE_PICKLE_GLOBALS:
        return True
    # torch.FloatStorage, torch.LongStorage, ... and dtypes such as torch.float32 name no callable of note.
    return module == "torch" and (name.endswith("Storage") or name in _TORCH_DTYPES)


_TORCH_DTYPES = {"float16", "float32", "float64", "bfloat16", "uint8", "int8", "int16", "int32", "int64", "bool",
                 "complex64", "complex128"}


def pickle_problems(data: bytes) -> List[str]:
    """Every global the pickles in data name outside the allow-list, read statically (pickletools never runs them).

    A file may hold several pickles in a row (torch's legacy format, and any loader that calls load() again): all
    are read, and bytes after the last one that do not parse as a pickle are refused too.
    """
    import io
    import pickletools

    problems: List[str] = []
    stream = io.BytesIO(data)
    count = 0
    try:
        while stream.tell() < len(data):
            problems.extend(_one_pickle_problems(pickletools.genops(stream)))
            count += 1
    except Exception as e:  # noqa: BLE001 - bytes that pickletools cannot read are not ones we load
        problems.append("is not a readable pickle%s: %s" % (" after pickle %d" % count if count else "", e))
    return sorted(set(problems))


def _one_pickle_problems(ops) -> List[str]:
    problems: List[str] = []
    strings: List[Optional[str]] = []  # the last pushed values, for STACK_GLOBAL (protocol 4+)

    def check(module: Optional[str], name: Optional[str]) -> None:
        if module is None or name is None:
            problems.append("builds a global from computed values")
        elif "." in name or not _safe_global(module, name):
            # A dotted name is a getattr chain (protocol 4): never a plain tensor part.
            problems.append("names %s.%s, which a checkpoint may not contain" % (module, name))

    for op, arg, _pos in ops:
        if op.name in ("GLOBAL", "INST"):
            module, _, name = str(arg).partition(" ")
            check(module, name)
        elif op.name == "STACK_GLOBAL":
            check(*((strings[-2], strings[-1]) if len(strings) >= 2 else (None, None)))
        elif op.name in ("OBJ", "EXT1", "EXT2", "EXT4"):
            problems.append("uses the %s opcode, which a checkpoint may not contain" % op.name)
        if op.name in ("SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "SHORT_BINSTRING",
                       "BINSTRING", "STRING"):
            strings.append(str(arg))
        elif op.name not in ("MEMOIZE", "PUT", "BINPUT", "LONG_BINPUT", "FRAME"):
            strings.append(None)
        del strings[:-2]
    return problems


_ZIP_MAGIC = b"PK\x03\x04"


def file_pickle_problems(full: str) -> List[str]:
    """pickle_problems for a torch file (zip archive of pickles) or a raw pickle; [] for other files."""
    import zipfile

    if not full.endswith(_PICKLE_SUFFIXES):
        return []
    try:
        with open(full, "rb") as f:
            head = f.read(4)
        # Loaders decide by the first bytes (a zip directory at the end of a pickle would fool is_zipfile).
        if head == _ZIP_MAGIC:
            problems = []
            with zipfile.ZipFile(full) as z:
                for info in z.infolist():
                    if info.filename.endswith(".pkl"):
                        if info.file_size > _MAX_PICKLE_BYTES:
                            problems.append("%s is %d bytes, over the %d allowed for a pickle"
                                            % (info.filename, info.file_size, _MAX_PICKLE_BYTES))
                            continue
                        problems.extend("%s %s" % (info.filename, p) for p in pickle_problems(z.read(info)))
            return problems
        if os.path.getsize(full) > _MAX_PICKLE_BYTES:
            return ["is a raw pickle over %d bytes" % _MAX_PICKLE_BYTES]
        with open(full, "rb") as f:
            return pickle_problems(f.read())
    except (OSError, zipfile.BadZipFile) as e:
        return ["cannot be read: %s" % e]


def _encode_state(obj: Any, tensors: Dict[str, Any], path: str) -> Any:
    kind = type(obj).__module__ + "." + type(obj).__name__
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else {"__float__": repr(obj)}
    if kind in ("torch.Tensor", "torch.nn.parameter.Parameter"):
        key = "t%d" % len(tensors)
        tensors[key] = obj.detach().to("cpu")
        return {"__tensor__": key}
    if kind == "numpy.ndarray":
        # Small arrays (numpy's RNG state is 624 uint32) as JSON keep dtypes torch lacks, such as uint32.
        return {"__ndarray__": {"dtype": str(obj.dtype), "shape": list(obj.shape), "data": obj.ravel().tolist()}}
    if kind.startswith("numpy."):
        return _encode_state(obj.item(), tensors, path)
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode_state(v, tensors, "%s[%d]" % (path, i)) for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [_encode_state(v, tensors, "%s[%d]" % (path, i)) for i, v in enumerate(obj)]
    if isinstance(obj, dict):
        items = [(k, v) for k, v in obj.items() if not callable(v) or hasattr(v, "shape")]
        if all(isinstance(k, str) and not k.startswith("__") for k, _ in items):
            return {k: _encode_state(v, tensors, "%s.%s" % (path, k)) for k, v in items}
        return {"__dict__": [[_encode_state(k, tensors, path), _encode_state(v, tensors, "%s[%r]" % (path, k))]
                             for k, v in items]}
    raise TypeError("state at %s is a %s; a checkpoint holds tensors, numbers, strings, lists and dicts" % (path, kind))


def _decode_state(obj: Any, tensors: Dict[str, Any]) -> Any:
    if isinstance(obj, list):
        return [_decode_state(v, tensors) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if len(obj) == 1:
        (tag, value), = obj.items()
        if tag == "__tensor__":
            return tensors[value]
        if tag == "__ndarray__":
            import numpy as np
            return np.asarray(value["data"], dtype=np.dtype(value["dtype"])).reshape(value["shape"])
        if tag == "__float__":
            return float(value)
        if tag == "__tuple__":
            return tuple(_decode_state(v, tensors) for v in value)
        if tag == "__dict__":
            return {_hashable(_decode_state(k, tensors)): _decode_state(v, tensors) for k, v in value}
    return {k: _decode_state(v, tensors) for k, v in obj.items()}


def _hashable(key: Any) -> Any:
    return tuple(_hashable(k) for k in key) if isinstance(key, (list, tuple)) else key


def save_state(directory: str, state: Dict[str, Any]) -> None:
    """Write state (nested dicts, lists, tuples, numbers, strings, tensors, numpy arrays) loadable by load_state.

    Callables in a dict (an LR scheduler's anneal function) are left out: the object being restored keeps its own.
    """
    import torch

    tensors: Dict[str, Any] = {}
    doc = {"format": STATE_FORMAT, "state": _encode_state(state, tensors, "state")}
    torch.save(tensors, os.path.join(directory, STATE_TENSORS_FILE))
    with open(os.path.join(directory, STATE_JSON_FILE), "w", encoding="utf-8") as f:
        json.dump(doc, f, sort_keys=True, allow_nan=False)


def load_state(directory: str, map_location: str = "cpu") -> Dict[str, Any]:
    """The state save_state wrote, without unpickling anything but tensors (CheckpointError names the file)."""
    import torch

    tensors_path = os.path.join(directory, STATE_TENSORS_FILE)
    problems = file_pickle_problems(tensors_path)
    if problems:
        raise CheckpointError("%s refused: %s" % (tensors_path, "; ".join(problems)))
    try:
        tensors = torch.load(tensors_path, map_location=map_location, weights_only=True)
    except TypeError as e:
        raise CheckpointError("this torch (%s) has no weights-only loader: %s" % (torch.__version__, e)) from None
    except Exception as e:  # noqa: BLE001 - the safe loader refused it: name the file, never fall back
        raise CheckpointError("%s refused by torch's weights-only loader: %s" % (tensors_path, e)) from None
    if not isinstance(tensors, dict):
        raise CheckpointError("%s holds a %s, not a dict of tensors" % (tensors_path, type(tensors).__name__))
    json_path = os.path.join(directory, STATE_JSON_FILE)
    try:
        with open(json_path, "rb") as f:
            doc = json.loads(f.read().decode("utf-8"))
    except (OSError, ValueError, UnicodeDecodeError) as e:
        raise CheckpointError("%s cannot be read: %s" % (json_path, e)) from None
    if not isinstance(doc, dict) or doc.get("format") != STATE_FORMAT:
        raise CheckpointError("%s is not in format %s" % (json_path, STATE_FORMAT))
    try:
        return _decode_state(doc["state"], tensors)
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError("%s does not match %s: %s" % (json_path, tensors_path, e)) from None


def _hash_threads() -> int:
    raw = os.environ.get(ENV_HASH_THREADS, "").strip()
    if raw:
        try:
            return max(1, int(raw))
        except ValueError:
            raise ConfigError("%s must be an integer, got %r" % (ENV_HASH_THREADS, raw)) from None
    return max(1, min(4, os.cpu_count() or 1))


def _parallel_map(fn: Callable[[Any], Any], items: List[Any]) -> List[Any]:
    """fn over items in threads (hashlib and file I/O release the GIL), results in input order."""
    workers = min(len(items), _hash_threads())
    if workers <= 1:
        return [fn(i) for i in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, items))


def _list_files(root: str) -> List[str]:
    """Relative, '/'-separated paths of every regular file below root, sorted."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            out.append(rel)
    out.sort()
    return out


@dataclass
class Checkpoint:
    """A complete checkpoint directory and its parsed manifest."""

    name: str
    path: str
    step: int
    manifest: Dict[str, Any]
    total_bytes: int = 0
    write_seconds: Optional[float] = None

    def file(self, relative: str) -> str:
        return os.path.join(self.path, relative)


@dataclass
class VerifyProblem:
    file: str
    problem: str
    unsafe: bool = False  # the file would run code when loaded: no second copy can fix that

    def to_dict(self) -> Dict[str, str]:
        d = {"file": self.file, "problem": self.problem}
        if self.unsafe:
            d["kind"] = "unsafe"
        return d


def verify_checkpoint(path: str, hash_files: bool = True,
                      digests: Optional[Dict[str, str]] = None) -> List[VerifyProblem]:
    """Check every file listed in manifest.json (size and SHA-256) and flag unlisted files.

    Files are hashed in parallel threads. hash_files=False checks presence and sizes only (used when a
    matching .verified marker vouches for the contents). digests, when given, receives {path: sha256} of
    the files hashed. Every pickle is also read statically and refused if it names a callable outside
    the allow-list. Returns an empty list when the checkpoint is intact.
    """
    problems: List[VerifyProblem] = []
    manifest_path = os.path.join(path, MANIFEST_FILE)
    if not os.path.isdir(path):
        return [VerifyProblem(path, "checkpoint directory does not exist")]
    try:
        with open(manifest_path, "rb") as f:
            manifest = json.loads(f.read().decode("utf-8"))
    except FileNotFoundError:
        return [VerifyProblem(MANIFEST_FILE, "missing")]
    except (ValueError, UnicodeDecodeError) as e:
        return [VerifyProblem(MANIFEST_FILE, "not valid JSON: %s" % e)]
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list):
        return [VerifyProblem(MANIFEST_FILE, "has no 'files' list")]
    if manifest.get("format_version") != FORMAT_VERSION:
        problems.append(VerifyProblem(MANIFEST_FILE, "unsupported format_version %r (expected %d)"
                                      % (manifest.get("format_version"), FORMAT_VERSION)))
    listed = set()
    to_hash = []
    for entry in manifest["files"]:
        rel = entry.get("path") if isinstance(entry, dict) else None
        if not isinstance(rel, str) or rel == "" or rel.startswith("/") or ".." in rel.split("/"):
            problems.append(VerifyProblem(MANIFEST_FILE, "bad file entry %r" % (entry,)))
            continue
        listed.add(rel)
        full = os.path.join(path, *rel.split("/"))
        if not os.path.isfile(full):
            problems.append(VerifyProblem(rel, "missing"))
            continue
        size = os.path.getsize(full)
        if size != entry.get("size"):
            problems.append(VerifyProblem(rel, "size %d, manifest says %r" % (size, entry.get("size"))))
            continue
        if hash_files:
            to_hash.append((rel, full, entry.get("sha256")))
    for (rel, _full, expected), actual in zip(to_hash, _parallel_map(lambda t: sha256_file(t[1]), to_hash)):
        if actual != expected:
            problems.append(VerifyProblem(rel, "sha256 mismatch: manifest %s, actual %s" % (expected, actual)))
        elif digests is not None:
            digests[rel] = actual
    # Hashes only prove the bytes are the ones the manifest's writer meant; a hostile writer means harm. A file
    # already damaged (size or hash) is a copy to repeat, not a judgement on what its writer meant.
    damaged = {p.file for p in problems}
    for rel in sorted(listed - damaged):
        full = os.path.join(path, *rel.split("/"))
        if os.path.isfile(full):
            problems.extend(VerifyProblem(rel, p, unsafe=True) for p in file_pickle_problems(full))
    for rel in _list_files(path):
        if rel not in (MANIFEST_FILE, VERIFIED_FILE) and rel not in listed:
            problems.append(VerifyProblem(rel, "not listed in manifest"))
    return problems


def _manifest_sha256(path: str) -> Optional[str]:
    try:
        return sha256_file(os.path.join(path, MANIFEST_FILE))
    except OSError:
        return None


def mark_verified(path: str) -> None:
    """Record that path verified just now: .verified holds the manifest's SHA-256 and the absolute path.

    A marker that travelled with a copy names another path (or a manifest that changed), so it is not trusted.
    """
    record = {"manifest_sha256": _manifest_sha256(path), "path": os.path.abspath(path), "ts": utc_now_iso()}
    _write_file_atomic(os.path.join(path, VERIFIED_FILE), _json_bytes(record))


def clear_verified(path: str) -> None:
    try:
        os.remove(os.path.join(path, VERIFIED_FILE))
    except FileNotFoundError:
        pass


def is_verified(path: str) -> bool:
    """True when path holds a .verified marker that matches its current manifest and its own location."""
    marker = _read_json_file(os.path.join(path, VERIFIED_FILE))
    if not isinstance(marker, dict):
        return False
    expected = _manifest_sha256(path)
    return (expected is not None and marker.get("manifest_sha256") == expected
            and marker.get("path") == os.path.abspath(path))


def _read_manifest(path: str) -> Optional[Dict[str, Any]]:
    try:
        with open(os.path.join(path, MANIFEST_FILE), "rb") as f:
            data = json.loads(f.read().decode("utf-8"))
        return data if isinstance(data, dict) else None
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def find_latest_checkpoint(checkpoint_dir: str, verify: bool = True) -> Optional[Checkpoint]:
    """The checkpoint named by the 'latest' pointer, else the highest complete step-<k>.

    A candidate whose manifest is missing, or (with verify=True) does not verify, is skipped.
    """
    candidates: List[str] = []
    try:
        with open(os.path.join(checkpoint_dir, LATEST_FILE), "r", encoding="utf-8") as f:
            pointed = f.read().strip()
        if pointed and "/" not in pointed and not pointed.startswith("."):
            candidates.append(pointed)
    except OSError:
        pass
    steps = []
    try:
        for name in os.listdir(checkpoint_dir):
            if name.startswith(CHECKPOINT_PREFIX):
                try:
                    steps.append((int(name[len(CHECKPOINT_PREFIX):]), name))
                except ValueError:
                    continue
    except OSError:
        return None
    candidates.extend(name for _, name in sorted(steps, reverse=True))
    for name in candidates:
        path = os.path.join(checkpoint_dir, name)
        manifest = _read_manifest(path)
        if manifest is None:
            continue
        if verify and verify_checkpoint(path):
            continue
        total = sum(int(e.get("size", 0)) for e in manifest.get("files", []))
        return Checkpoint(name=name, path=path, step=int(manifest.get("step", -1)),
                          manifest=manifest, total_bytes=total)
    return None


def _read_json_file(path: str) -> Optional[Any]:
    try:
        with open(path, "rb") as f:
            return json.loads(f.read().decode("utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, UnicodeDecodeError):
        return {"unreadable": True}


def _last_json_line(path: str, event: Optional[str] = None) -> Optional[Dict[str, Any]]:
    """The last complete JSON line of a JSONL file (optionally of one event type), read from the tail."""
    try:
        size = os.path.getsize(path)
    except OSError:
        return None
    window = 64 * 1024
    with open(path, "rb") as f:
        while True:
            start = max(0, size - window)
            f.seek(start)
            data = f.read(size - start)
            lines = data.split(b"\n")
            # A line still being appended has no trailing newline yet: ignore it.
            complete = lines[:-1]
            if start > 0:
                complete = complete[1:]
            for raw in reversed(complete):
                try:
                    obj = json.loads(raw.decode("utf-8"))
                except (ValueError, UnicodeDecodeError):
                    continue
                if isinstance(obj, dict) and (event is None or obj.get("event") == event):
                    return obj
            if start == 0:
                return None
            window *= 4


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its parent) still answers signal 0 but runs nothing.
    return _proc_state(pid) not in ("Z", "X")


def _proc_state(pid: int) -> Optional[str]:
    """The one-letter state from /proc/<pid>/stat, or None where /proc is unavailable (non-Linux)."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            raw = f.read().decode("ascii", "replace")
    except OSError:
        return None
    # The command name is in parentheses and may itself hold spaces or ')': the state follows the last ')'.
    rest = raw[raw.rfind(")") + 1:].split()
    return rest[0] if rest else None


def job_status(job_dir: str) -> Dict[str, Any]:
    """A JSON-serialisable summary of a job directory for the controller's polling."""
    job = _read_json_file(os.path.join(job_dir, JOB_FILE))
    stopped = _read_json_file(os.path.join(job_dir, STOPPED_FILE))
    done = _read_json_file(os.path.join(job_dir, DONE_FILE))
    progress_path = os.path.join(job_dir, PROGRESS_FILE)
    last = _last_json_line(progress_path)
    last_step = _last_json_line(progress_path, event="step")
    pid = job.get("pid") if isinstance(job, dict) else None
    alive = _pid_alive(pid) if isinstance(pid, int) and job.get("host") == socket.gethostname() else None
    if done is not None:
        state = "done"
    elif stopped is not None:
        state = "stopped"
    elif job is None:
        state = "not_started"
    elif alive is False:
        state = "exited"
    else:
        state = "running"
    latest = None
    ckpt_dir = job.get("checkpoint_dir") if isinstance(job, dict) else None
    if isinstance(ckpt_dir, str):
        found = find_latest_checkpoint(ckpt_dir, verify=False)
        if found is not None:
            latest = {"name": found.name, "step": found.step, "bytes": found.total_bytes}
    # Written by greenconsole_run.py for a researcher's own script: how it ended, and whether it is held in place.
    exited = _read_json_file(os.path.join(job_dir, EXIT_FILE))
    return {
        "format_version": FORMAT_VERSION,
        "job_dir": os.path.abspath(job_dir),
        "state": state,
        "exit": exited if isinstance(exited, dict) else None,
        "suspended": os.path.exists(os.path.join(job_dir, SUSPENDED_FILE)),
        "pid": pid,
        "alive": alive,
        "stop_requested": os.path.exists(os.path.join(job_dir, STOP_FILE)),
        "last_event": last,
        "last_progress": last_step,
        "stopped": stopped,
        "done": done,
        "latest_checkpoint": latest,
        "job": job,
    }


@dataclass
class Job:
    """One incarnation of a training job on one host."""

    job_dir: str
    checkpoint_dir: str
    resume: bool = False
    stop_at_step: Optional[int] = None
    pad_bytes: int = 0
    step_delay_ms: int = 0
    progress_fsync_every: int = 100
    checkpoint_keep: int = 2
    standby: bool = False
    standby_timeout_s: int = DEFAULT_STANDBY_TIMEOUT_S
    _signal_received: Optional[int] = field(default=None, repr=False)
    _progress: Any = field(default=None, repr=False)
    _lines_since_fsync: int = field(default=0, repr=False)
    _stop_reason: Optional[str] = field(default=None, repr=False)

    @classmethod
    def from_env(cls) -> "Job":
        job_dir = os.environ.get(ENV_JOB_DIR, "").strip()
        ckpt_dir = os.environ.get(ENV_CHECKPOINT_DIR, "").strip()
        if not job_dir:
            raise ConfigError("%s is not set" % ENV_JOB_DIR)
        if not ckpt_dir:
            raise ConfigError("%s is not set" % ENV_CHECKPOINT_DIR)
        resume_raw = os.environ.get(ENV_RESUME, "").strip()
        if resume_raw not in ("", "0", "1"):
            raise ConfigError("%s must be 0 or 1, got %r" % (ENV_RESUME, resume_raw))
        stop_at = _env_int(ENV_STOP_AT_STEP, -1, minimum=1) if os.environ.get(ENV_STOP_AT_STEP, "").strip() else None
        standby_raw = os.environ.get(ENV_STANDBY, "").strip()
        if standby_raw not in ("", "0", "1"):
            raise ConfigError("%s must be 0 or 1, got %r" % (ENV_STANDBY, standby_raw))
        job = cls(
            job_dir=os.path.abspath(job_dir),
            checkpoint_dir=os.path.abspath(ckpt_dir),
            resume=resume_raw == "1",
            stop_at_step=stop_at,
            pad_bytes=_env_int(ENV_CHECKPOINT_PAD_BYTES, 0),
            step_delay_ms=_env_int(ENV_STEP_DELAY_MS, 0),
            progress_fsync_every=_env_int(ENV_PROGRESS_FSYNC_EVERY, 100),
            checkpoint_keep=_env_int(ENV_CHECKPOINT_KEEP, 2, minimum=1),
            standby=standby_raw == "1",
            standby_timeout_s=_env_int(ENV_STANDBY_TIMEOUT_S, DEFAULT_STANDBY_TIMEOUT_S, minimum=1),
        )
        os.makedirs(job.job_dir, exist_ok=True)
        os.makedirs(job.checkpoint_dir, exist_ok=True)
        return job

    # ----------------------------------------------------------------- signals
    def install_signal_handlers(self) -> None:
        """SIGTERM/SIGINT only set a flag; the stop happens at the next mini-batch boundary."""

        def handler(signum, _frame):
            self._signal_received = signum

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    # ----------------------------------------------------------------- standby
    def wait_for_go(self, poll_seconds: float = 0.01) -> bool:
        """Warm standby: block until the controller creates $GC_JOB_DIR/go, then return True.

        Without GC_STANDBY=1 it returns True at once. It returns False (the trainer should exit 0
        without touching any marker) when a stop is requested (a stop file created after this
        process started, SIGTERM/SIGINT) or after GC_STANDBY_TIMEOUT_S seconds. Call it after the
        expensive set-up (imports, data, model) and before loading the checkpoint: the checkpoint
        and the 'latest' pointer are only complete when go appears.
        """
        if not self.standby:
            return True
        go_path = os.path.join(self.job_dir, GO_FILE)
        stop_path = os.path.join(self.job_dir, STOP_FILE)
        ready_path = os.path.join(self.job_dir, READY_FILE)
        deadline = time.monotonic() + self.standby_timeout_s
        # Tells the controller the expensive set-up is done, so it can stop the source knowing the target is warm.
        _write_file_atomic(ready_path, ("%d\n" % os.getpid()).encode("ascii"))
        try:
            while True:
                if os.path.exists(go_path):
                    try:
                        os.remove(go_path)
                    except FileNotFoundError:
                        pass
                    self.standby = False
                    return True
                if self._signal_received is not None:
                    self._stop_reason = "signal %d" % self._signal_received
                    return False
                try:
                    if os.path.getmtime(stop_path) >= _PROCESS_START:
                        self._stop_reason = "stop file"
                        return False
                except FileNotFoundError:
                    pass
                if time.monotonic() >= deadline:
                    self._stop_reason = "%s=%d expired" % (ENV_STANDBY_TIMEOUT_S, self.standby_timeout_s)
                    return False
                time.sleep(poll_seconds)
        finally:
            try:
                os.remove(ready_path)
            except FileNotFoundError:
                pass

    # ----------------------------------------------------------------- lifecycle
    def start(self, step: int, resumed_from: Optional[str] = None, **extra: Any) -> None:
        """Record this incarnation (job.json, a start/resume event) and clear markers of earlier ones."""
        for marker in (STOPPED_FILE, DONE_FILE):
            try:
                os.remove(os.path.join(self.job_dir, marker))
            except FileNotFoundError:
                pass
        stop_path = os.path.join(self.job_dir, STOP_FILE)
        try:
            if os.path.getmtime(stop_path) < _PROCESS_START:
                os.remove(stop_path)
        except FileNotFoundError:
            pass
        self._clean_stale_temp_dirs()
        info = {
            "format_version": FORMAT_VERSION,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": utc_now_iso(),
            "checkpoint_dir": self.checkpoint_dir,
            "resumed_from": resumed_from,
            "start_step": step,
        }
        info.update(extra)
        _write_file_atomic(os.path.join(self.job_dir, JOB_FILE), _json_bytes(info))
        self.log_event("resume" if resumed_from else "start", step=step, checkpoint=resumed_from, pid=os.getpid())

    def _clean_stale_temp_dirs(self) -> None:
        # Leftovers of a writer that died mid-checkpoint are never referenced by 'latest'.
        for name in os.listdir(self.checkpoint_dir):
            if name.startswith(TMP_PREFIX):
                shutil.rmtree(os.path.join(self.checkpoint_dir, name), ignore_errors=True)

    # ----------------------------------------------------------------- progress
    def _progress_file(self):
        if self._progress is None:
            self._progress = open(os.path.join(self.job_dir, PROGRESS_FILE), "a", encoding="utf-8")
        return self._progress

    def _append(self, record: Dict[str, Any], force_fsync: bool = False) -> None:
        f = self._progress_file()
        f.write(json.dumps(_json_safe(record), separators=(",", ":"), allow_nan=False) + "\n")
        f.flush()
        self._lines_since_fsync += 1
        if force_fsync or (self.progress_fsync_every > 0 and self._lines_since_fsync >= self.progress_fsync_every):
            os.fsync(f.fileno())
            self._lines_since_fsync = 0

    def log_event(self, event: str, **fields: Any) -> None:
        record = {"event": event, "ts": utc_now_iso()}
        record.update(fields)
        self._append(record, force_fsync=True)

    def log_progress(self, step: int, loss: Optional[float] = None, epoch: Optional[int] = None, **extra: Any) -> None:
        """A step line for a script that reports only its step (and maybe loss and epoch), e.g. read from its stdout."""
        record = {"step": int(step), "epoch": epoch, "loss": loss, "ts": utc_now_iso(), "event": "step"}
        record.update(extra)
        self._append(record)

    def log_step(self, step: int, epoch: int, batch_in_epoch: int, loss: float, samples: int, **extra: Any) -> None:
        """Append one progress line for a finished mini-batch (1-based global step)."""
        record = {"step": int(step), "epoch": int(epoch), "batch_in_epoch": int(batch_in_epoch),
                  "loss": float(loss), "samples": int(samples), "ts": utc_now_iso(), "event": "step"}
        record.update(extra)
        self._append(record)
        if self.step_delay_ms > 0:
            time.sleep(self.step_delay_ms / 1000.0)

    # ----------------------------------------------------------------- stop
    def should_stop(self, step: int) -> bool:
        """True when a stop was requested; call right after log_step of the given step."""
        if self._signal_received is not None:
            self._stop_reason = "signal %d" % self._signal_received
        elif os.path.exists(os.path.join(self.job_dir, STOP_FILE)):
            self._stop_reason = "stop file"
        elif self.stop_at_step is not None and step == self.stop_at_step:
            self._stop_reason = "%s=%d" % (ENV_STOP_AT_STEP, self.stop_at_step)
        else:
            return False
        return True

    @property
    def stop_reason(self) -> Optional[str]:
        return self._stop_reason

    # ----------------------------------------------------------------- checkpoints
    def save_checkpoint(self, step: int, writer: Callable[[str], None],
                        meta: Optional[Dict[str, Any]] = None) -> Checkpoint:
        """Write a complete checkpoint atomically and point 'latest' at it.

        writer(directory) writes the trainer's files into a fresh temporary directory; this method
        adds the optional padding file and manifest.json, fsyncs everything, renames the directory
        to step-<k>, and replaces the 'latest' pointer atomically.
        """
        started = time.monotonic()
        name = "%s%d" % (CHECKPOINT_PREFIX, step)
        tmp = os.path.join(self.checkpoint_dir, "%s%s-%d" % (TMP_PREFIX, name, os.getpid()))
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        writer(tmp)
        # Padding is hashed and fsynced while it is written; the writer's files are hashed and fsynced
        # afterwards, all in parallel threads.
        known_hashes: Dict[str, str] = self._write_padding(tmp) if self.pad_bytes > 0 else {}
        rels = _list_files(tmp)
        if MANIFEST_FILE in rels or VERIFIED_FILE in rels:
            raise CheckpointError("writer must not create %s or %s" % (MANIFEST_FILE, VERIFIED_FILE))

        def describe(rel: str) -> Dict[str, Any]:
            full = os.path.join(tmp, *rel.split("/"))
            digest = known_hashes.get(rel)
            if digest is None:
                digest = sha256_file(full)
                _fsync_path(full)
            return {"path": rel, "size": os.path.getsize(full), "sha256": digest}

        files = _parallel_map(describe, rels)
        manifest = {
            "format_version": FORMAT_VERSION,
            "step": int(step),
            "created": utc_now_iso(),
            "host": socket.gethostname(),
            "files": files,
            "meta": meta or {},
        }
        with open(os.path.join(tmp, MANIFEST_FILE), "wb") as f:
            f.write(_json_bytes(manifest))
            f.flush()
            os.fsync(f.fileno())
        for dirpath, _dirs, _files in os.walk(tmp):
            _fsync_path(dirpath)
        final = os.path.join(self.checkpoint_dir, name)
        if os.path.exists(final):
            # Same step written again (e.g. a rerun): move the old one aside, it is replaced below.
            trash = os.path.join(self.checkpoint_dir, "%sold-%s-%d" % (TMP_PREFIX, name, os.getpid()))
            os.rename(final, trash)
            shutil.rmtree(trash, ignore_errors=True)
        os.rename(tmp, final)
        _fsync_path(self.checkpoint_dir)
        _write_file_atomic(os.path.join(self.checkpoint_dir, LATEST_FILE), (name + "\n").encode("utf-8"))
        self._prune(keep=name)
        seconds = time.monotonic() - started
        total = sum(e["size"] for e in files) + os.path.getsize(os.path.join(final, MANIFEST_FILE))
        self.log_event("checkpoint", step=int(step), checkpoint=name, bytes=total, seconds=round(seconds, 6))
        return Checkpoint(name=name, path=final, step=int(step), manifest=manifest,
                          total_bytes=total, write_seconds=seconds)

    def _write_padding(self, directory: str) -> Dict[str, str]:
        """padding.bin, or padding-<i>.bin shards of PADDING_SHARD_BYTES above that size; {name: sha256}."""
        if self.pad_bytes <= PADDING_SHARD_BYTES:
            shards = [(PADDING_FILE, 0, self.pad_bytes)]
        else:
            count = (self.pad_bytes + PADDING_SHARD_BYTES - 1) // PADDING_SHARD_BYTES
            shards = [("padding-%03d.bin" % i, i, min(PADDING_SHARD_BYTES, self.pad_bytes - i * PADDING_SHARD_BYTES))
                      for i in range(count)]

        def write(shard):
            name, shard_index, size = shard
            # Incompressible for the transfer path (ssh/zlib sees 32 KiB windows), yet cheap to make:
            # one random 4 MiB block, reused with a distinct shard/chunk counter in its first 8 bytes.
            h = hashlib.sha256()
            block = bytearray(os.urandom(_CHUNK))
            remaining = size
            index = shard_index << 32
            with open(os.path.join(directory, name), "wb") as f:
                while remaining > 0:
                    block[0:8] = index.to_bytes(8, "little")
                    chunk = memoryview(block)[:min(_CHUNK, remaining)]
                    f.write(chunk)
                    h.update(chunk)
                    remaining -= len(chunk)
                    index += 1
                f.flush()
                os.fsync(f.fileno())
            return name, h.hexdigest()

        return dict(_parallel_map(write, shards))

    def _prune(self, keep: str) -> None:
        steps = []
        for name in os.listdir(self.checkpoint_dir):
            if name.startswith(CHECKPOINT_PREFIX):
                try:
                    steps.append((int(name[len(CHECKPOINT_PREFIX):]), name))
                except ValueError:
                    continue
        steps.sort(reverse=True)
        others_to_keep = self.checkpoint_keep - 1
        for _, name in steps:
            if name == keep:
                continue
            if others_to_keep > 0:
                others_to_keep -= 1
                continue
            shutil.rmtree(os.path.join(self.checkpoint_dir, name), ignore_errors=True)

    def latest_checkpoint(self, verify: bool = True) -> Optional[Checkpoint]:
        return find_latest_checkpoint(self.checkpoint_dir, verify=verify)

    def require_checkpoint(self) -> Checkpoint:
        """The latest verified checkpoint, or CheckpointError naming what is wrong."""
        ckpt = self.latest_checkpoint(verify=False)
        if ckpt is None:
            raise CheckpointError("%s=1 but %s holds no complete checkpoint" % (ENV_RESUME, self.checkpoint_dir))
        # Verifying on the target left a marker: hashing the same bytes again would only add downtime.
        trusted = is_verified(ckpt.path)
        problems = verify_checkpoint(ckpt.path, hash_files=not trusted)
        if problems:
            details = "; ".join("%s: %s" % (p.file, p.problem) for p in problems)
            bad = ckpt.name
            ckpt = self.latest_checkpoint(verify=True)
            if ckpt is None:
                raise CheckpointError("no checkpoint in %s verifies: %s: %s" % (self.checkpoint_dir, bad, details))
            print("greenconsole_train: %s fails verification (%s); resuming from older %s"
                  % (bad, details, ckpt.name), file=sys.stderr)
        return ckpt

    # ----------------------------------------------------------------- markers
    def mark_stopped(self, step: int, checkpoint: Checkpoint, **extra: Any) -> None:
        """Write $GC_JOB_DIR/stopped after the checkpoint is durable; the caller then exits 0."""
        record = {"format_version": FORMAT_VERSION, "step": int(step), "checkpoint": checkpoint.name,
                  "checkpoint_bytes": checkpoint.total_bytes,
                  "checkpoint_seconds": round(checkpoint.write_seconds or 0.0, 6),
                  "reason": self._stop_reason, "ts": utc_now_iso()}
        record.update(extra)
        self.log_event("stopped", step=int(step), checkpoint=checkpoint.name, reason=self._stop_reason)
        self.close()
        _write_file_atomic(os.path.join(self.job_dir, STOPPED_FILE), _json_bytes(record))

    def mark_done(self, step: int, metrics: Dict[str, Any], final_weights_sha256: str,
                  checkpoint: Optional[Checkpoint] = None, **extra: Any) -> None:
        record = {"format_version": FORMAT_VERSION, "step": int(step), "metrics": metrics,
                  "final_weights_sha256": final_weights_sha256,
                  "checkpoint": checkpoint.name if checkpoint else None, "ts": utc_now_iso()}
        record.update(extra)
        self.log_event("done", step=int(step), final_weights_sha256=final_weights_sha256)
        self.close()
        _write_file_atomic(os.path.join(self.job_dir, DONE_FILE), _json_bytes(record))

    def close(self) -> None:
        if self._progress is not None:
            self._progress.flush()
            os.fsync(self._progress.fileno())
            self._progress.close()
            self._progress = None


# --------------------------------------------------------------------- command line
def _cli_verify(args: List[str]) -> int:
    mark = "--mark" in args
    args = [a for a in args if a != "--mark"]
    if len(args) != 1:
        print("usage: greenconsole_train.py verify [--mark] <checkpoint_dir>", file=sys.stderr)
        return EXIT_CONFIG
    path = args[0]
    if mark:
        # A marker from before (or one that came with a copy) must never outlive a failed verification.
        clear_verified(path)
    digests: Dict[str, str] = {}
    problems = verify_checkpoint(path, digests=digests)
    if mark and not problems:
        mark_verified(path)
    manifest = _read_manifest(path) or {}
    files = manifest.get("files") if isinstance(manifest.get("files"), list) else []
    manifest_digest = _manifest_sha256(path)
    if manifest_digest is not None:
        digests[MANIFEST_FILE] = manifest_digest
    # The controller checks these against what it copied itself: the manifest is the source's claim.
    print(json.dumps({"ok": not problems, "checkpoint": os.path.abspath(path), "step": manifest.get("step"),
                      "files": len(files), "bytes": sum(int(e.get("size", 0)) for e in files if isinstance(e, dict)),
                      "sha256": digests, "problems": [p.to_dict() for p in problems]}, sort_keys=True))
    for p in problems:
        print("checkpoint %s: %s: %s" % (path, p.file, p.problem), file=sys.stderr)
    return EXIT_OK if not problems else EXIT_FAILURE


def _cli_status(args: List[str]) -> int:
    if len(args) != 1:
        print("usage: greenconsole_train.py status <job_dir>", file=sys.stderr)
        return EXIT_CONFIG
    print(json.dumps(job_status(args[0]), sort_keys=True))
    return EXIT_OK


def _cli_latest(args: List[str]) -> int:
    if len(args) != 1:
        print("usage: greenconsole_train.py latest <checkpoint_root>", file=sys.stderr)
        return EXIT_CONFIG
    ckpt = find_latest_checkpoint(args[0], verify=True)
    if ckpt is None:
        print("no verified checkpoint in %s" % args[0], file=sys.stderr)
        return EXIT_NO_CHECKPOINT
    print(json.dumps({"name": ckpt.name, "step": ckpt.step, "path": ckpt.path, "bytes": ckpt.total_bytes},
                     sort_keys=True))
    return EXIT_OK


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {"verify": _cli_verify, "status": _cli_status, "latest": _cli_latest}
    if not argv or argv[0] not in commands:
        print("usage: greenconsole_train.py {verify [--mark] <checkpoint_dir> | status <job_dir> | latest <checkpoint_root>}",
              file=sys.stderr)
        return EXIT_CONFIG
    return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main())
