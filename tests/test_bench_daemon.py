"""The daemon benchmark (bench/daemon.py) runs end to end at a tiny size and prints
sane figures: three sources in one ``syncd run``, then three network-bound sources
synced by one and by two processes sharing PostgreSQL.

It runs the bench as its users do (a child) and reads the printed rows back. It
does not judge the targets, which a tiny, short run on a shared machine says little
about; it judges what would show the bench broken: a figure missing or absurd, a
message never captured, two runs of one source at once, a duplicate.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "daemon.py"
ROW = re.compile(r"^(?P<name> *\S.*?)\s{2,}(?P<value>\S.*?)\s+target (?P<target>.+?)"
                 r"(?:\s+(?P<verdict>met|MISSED))?$")
SPREAD = re.compile(r"^p50 ([\d,.]+) / p95 ([\d,.]+) / max ([\d,.]+)$")


def blocks(output: str) -> dict[str, dict[str, tuple[str, str | None]]]:
    """``== title ==`` -> {row name: (value, verdict)}."""
    found: dict[str, dict[str, tuple[str, str | None]]] = {}
    current: dict[str, tuple[str, str | None]] = {}
    for line in output.splitlines():
        if line.startswith("== "):
            current = found.setdefault(line.strip("= "), {})
        elif (match := ROW.match(line)) is not None:
            current[match["name"].strip()] = (match["value"], match["verdict"])
    return found


def number(text: str) -> float:
    return float(text.split(maxsplit=1)[0].replace(",", "").rstrip("x"))


def spread(text: str) -> tuple[float, float, float]:
    match = SPREAD.match(text)
    assert match, text
    p50, p95, top = (float(group.replace(",", "")) for group in match.groups())
    assert 0 <= p50 <= p95 <= top, text
    return p50, p95, top


@pytest.mark.timeout(180)  # hang guards only: the suite's other workers share the cores
def test_tiny_run_prints_sane_figures(tmp_path: Path) -> None:
    if os.environ.get("SYNCD_TEST_PG") == "off":
        pytest.skip("SYNCD_TEST_PG=off")
    done = subprocess.run(
        [sys.executable, str(BENCH), "--sources", "3", "--messages", "12", "--interval", "2",
         "--duration", "2", "--live", "2", "--scale-sources", "3", "--scale-messages", "8",
         "--latency", "0.02", "--page-size", "4", "--processes", "1,2", "--timeout", "120",
         "--stall", "20"],
        capture_output=True, text=True, timeout=170, cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    found = blocks(done.stdout)
    fleet = found["fleet: 3 sources every 2 s in one syncd run, postgres"]
    assert number(fleet["runs"][0]) >= 6  # a first run each, then more on schedule
    assert number(fleet["messages read by the runs"][0]) >= 3 * 8
    overhead = spread(fleet["scheduler overhead per run (all runs), ms"][0])
    parts = [spread(fleet[name][0])[0] for name in (
        "due -> handed to the thread pool, ms", "handed to the pool -> run start, ms",
        "run end -> job end, ms")]
    assert 0 < overhead[0] < 30_000 and sum(parts) > 0
    work = [name for name in fleet if name.startswith("runs (") and name.endswith("work, ms")]
    assert len(work) == 2 and spread(fleet[work[0]][0])[0] > 0  # all runs, steady state
    # every run is found inside the job that started it, bar one a source may still have
    # under way when the figures are read; how many jobs were held back while their
    # source's last run went on depends on the machine's load, so it is only read
    paired = re.search(r"\((\d+)\)", work[0])
    assert paired is not None and int(paired[1]) >= number(fleet["runs"][0]) - 3
    assert fleet["jobs without a run (held, busy)"][0].isdigit()
    assert 20 < number(fleet["peak RSS MB (VmHWM of the daemon)"][0]) < 1000
    assert fleet["peak RSS MB (VmHWM of the daemon)"][1] in {"met", "MISSED"}
    lag_rows = [name for name in fleet if name.startswith("lag s of ")]
    assert len(lag_rows) == 1 and number(lag_rows[0].split()[3]) >= 1
    p50, _, top = spread(fleet[lag_rows[0]][0])
    assert p50 > 0 and top < 30  # captured, and within a few intervals
    assert fleet["new messages never captured"] == ("0", "met")
    assert fleet["sources stuck in their first run"] == ("0", "met")
    assert number(fleet["seconds to exit after SIGTERM"][0]) < 10

    scale = found["scale-out: 3 sources x 8 messages, 20 ms a request, pages of 4, PostgreSQL"]
    one = scale["1 process(es): messages/s"][0]
    assert number(one) > 0 and "in " in one
    assert number(scale["2 process(es): messages/s"][0]) > 0
    assert scale["2 process(es): speed-up vs 1"][1] in {"met", "MISSED"}
    assert scale["2 process(es): runs per process"][0].count("/") == 1
    for count in (1, 2):
        assert scale[f"{count} process(es): sources stuck in a run"] == ("0", "met")
        value, verdict = scale[f"{count} process(es): overlaps, duplicates"]
        assert verdict == "met" and value.startswith("0 in "), value
    assert "no source synced by two processes at once, no duplicates: yes" in done.stdout
