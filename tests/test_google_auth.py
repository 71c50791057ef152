"""``syncd auth`` and Gmail sources with ``auth: {type: oauth}``, against the fake
Google (tests/fake_google.py), on SQLite and PostgreSQL.

The consent page is the fake's; a registered "browser" (or, with ``--no-browser``,
the test reading the printed URL) follows its redirect back to the flow's loopback
server, as in tests/test_fake_google.py. The refresh token must never reach the
database in clear, nor any output.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import urllib.request
import webbrowser
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from syncd.cli import setup, signin  # noqa: F401  (registers `syncd init`, `syncd auth`)
from syncd.cli.app import app as cli
from syncd.db.models import Credential
from syncd.db.session import session_scope
from syncd.errors import ConfigError
from syncd.runner import run_source
from syncd.secrets import ENV, create_key_file, load_cipher
from syncd.store.credentials import load_token, save_token
from tests.fake_google import (
    CALENDAR_READONLY,
    GMAIL_METADATA,
    GMAIL_READONLY,
    FakeGoogle,
    register_consent_browser,
)
from tests.mailfactory import mail
from tests.test_fake_google import loopback_only  # noqa: F401  (autouse: loopback only)
from tests.test_gmail import ALICE, DANA, captured, customer

BOB = "bob@acme-robotics.com"


@pytest.fixture
def google() -> Iterator[FakeGoogle]:
    with FakeGoogle() as fake:
        fake.add_user(ALICE)
        fake.add_user(BOB)
        yield fake


@pytest.fixture(autouse=True)
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The key file `syncd init` makes beside the config (make_app's syncd.yaml)."""
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake is plain http
    path = tmp_path / "syncd.key"
    assert create_key_file(path) and not create_key_file(path)
    assert path.stat().st_mode & 0o777 == 0o600
    return path


def client_file(tmp_path: Path, client: dict[str, Any]) -> Path:
    path = tmp_path / "client_secret.json"
    path.write_text(json.dumps(client), encoding="utf-8")
    return path


def oauth_source(google: FakeGoogle, client_secrets: Path, name: str = "alice") -> dict[str, Any]:
    return {"name": name, "kind": "gmail", "owner": ALICE,
            "auth": {"type": "oauth", "client_secrets": str(client_secrets)},
            "endpoints": {"api": google.gmail_endpoint, "token": google.token_uri}}


@pytest.fixture
def app(make_app: Any, google: FakeGoogle, tmp_path: Path) -> Any:
    return make_app([oauth_source(google, client_file(tmp_path, google.oauth_client()))])


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default browser follows the consent page's redirect, in the background."""
    monkeypatch.setattr(webbrowser, "_tryorder", [register_consent_browser()])


def the_refresh_token(google: FakeGoogle) -> str:
    (token,) = google.oauth.refresh_tokens
    return token


def stored(app: Any) -> bytes:
    with session_scope(app.sessions) as session:
        return bytes(session.execute(select(Credential.secret)).scalar_one())


def test_auth_signs_in_and_the_source_syncs(app: Any, google: FakeGoogle, browser: None,
                                            tmp_path: Path) -> None:
    google.consent_as(ALICE)
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "syncd.yaml"), "auth",
                                      "alice"])
    assert result.exit_code == 0, result.output
    assert "signed in" in result.output
    refresh = the_refresh_token(google)
    assert refresh not in result.output
    assert refresh.encode() not in stored(app)
    if app.config.database.url.startswith("sqlite"):
        database = Path(app.config.database.url.removeprefix("sqlite:///"))
        files = [database, *database.parent.glob(database.name + "-wal")]
        assert all(refresh.encode() not in f.read_bytes() for f in files)
    with session_scope(app.sessions) as session:
        assert json.loads(load_token(session, app.cipher, "alice") or "")[
            "refresh_token"] == refresh

    google.mailbox(ALICE).add(customer(1))
    outcome = run_source(app, app.config.source("alice"))
    assert outcome.status == "ok", outcome.error
    assert list(captured(app)) == ["q1@customer.example"]
    assert google.count("oauth.token") == 1  # the code exchange's access token served
    with session_scope(app.sessions) as session:
        kept = json.loads(load_token(session, app.cipher, "alice") or "")
    assert kept["scopes"] == kept["access"]["scopes"] == [GMAIL_READONLY]


def test_auth_without_a_browser_prints_the_url(app: Any, google: FakeGoogle,
                                               tmp_path: Path) -> None:
    """The real command in its own process; the test plays the person at the browser."""
    google.consent_as(ALICE)
    env = os.environ | {"PYTHONUNBUFFERED": "1", "OAUTHLIB_INSECURE_TRANSPORT": "1"}
    with subprocess.Popen([sys.executable, "-m", "syncd", "--config",
                           str(tmp_path / "syncd.yaml"), "auth", "alice", "--no-browser"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          env=env) as process:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("http"):
                urllib.request.urlopen(line.strip(), timeout=10).read()
                break
        output = "".join(lines) + process.stdout.read()
        assert process.wait(timeout=30) == 0, output
    assert "signed in" in output and the_refresh_token(google) not in output
    assert run_source(app, app.config.source("alice")).status == "ok"


def test_a_source_that_never_signed_in_needs_auth(app: Any) -> None:
    result = run_source(app, app.config.source("alice"))
    assert result.status == "needs_auth"
    assert "run `syncd auth alice`" in (result.error or "")


def test_a_revoked_grant_needs_auth_and_other_sources_carry_on(
        make_app: Any, google: FakeGoogle, tmp_path: Path) -> None:
    info = google.authorize_user(ALICE, {"https://www.googleapis.com/auth/gmail.readonly"})
    client = {"installed": {"client_id": info["client_id"],
                            "client_secret": info["client_secret"],
                            "token_uri": google.token_uri}}
    key = tmp_path / "service-account.json"
    key.write_text(json.dumps(google.service_account()), encoding="utf-8")
    bob = {"name": "bob", "kind": "gmail", "owner": BOB,
           "auth": {"type": "service_account", "key_file": str(key), "subject": BOB},
           "endpoints": {"api": google.gmail_endpoint, "token": google.token_uri}}
    app = make_app([oauth_source(google, client_file(tmp_path, client)), bob])
    with session_scope(app.sessions) as session:
        save_token(session, app.cipher, "alice",
                   json.dumps({"refresh_token": info["refresh_token"]}))
    google.mailbox(ALICE).add(customer(1))
    google.mailbox(BOB).add(mail(DANA, [BOB], message_id="<b1@customer.example>",
                                 subject="Hello Bob", body="Hi.\n"))
    assert run_source(app, app.config.source("alice")).status == "ok"

    google.revoke(info["refresh_token"])
    google.mailbox(ALICE).add(customer(2))
    revoked = run_source(app, app.config.source("alice"))
    assert revoked.status == "needs_auth" and "invalid_grant" in (revoked.error or "")
    assert info["refresh_token"] not in (revoked.error or "")
    carried_on = run_source(app, app.config.source("bob"))
    assert carried_on.status == "ok", carried_on.error
    assert set(captured(app)) == {"q1@customer.example", "b1@customer.example"}


def test_a_missing_key_is_a_clear_error(app: Any, key_file: Path, tmp_path: Path,
                                        google: FakeGoogle) -> None:
    with session_scope(app.sessions) as session:
        save_token(session, app.cipher, "alice", json.dumps({"refresh_token": "1//0x"}))
    key_file.unlink()
    with pytest.raises(ConfigError, match=f"{ENV} is not set and {key_file} does not exist"):
        load_cipher(key_file)
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "syncd.yaml"), "auth",
                                      "alice"])
    assert isinstance(result.exception, ConfigError), result.output
    assert str(key_file) in str(result.exception)
    assert google.count("oauth.token") == 0  # refused before anyone signed in

    app.__dict__.pop("cipher")
    failed = run_source(app, app.config.source("alice"))
    assert failed.status == "failed" and str(key_file) in (failed.error or "")


def test_the_key_may_come_from_the_environment(key_file: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    cipher = load_cipher(key_file)
    secret = cipher.encrypt("token")
    monkeypatch.setenv(ENV, key_file.read_text(encoding="utf-8"))
    assert load_cipher(Path("/nonexistent")).decrypt(secret) == "token"
    monkeypatch.setenv(ENV, "not a key")
    with pytest.raises(ConfigError, match=f"\\${ENV}: not a Fernet key"):
        load_cipher(key_file)


def test_init_creates_the_key_file_once(tmp_path: Path) -> None:
    config = tmp_path / "etc" / "syncd.yaml"
    result = CliRunner().invoke(cli, ["init", str(config)])
    assert result.exit_code == 0, result.output
    key = config.parent / "syncd.key"
    assert key.stat().st_mode & 0o777 == 0o600
    first = key.read_bytes()
    assert first.strip().decode() not in result.output
    assert CliRunner().invoke(cli, ["init", str(config), "--force"]).exit_code == 0
    assert key.read_bytes() == first  # an existing key is never replaced
    load_cipher(key)


def test_auth_asks_for_the_scope_the_capture_policy_needs(
        make_app: Any, google: FakeGoogle, browser: None, tmp_path: Path) -> None:
    """No text kept: consent to gmail.metadata only, and the runs that follow use it."""
    source = oauth_source(google, client_file(tmp_path, google.oauth_client()))
    app = make_app([source | {"capture": {"visibility": "metadata"}}])
    google.consent_as(ALICE)
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "syncd.yaml"), "auth",
                                      "alice"])
    assert result.exit_code == 0, result.output
    (grant,) = google.oauth.refresh_tokens.values()
    assert grant.scopes == {GMAIL_METADATA}
    google.mailbox(ALICE).add(customer(1))
    outcome = run_source(app, app.config.source("alice"))
    assert outcome.status == "ok", outcome.error
    assert list(captured(app)) == ["q1@customer.example"]
    assert google.count(status=403) == 0


def test_auth_asks_a_calendar_source_for_calendar_access(
        make_app: Any, google: FakeGoogle, browser: None, tmp_path: Path) -> None:
    source = oauth_source(google, client_file(tmp_path, google.oauth_client()), "calendar")
    make_app([source | {"kind": "google_calendar",
                        "endpoints": {"api": google.calendar_endpoint,
                                      "token": google.token_uri}}])
    google.consent_as(ALICE)
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "syncd.yaml"), "auth",
                                      "calendar"])
    assert result.exit_code == 0, result.output
    (grant,) = google.oauth.refresh_tokens.values()
    assert grant.scopes == {CALENDAR_READONLY}


@pytest.fixture
def signed_in(make_app: Any, google: FakeGoogle, tmp_path: Path) -> Any:
    """A source whose stored sign-in holds a refresh token only, as before this
    version kept access tokens."""
    info = google.authorize_user(ALICE, {GMAIL_READONLY})
    client = {"installed": {"client_id": info["client_id"],
                            "client_secret": info["client_secret"],
                            "token_uri": google.token_uri}}
    app = make_app([oauth_source(google, client_file(tmp_path, client))])
    with session_scope(app.sessions) as session:
        save_token(session, app.cipher, "alice",
                   json.dumps({"refresh_token": info["refresh_token"],
                               "scopes": [GMAIL_READONLY]}))
    return app


def kept(app: Any) -> dict[str, Any]:
    with session_scope(app.sessions) as session:
        token: dict[str, Any] = json.loads(load_token(session, app.cipher, "alice") or "")
    return token


def test_the_refreshed_access_token_serves_the_next_run(
        signed_in: Any, google: FakeGoogle, caplog: pytest.LogCaptureFixture) -> None:
    app, refresh = signed_in, kept(signed_in)["refresh_token"]
    google.mailbox(ALICE).add(customer(1))
    caplog.set_level(logging.DEBUG)
    assert run_source(app, app.config.source("alice")).status == "ok"
    assert google.count("oauth.token") == 1
    access = kept(app)["access"]
    assert kept(app)["refresh_token"] == refresh and access["scopes"] == [GMAIL_READONLY]
    expiry = datetime.fromisoformat(access["expiry"])
    assert timedelta(minutes=55) < expiry - datetime.now(UTC) <= timedelta(hours=1)
    assert google.oauth.grant_for(f"Bearer {access['token']}") is not None

    google.mailbox(ALICE).add(customer(2))
    again = run_source(app, app.config.source("alice"))
    assert again.status == "ok" and again.stats.new_interactions == 1
    assert google.count("oauth.token") == 1  # no refresh: the stored token was valid
    assert kept(app)["access"] == access
    assert refresh.encode() not in stored(app) and access["token"].encode() not in stored(app)
    assert all(secret not in caplog.text for secret in (refresh, access["token"]))


def test_an_expired_stored_access_token_is_refreshed(signed_in: Any,
                                                     google: FakeGoogle) -> None:
    app = signed_in
    assert run_source(app, app.config.source("alice")).status == "ok"
    stale = kept(app)["access"] | {"expiry": "2026-01-01T00:00:00+00:00"}
    with session_scope(app.sessions) as session:
        save_token(session, app.cipher, "alice",
                   json.dumps(kept(app) | {"access": stale}))
    assert run_source(app, app.config.source("alice")).status == "ok"
    assert google.count("oauth.token") == 2
    fresh = kept(app)["access"]
    assert fresh["token"] != stale["token"]
    assert datetime.fromisoformat(fresh["expiry"]) > datetime.now(UTC)


def test_an_access_token_google_dropped_early_is_refreshed(signed_in: Any,
                                                           google: FakeGoogle) -> None:
    """Unexpired by the clock, refused by Google (401): google-auth refreshes it once."""
    app = signed_in
    assert run_source(app, app.config.source("alice")).status == "ok"
    google.expire_access_tokens(ALICE)
    google.mailbox(ALICE).add(customer(1))
    google.calls.clear()
    result = run_source(app, app.config.source("alice"))
    assert result.status == "ok", result.error
    assert [c.endpoint for c in google.calls if c.status in {401, 200}][:2] == [
        "gmail.users.history.list", "oauth.token"]
    assert google.oauth.grant_for(f"Bearer {kept(app)['access']['token']}") is not None


def test_a_token_kept_for_another_scope_is_not_used(signed_in: Any, google: FakeGoogle,
                                                    make_app: Any, tmp_path: Path) -> None:
    """The policy now keeps no text: the readonly access token is not reused, and the
    refresh asks for gmail.metadata, which this sign-in never granted."""
    assert run_source(signed_in, signed_in.config.source("alice")).status == "ok"
    source = oauth_source(google, tmp_path / "client_secret.json")
    app = make_app([source | {"capture": {"visibility": "metadata"}}])  # same database
    result = run_source(app, app.config.source("alice"))
    assert result.status == "needs_auth" and "invalid_scope" in (result.error or "")
    assert google.count("oauth.token", status=400) == 1
    assert google.count(status=401) == google.count(status=403) == 0
