"""``syncd doctor``: each source reached and signed in (real Dovecot, fake Google),
each problem named with its fix, nothing read or changed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from syncd.db.models import Interaction
from syncd.db.session import session_scope
from syncd.doctor import Finding, examine
from tests.dovecot import free_port
from tests.fake_google import FakeGoogle
from tests.mailfactory import mail, put_maildir
from tests.test_fake_google import loopback_only  # noqa: F401  (autouse: loopback only)
from tests.test_imap import source as imap_source

ALICE = "alice@acme-robotics.com"


@pytest.fixture
def google() -> Iterator[FakeGoogle]:
    with FakeGoogle() as fake:
        fake.add_user(ALICE)
        yield fake


def by_check(findings: Iterator[Finding]) -> dict[str, Finding]:
    return {finding.check: finding for finding in findings}


def test_every_source_is_reached_and_each_problem_has_a_fix(
        make_app: Any, dovecot: Any, google: FakeGoogle, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAP_TEST_PASSWORD", dovecot.password)
    monkeypatch.setenv("WRONG_PASSWORD", "not-it")
    put_maildir(tmp_path / "mail", mail("dana@customer.example", [ALICE]))
    key = tmp_path / "key.json"
    key.write_text(json.dumps(google.service_account()), encoding="utf-8")
    google.mailbox(ALICE).add(mail("dana@customer.example", [ALICE]))
    secrets = tmp_path / "client.json"
    secrets.write_text(json.dumps(google.oauth_client()), encoding="utf-8")
    endpoints = {"api": google.gmail_endpoint, "token": google.token_uri}
    app = make_app([
        {"name": "files", "kind": "maildir", "path": str(tmp_path / "mail")},
        {"name": "gone", "kind": "mbox", "path": str(tmp_path / "missing.mbox")},
        imap_source(dovecot),
        imap_source(dovecot, name="wrong", password="${WRONG_PASSWORD}"),
        imap_source(dovecot, name="down", port=free_port()),
        {"name": "gmail", "kind": "gmail", "owner": ALICE, "endpoints": endpoints,
         "auth": {"type": "service_account", "key_file": str(key), "subject": ALICE}},
        {"name": "cal", "kind": "google_calendar", "owner": ALICE,
         "endpoints": {"api": google.calendar_endpoint, "token": google.token_uri},
         "auth": {"type": "service_account", "key_file": str(key), "subject": ALICE}},
        {"name": "unsigned", "kind": "gmail", "owner": ALICE, "endpoints": endpoints,
         "auth": {"type": "oauth", "client_secrets": str(secrets)}}],
        secrets={"key_file": str(tmp_path / "syncd.key")})
    found = by_check(examine(app))
    assert found["database"].ok
    assert not found["secrets key"].ok and "syncd init" in found["secrets key"].fix
    assert found["source files"].ok
    assert "does not exist" in found["source gone"].found
    assert found["source imap"].ok and "INBOX" in found["source imap"].found
    assert "sign-in refused" in found["source wrong"].found
    assert "not-it" not in found["source wrong"].found + found["source wrong"].fix
    assert "unreachable" in found["source down"].found
    assert found["source gmail"].found == f"mailbox {ALICE} with 1 messages"
    assert found["source cal"].ok
    assert found["source unsigned"].fix == "run `syncd auth unsigned`"
    with session_scope(app.sessions) as session:  # nothing was read
        assert session.execute(select(func.count()).select_from(Interaction)).scalar() == 0


def test_the_command_exits_1_on_a_problem(tmp_path: Path) -> None:
    config = tmp_path / "syncd.yaml"
    config.write_text(json.dumps({"database": {"url": "sqlite:///crm.db"}, "sources": [
        {"name": "gone", "kind": "maildir", "path": "nowhere"}]}), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "syncd", "--config", str(config), "doctor"],
                          capture_output=True, text=True, check=False,
                          env={**os.environ, "COLUMNS": "250"})
    assert done.returncode == 1, done.stderr
    assert "source gone" in done.stdout and "does not exist" in done.stdout
    assert "empty; the first sync" in done.stdout
    assert not (tmp_path / "crm.db").exists() or done.stdout  # nothing migrated
