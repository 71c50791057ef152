#!/usr/bin/env python3
"""The daemon under load: many sources in one ``syncd run``, then several processes
sharing one PostgreSQL database.

Usage::

    python bench/daemon.py [--sources 50] [--messages 100] [--interval 10]
                           [--duration 60] [--live 1] [--db postgres|sqlite]
                           [--scale-sources 40] [--scale-messages 150]
                           [--latency 0.05] [--page-size 10] [--processes 1,2,4]
                           [--only fleet|scale|both] [--timeout 300] [--stall 30]
                           [--seed 1] [--keep]

Both cases read Outlook mailboxes (``outlook_mail``, app-only) from the wire-level
fake Microsoft Graph (``tests/fake_microsoft.py``) on 127.0.0.1, which serves them
from threads of this process; every mailbox holds ``bench/gen_mailbox.py``'s mail,
its ids made its own (``bench/outlook_fleet.py``). Each daemon is a real
``syncd run`` subprocess; every figure comes from its database records, its
scheduler's job events and ``/proc``.

**Fleet** (one process): ``--sources`` sources, each every ``--interval`` seconds,
with ``--messages`` messages each to backfill. Once every source has finished its
first run, new messages arrive for ``--duration`` seconds (``--live`` per source and
interval on average, at random moments and mailboxes); then the bench waits until
each of them is captured and stops the daemon with SIGTERM. It prints:

* scheduler overhead per run: the daemon's time around a run that is not the run's
  own work (connector, pipeline, writes), from the job's fire time to the run's
  ``sync_runs.started_at`` plus from its ``finished_at`` to the job's end, in its
  three parts, and the runs' own time beside it (definitions in
  ``bench/run_records.py``); once over all runs, once over the steady state (jobs due
  after every source's first run, which all fire together). The daemon runs under
  ``bench/scheduler_probe.py``, which only listens to APScheduler's job events;
* peak RSS of the daemon: ``VmHWM`` from ``/proc/PID/status`` just before SIGTERM;
* lag of the messages that arrived while it ran: from the moment the fake had one to
  its ``interactions.created_at``, p50 / p95 / max;
* how long it took to exit after SIGTERM.

**Scale-out**: ``--scale-sources`` sources of ``--scale-messages`` messages whose
server holds every request (a ``$batch`` too) ``--latency`` seconds and answers
pages of at most ``--page-size`` messages, so a run mostly waits on the network.
For each count in ``--processes`` a fresh PostgreSQL database is synced by that
many ``syncd run`` processes at once (interval 1 h: one run per source). It prints
the throughput (messages of the runs over the time from the first run's start to
the last run's end), the speed-up against one process, how the runs split between
the processes (from their logs), and the check from ``sync_runs`` that no source
had two runs under way at once, with the count of duplicate interactions and links.

A run that never ends (no run finishes for ``--stall`` seconds while some source has
none) is reported with its source's state and lease, and counts as a failure; the
bench goes on. "CPU s daemons" counts the ``syncd run`` processes, not the reader
processes they fork for a backfill.

Targets (issue 7): peak RSS under 300 MB with 50 sources; p95 lag under two
intervals; throughput at least 1.8x with 2 processes and 3x with 4. The bench
exits 1 when a correctness check fails (a failed run, a message never captured, an
overlap, a duplicate); a missed target is printed as MISSED.
"""

from __future__ import annotations

import sys
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
# bench/ last on the path: first, bench/google.py would shadow Google's package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
sys.path.insert(0, str(REPO_ROOT))
sys.path.append(str(BENCH_DIR))

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any  # noqa: E402

import microsoft  # noqa: E402  (bench/microsoft.py; it takes bench/ off the path again)

sys.path.append(str(BENCH_DIR))
import outlook_fleet as of  # noqa: E402
import resync_bench as rb  # noqa: E402
import run_records as rr  # noqa: E402
import syncd_processes as sp  # noqa: E402

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]

MB = 1024 * 1024
TARGET_RSS_MB = 300
TARGET_LAG_INTERVALS = 2
TARGET_SPEEDUP = {2: 1.8, 4: 3.0}
SCALE_EVERY = "1h"
FINE = frozenset({"ok", "interrupted"})
"""Run results that are no failure (SIGTERM interrupts a run that was under way)."""
RUN_LINE = re.compile(r"(box-\d+): (\w+); (\d+) messages")


def row(name: str, value: str, target: str = "(info)", ok: bool | None = None) -> None:
    verdict = "" if ok is None else ("met" if ok else "MISSED")
    print(f"{name:<44}{value:>34}  target {target:<20}{verdict}".rstrip())


def write_config(directory: Path, url: str, sources: list[dict[str, Any]]) -> Path:
    """A syncd config (JSON is YAML) in its own directory."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "syncd.yaml"
    path.write_text(json.dumps({"database": {"url": url},
                                "team": {"internal_domains": [of.DOMAIN]},
                                "logging": {"level": "info"}, "sources": sources}, indent=1))
    return path


def every_source_ran(db: Any, names: Sequence[str], *, failed_too: bool = False) -> bool:
    """Each source has a finished run that did not fail (or, ``failed_too``, any
    finished run)."""
    done = {run.source for run in rr.runs(db) if run.finished is not None
            and (failed_too or run.status in FINE)}
    return done >= set(names)


def wait_for_runs(db: Any, names: Sequence[str], daemons: sp.Daemons,
                  args: argparse.Namespace, what: str, *, failed_too: bool = False
                  ) -> tuple[float, list[str]]:
    """When every source had a run (see :func:`every_source_ran`), and the sources
    still without one when no run has ended for ``--stall`` seconds (a run stuck)."""
    def finished() -> int:
        return sum(1 for run in rr.runs(db) if run.finished is not None)
    try:
        return sp.wait_until(lambda: every_source_ran(db, names, failed_too=failed_too),
                             args.timeout, what, daemons, progress=finished,
                             stall=args.stall), []
    except sp.Stalled as exc:
        stuck = rr.stuck(db, names)
        print("\n".join([f"STUCK: {exc}; sources without a finished run:", *stuck]))
        return time.time(), stuck


# --------------------------------------------------------------------------- fleet


def deliver_live(fleet: of.Fleet, args: argparse.Namespace, daemons: sp.Daemons,
                 rng: random.Random) -> list[of.Delivered]:
    """New messages for ``--duration`` seconds, ``--live`` per source and interval on
    average, each to a random mailbox at a random moment (exponential gaps)."""
    rate = args.live * args.sources / args.interval  # messages per second
    end = time.monotonic() + args.duration
    delivered = []
    while True:
        pause = rng.expovariate(rate)
        if time.monotonic() + pause >= end:
            break
        time.sleep(pause)
        delivered.append(fleet.deliver(rng.choice(fleet.names)))
        daemons.check_alive()
    time.sleep(max(0.0, end - time.monotonic()))
    return delivered


@dataclass
class FleetResult:
    runs: list[rr.Run]
    paired: list[rr.Paired]
    unpaired: int
    lags: list[float]
    missing: int
    rss: int
    stop_seconds: float
    backfill_seconds: float
    backfilled: float  # when every source's first run was done
    delivered: int
    stuck: list[str]  # sources whose first run never ended


def fleet_case(args: argparse.Namespace, pool: list[tuple[bytes, str]],
               workdir: Path) -> bool:
    directory = workdir / "fleet"
    with rb.database(args.db, workdir, args.keep) as database, \
            of.Fleet(args.sources, pool[:args.messages]) as fleet:
        sources = [fleet.source(name, f"{args.interval}s") for name in fleet.names]
        config = write_config(directory, database.url, sources)
        env = sp.environment({microsoft.SECRET_ENV: fleet.secret})
        sp.upgrade(config, env)
        db = rr.engine(database.url)
        try:
            result = run_fleet(args, fleet, config, env=env, db=db,
                               events=directory / "events.jsonl")
        finally:
            db.dispose()
    return print_fleet(args, result)


def run_fleet(args: argparse.Namespace, fleet: of.Fleet, config: Path, *,
              env: dict[str, str], db: Any, events: Path) -> FleetResult:
    rng = random.Random(f"{args.seed}/live")
    with sp.Daemons(config, 1, env, events) as daemons:
        started = time.time()
        backfilled, stuck = wait_for_runs(db, fleet.names, daemons, args,
                                          "every source's first run")
        delivered = deliver_live(fleet, args, daemons, rng)
        keys = {d.key for d in delivered}
        try:
            sp.wait_until(lambda: len(rr.captured_at(db, keys)) == len(keys),
                          3 * args.interval + 30, "every new message captured", daemons)
        except TimeoutError as exc:
            print(f"WARNING: {exc}")
        rss, = daemons.peak_rss()
        took, = daemons.stop()
    captured = rr.captured_at(db, keys)
    lags = [captured[d.key] - d.arrived for d in delivered if d.key in captured]
    found = rr.runs(db)
    paired, unpaired = rr.pair(found, rr.jobs(events))
    return FleetResult(found, paired, unpaired, lags, len(keys) - len(captured), rss, took,
                       backfilled - started, backfilled, len(delivered), stuck)


def print_fleet(args: argparse.Namespace, result: FleetResult) -> bool:
    runs = result.runs
    failed = [f"{run.source} {run.status}: {run.error}" for run in runs
              if run.status not in FINE]
    lag_target = TARGET_LAG_INTERVALS * args.interval
    print(f"\n== fleet: {args.sources} sources every {args.interval} s in one syncd run, "
          f"{args.db} ==")
    row("runs", f"{len(runs):,}")
    row("messages read by the runs", f"{sum(run.messages for run in runs):,}")
    row("every source's first run done after s", f"{result.backfill_seconds:.1f}")
    steady = [p for p in result.paired if p.fired >= result.backfilled]
    for title, paired in (("all runs", result.paired), ("steady state", steady)):
        row(f"scheduler overhead per run ({title}), ms",
            rr.spread([p.overhead for p in paired], 1000))
        row("  due -> handed to the thread pool, ms", rr.spread([p.late for p in paired], 1000))
        row("  handed to the pool -> run start, ms", rr.spread([p.queued for p in paired], 1000))
        row("  run end -> job end, ms", rr.spread([p.after for p in paired], 1000))
        row(f"  runs ({len(paired)}): own work, ms", rr.spread([p.work for p in paired], 1000))
    row("jobs without a run (held, busy)", f"{result.unpaired}")
    row("peak RSS MB (VmHWM of the daemon)", f"{result.rss / MB:.0f}",
        f"< {TARGET_RSS_MB}", result.rss / MB < TARGET_RSS_MB)
    row(f"lag s of {result.delivered} new messages", rr.spread(result.lags, 1, 1))
    p95 = rr.percentile(result.lags, 0.95)
    row("p95 lag s", f"{p95:.1f}", f"< {lag_target} (2 x every)", p95 < lag_target)
    row("new messages never captured", f"{result.missing}", "== 0", result.missing == 0)
    row("sources stuck in their first run", f"{len(result.stuck)}", "== 0", not result.stuck)
    row("seconds to exit after SIGTERM", f"{result.stop_seconds:.1f}", "< 10",
        result.stop_seconds < 10)
    for failure in failed[:5]:
        print(f"  not ok: {failure}")
    return result.missing == 0 and not failed and not result.stuck and bool(result.lags)


# --------------------------------------------------------------------------- scale-out


@dataclass
class ScaleResult:
    processes: int
    messages: int
    seconds: float
    interactions: int
    runs: int
    overlaps: list[str]
    duplicate_keys: int
    duplicate_links: int
    split: list[int]
    failed: list[str]
    cpu: tuple[float, float, float]  # daemons' CPU s, the fake's CPU s, machine busy share
    stuck: list[str]  # sources whose run never ended

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds > 0 else 0.0


def scale_case(fleet: of.Fleet, processes: int, args: argparse.Namespace,
               workdir: Path) -> ScaleResult:
    directory = workdir / f"scale-{processes}"
    with rb.database("postgres", workdir, args.keep) as database:
        sources = [fleet.source(name, SCALE_EVERY) for name in fleet.names]
        config = write_config(directory, database.url, sources)
        env = sp.environment({microsoft.SECRET_ENV: fleet.secret})
        sp.upgrade(config, env)
        db = rr.engine(database.url)
        try:
            meter = sp.CpuMeter().start()
            with sp.Daemons(config, processes, env) as daemons:
                _, stuck = wait_for_runs(db, fleet.names, daemons, args,
                                         f"every source synced by {processes} process(es)",
                                         failed_too=True)
                daemon_cpu = daemons.cpu_seconds()
                fake_cpu, busy = meter.stop()
                daemons.stop()
            found = rr.runs(db)
            keys, links = rr.duplicates(db)
            interactions = rr.interaction_count(db)
        finally:
            db.dispose()
    split = [sum(1 for match in RUN_LINE.finditer(log.read_text(errors="replace")))
             for log in daemons.logs]
    # from the first run's start to the end of the last run that read messages (a
    # later process may sync a source again and find nothing new)
    ends = [run.finished for run in found if run.finished is not None and run.messages]
    seconds = max(ends) - min(run.started for run in found) if ends else 0.0
    return ScaleResult(processes, sum(run.messages for run in found), seconds, interactions,
                       len(found), rr.overlaps(found, daemons.stopped_at), keys, links, split,
                       [f"{run.source} {run.status}: {run.error}" for run in found
                        if run.status not in FINE], (daemon_cpu, fake_cpu, busy), stuck)


def print_scale(args: argparse.Namespace, results: Sequence[ScaleResult]) -> bool:
    print(f"\n== scale-out: {args.scale_sources} sources x {args.scale_messages} messages, "
          f"{args.latency * 1000:.0f} ms a request, pages of {args.page_size}, "
          "PostgreSQL ==")
    base = results[0].rate if results and results[0].processes == 1 else None
    ok = True
    for result in results:
        row(f"{result.processes} process(es): messages/s",
            f"{result.rate:,.0f} ({result.messages:,} in {result.seconds:.1f} s)")
        if base and result.processes > 1:
            speedup = result.rate / base
            target = TARGET_SPEEDUP.get(result.processes)
            row(f"{result.processes} process(es): speed-up vs 1", f"{speedup:.2f}x",
                f">= {target}x" if target else "(info)",
                speedup >= target if target else None)
        row(f"{result.processes} process(es): runs per process",
            " / ".join(str(n) for n in result.split))
        daemon_cpu, fake_cpu, busy = result.cpu
        row(f"{result.processes} process(es): CPU s daemons / fake server",
            f"{daemon_cpu:.1f} / {fake_cpu:.1f}")
        row(f"{result.processes} process(es): machine CPU busy %", f"{100 * busy:.0f}")
        clean = not (result.overlaps or result.duplicate_keys or result.duplicate_links
                     or result.failed or result.stuck)
        row(f"{result.processes} process(es): sources stuck in a run", f"{len(result.stuck)}",
            "== 0", not result.stuck)
        row(f"{result.processes} process(es): overlaps, duplicates",
            f"{len(result.overlaps)} in {result.runs} runs, {result.duplicate_keys} keys, "
            f"{result.duplicate_links} links", "== 0", clean)
        for clash in result.overlaps[:5]:
            print(f"  overlap: {clash}")
        for failure in result.failed[:5]:
            print(f"  not ok: {failure}")
        ok &= clean
    print("no source synced by two processes at once, no duplicates: "
          + ("yes" if ok else "NO"))
    return ok


def scale_out(args: argparse.Namespace, pool: list[tuple[bytes, str]],
              workdir: Path) -> bool:
    with of.Fleet(args.scale_sources, pool[:args.scale_messages], latency=args.latency,
                  page_size=args.page_size) as fleet:
        results = [scale_case(fleet, count, args, workdir) for count in args.processes]
    return print_scale(args, results)


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=50)
    parser.add_argument("--messages", type=int, default=100, help="per fleet mailbox")
    parser.add_argument("--interval", type=int, default=10, help="seconds (every:)")
    parser.add_argument("--duration", type=float, default=60,
                        help="seconds of new mail after the first runs")
    parser.add_argument("--live", type=float, default=1,
                        help="new messages per source and interval")
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres",
                        help="the fleet's database (scale-out is PostgreSQL)")
    parser.add_argument("--scale-sources", type=int, default=40)
    parser.add_argument("--scale-messages", type=int, default=150, help="per mailbox")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds a request")
    parser.add_argument("--page-size", type=int, default=10, help="messages a page")
    parser.add_argument("--processes", default="1,2,4",
                        type=lambda text: [int(n) for n in text.split(",")])
    parser.add_argument("--only", choices=("fleet", "scale", "both"), default="both")
    parser.add_argument("--timeout", type=float, default=300,
                        help="seconds to wait for every source's run")
    parser.add_argument("--stall", type=float, default=30,
                        help="seconds without a finished run before runs count as stuck")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the work directory and "
                        "databases")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="bench-daemon-"))
    started = time.monotonic()
    ok = True
    try:
        size = max(args.messages if args.only != "scale" else 0,
                   args.scale_messages if args.only != "fleet" else 0)
        pool = of.mail_pool(size, args.seed, workdir)
        if args.only in ("fleet", "both"):
            ok &= fleet_case(args, pool, workdir)
        if args.only in ("scale", "both"):
            ok &= scale_out(args, pool, workdir)
    finally:
        if args.keep:
            print(f"\nkept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print(f"\nbench/daemon.py took {time.monotonic() - started:.0f} s"
          + ("" if ok else "; a correctness check FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
