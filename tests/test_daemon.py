"""The daemon: stopping within seconds without losing a batch, reloading its
configuration on SIGHUP, backing off from failing sources, waiting for sign-in,
and ``resync`` waiting for (or reporting) a daemon that holds a source.

The process tests run ``syncd run`` as a real subprocess on a Maildir source and
signal it; the scheduling decisions are tested in-process through ``Daemon.tick``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import create_engine, func, select, text, update
from sqlalchemy.exc import DBAPIError

from connectors import retry
from syncd.config import SourceCommon
from syncd.daemon import BACKOFF_CAP, Daemon, backoff
from syncd.db.models import Interaction, Source, SyncRun
from syncd.db.session import session_scope
from syncd.metrics import problems
from syncd.store.credentials import save_token
from tests.dovecot import free_port
from tests.mailfactory import mail, put_maildir

ALICE = "alice@acme-robotics.com"
STOP_SECONDS = 10


def deliver(root: Path, count: int, start: int = 0) -> None:
    for n in range(start, start + count):
        put_maildir(root, mail(f"buyer{n % 50}@customer{n % 7}.example", [ALICE],
                               message_id=f"<m{n}@customer.example>", subject=f"Order {n}",
                               body=f"Please send {n} units.\n" * 20))


def write_config(path: Path, db_url: str, sources: list[dict[str, Any]]) -> Path:
    path.write_text(yaml.safe_dump({
        "database": {"url": db_url}, "team": {"internal_domains": ["acme-robotics.com"]},
        "logging": {"level": "info"}, "sources": sources}), encoding="utf-8")
    return path


def maildir(name: str, path: Path, every: str = "1h") -> dict[str, Any]:
    return {"name": name, "kind": "maildir", "path": str(path), "owner": ALICE,
            "every": every}


def start_daemon(config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "syncd", "--config", str(config), "run"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "COLUMNS": "200"})


def wait_for(condition: Any, seconds: float = 60, what: str = "", poll: float = 0.05) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(DBAPIError):  # the daemon has not made the tables yet
            if condition():
                return
        time.sleep(poll)
    pytest.fail(f"timed out waiting for {what}")


def query(db_url: str, sql: str) -> list[Any]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql)))
    finally:
        engine.dispose()


def test_sigterm_stops_after_the_current_batch_and_nothing_is_lost(
        tmp_path: Path, db_url: str, daemons: list[subprocess.Popen[str]]) -> None:
    deliver(tmp_path / "mail", 4000)
    config = write_config(tmp_path / "syncd.yaml", db_url,
                          [maildir("inbox", tmp_path / "mail")])
    daemon = start_daemon(config)
    daemons.append(daemon)
    wait_for(lambda: query(db_url, "SELECT count(*) FROM interactions")[0][0] > 0,
             what="the first batch")
    asked = time.monotonic()
    daemon.send_signal(signal.SIGTERM)
    _, err = daemon.communicate(timeout=STOP_SECONDS + 5)
    assert time.monotonic() - asked < STOP_SECONDS, err
    assert daemon.returncode == 0, err
    (state, owner), = query(db_url, "SELECT state, lease_owner FROM sources")
    assert owner is None and state in {"interrupted", "ok"}, err
    done = subprocess.run([sys.executable, "-m", "syncd", "--config", str(config), "run",
                           "--once"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    keys = query(db_url, "SELECT key FROM interactions")
    assert len(keys) == 4000 and len({k for (k,) in keys}) == 4000


def test_sighup_reloads_and_a_bad_file_is_refused(
        tmp_path: Path, db_url: str, daemons: list[subprocess.Popen[str]]) -> None:
    deliver(tmp_path / "a", 3)
    deliver(tmp_path / "b", 2, start=100)
    config = write_config(tmp_path / "syncd.yaml", db_url, [maildir("a", tmp_path / "a")])
    daemon = start_daemon(config)
    daemons.append(daemon)
    synced = "SELECT name FROM sources WHERE state = 'ok' ORDER BY name"
    wait_for(lambda: query(db_url, synced) == [("a",)], what="source a")
    config.write_text("sources: [{name: b, kind: nope}]\n", encoding="utf-8")
    daemon.send_signal(signal.SIGHUP)
    time.sleep(1.5)
    assert daemon.poll() is None  # still running, on the old configuration
    write_config(config, db_url, [maildir("a", tmp_path / "a"), maildir("b", tmp_path / "b")])
    daemon.send_signal(signal.SIGHUP)
    wait_for(lambda: query(db_url, synced) == [("a",), ("b",)], what="source b")
    daemon.send_signal(signal.SIGTERM)
    _, err = daemon.communicate(timeout=STOP_SECONDS + 5)
    assert daemon.returncode == 0
    assert "refused" in err and "sources[0]: unknown kind 'nope'" in err
    assert "configuration reloaded: 2 source(s)" in err


def test_backoff_doubles_and_is_capped() -> None:
    every = timedelta(minutes=5)
    assert [backoff(every, n) for n in range(4)] == [
        timedelta(0), every, every * 2, every * 4]
    assert backoff(every, 40) == BACKOFF_CAP


def test_a_failing_source_backs_off_and_others_carry_on(make_app: Any, tmp_path: Path) -> None:
    deliver(tmp_path / "good", 2)
    app = make_app([maildir("good", tmp_path / "good", every="5m"),
                    maildir("gone", tmp_path / "missing", every="5m")])
    daemon = Daemon(tmp_path / "syncd.yaml", app)
    for _ in range(4):
        interval_passed(app, "good")
        daemon.tick("good")
        daemon.tick("gone")
    with session_scope(app.sessions) as session:
        runs = dict(session.execute(select(Source.name, func.count(SyncRun.id))
                                    .join(SyncRun).group_by(Source.name)).all())
    assert runs == {"good": 4, "gone": 2}  # after two failures in a row it waits
    with session_scope(app.sessions) as session:
        session.execute(update(Source).where(Source.name == "gone").values(
            last_error_at=datetime.now(UTC) - timedelta(minutes=11)))
    daemon.tick("gone")  # two failures: 10 minutes later it is tried again
    with session_scope(app.sessions) as session:
        assert session.execute(select(func.count()).select_from(SyncRun).join(Source)
                               .where(Source.name == "gone")).scalar() == 3
    status = subprocess.run([sys.executable, "-m", "syncd", "--config",
                             str(tmp_path / "syncd.yaml"), "status"], capture_output=True,
                            text=True, check=False, env={**os.environ, "COLUMNS": "250"})
    assert "failing (3 runs in a row); next try" in status.stdout, status.stdout


def interval_passed(app: Any, name: str) -> None:
    """As if the source's last success were one interval (5 minutes) ago."""
    with session_scope(app.sessions) as session:
        session.execute(update(Source).where(Source.name == name, Source.last_success_at
                                             .is_not(None)).values(
            last_success_at=datetime.now(UTC) - timedelta(minutes=5)))


def test_a_source_another_process_just_synced_is_left_to_its_next_tick(
        make_app: Any, tmp_path: Path) -> None:
    """Every daemon schedules every source; the lease keeps runs apart, and this keeps
    two processes from syncing one source twice in one interval."""
    deliver(tmp_path / "good", 2)
    app = make_app([maildir("good", tmp_path / "good", every="5m")])
    daemon = Daemon(tmp_path / "syncd.yaml", app)
    daemon.tick("good")
    daemon.tick("good")  # another process's tick, right after
    interval_passed(app, "good")
    daemon.tick("good")
    with session_scope(app.sessions) as session:
        assert session.execute(select(func.count()).select_from(SyncRun)).scalar() == 2


def test_a_source_that_needs_sign_in_waits_for_it(make_app: Any, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNCD_SECRET_KEY", "Ew6Ftq8I7CyCaUrXzwcLRh2Ddma8H8H2FUbZv7Lz7Sk=")
    monkeypatch.setattr(retry, "sleep", lambda seconds: None)  # the dead port's backoff
    secrets = tmp_path / "client.json"
    secrets.write_text(json.dumps({"installed": {
        "client_id": "c", "client_secret": "s", "auth_uri": "http://127.0.0.1:9/auth",
        "token_uri": "http://127.0.0.1:9/token"}}), encoding="utf-8")
    app = make_app([{"name": "mail", "kind": "gmail", "owner": ALICE,
                     "auth": {"type": "oauth", "client_secrets": str(secrets)},
                     "endpoints": {"api": "http://127.0.0.1:9/", "token":
                                   "http://127.0.0.1:9/token"}}])
    daemon = Daemon(tmp_path / "syncd.yaml", app)
    daemon.tick("mail")
    daemon.tick("mail")
    with session_scope(app.sessions) as session:
        state, = session.execute(select(Source.state)).one()
        runs = session.execute(select(func.count()).select_from(SyncRun)).scalar()
    assert (state, runs) == ("needs_auth", 1)
    with session_scope(app.sessions) as session:
        save_token(session, app.cipher, "mail", json.dumps({"refresh_token": "r"}))
    daemon.tick("mail")  # signed in again: tried at once (and fails on the dead port)
    with session_scope(app.sessions) as session:
        assert session.execute(select(func.count()).select_from(SyncRun)).scalar() == 2


def test_resync_waits_for_a_daemon_that_holds_the_source(make_app: Any,
                                                         tmp_path: Path) -> None:
    deliver(tmp_path / "mail", 3)
    app = make_app([maildir("inbox", tmp_path / "mail")])
    config = tmp_path / "syncd.yaml"
    subprocess.run([sys.executable, "-m", "syncd", "--config", str(config), "status"],
                   check=True, capture_output=True)
    hold = {"lease_owner": "otherhost:4242",
            "lease_expires_at": datetime.now(UTC) + timedelta(minutes=5)}
    resync = [sys.executable, "-m", "syncd", "--config", str(config), "resync", "--quiet"]
    from syncd.runner import ensure_source
    source_id = ensure_source(app, app.config.source("inbox"))
    with session_scope(app.sessions) as session:
        session.execute(update(Source).where(Source.id == source_id).values(**hold))
    refused = subprocess.run([*resync, "--no-wait"], capture_output=True, text=True,
                             check=False, env={**os.environ, "COLUMNS": "250"})
    assert refused.returncode == 1 and "otherhost:4242" in refused.stdout

    out = tmp_path / "resync.out"
    with out.open("w", encoding="utf-8") as stdout:
        waiting = subprocess.Popen(resync, stdout=stdout, stderr=subprocess.PIPE, text=True,
                                   env={**os.environ, "COLUMNS": "250"})
    # the lease is let go once the resync says it waits (a minute at most), not after a
    # fixed pause that a busy machine might not cover
    deadline = time.monotonic() + 60
    while ("is syncing it; waiting" not in out.read_text(encoding="utf-8")
           and waiting.poll() is None and time.monotonic() < deadline):
        time.sleep(0.05)
    held_back = waiting.poll() is None  # still waiting while the lease is held
    with session_scope(app.sessions) as session:
        session.execute(update(Source).where(Source.id == source_id).values(
            lease_owner=None, lease_expires_at=None))
    _, err = waiting.communicate(timeout=120)
    said = out.read_text(encoding="utf-8")
    assert waiting.returncode == 0, said + err
    assert "otherhost:4242 is syncing it; waiting" in said
    assert held_back, said
    with session_scope(app.sessions) as session:
        assert session.execute(select(func.count()).select_from(Interaction)).scalar() == 3


def test_metrics_and_health_follow_the_sources(
        tmp_path: Path, db_url: str, daemons: list[subprocess.Popen[str]]) -> None:
    deliver(tmp_path / "mail", 5)
    port = free_port()
    config = write_config(tmp_path / "syncd.yaml", db_url, [
        maildir("inbox", tmp_path / "mail") | {"lag_alert": "1d"},
        maildir("gone", tmp_path / "missing")])
    text_ = config.read_text() + f"metrics: {{listen: '127.0.0.1:{port}'}}\n"
    config.write_text(text_, encoding="utf-8")
    daemon = start_daemon(config)
    daemons.append(daemon)
    base = f"http://127.0.0.1:{port}"

    def scrape(path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(base + path, timeout=5) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def scraped() -> bool:
        with contextlib.suppress(OSError):
            found = scrape("/metrics")[1]
            return 'syncd_source_items_total{source="inbox"} 5.0' in found and \
                'syncd_source_last_success_timestamp_seconds{source="inbox"}' in found
        return False

    wait_for(scraped, what="the inbox's run done, in /metrics")  # its batch, then its end
    metrics = scrape("/metrics")[1]
    assert 'syncd_source_up{kind="maildir",source="gone"} 0.0' in metrics
    assert 'syncd_source_failures_in_a_row{source="gone"} 1.0' in metrics
    for age, unhealthy in ((timedelta(hours=1), {"gone"}),
                           (timedelta(days=3), {"gone", "inbox"})):
        with session_scope_for(db_url) as session:  # the newest mail this old
            session.execute(update(Source).where(Source.name == "inbox").values(
                newest_item_at=datetime.now(UTC) - age))
        status, body = scrape("/health")
        assert status == 503 and set(json.loads(body)["problems"]) == unhealthy
    problems = json.loads(scrape("/health")[1])["problems"]
    assert "newest item is 3 days" in problems["inbox"]
    daemon.send_signal(signal.SIGTERM)
    daemon.communicate(timeout=STOP_SECONDS + 5)


def session_scope_for(db_url: str) -> Any:
    from sqlalchemy.orm import sessionmaker

    return session_scope(sessionmaker(create_engine(db_url)))


def test_health_rules() -> None:
    now = datetime.now(UTC)
    config = SourceCommon(name="x", kind="maildir", every=timedelta(minutes=5),
                          lag_alert=timedelta(days=2))

    def row(**values: Any) -> dict[str, Any]:
        return {"name": "x", "state": "ok", "last_success_at": now, "newest_item_at": now,
                "last_error_at": None, "last_error": None} | values

    assert problems([row()], [config], now) == {}
    assert problems([], [config], now) == {}  # never tried yet
    assert "no successful sync" in problems(
        [row(last_success_at=now - timedelta(hours=1))], [config], now)["x"]
    assert problems([row(state="needs_auth")], [config], now) == {"x": "needs a sign-in"}
    assert "lag_alert" in problems([row(newest_item_at=now - timedelta(days=3))],
                                   [config], now)["x"]


@pytest.mark.skipif(os.geteuid() != 0, reason="the refusal is of root; this run is not root")
def test_the_daemon_refuses_root_unless_told(tmp_path: Path) -> None:
    config = write_config(tmp_path / "syncd.yaml", f"sqlite:///{tmp_path / 'crm.db'}",
                          [maildir("m", tmp_path / "mail")])
    env = {k: v for k, v in os.environ.items() if k != "SYNCD_ALLOW_ROOT"}
    argv = [sys.executable, "-m", "syncd", "--config", str(config), "run", "--once"]
    refused = subprocess.run(argv, capture_output=True, text=True, check=False, env=env)
    assert refused.returncode == 2 and "refusing to run as root" in refused.stderr
    assert not (tmp_path / "crm.db").exists()  # refused before touching anything
    (tmp_path / "mail").mkdir()
    told = subprocess.run([*argv, "--allow-root"], capture_output=True, text=True,
                          check=False, env=env)
    assert told.returncode == 0, told.stderr
