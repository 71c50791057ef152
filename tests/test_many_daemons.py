"""Two ``syncd run`` processes and a ``resync`` on one database: the lease keeps every
source to one syncer at a time, nothing is doubled, and a daemon killed without
warning has its sources taken over."""

from __future__ import annotations

import itertools
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from syncd.db.models import Interaction, Source, SyncRun
from syncd.db.session import session_scope
from tests.mailfactory import mail, put_maildir
from tests.test_daemon import start_daemon, wait_for

ALICE = "alice@acme-robotics.com"
SOURCES = 6


def deliver(root: Path, source: int, count: int, start: int) -> None:
    for n in range(start, start + count):
        put_maildir(root / f"box{source}", mail(
            f"buyer{n % 9}@customer{source}.example", [ALICE],
            message_id=f"<s{source}-m{n}@customer.example>", subject=f"Order {n}"))


def captured(app: Any) -> int:
    with session_scope(app.sessions) as session:
        return int(session.execute(select(func.count()).select_from(Interaction)).scalar()
                   or 0)


def test_two_daemons_and_a_resync_never_sync_one_source_at_once(
        make_app: Any, tmp_path: Path, daemons: list[subprocess.Popen[str]]) -> None:
    for source in range(SOURCES):
        deliver(tmp_path, source, 120, 0)
    app = make_app([{"name": f"box{n}", "kind": "maildir", "path": str(tmp_path / f"box{n}"),
                     "owner": ALICE, "every": "1s"} for n in range(SOURCES)],
                   logging={"level": "info"})
    config = tmp_path / "syncd.yaml"
    first, second = start_daemon(config), start_daemon(config)
    daemons += [first, second]
    manual = subprocess.run([sys.executable, "-m", "syncd", "--config", str(config),
                             "resync", "--quiet"], capture_output=True, text=True,
                            check=False, timeout=300)
    assert manual.returncode == 0, manual.stdout + manual.stderr
    wait_for(lambda: captured(app) == SOURCES * 120, what="every source synced")

    first.send_signal(signal.SIGKILL)  # no cleanup: its leases stay in the table
    first.wait()
    killed_at = datetime.now(UTC)
    for source in range(SOURCES):
        deliver(tmp_path, source, 30, 120)
    wait_for(lambda: captured(app) == SOURCES * 150, what="the survivor taking over")
    second.send_signal(signal.SIGTERM)
    second.communicate(timeout=20)

    with session_scope(app.sessions) as session:
        runs = session.execute(select(Source.name, SyncRun.started_at, SyncRun.finished_at)
                               .join(SyncRun).order_by(Source.name, SyncRun.started_at)
                               ).all()
        keys = session.execute(select(func.count(func.distinct(Interaction.key)))).scalar()
    assert keys == SOURCES * 150
    by_source: dict[str, list[tuple[datetime, datetime]]] = {}
    for name, started, finished in runs:
        by_source.setdefault(name, []).append((started, finished or killed_at))
    assert len(by_source) == SOURCES
    for name, spans in by_source.items():
        for (_, end), (start, _) in itertools.pairwise(spans):
            assert end <= start, f"{name} was synced by two processes at once"
        assert any(start > killed_at for start, _ in spans), f"{name} was not taken over"
