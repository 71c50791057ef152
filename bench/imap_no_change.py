#!/usr/bin/env python3
"""A no-change sync timed inside a running process, as the daemon pays it.

Usage (run by ``imap_bench.py`` after a full resync of the same config)::

    python bench/imap_no_change.py CONFIG [--runs 7]

A CLI run's figure is mostly interpreter start and imports; the daemon has paid
those once, so what a scheduled sync of an unchanged source costs is ``run_source``
on an open ``App``: lease, run record, the connector's login and one STATUS per
folder, the cursor. The first run is a warm-up (it loads what the process has not
yet imported); the median of the rest is printed as JSON, in milliseconds.
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
    timings: list[float] = []
    try:
        for _ in range(args.runs + 1):
            for source in app.config.sources:
                started = time.perf_counter()
                result = run_source(app, source)
                timings.append(time.perf_counter() - started)
                if result.status != "ok" or result.stats.messages:
                    raise SystemExit(f"{source.name}: not a no-change run: {result.status} "
                                     f"{result.error or ''} {result.stats.messages} read")
    finally:
        app.close()
    rest = timings[len(app.config.sources):]
    print(json.dumps({"median_ms": round(1000 * statistics.median(rest), 1),
                      "min_ms": round(1000 * min(rest), 1), "runs": len(rest)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
