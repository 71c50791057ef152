"""A sync killed at any moment loses nothing and doubles nothing when it runs again.

The process is really killed (SIGKILL, no cleanup) ten times, each time at a random
moment after it has committed a batch, in the middle of a resync of a generated
mailbox, on SQLite and on PostgreSQL; the run that finishes must leave the database
exactly as one uninterrupted run does.
"""

from __future__ import annotations

import contextlib
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from syncd.db.models import Interaction
from syncd.db.session import session_scope
from tests.test_sync import snapshot

GENERATOR = Path(__file__).resolve().parents[1] / "bench" / "gen_mailbox.py"
KILLS = 10


@pytest.fixture(scope="module")
def mailbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("crash") / "maildir"
    subprocess.run([sys.executable, str(GENERATOR), str(root), "--messages", "3000",
                    "--seed", "3", "--attachment-share", "0.02"],
                   check=True, capture_output=True, timeout=300)
    return root


def resync(config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "syncd", "--config", str(config),
                             "resync", "--quiet"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def test_kill_during_resync_then_rerun_equals_one_clean_run(
        make_app: Any, mailbox: Path, tmp_path: Path, db_url: str) -> None:
    config = tmp_path / "crash.yaml"
    config.write_text(yaml.safe_dump({
        "database": {"url": db_url}, "team": {"internal_domains": ["acme-robotics.com"]},
        "sources": [{"name": "m", "kind": "maildir", "path": str(mailbox),
                     "owner": "alice@acme-robotics.com"}]}))
    app = make_app()  # the same database, to read it afterwards
    chance = random.Random(7)
    killed_mid_run = 0
    for _ in range(KILLS):
        before = _interactions(app)
        run = resync(config)
        if _wait_for_progress(app, before, run):  # it has written a batch: kill it soon
            time.sleep(chance.uniform(0.0, 0.3))
            killed_mid_run += run.poll() is None
        run.kill()
        run.wait()
        _no_process_left(config)
    assert killed_mid_run >= 3, "the runs finished before they could be killed"
    finished = resync(config)
    output, _ = finished.communicate(timeout=300)
    assert finished.returncode == 0, output
    crashed = snapshot(app)

    clean_config = tmp_path / "clean.yaml"
    clean_url = f"sqlite:///{tmp_path / 'clean.db'}"
    clean_config.write_text(config.read_text().replace(db_url, clean_url))
    assert resync(clean_config).communicate(timeout=300) and True
    from syncd.app import App
    from syncd.configfile import load_config
    clean_app = App(load_config(clean_config))
    clean = snapshot(clean_app)
    clean_app.close()
    assert _content(crashed) == _content(clean)


def _interactions(app: Any) -> int:
    with session_scope(app.sessions) as session:
        return int(session.execute(select(func.count()).select_from(Interaction)).scalar()
                   or 0)


def _wait_for_progress(app: Any, before: int, run: subprocess.Popen[str]) -> bool:
    """Until the run has committed something new; False if it ended first."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and run.poll() is None:
        with contextlib.suppress(DBAPIError):
            if _interactions(app) > before:
                return True
        time.sleep(0.02)
    return False


def _no_process_left(config: Path) -> None:
    """The killed run's reader process must not outlive it."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        left = [p for p in psutil.process_iter(["cmdline"])
                if str(config) in " ".join(p.info["cmdline"] or [])]
        if not left:
            return
        time.sleep(0.1)
    raise AssertionError(f"processes left behind: {left}")


def _content(snap: dict[str, list[Any]]) -> dict[str, Any]:
    """Rows without ids and times, which differ between two databases by design."""
    return {
        "interactions": sorted((r[2], r[3], r[5], r[6]) for r in snap["interactions"]),
        "participants": len(snap["interaction_participants"]),
        "contact_emails": sorted(r[0] for r in snap["contact_emails"]),
        "account_domains": sorted(r[0] for r in snap["account_domains"]),
        "seen": sorted((r[0], r[1], r[2]) for r in snap["seen_addresses"]),
        "observations": len(snap["observations"]),
        "phones": len(snap["contact_phones"]),
        "quarantine": sorted(r[2] for r in snap["quarantine"]),
    }
