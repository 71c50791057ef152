"""The Microsoft benchmark (bench/microsoft.py) runs end to end at a tiny size and
prints its figures beside their targets; its calendar filler makes the promised mix.

The benchmark is only worth its figures if it runs: this runs it as its users do
(a child, 200 messages and 40 events) and reads the printed tables back. It does
not judge the targets, which a tiny mailbox cannot reach (start-up dominates).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.fake_microsoft import FakeMicrosoft

BENCH = Path(__file__).resolve().parents[1] / "bench" / "microsoft.py"
FIGURE = re.compile(r"^(?P<name>.+?)\s{2,}(?P<value>[\d,.]+(?: - [\d,.]+)?)\s+target\s+"
                    r"(?P<target>.+?)\s*(?P<verdict>met|MISSED)?$")
OWNER = "alice@acme-robotics.com"
NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


def load_bench() -> ModuleType:
    """bench/microsoft.py as a module (bench/ is no package)."""
    spec = importlib.util.spec_from_file_location("bench_microsoft", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_microsoft"] = module
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


def number(text: str) -> float:
    """The low end of a printed figure (``1,234`` or ``12 - 15``)."""
    return float(text.split(" - ", maxsplit=1)[0].replace(",", ""))


@pytest.mark.timeout(240)
def test_tiny_run_prints_every_figure_beside_its_target(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--messages", "200", "--events", "40", "--seed", "3"],
        capture_output=True, text=True, timeout=220, cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    found = blocks(done.stdout)
    mail = [title for title in found if title.startswith("mail:")]
    calendar = [title for title in found if title.startswith("calendar:")]
    assert len(mail) == 1 and len(calendar) == 1, done.stdout
    assert "200 messages" in mail[0]
    for title, noun in ((mail[0], "message"), (calendar[0], "event")):
        table = figures(found[title])
        assert set(table) == {f"backfill {noun}s/s end to end",
                              f"HTTP requests per {noun} (backfill)",
                              f"of which Graph requests per {noun}",
                              "identity requests (backfill)",
                              "HTTP requests, no-change incremental",
                              "of which Graph requests",
                              "of which identity (token, discovery)",
                              "no-change run ms (in process)",
                              "peak RSS MB (syncd child)",
                              "fake server CPU, % of backfill wall time",
                              f"{noun}s/s without the fake's CPU (bound)"}, found[title]
        carried = "" if noun == "message" else " (mail target)"
        assert table[f"backfill {noun}s/s end to end"][1] == ">= 1,000" + carried
        assert table[f"HTTP requests per {noun} (backfill)"][1] == "<= 0.02" + carried
        assert table["HTTP requests, no-change incremental"][1] == "== 1"
        for name in (f"backfill {noun}s/s end to end", f"HTTP requests per {noun} (backfill)",
                     "HTTP requests, no-change incremental", "of which Graph requests"):
            assert table[name][2] in {"met", "MISSED"}, name
        # counted by the fake: a few requests for the whole tiny backfill
        per_item = number(table[f"HTTP requests per {noun} (backfill)"][0])
        graph = number(table[f"of which Graph requests per {noun}"][0])
        assert 0 < graph <= per_item < 1
        assert number(table["identity requests (backfill)"][0]) >= 1  # a token at least
        no_change = number(table["HTTP requests, no-change incremental"][0])
        assert 1 <= number(table["of which Graph requests"][0]) <= no_change
        assert number(table[f"backfill {noun}s/s end to end"][0]) > 0
        assert number(table["peak RSS MB (syncd child)"][0]) > 10
    assert "40 events" in calendar[0]


@pytest.fixture
def ms() -> Iterator[FakeMicrosoft]:
    with FakeMicrosoft() as fake:
        fake.add_user(OWNER, "Alice Martin")
        yield fake


def test_calendar_fill_has_the_promised_mix(ms: FakeMicrosoft) -> None:
    bench = load_bench()
    calendar = ms.calendar(OWNER)
    fill = bench.fill_calendar(calendar, 300, 5, NOW)
    assert fill.occurrences >= 300
    assert set(fill.kinds) == {"external", "series", "internal", "all_day", "declined",
                               "solo", "private", "cancelled"}
    assert fill.exceptions and fill.cancelled and fill.deleted and fill.upcoming
    window = (NOW - bench.CALENDAR_BACK, NOW + bench.CALENDAR_AHEAD)
    listed = list(calendar.instances(*window).values())
    assert sum(1 for item in listed if not item["isCancelled"]) == fill.occurrences
    assert {item["type"] for item in listed} == {"singleInstance", "occurrence", "exception"}
    assert any(item["isAllDay"] for item in listed)
    assert any(item["sensitivity"] == "private" for item in listed)
    assert any(item["responseStatus"]["response"] == "declined" for item in listed)
    assert any(not item["isOrganizer"] for item in listed)
    assert any(a["emailAddress"]["address"].split("@")[1] != "acme-robotics.com"
               for item in listed for a in item["attendees"])
    with FakeMicrosoft() as other:
        other.add_user(OWNER, "Alice Martin")
        bench.fill_calendar(other.calendar(OWNER), 300, 5, NOW)
        again = [(e.subject, e.start, e.recurrence, len(e.attendees))
                 for e in other.calendar(OWNER).events.values()]
    assert again == [(e.subject, e.start, e.recurrence, len(e.attendees))
                     for e in calendar.events.values()]


def test_memoized_view_answers_as_the_fake_does(ms: FakeMicrosoft) -> None:
    bench = load_bench()
    calendar = ms.calendar(OWNER)
    bench.fill_calendar(calendar, 60, 2, NOW)
    window = (NOW - bench.CALENDAR_BACK, NOW + bench.CALENDAR_AHEAD)
    before = calendar.instances(*window)
    bench.memoize_instances(calendar)
    assert calendar.instances(*window) == before
    assert calendar.instances(*window) is calendar.instances(*window)
    series = next(e for e in calendar.events.values() if e.recurrence)
    calendar.update(series.id, subject="Renamed")  # a new version: computed again
    assert {i["subject"] for i in calendar.instances(*window).values()
            if i["seriesMasterId"] == series.id} == {"Renamed"}
