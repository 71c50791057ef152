#!/usr/bin/env python3
"""A no-change sync timed inside a running process, as the daemon pays it.

Usage (run by ``imap_bench.py`` after a full resync of the same config)::

    python bench/imap_no_change.py CONFIG [--runs 7]

A CLI run's figure is mostly interpreter start and imports; the daemon has paid
those once, so what a scheduled sync of an unchanged source costs is ``run_source``
on an open ``App``: lease, run record, the folder list and one STATUS per folder on
the connection kept from the run before (``syncd/kept.py``), the cursor. Then the
same runs again with nothing kept, each signing in (TCP, TLS, LOGIN): what the first
run after a start costs, or every run of a source synced less often than the server
keeps an idle connection. The first run of each kind is a warm-up (it loads what the
process has not yet imported, or signs in); medians and minimums are printed as
JSON, in milliseconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# not bench/ itself, whose google.py would shadow Google's package
sys.path.remove(str(Path(__file__).resolve().parent))

from syncd.app import App
from syncd.configfile import load_config
from syncd.runner import run_source


def main(argv: Sequence[str] | None = None) -> int:
    """Time ``--runs`` incremental syncs of every source in the config."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("config", type=Path)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    app = App(load_config(args.config))
    app.upgrade()
    try:
        kept = timed_runs(app, args.runs)
        app.kept.close()  # from here on each run signs in and logs out
        signing_in = timed_runs(app, args.runs)
    finally:
        app.close()
    print(json.dumps({"median_ms": _ms(statistics.median(kept)), "min_ms": _ms(min(kept)),
                      "runs": len(kept),
                      "signing_in_median_ms": _ms(statistics.median(signing_in)),
                      "signing_in_min_ms": _ms(min(signing_in))}))
    return 0


def timed_runs(app: App, runs: int) -> list[float]:
    """Seconds of each of ``runs`` no-change syncs of every source, after a warm-up."""
    timings: list[float] = []
    for _ in range(runs + 1):
        for source in app.config.sources:
            started = time.perf_counter()
            result = run_source(app, source)
            timings.append(time.perf_counter() - started)
            if result.status != "ok" or result.stats.messages:
                raise SystemExit(f"{source.name}: not a no-change run: {result.status} "
                                 f"{result.error or ''} {result.stats.messages} read")
    return timings[len(app.config.sources):]


def _ms(seconds: float) -> float:
    return round(1000 * seconds, 1)


if __name__ == "__main__":
    sys.exit(main())
