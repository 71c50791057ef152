"""The Outlook mail connector against the fake Microsoft (tests/fake_microsoft.py),
through msal and requests, the runner and the store, on SQLite and PostgreSQL.

App-only sources use a client secret from the environment; the delegated one signs
in through ``syncd auth`` (the device code flow) in a subprocess while the test
plays the person at the device-code page.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.fernet import Fernet
from sqlalchemy import select

from connectors import retry
from connectors.outlook_mail import OutlookMailConnector
from syncd.db.models import Interaction, InteractionSource, Source
from syncd.db.session import session_scope
from syncd.errors import ConfigError
from syncd.runner import RunResult, run_source
from tests.fake_microsoft import FakeMicrosoft
from tests.mailfactory import mail
from tests.test_fake_google import loopback_only  # noqa: F401  (autouse: loopback only)

ALICE = "alice@acme-robotics.com"
BOB = "bob@acme-robotics.com"
DANA = "dana@customer.example"
TENANT = "acme-robotics.com"
SECRET_ENV = "OUTLOOK_TEST_SECRET"


@pytest.fixture
def ms() -> Iterator[FakeMicrosoft]:
    with FakeMicrosoft() as fake:
        fake.add_user(ALICE, "Alice Martin")
        fake.add_user(BOB, "Bob Stone")
        yield fake


def app_only(ms: FakeMicrosoft, monkeypatch: pytest.MonkeyPatch, user: str = ALICE,
             roles: frozenset[str] = frozenset({"Mail.Read"}), **extra: Any) -> dict[str, Any]:
    registered = ms.confidential_app(TENANT, set(roles))
    variable = f"{SECRET_ENV}_{user.partition('@')[0].upper()}"
    monkeypatch.setenv(variable, registered["client_secret"])
    return {"name": f"{user.partition('@')[0]}-mail", "kind": "outlook_mail",
            "owner": user, "mailbox": user, "ca_file": str(ms.ca_file),
            "auth": {"type": "client_credentials", "tenant": registered["tenant_id"],
                     "client_id": registered["client_id"],
                     "client_secret": "${" + variable + "}"},
            "endpoints": {"graph": ms.graph_url, "authority": ms.base_url}} | extra


@pytest.fixture
def app(make_app: Any, ms: FakeMicrosoft, monkeypatch: pytest.MonkeyPatch) -> Any:
    return make_app([app_only(ms, monkeypatch)])


def sync(app: Any, name: str = "alice-mail") -> RunResult:
    result = run_source(app, app.config.source(name))
    assert result.status == "ok", result.error
    return result


def captured(app: Any) -> dict[str, tuple[str, list[tuple[str, bool]]]]:
    """Interaction key -> (direction, [(external id, copy still there)])."""
    with session_scope(app.sessions) as session:
        rows = session.execute(select(Interaction.key, Interaction.direction,
                                      InteractionSource.external_id,
                                      InteractionSource.deleted_at)
                               .join(InteractionSource)).all()
    found: dict[str, tuple[str, list[tuple[str, bool]]]] = {}
    for key, direction, external, deleted in rows:
        found.setdefault(key, (direction, []))[1].append((external, deleted is None))
    return found


def graph_calls(ms: FakeMicrosoft) -> list[str]:
    return [c.endpoint for c in ms.calls if not c.endpoint.startswith("identity.")
            and c.batch is None]


def quote(n: int, **kw: Any) -> bytes:
    return mail(DANA, [ALICE], message_id=f"<q{n}@customer.example>", subject=f"Quote {n}",
                body=f"Could you quote {n} units?\n", **kw)


def test_inbox_and_sent_are_captured_and_an_unchanged_mailbox_costs_one_request(
        app: Any, ms: FakeMicrosoft) -> None:
    box = ms.mailbox(ALICE)
    asked = box.add(quote(1))
    box.add(mail(ALICE, [DANA], message_id="<r1@acme-robotics.com>", subject="Re: Quote 1",
                 body="40 units at 12 EUR.\n"))
    box.add(quote(2) .replace(b"Quote 2", b"Draft"), folder="drafts")
    result = sync(app)
    assert result.stats.new_interactions == 2
    found = captured(app)
    assert found["q1@customer.example"] == ("inbound", [(f"graph:{asked}", True)])
    assert found["r1@acme-robotics.com"][0] == "outbound"
    assert graph_calls(ms) == ["batch"]  # both folders' first pages in one request
    ms.calls.clear()
    again = sync(app)
    assert again.stats.messages == 0 and graph_calls(ms) == ["batch"]


def test_pages_follow_next_links_and_the_window_is_applied(
        make_app: Any, ms: FakeMicrosoft, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("connectors.outlook_mail.PAGE", 3)
    box = ms.mailbox(ALICE)
    now = datetime.now(UTC)
    for n in range(8):
        box.add(quote(n, date=now - timedelta(days=n)), received=now - timedelta(days=n))
    box.add(quote(99, date=now - timedelta(days=90)), received=now - timedelta(days=90))
    app = make_app([app_only(ms, monkeypatch, backfill="30d")])
    result = sync(app)
    assert sorted(captured(app)) == sorted(f"q{n}@customer.example" for n in range(8))
    assert result.stats.new_interactions == 8
    assert ms.count("mail.delta", status=200) >= 4  # 9 messages, 3 a page


def test_removed_and_moved_messages_keep_their_interaction(app: Any,
                                                           ms: FakeMicrosoft) -> None:
    box = ms.mailbox(ALICE)
    first, second = box.add(quote(1)), box.add(quote(2))
    sync(app)
    box.delete(first)
    moved = box.move(second, "archive")
    result = sync(app)
    assert result.stats.deleted == 2
    found = captured(app)
    assert found["q1@customer.example"][1] == [(f"graph:{first}", False)]
    assert found["q2@customer.example"][1] == [(f"graph:{second}", False)]
    assert moved != second


def test_an_expired_delta_resyncs_in_full_without_duplicates(app: Any,
                                                            ms: FakeMicrosoft) -> None:
    box = ms.mailbox(ALICE)
    box.add(quote(1))
    sync(app)
    box.add(quote(2))
    ms.expire_delta(ALICE)
    result = sync(app)
    assert result.full and ms.count("batch") >= 2
    found = captured(app)
    assert sorted(found) == ["q1@customer.example", "q2@customer.example"]
    assert all(len(copies) == 1 for _, copies in found.values())


def test_throttling_is_waited_out(app: Any, ms: FakeMicrosoft,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(retry, "sleep", slept.append)
    sync(app)  # the first sync; the throttled one is an increment, run in this process
    ms.mailbox(ALICE).add(quote(1))
    ms.fail_next(2, 429, retry_after="2.5", endpoint="mail.delta")
    sync(app)
    assert slept == [2.5] and list(captured(app)) == ["q1@customer.example"]
    ms.fail_next(retry.ATTEMPTS, 503, endpoint="batch")
    ms.mailbox(ALICE).add(quote(2))
    failed = run_source(app, app.config.source("alice-mail"))
    assert failed.status == "failed" and "503" in (failed.error or "")
    sync(app)
    assert "q2@customer.example" in captured(app)


def test_one_message_in_two_mailboxes_is_one_interaction(
        make_app: Any, ms: FakeMicrosoft, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app([app_only(ms, monkeypatch),
                    app_only(ms, monkeypatch, user=BOB)])
    shared = mail(DANA, [ALICE, BOB], message_id="<both@customer.example>")
    ms.mailbox(ALICE).add(shared)
    ms.mailbox(BOB).add(shared)
    sync(app)
    sync(app, "bob-mail")
    (copies,) = [c for _, c in captured(app).values()]
    assert len(copies) == 2


def test_no_text_kept_reads_with_mail_readbasic(make_app: Any, ms: FakeMicrosoft,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    ms.mailbox(ALICE).add(quote(1))
    app = make_app([app_only(ms, monkeypatch, roles=frozenset({"Mail.ReadBasic.All"}),
                             capture={"visibility": "subject"})])
    sync(app)
    with session_scope(app.sessions) as session:
        assert session.execute(select(Interaction.subject, Interaction.snippet)).one() == (
            "Quote 1", None)
    connector = OutlookMailConnector("alice-mail", app.config.source("alice-mail"),
                                     bodies=False)
    first = connector._start("inbox", None)  # the request it would send
    assert "body" not in (first.params or {})["$select"].split(",")
    assert OutlookMailConnector.scopes(app.config.source("alice-mail"), False) == [
        ms.base_url + "/Mail.ReadBasic"]


def test_device_code_sign_in_then_silent_refresh_then_revoked(
        ms: FakeMicrosoft, tmp_path: Path, db_url: str) -> None:
    client_id = ms.public_app(TENANT)
    config = tmp_path / "syncd.yaml"
    config.write_text(yaml.safe_dump({
        "database": {"url": db_url}, "team": {"internal_domains": ["acme-robotics.com"]},
        "sources": [{"name": "mine", "kind": "outlook_mail", "owner": ALICE,
                     "ca_file": str(ms.ca_file),
                     "auth": {"type": "device_code", "tenant": TENANT,
                              "client_id": client_id},
                     "endpoints": {"graph": ms.graph_url, "authority": ms.base_url}}]}))
    syncd = [sys.executable, "-m", "syncd", "--config", str(config)]
    env = {**os.environ, "COLUMNS": "200", "SYNCD_SECRET_KEY": Fernet.generate_key().decode()}
    signing = subprocess.Popen([*syncd, "auth", "mine"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env)
    assert signing.stdout is not None
    line = signing.stdout.readline()
    code = re.search(r"enter the code (\S+)", line)
    assert code, line
    time.sleep(0.5)  # the first poll answers authorization_pending
    ms.approve(code.group(1), ALICE)
    out, err = signing.communicate(timeout=60)
    assert signing.returncode == 0, out + err
    assert "mine: signed in" in out
    ms.mailbox(ALICE).add(quote(7))
    done = subprocess.run([*syncd, "resync", "--quiet"], capture_output=True, text=True,
                          check=False, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    tokens = ms.count("identity.token")
    ms.expire_access_tokens(ALICE)
    refreshed = subprocess.run([*syncd, "resync", "--quiet"], capture_output=True,
                               text=True, check=False, env=env)
    assert refreshed.returncode == 0, refreshed.stdout + refreshed.stderr
    assert ms.count("identity.token") == tokens + 1  # one silent refresh, then stored
    ms.revoke(ALICE)
    ms.expire_access_tokens(ALICE)
    refused = subprocess.run([*syncd, "resync", "--quiet"], capture_output=True, text=True,
                             check=False, env=env)
    assert refused.returncode == 1 and "invalid_grant" in refused.stdout
    status = subprocess.run([*syncd, "status"], capture_output=True, text=True,
                            check=False, env=env).stdout
    assert "needs sign-in: syncd auth mine" in status
    with session_scope_for(db_url) as session:
        assert session.execute(select(Source.state)).scalar() == "needs_auth"


def session_scope_for(db_url: str) -> Any:
    from sqlalchemy import create_engine
    from sqlalchemy.orm import sessionmaker

    return session_scope(sessionmaker(create_engine(db_url)))


def test_an_app_signs_in_with_a_certificate(make_app: Any, ms: FakeMicrosoft,
                                            tmp_path: Path) -> None:
    registered = ms.confidential_app(TENANT, {"Mail.Read"}, secret=False, certificate=True)
    pem = tmp_path / "app.pem"
    pem.write_text(registered["private_key"] + registered["public_certificate"],
                   encoding="ascii")
    pem.chmod(0o600)
    ms.mailbox(ALICE).add(quote(3))
    app = make_app([{"name": "alice-mail", "kind": "outlook_mail", "owner": ALICE,
                     "mailbox": ALICE, "ca_file": str(ms.ca_file),
                     "auth": {"type": "client_certificate",
                              "tenant": registered["tenant_id"],
                              "client_id": registered["client_id"], "certificate": str(pem)},
                     "endpoints": {"graph": ms.graph_url, "authority": ms.base_url}}])
    sync(app)
    assert list(captured(app)) == ["q3@customer.example"]
    pem.write_text(registered["public_certificate"], encoding="ascii")  # the key is missing
    broken = run_source(app, app.config.source("alice-mail"))
    assert broken.status == "failed" and "private key" in (broken.error or "")


def test_an_app_only_source_needs_a_mailbox(make_app: Any, ms: FakeMicrosoft,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    settings = app_only(ms, monkeypatch)
    del settings["mailbox"]
    with pytest.raises(ConfigError, match="needs `mailbox:`"):
        make_app([settings])


def test_a_message_with_no_sender_or_recipient_is_quarantined(app: Any,
                                                              ms: FakeMicrosoft) -> None:
    ms.mailbox(ALICE).add(b"Subject: nothing else\r\n\r\nJust text.\r\n")
    ms.mailbox(ALICE).add(quote(1))
    result = sync(app)
    assert result.stats.quarantined == 1 and list(captured(app)) == ["q1@customer.example"]


def test_stopping_ends_a_long_retry_after_at_once(app: Any, ms: FakeMicrosoft) -> None:
    """A daemon told to stop does not sit out a server's 30 s Retry-After: the run ends
    as interrupted with its cursor kept, and the next run captures the message."""
    sync(app)
    ms.mailbox(ALICE).add(quote(1))
    ms.fail_next(1, 429, retry_after="30", endpoint="mail.delta")
    stop = threading.Event()
    timer = threading.Timer(0.5, stop.set)
    started = time.monotonic()
    with retry.interrupted_by(stop):
        timer.start()
        result = run_source(app, app.config.source("alice-mail"), stop=stop)
    assert time.monotonic() - started < 10
    assert result.status == "interrupted" and "stopped while waiting" in (result.error or "")
    assert captured(app) == {}
    sync(app)
    assert list(captured(app)) == ["q1@customer.example"]
