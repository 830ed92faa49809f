#!/usr/bin/env python3
"""GreenConsole supervisor for a researcher's own training command (standard library only).

The controller launches ``greenconsole_run.py RUN_JSON`` with the protocol's GC_* variables
(docs/training-protocol.md). The supervisor runs the researcher's command in its own process group
and speaks the protocol on its behalf, so the controller polls, stops, verifies, copies and resumes
it exactly as it does a protocol trainer:

* ``command`` mode: stdout/stderr go to ``stdout.log``/``stderr.log``; progress comes from a regex
  over stdout or a metrics file; ``$GC_JOB_DIR/suspend`` holds the process group with SIGSTOP until
  the file is removed (SIGCONT). A stop request ends the command (SIGTERM, then SIGKILL).
* ``own-checkpoint`` mode: a stop request sends the configured signal (or waits for the script's
  next checkpoint file); a script that does not stop within the timeout is killed. The newest
  complete checkpoint of the script's own folder is then wrapped as a protocol checkpoint
  (``step-<k>/user/<name>`` plus the manifest) and ``stopped`` is written. With GC_RESUME=1 the
  verified checkpoint is put back into the script's folder and the command runs with its resume
  arguments.
* ``protocol`` mode: the script speaks the protocol itself (through greenconsole_train and, for
  PyTorch, greenconsole_torch); the supervisor only keeps its output and forwards signals.

RUN_JSON is read once and deleted: it may hold secret environment values.
"""

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from collections import deque
from typing import Any, Dict, List, Optional, Tuple

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import greenconsole_train as gct  # noqa: E402

STDOUT_LOG = "stdout.log"
STDERR_LOG = "stderr.log"
SUSPEND_FILE = "suspend"
CHILD_FILE = "child.json"
USER_FOLDER = "user"
EMPTY_META = "empty"
TAIL_BYTES = 4096
# A line longer than this is cut: a cloud's own script may print anything, and the regex must stay cheap.
MAX_LINE = 64 * 1024
SIGNALS = {"TERM": signal.SIGTERM, "INT": signal.SIGINT, "HUP": signal.SIGHUP,
           "USR1": signal.SIGUSR1, "USR2": signal.SIGUSR2}
_FIRST_INT = re.compile(r"(\d+)")


def _dotnet_to_python_regex(rx: str) -> str:
    # The controller validates .NET syntax; named groups are the one common difference.
    return re.sub(r"\(\?<([A-Za-z_][A-Za-z0-9_]*)>", r"(?P<\1>", rx)


class Steps:
    """Step lines found in the output or the metrics file, handed to the main loop (which owns progress.jsonl)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: List[Tuple[int, Optional[float], Optional[int]]] = []
        self.last_step: Optional[int] = None

    def add(self, step: int, loss: Optional[float], epoch: Optional[int]) -> None:
        with self._lock:
            self._items.append((step, loss, epoch))
            self.last_step = step

    def take(self) -> List[Tuple[int, Optional[float], Optional[int]]]:
        with self._lock:
            items, self._items = self._items, []
            return items


def _match_step(regex: Optional["re.Pattern[str]"], line: str) -> Optional[Tuple[int, Optional[float], Optional[int]]]:
    if regex is None:
        return None
    m = regex.search(line)
    if not m:
        return None
    try:
        step = int(m.group("step"))
    except (IndexError, ValueError, TypeError):
        return None
    groups = m.groupdict()
    loss = epoch = None
    try:
        loss = float(groups["loss"]) if groups.get("loss") else None
    except ValueError:
        pass
    try:
        epoch = int(groups["epoch"]) if groups.get("epoch") else None
    except ValueError:
        pass
    return step, loss, epoch


def _pump(stream, path: str, tail: deque, steps: Steps, regex) -> None:
    """Copies one output stream to its log, keeps its tail and reports step lines."""
    pending = b""
    with open(path, "ab") as log:
        while True:
            chunk = stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536)
            if not chunk:
                break
            log.write(chunk)
            log.flush()
            tail.extend(chunk)
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                found = _match_step(regex, line[:MAX_LINE].decode("utf-8", "replace"))
                if found:
                    steps.add(*found)
            if len(pending) > MAX_LINE:
                pending = pending[-MAX_LINE:]
        if pending:
            found = _match_step(regex, pending[:MAX_LINE].decode("utf-8", "replace"))
            if found:
                steps.add(*found)


class MetricsTail:
    """Reads new complete lines of a JSONL or CSV metrics file the script appends to."""

    def __init__(self, path: Optional[str]) -> None:
        self.path = path
        self.offset = 0
        self.header: Optional[List[str]] = None

    def read(self, steps: Steps) -> None:
        if not self.path:
            return
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read(4 * 1024 * 1024)
        except FileNotFoundError:
            return
        end = data.rfind(b"\n")
        if end < 0:
            return
        self.offset += end + 1
        for raw in data[:end].split(b"\n"):
            line = raw.decode("utf-8", "replace").strip()
            if not line:
                continue
            row = self._row(line)
            if row is None:
                continue
            try:
                step = int(row.get("step"))
            except (TypeError, ValueError):
                continue
            loss = epoch = None
            try:
                loss = float(row["loss"]) if row.get("loss") not in (None, "") else None
            except (TypeError, ValueError):
                pass
            try:
                epoch = int(row["epoch"]) if row.get("epoch") not in (None, "") else None
            except (TypeError, ValueError):
                pass
            steps.add(step, loss, epoch)

    def _row(self, line: str) -> Optional[Dict[str, Any]]:
        if line.startswith("{"):
            try:
                row = json.loads(line)
            except ValueError:
                return None
            return row if isinstance(row, dict) else None
        cells = [c.strip() for c in line.split(",")]
        if self.header is None:
            self.header = cells
            return None
        return dict(zip(self.header, cells))


def _user_checkpoints(folder: str, pattern: str) -> List[Tuple[int, str]]:
    """(step, name) of every complete-looking checkpoint entry, newest step first."""
    import fnmatch

    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return []
    found = []
    for name in names:
        if name.startswith(".") or name.endswith((".tmp", ".partial", ".part")) or not fnmatch.fnmatch(name, pattern):
            continue
        m = _FIRST_INT.search(name)
        if not m:
            continue
        full = os.path.join(folder, name)
        if os.path.islink(full):
            continue
        found.append((int(m.group(1)), name))
    found.sort(reverse=True)
    return found


def _complete(full: str) -> bool:
    """A torch zip checkpoint is complete only with its central directory; other files and folders count as written."""
    if os.path.isdir(full):
        return True
    try:
        with open(full, "rb") as f:
            head = f.read(4)
        if head == b"PK\x03\x04":
            with zipfile.ZipFile(full) as z:
                return z.testzip() is None
        return os.path.getsize(full) > 0
    except (OSError, zipfile.BadZipFile):
        return False


def _newest_complete(folder: str, pattern: str, newer_than: int = -1) -> Optional[Tuple[int, str]]:
    for step, name in _user_checkpoints(folder, pattern):
        if step <= newer_than:
            return None
        if _complete(os.path.join(folder, name)):
            return step, name
    return None


class Supervisor:
    def __init__(self, cfg: Dict[str, Any], job: gct.Job) -> None:
        self.cfg = cfg
        self.job = job
        self.mode = cfg["mode"]
        self.project = os.path.expanduser(cfg["project"])
        self.steps = Steps()
        self.stderr_tail: deque = deque(maxlen=TAIL_BYTES)
        self.stdout_tail: deque = deque(maxlen=TAIL_BYTES)
        rx = cfg.get("progress_regex")
        self.regex = re.compile(_dotnet_to_python_regex(rx)) if rx else None
        metrics = cfg.get("metrics_file")
        self.metrics = MetricsTail(os.path.join(self.project, metrics) if metrics else None)
        self.ckpt_folder = os.path.join(self.project, cfg["checkpoint_dir"]) if cfg.get("checkpoint_dir") else None
        self.pattern = cfg.get("checkpoint_pattern") or "*"
        self.child: Optional[subprocess.Popen] = None
        self.suspended = False
        self.start_step = 0

    # ----------------------------------------------------------------- child
    def environment(self) -> Dict[str, str]:
        env = dict(os.environ)
        env.update({k: str(v) for k, v in (self.cfg.get("env") or {}).items()})
        helper = os.path.dirname(os.path.abspath(__file__))
        env["PYTHONPATH"] = helper + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        if self.mode != "protocol":
            # The protocol's variables belong to the supervisor; a script that does not speak it must not act on them.
            for name in (gct.ENV_JOB_DIR, gct.ENV_CHECKPOINT_DIR, gct.ENV_RESUME, gct.ENV_STANDBY):
                env.pop(name, None)
        return env

    def launch(self, command: str) -> None:
        self.child = subprocess.Popen(["/bin/sh", "-c", command], cwd=self.project, env=self.environment(),
                                      stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      start_new_session=True)
        gct._write_file_atomic(os.path.join(self.job.job_dir, CHILD_FILE),
                               gct._json_bytes({"pid": self.child.pid, "pgid": self.child.pid, "command": "hidden"}))
        self.pumps = [
            threading.Thread(target=_pump, args=(self.child.stdout, os.path.join(self.job.job_dir, STDOUT_LOG),
                                                 self.stdout_tail, self.steps, self.regex), daemon=True),
            threading.Thread(target=_pump, args=(self.child.stderr, os.path.join(self.job.job_dir, STDERR_LOG),
                                                 self.stderr_tail, self.steps, None), daemon=True),
        ]
        for p in self.pumps:
            p.start()

    def signal_group(self, sig: int) -> None:
        if self.child is None:
            return
        try:
            os.killpg(self.child.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def group_running(self) -> bool:
        """Any live (not zombie) process left in the command's process group.

        The shell that runs the command may die of a SIGTERM its script ignores: the script then still runs, so the
        shell's exit says nothing. /proc tells; a zombie waiting for a reaper no longer runs anything.
        """
        if self.child is None:
            return False
        self.child.poll()
        pgid = self.child.pid
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % entry, "rb") as f:
                    raw = f.read().decode("ascii", "replace")
            except OSError:
                continue
            fields = raw[raw.rfind(")") + 2:].split()
            if len(fields) > 2 and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
                return True
        return False

    def wait_group(self, seconds: float) -> bool:
        """True when the whole process group ended within the time."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not self.group_running():
                return True
            self.flush_progress()
            time.sleep(0.05)
        return not self.group_running()

    def kill_group(self) -> None:
        self.signal_group(signal.SIGKILL)
        self.wait_group(10)

    def finish_output(self) -> None:
        for p in self.pumps:
            p.join(timeout=10)
        self.metrics.read(self.steps)
        self.flush_progress()

    def flush_progress(self) -> None:
        self.metrics.read(self.steps)
        for step, loss, epoch in self.steps.take():
            self.job.log_progress(step, loss=loss, epoch=epoch)

    # ----------------------------------------------------------------- suspend (command mode's pause)
    def honour_suspend(self) -> None:
        want = os.path.exists(os.path.join(self.job.job_dir, SUSPEND_FILE))
        marker = os.path.join(self.job.job_dir, gct.SUSPENDED_FILE)
        if want and not self.suspended:
            self.signal_group(signal.SIGSTOP)
            self.suspended = True
            gct._write_file_atomic(marker, b"1\n")
            self.job.log_event("suspended", step=self.steps.last_step or self.start_step)
        elif not want and self.suspended:
            self.signal_group(signal.SIGCONT)
            self.suspended = False
            try:
                os.remove(marker)
            except FileNotFoundError:
                pass
            self.job.log_event("continued", step=self.steps.last_step or self.start_step)

    def stop_requested(self) -> bool:
        return self.job._signal_received is not None or os.path.exists(os.path.join(self.job.job_dir, gct.STOP_FILE))

    # ----------------------------------------------------------------- modes
    def restore(self) -> Tuple[int, Optional[str], Optional[str]]:
        """GC_RESUME=1: the verified checkpoint's files back into the script's folder; (step, protocol name, path)."""
        ckpt = self.job.require_checkpoint()
        meta = (ckpt.manifest or {}).get("meta") or {}
        if meta.get(EMPTY_META):
            return 0, ckpt.name, None
        name = meta.get("user_checkpoint")
        src = os.path.join(ckpt.path, USER_FOLDER, str(name))
        if not name or "/" in str(name) or not os.path.exists(src):
            raise gct.CheckpointError("%s holds no user checkpoint %r" % (ckpt.name, name))
        os.makedirs(self.ckpt_folder, exist_ok=True)
        dst = os.path.join(self.ckpt_folder, name)
        if os.path.isdir(src):
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(src, dst, symlinks=False)
        else:
            tmp = dst + ".gc-restore.tmp"
            shutil.copyfile(src, tmp)
            os.replace(tmp, dst)
        return ckpt.step, ckpt.name, dst

    def run(self) -> int:
        command = self.cfg["command"]
        resumed_from = None
        if self.mode == "own-checkpoint":
            if not self.job.wait_for_go():
                return gct.EXIT_OK
            if self.job.resume:
                self.start_step, resumed_from, path = self.restore()
                if path is not None:
                    command = command + " " + self.cfg["resume_args"].replace("{checkpoint}", shlex.quote(path))
        self.job.start(step=self.start_step, resumed_from=resumed_from, mode=self.mode, supervisor="greenconsole_run")
        self.launch(command)
        while True:
            rc = self.child.poll()
            if rc is not None:
                return self.ended(rc)
            self.flush_progress()
            if self.stop_requested():
                if self.suspended:
                    self.signal_group(signal.SIGCONT)
                return self.stop()
            self.honour_suspend()
            time.sleep(0.1)

    def ended(self, rc: int) -> int:
        self.finish_output()
        last = self.steps.last_step if self.steps.last_step is not None else self.start_step
        if rc == 0:
            # What "the result" is for a script GreenConsole does not know: its newest checkpoint, else its stdout.
            newest = _newest_complete(self.ckpt_folder, self.pattern) if self.ckpt_folder else None
            result = os.path.join(self.ckpt_folder, newest[1]) if newest else os.path.join(self.job.job_dir, STDOUT_LOG)
            digest = gct.sha256_file(result) if os.path.isfile(result) else gct.sha256_file(os.path.join(self.job.job_dir, STDOUT_LOG))
            self.job.mark_done(last, metrics={}, final_weights_sha256=digest, mode=self.mode,
                               result=os.path.basename(result))
            return gct.EXIT_OK
        return self.failed(rc, "the command exited with status %d" % rc)

    def failed(self, rc: int, why: str) -> int:
        tail = bytes(self.stderr_tail).decode("utf-8", "replace")
        gct._write_file_atomic(os.path.join(self.job.job_dir, gct.EXIT_FILE),
                               gct._json_bytes({"exit_code": rc, "reason": why, "stderr_tail": tail,
                                                "last_step": self.steps.last_step, "ts": gct.utc_now_iso()}))
        self.job.log_event("exited", step=self.steps.last_step or self.start_step, exit_code=rc)
        self.job.close()
        return rc if 0 < rc < 256 else gct.EXIT_FAILURE

    def stop(self) -> int:
        self.job._stop_reason = ("signal %d" % self.job._signal_received) if self.job._signal_received is not None else "stop file"
        timeout = float(self.cfg.get("stop_timeout_s") or 60)
        killed = False
        if self.mode == "own-checkpoint" and self.cfg.get("stop") == "next-checkpoint":
            newest = _newest_complete(self.ckpt_folder, self.pattern)
            floor = newest[0] if newest else -1
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.child.poll() is None:
                if _newest_complete(self.ckpt_folder, self.pattern, newer_than=floor):
                    break
                self.flush_progress()
                time.sleep(0.1)
            else:
                killed = self.group_running()
            self.signal_group(signal.SIGTERM)
            if not self.wait_group(5):
                self.kill_group()
        else:
            sig = SIGNALS.get(str(self.cfg.get("stop_signal") or "TERM"), signal.SIGTERM)
            self.signal_group(sig)
            if not self.wait_group(timeout):
                killed = True
                self.kill_group()
        self.child.wait()
        self.finish_output()
        last = self.steps.last_step if self.steps.last_step is not None else self.start_step
        if killed:
            self.job._stop_reason = "killed after ignoring the stop request for %g s" % timeout
            self.job.log_event("killed", step=last, reason=self.job._stop_reason)
        if self.mode != "own-checkpoint":
            # A command has no checkpoint: a stop ends it (the controller cancels; it never moves one).
            return self.failed(143, "stopped on request" + (" (killed after %g s)" % timeout if killed else ""))
        found = _newest_complete(self.ckpt_folder, self.pattern)
        previous = self.job.latest_checkpoint(verify=False)
        if found is None or (previous is not None and found[0] <= previous.step and previous.step > 0):
            # Nothing newer than what the job resumed from: that checkpoint is still the one to resume.
            ckpt = previous if previous is not None else self.job.save_checkpoint(0, lambda d: None, {EMPTY_META: True})
        else:
            step, name = found
            src = os.path.join(self.ckpt_folder, name)

            def writer(directory: str) -> None:
                dst = os.path.join(directory, USER_FOLDER, name)
                os.makedirs(os.path.dirname(dst))
                if os.path.isdir(src):
                    shutil.copytree(src, dst, symlinks=False)
                else:
                    shutil.copyfile(src, dst)

            ckpt = self.job.save_checkpoint(step, writer, {"user_checkpoint": name, "mode": self.mode})
        lost = max(0, last - ckpt.step)
        self.job.mark_stopped(ckpt.step, ckpt, lost_steps=lost, last_step=last, killed=killed,
                              user_checkpoint=(ckpt.manifest or {}).get("meta", {}).get("user_checkpoint"))
        return gct.EXIT_OK


class ProtocolSupervisor(Supervisor):
    """The script speaks the protocol itself: keep its output, forward a stop signal, report a crash's stderr."""

    def run(self) -> int:
        self.launch(self.cfg["command"])
        while True:
            rc = self.child.poll()
            if rc is not None:
                for p in self.pumps:
                    p.join(timeout=10)
                marked = any(os.path.exists(os.path.join(self.job.job_dir, m)) for m in (gct.STOPPED_FILE, gct.DONE_FILE))
                if rc == 0 or marked:
                    return rc
                return self.failed(rc, "the script exited with status %d" % rc)
            if self.job._signal_received is not None:
                self.signal_group(signal.SIGTERM)
                self.job._signal_received = None
            time.sleep(0.1)

    def failed(self, rc: int, why: str) -> int:
        tail = bytes(self.stderr_tail).decode("utf-8", "replace")
        gct._write_file_atomic(os.path.join(self.job.job_dir, gct.EXIT_FILE),
                               gct._json_bytes({"exit_code": rc, "reason": why, "stderr_tail": tail, "ts": gct.utc_now_iso()}))
        return rc if 0 < rc < 256 else gct.EXIT_FAILURE


def load_config(path: str) -> Dict[str, Any]:
    with open(path, "r", encoding="utf-8") as f:
        cfg = json.load(f)
    os.remove(path)
    if not isinstance(cfg, dict) or cfg.get("mode") not in ("protocol", "own-checkpoint", "command"):
        raise gct.ConfigError("%s: mode must be protocol, own-checkpoint or command" % path)
    for key in ("project", "command"):
        if not isinstance(cfg.get(key), str) or not cfg[key]:
            raise gct.ConfigError("%s: %s is missing" % (path, key))
    if cfg["mode"] == "own-checkpoint" and not (cfg.get("checkpoint_dir") and cfg.get("resume_args")):
        raise gct.ConfigError("%s: own-checkpoint mode needs checkpoint_dir and resume_args" % path)
    return cfg


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) != 1:
        print("usage: greenconsole_run.py RUN_JSON", file=sys.stderr)
        return gct.EXIT_CONFIG
    try:
        cfg = load_config(argv[0])
        job = gct.Job.from_env()
        if not os.path.isdir(os.path.expanduser(cfg["project"])):
            raise gct.ConfigError("project folder %s does not exist on this cloud" % cfg["project"])
    except (OSError, ValueError, gct.ConfigError) as e:
        print("greenconsole_run: %s" % e, file=sys.stderr)
        return gct.EXIT_CONFIG
    job.install_signal_handlers()
    supervisor = ProtocolSupervisor(cfg, job) if cfg["mode"] == "protocol" else Supervisor(cfg, job)
    try:
        return supervisor.run()
    except gct.CheckpointError as e:
        print("greenconsole_run: %s" % e, file=sys.stderr)
        supervisor.stderr_tail.extend(str(e).encode("utf-8", "replace"))
        supervisor.failed(gct.EXIT_NO_CHECKPOINT, str(e))
        return gct.EXIT_NO_CHECKPOINT
    except BaseException:
        supervisor.signal_group(signal.SIGKILL)
        raise


if __name__ == "__main__":
    sys.exit(main())
