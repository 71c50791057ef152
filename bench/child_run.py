"""What the remote-source benches (bench/google.py, bench/microsoft.py) share: the
syncd child that backfills once and syncs again with nothing new, its control channel
to the fake in the parent (the fake's counters before and after each phase), and the
figures' formatting.
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from multiprocessing.connection import Client, Listener
from pathlib import Path
from typing import Any

import resync_bench as rb

DOMAIN = rb.OWNER.split("@", 1)[1]


@dataclass
class Run:
    """One worker child: its measurement and what it reported."""

    seconds: float
    peak_rss: int
    report: dict[str, Any]


def difference(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """What happened between two snapshots."""
    found: dict[str, Any] = {}
    for key, value in after.items():
        if isinstance(value, dict):
            found[key] = {k: v - before[key].get(k, 0) for k, v in value.items()
                          if v - before[key].get(k, 0)}
        else:
            found[key] = value - before[key]
    return found


def serve_control(listener: Listener, counters: Callable[[], dict[str, Any]]) -> None:
    """Answer ``"counters"`` (the fake's, from ``counters()``) to worker children until
    the listener is closed."""
    while True:
        try:
            conn = listener.accept()
        except OSError:
            return
        with conn, suppress(EOFError, OSError):
            while True:
                if conn.recv() == "counters":
                    conn.send(counters())


def worker(config_path: Path, source_name: str, profile: Path | None, *, control_env: str,
           authkey_env: str) -> int:
    """In the child: backfill, then a no-change run; prints one JSON line. With
    ``profile`` the backfill runs under cProfile, whose stats are dumped there."""
    from syncd.app import App
    from syncd.configfile import load_config
    from syncd.runner import run_source

    host, port = os.environ[control_env].rsplit(":", 1)
    control = Client((host, int(port)), authkey=bytes.fromhex(os.environ[authkey_env]))

    def counters() -> dict[str, Any]:
        control.send("counters")
        answer: dict[str, Any] = control.recv()
        return answer

    app = App(load_config(config_path))
    app.upgrade()
    source = app.config.source(source_name)
    report: dict[str, Any] = {}
    try:
        for phase in ("backfill", "no_change"):
            before = counters()
            profiler = cProfile.Profile() if profile and phase == "backfill" else None
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            result = run_source(app, source)
            seconds = time.perf_counter() - started
            if profiler:
                profiler.disable()
                profiler.dump_stats(str(profile))
            stats = result.stats
            report[phase] = {
                "seconds": seconds, "status": result.status, "error": result.error,
                "full": result.full, "messages": stats.messages,
                "new_interactions": stats.new_interactions, "skipped": stats.skipped,
                "quarantined": stats.quarantined, "new_contacts": stats.new_contacts,
                "new_accounts": stats.new_accounts, "skip_reasons": stats.skip_reasons,
                "requests": difference(counters(), before)}
    finally:
        app.close()
        control.close()
    report["vm_hwm"] = own_peak_rss()
    print(json.dumps(report))
    return 0


def own_peak_rss() -> int:
    """This process's peak RSS since its exec (``VmHWM``), in bytes; 0 off Linux.

    Not ``ru_maxrss``: the kernel seeds that at exec with the high-water mark of the
    process that forked us, here the benchmark holding the whole fake mailbox.
    """
    with suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def write_config(workdir: Path, name: str, url: str, source: dict[str, Any]) -> Path:
    """A syncd config with one source; JSON is valid YAML, so paths are safe."""
    data = {"database": {"url": url}, "team": {"internal_domains": [DOMAIN]},
            "sources": [source]}
    path = workdir / f"{name}.yaml"
    path.write_text(json.dumps(data, indent=2))
    return path


def print_profile(label: str, path: Path, top: int = 25) -> None:
    """The backfill's top costs by own time, then by cumulative time (cProfile slows
    the run, so the profiled run's figures are not the benchmark's)."""
    for order in ("tottime", "cumulative"):
        text = io.StringIO()
        pstats.Stats(str(path), stream=text).sort_stats(order).print_stats(top)
        body = text.getvalue()
        print(f"\n== profile of {label} backfill, by {order} ==")
        print(body[body.find("   ncalls"):].rstrip())


def span(values: Sequence[float], fmt: str) -> str:
    """``a`` or ``a - b``."""
    low, high = min(values), max(values)
    if format(low, fmt) == format(high, fmt):
        return format(low, fmt)
    return f"{format(low, fmt)} - {format(high, fmt)}"
