"""``syncd run`` processes for ``bench/daemon.py``: started, watched, stopped.

Each daemon runs in the work directory with its output in ``daemon-N.log`` (a file, not
a pipe: fifty sources log a line a run, and a full pipe would stall the daemon). With
``events`` it runs as ``bench/scheduler_probe.py`` (the same daemon, plus a listener
that writes the scheduler's job events there), else as ``python -m syncd``.
:meth:`Daemons.stop` sends SIGTERM and waits; leaving the context kills whatever is
still running, so no daemon outlives the bench.
"""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import psutil

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
STOP_SECONDS = 20


def environment(extra: dict[str, str]) -> dict[str, str]:
    """This environment, the checkout first on ``PYTHONPATH``, plus ``extra``."""
    path = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p)
    # ``syncd run`` refuses root unless told; a bench machine's user may be root
    root = {"SYNCD_ALLOW_ROOT": "1"} if os.geteuid() == 0 else {}
    return {**os.environ, "PYTHONPATH": path, "COLUMNS": "200", **root, **extra}


def upgrade(config: Path, env: dict[str, str]) -> None:
    """``syncd db upgrade``, in this process (a child's start-up would cost seconds):
    done once before the daemons start, so several never migrate one database at
    once."""
    from syncd.app import App
    from syncd.configfile import load_config

    saved = dict(os.environ)
    os.environ.update(env)  # the ${VAR}s the file names
    try:
        app = App(load_config(config))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    try:
        app.upgrade()
    finally:
        app.close()


def peak_rss(pid: int) -> int:
    """``VmHWM`` of a live process, in bytes (0 when it is gone)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


class Daemons:
    """``count`` daemons on one configuration (a context manager)."""

    def __init__(self, config: Path, count: int, env: dict[str, str],
                 events: Path | None = None) -> None:
        self.config, self.count, self.env, self.events = config, count, env, events
        self.procs: list[subprocess.Popen[bytes]] = []
        self.logs = [config.parent / f"daemon-{n}.log" for n in range(count)]
        self.stopped_at = 0.0

    def __enter__(self) -> Daemons:
        for log in self.logs:
            self.procs.append(self._start(log))
        return self

    def _start(self, log: Path) -> subprocess.Popen[bytes]:
        if self.events is not None:
            argv = [sys.executable, str(BENCH_DIR / "scheduler_probe.py")]
            env = {**self.env, "BENCH_SCHEDULER_EVENTS": str(self.events)}
        else:
            argv, env = [sys.executable, "-m", "syncd"], self.env
        with log.open("wb") as out:
            return subprocess.Popen([*argv, "--config", str(self.config), "run"],
                                    stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, cwd=self.config.parent,
                                    env=env)

    def check_alive(self) -> None:
        for proc, log in zip(self.procs, self.logs, strict=True):
            if proc.poll() is not None:
                raise RuntimeError(f"a daemon exited ({proc.returncode}):\n"
                                   + log.read_text(errors="replace")[-3000:])

    def peak_rss(self) -> list[int]:
        return [peak_rss(proc.pid) for proc in self.procs]

    def cpu_seconds(self) -> float:
        """User and system CPU the live daemons have used so far."""
        total = 0.0
        for proc in self.procs:
            with contextlib.suppress(psutil.Error):
                times = psutil.Process(proc.pid).cpu_times()
                total += times.user + times.system
        return total

    def stop(self) -> list[float]:
        """SIGTERM to each, then wait; returns the seconds each took to exit."""
        asked = time.monotonic()
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        took = []
        for proc in self.procs:
            try:
                proc.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            took.append(time.monotonic() - asked)
        self.stopped_at = time.time()
        return took

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if not self.stopped_at:
            self.stopped_at = time.time()

    def log_text(self) -> str:
        return "".join(log.read_text(errors="replace") for log in self.logs if log.exists())


class Stalled(TimeoutError):
    """Nothing moved for a while: a run seems stuck."""


def wait_until(condition: Callable[[], bool], seconds: float, what: str,
               daemons: Daemons | None = None, *, progress: Callable[[], Any] | None = None,
               stall: float | None = None, poll: float = 0.25) -> float:
    """Poll until ``condition()``; returns when (UNIX seconds) it first held. Raises
    :class:`Stalled` when ``progress()`` has not changed for ``stall`` seconds, and
    TimeoutError after ``seconds``."""
    deadline = time.monotonic() + seconds
    last, moved = None, time.monotonic()
    while time.monotonic() < deadline:
        if daemons is not None:
            daemons.check_alive()
        with contextlib.suppress(Exception):  # tables not made yet, a busy database
            if condition():
                return time.time()
            if progress is not None and (now := progress()) != last:
                last, moved = now, time.monotonic()
        if stall is not None and time.monotonic() - moved > stall:
            raise Stalled(f"nothing moved for {stall:.0f} s while waiting for {what}")
        time.sleep(poll)
    raise TimeoutError(f"timed out after {seconds:.0f} s waiting for {what}")


class CpuMeter:
    """CPU seconds of this process (the fake server's threads) and the machine's busy
    share, from :meth:`start` to :meth:`stop`."""

    def start(self) -> CpuMeter:
        self._own = _own_cpu()
        self._machine = psutil.cpu_times()
        return self

    def stop(self) -> tuple[float, float]:
        """(this process's CPU seconds, the machine's busy share 0..1)."""
        own = _own_cpu() - self._own
        now = psutil.cpu_times()
        total = sum(now) - sum(self._machine)
        idle = (now.idle + getattr(now, "iowait", 0.0)) - (
            self._machine.idle + getattr(self._machine, "iowait", 0.0))
        return own, (1 - idle / total) if total > 0 else 0.0


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
