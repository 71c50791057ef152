"""Leases: a process on another host holds its sources until its lease runs out, a
heartbeat keeps a long run's lease alive, and a process that stalled past its lease
and was taken over writes nothing more."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from syncd.db.models import Interaction, Source
from syncd.db.session import session_scope
from syncd.leases import owner_id, source_lease, take_lease
from syncd.runner import ensure_source, run_source
from tests.mailfactory import mail, put_maildir

ALICE = "alice@acme-robotics.com"


@pytest.fixture
def app(make_app: Any, tmp_path: Path) -> Any:
    for n in range(30):
        put_maildir(tmp_path / "mail", mail(f"buyer{n}@customer.example", [ALICE],
                                            message_id=f"<m{n}@customer.example>"))
    return make_app([{"name": "inbox", "kind": "maildir", "path": str(tmp_path / "mail"),
                      "owner": ALICE}])


def hold(app: Any, owner: str, expires_in: timedelta) -> int:
    source_id = ensure_source(app, app.config.source("inbox"))
    with session_scope(app.sessions) as session:
        session.execute(update(Source).where(Source.id == source_id).values(
            lease_owner=owner, lease_expires_at=datetime.now(UTC) + expires_in))
    return source_id


def captured(app: Any) -> int:
    with session_scope(app.sessions) as session:
        return int(session.execute(select(func.count()).select_from(Interaction)).scalar()
                   or 0)


def test_a_process_on_another_host_holds_its_source_until_its_lease_runs_out(
        app: Any) -> None:
    source_id = hold(app, "elsewhere:4242:4026531836-0badc0de", timedelta(minutes=1))
    busy = run_source(app, app.config.source("inbox"))
    assert busy.status == "busy" and "elsewhere:4242" in (busy.error or "")
    hold(app, "elsewhere:4242:4026531836-0badc0de", timedelta(seconds=-1))
    assert take_lease(app.sessions, source_lease(source_id), timedelta(minutes=1))


def test_a_container_with_this_host_name_and_a_pid_unknown_here_is_not_taken_for_dead(
        app: Any) -> None:
    """Two containers may share a host name; only the PID namespace tells them apart."""
    host = owner_id().split(":")[0]
    source_id = hold(app, f"{host}:999999:4000000001-feedf00d", timedelta(minutes=1))
    assert not take_lease(app.sessions, source_lease(source_id), timedelta(minutes=1))
    namespace = owner_id().split(":")[2].split("-")[0]
    hold(app, f"{host}:999999:{namespace}-feedf00d", timedelta(minutes=1))  # died here
    assert take_lease(app.sessions, source_lease(source_id), timedelta(minutes=1))


def test_a_heartbeat_keeps_a_slow_run_leased(make_app: Any, tmp_path: Path) -> None:
    for n in range(3):
        put_maildir(tmp_path / "mail", mail(f"b{n}@customer.example", [ALICE]))
    app = make_app([{"name": "inbox", "kind": "maildir", "path": str(tmp_path / "mail"),
                     "owner": ALICE}], database={"lease": "1s"})
    source_id = ensure_source(app, app.config.source("inbox"))
    remaining: list[float] = []

    def slow(done: int, total: int | None) -> None:
        time.sleep(2.5)  # longer than the lease: only the heartbeat keeps it
        with session_scope(app.sessions) as session:
            expires = session.execute(select(Source.lease_expires_at).where(
                Source.id == source_id)).scalar_one()
        remaining.append((expires - datetime.now(UTC)).total_seconds())

    result = run_source(app, app.config.source("inbox"), progress=slow)
    assert result.status == "ok" and remaining and remaining[0] > 0


def test_a_run_taken_over_after_stalling_writes_nothing_more(make_app: Any,
                                                             tmp_path: Path) -> None:
    for n in range(1200):  # three batches of 500, 500 and 200
        put_maildir(tmp_path / "mail", mail(f"b{n % 40}@customer.example", [ALICE],
                                            message_id=f"<s{n}@customer.example>"))
    app = make_app([{"name": "inbox", "kind": "maildir", "path": str(tmp_path / "mail"),
                     "owner": ALICE}])
    source_id = ensure_source(app, app.config.source("inbox"))
    taker = "elsewhere:7:4026531836-c0ffee00"

    def taken_over(done: int, total: int | None) -> None:
        hold(app, taker, timedelta(minutes=1))  # as if this process had stalled

    result = run_source(app, app.config.source("inbox"), progress=taken_over)
    assert result.status == "lost" and "took the source over" in (result.error or "")
    assert captured(app) == 500  # the first batch; nothing after the takeover
    with session_scope(app.sessions) as session:
        owner, state = session.execute(select(Source.lease_owner, Source.state).where(
            Source.id == source_id)).one()
    assert owner == taker and state == "running"  # the new holder's, untouched
