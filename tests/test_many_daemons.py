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

import pytest
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


def own_host_name_possible() -> bool:
    """Whether this test may give a process a host name of its own (root, unshare)."""
    probe = subprocess.run(["unshare", "-u", "true"], capture_output=True, check=False)
    return probe.returncode == 0


def leases(app: Any) -> list[tuple[str, str | None, datetime | None]]:
    with session_scope(app.sessions) as session:
        return [tuple(row) for row in session.execute(  # type: ignore[misc]
            select(Source.name, Source.lease_owner, Source.lease_expires_at))]


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_daemon_on_another_host_that_dies_is_taken_over_once_its_lease_expires(
        make_app: Any, tmp_path: Path, daemons: list[subprocess.Popen[str]]) -> None:
    if not own_host_name_possible():
        pytest.skip("giving a process its own host name needs root (unshare -u)")
    per_source = 1500
    for source in range(SOURCES):
        deliver(tmp_path, source, per_source, 0)
    app = make_app([{"name": f"box{n}", "kind": "maildir", "path": str(tmp_path / f"box{n}"),
                     "owner": ALICE, "every": "1s"} for n in range(SOURCES)],
                   database={"lease": "6s"})
    config = tmp_path / "syncd.yaml"
    elsewhere = subprocess.Popen(
        ["unshare", "-u", "sh", "-c", 'hostname syncd-elsewhere && exec "$0" "$@"',
         sys.executable, "-m", "syncd", "--config", str(config), "run"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    daemons.append(elsewhere)
    wait_for(lambda: any((owner or "").startswith("syncd-elsewhere:")
                         for _, owner, _ in leases(app)),
             seconds=60, what="the other host syncing", poll=0.02)
    elsewhere.send_signal(signal.SIGKILL)  # its leases stay, and this host cannot see it
    elsewhere.wait()
    killed_at = datetime.now(UTC)
    held = {name: expires for name, owner, expires in leases(app)
            if (owner or "").startswith("syncd-elsewhere:") and expires}
    assert held
    daemons.append(start_daemon(config))
    wait_for(lambda: captured(app) == SOURCES * per_source, seconds=180,
             what="this host taking every source over")

    with session_scope(app.sessions) as session:
        runs = session.execute(select(Source.name, SyncRun.started_at).join(SyncRun)).all()
        keys = session.execute(select(func.count(func.distinct(Interaction.key)))).scalar()
    assert keys == SOURCES * per_source
    for name, expires in held.items():
        taken = min(started for source, started in runs
                    if source == name and started > killed_at)
        assert taken >= expires, f"{name} was taken before the dead host's lease ran out"
