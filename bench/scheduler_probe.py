#!/usr/bin/env python3
"""``python -m syncd ARGS`` with APScheduler's job events written to a file.

Usage::

    BENCH_SCHEDULER_EVENTS=events.jsonl python bench/scheduler_probe.py --config F run

The daemon is syncd's own code, unchanged: this only registers a listener (APScheduler
3.x's public ``add_listener``) on the scheduler ``syncd run`` starts, then runs the
``syncd`` module as ``python -m syncd`` would. Each job event becomes one JSON line::

    {"event": "submitted" | "executed" | "error" | "max_instances" | "missed",
     "job": SOURCE, "scheduled": [UNIX SECONDS, ...], "at": UNIX SECONDS}

``scheduled`` is when the job was due (its jittered fire time); ``at`` is when the event
was dispatched: for ``submitted`` the moment the scheduler thread handed the job to
its thread pool, for ``executed`` the moment the job's function (``Daemon.tick``)
returned. syncd sets the ``apscheduler`` loggers to warnings, and their lines do not
name the job's source, so the log cannot give these times.
"""

from __future__ import annotations

import json
import os
import runpy
import sys
import threading
import time
from pathlib import Path
from typing import Any

EVENTS_ENV = "BENCH_SCHEDULER_EVENTS"
BENCH_DIR = Path(__file__).resolve().parent


def listen(path: Path) -> None:
    """Every ``BackgroundScheduler`` started from now on reports its job events to
    ``path``."""
    from apscheduler import events
    from apscheduler.schedulers.background import BackgroundScheduler

    names = {events.EVENT_JOB_SUBMITTED: "submitted", events.EVENT_JOB_EXECUTED: "executed",
             events.EVENT_JOB_ERROR: "error", events.EVENT_JOB_MAX_INSTANCES: "max_instances",
             events.EVENT_JOB_MISSED: "missed"}
    out = path.open("a", encoding="utf-8", buffering=1)
    lock = threading.Lock()

    def record(event: Any) -> None:
        times = getattr(event, "scheduled_run_times", None) or [event.scheduled_run_time]
        line = json.dumps({"event": names[event.code], "job": event.job_id,
                           "scheduled": [t.timestamp() for t in times], "at": time.time()})
        with lock:
            out.write(line + "\n")

    start = BackgroundScheduler.start

    def start_listened(self: Any, *args: Any, **kwargs: Any) -> Any:
        mask = 0
        for code in names:
            mask |= code
        self.add_listener(record, mask)
        return start(self, *args, **kwargs)

    BackgroundScheduler.start = start_listened


def main() -> None:
    # bench/ off the path (bench/google.py would shadow Google's package), the
    # checkout on it
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
    sys.path.insert(0, str(BENCH_DIR.parent))
    listen(Path(os.environ[EVENTS_ENV]))
    sys.argv = ["syncd", *sys.argv[1:]]
    runpy.run_module("syncd", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
