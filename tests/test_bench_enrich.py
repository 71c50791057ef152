"""The enrichment benchmark (bench/enrich.py) runs end to end at a tiny size: every
figure is printed, what the sites offered is filled, and the rerun is all cache."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "enrich.py"


@pytest.mark.timeout(180)
def test_tiny_run_prints_every_figure(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, str(BENCH), "--sites", "30", "--latency", "0.01",
                           "--per-second", "200", "--seed", "2"],
                          capture_output=True, text=True, timeout=160, cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = {m["name"]: m["value"] for m in re.finditer(
        r"^(?P<name>\S.*?)\s{2,}(?P<value>[\d.,%]+(?: s)?)(?:\s|$)", done.stdout, re.MULTILINE)}
    assert rows["accounts"] == "30"
    assert float(rows["accounts enriched per second"]) > 0
    assert rows["fields filled, of what sites offered"] == "100.0%"
    assert 0 < float(rows["fields filled, all slots"].rstrip("%")) < 100
    assert rows["second run: cache hit rate"] == "100.0%"
    assert rows["second run: requests"] == "0"
