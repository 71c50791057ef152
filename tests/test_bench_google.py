"""The Google benchmark (bench/google.py) runs end to end at a tiny size and prints
its figures beside their targets; its calendar filler makes the promised mix.

The benchmark is only worth its figures if it runs: this runs it as its users do
(a child, 200 messages and 40 events) and reads the printed table back. It does
not judge the targets, which a tiny mailbox cannot reach (start-up dominates).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.fakes.calendar_store import Calendar

BENCH = Path(__file__).resolve().parents[1] / "bench" / "google.py"
FIGURE = re.compile(r"^(?P<name>.+?)\s{2,}(?P<value>[\d,.]+(?: - [\d,.]+)?)\s+target\s+"
                    r"(?P<target>.+?)\s*(?P<verdict>met|MISSED)?$")


def load_bench() -> ModuleType:
    """bench/google.py under another name: as ``google`` it would shadow Google's."""
    spec = importlib.util.spec_from_file_location("bench_google", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_google"] = module
    spec.loader.exec_module(module)
    return module


def figures(block: str) -> dict[str, tuple[str, str, str | None]]:
    """Figure name -> (value, target, verdict) of one printed ``==`` block."""
    found = {}
    for line in block.splitlines():
        match = FIGURE.match(line)
        if match:
            found[match["name"].strip()] = (match["value"], match["target"].strip(),
                                            match["verdict"])
    return found


def blocks(output: str) -> dict[str, str]:
    """``== title ==`` header -> the lines under it."""
    parts = re.split(r"^== (.+?) ==$", output, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


@pytest.mark.timeout(240)
def test_tiny_run_prints_every_figure_beside_its_target(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--messages", "200", "--events", "40", "--seed", "3"],
        capture_output=True, text=True, timeout=220, cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    found = blocks(done.stdout)
    gmail = [title for title in found if title.startswith("gmail")]
    assert gmail, done.stdout
    for title in gmail:
        assert "200 messages" in title
        table = figures(found[title])
        assert set(table) == {"backfill messages/s end to end",
                              "HTTP requests per message (backfill)",
                              "HTTP requests, no-change incremental",
                              "of which API requests (not oauth.token)",
                              "peak RSS MB (syncd child)",
                              "fake server CPU, % of backfill wall time",
                              "messages/s without the fake's CPU (bound)"}, found[title]
        per_message = float(table["HTTP requests per message (backfill)"][0])
        assert 0 < per_message < 1  # counted by the fake, batch requests as one each
        assert table["backfill messages/s end to end"][1] == ">= 1,000"
        assert table["HTTP requests per message (backfill)"][1] == "<= 0.05"
        assert table["HTTP requests, no-change incremental"][1] == "== 1"
        assert table["HTTP requests per message (backfill)"][2] in {"met", "MISSED"}
        assert float(table["peak RSS MB (syncd child)"][0]) > 10
    calendar = [title for title in found if title.startswith("calendar")]
    assert len(calendar) == 1, done.stdout
    if "calendar connector not available" not in calendar[0]:
        table = figures(found[calendar[0]])
        assert {"backfill events/s end to end", "HTTP requests per event (backfill)",
                "HTTP requests, no-change incremental"} <= set(table), found[calendar[0]]


def test_calendar_fill_has_the_promised_mix() -> None:
    bench = load_bench()
    calendar = Calendar("alice@acme-robotics.com", lambda: 1_790_000_000.0)
    now = dt.datetime.fromtimestamp(1_790_000_000, dt.UTC)
    fill = bench.fill_calendar(calendar, 300, 5, now)
    assert fill.occurrences >= 300
    assert set(fill.kinds) == {"external", "series", "internal", "all_day", "declined",
                               "solo", "private"}
    assert fill.exceptions and fill.cancelled and fill.upcoming
    events = [stored.data for stored in calendar.events.values()]
    assert any("date" in e["start"] for e in events)
    assert any(a.get("self") and a["responseStatus"] == "declined"
               for e in events for a in e.get("attendees", []))
    assert any(not a["email"].endswith("@acme-robotics.com")
               for e in events for a in e.get("attendees", []))
    assert any(e.get("visibility") == "private" for e in events)
    horizon = now + dt.timedelta(days=400)
    listed = [e for e in calendar.listing(True, horizon) if e.data["status"] != "cancelled"]
    assert len(listed) == fill.occurrences
    again = Calendar("alice@acme-robotics.com", lambda: 1_790_000_000.0)
    bench.fill_calendar(again, 300, 5, now)
    assert [e.data["id"] for e in again.events.values()] == list(calendar.events)
