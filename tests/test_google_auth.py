"""``syncd auth`` and Gmail sources with ``auth: {type: oauth}``, against the fake
Google (tests/fake_google.py), on SQLite and PostgreSQL.

The consent page is the fake's; a registered "browser" (or, with ``--no-browser``,
the test reading the printed URL) follows its redirect back to the flow's loopback
server, as in tests/test_fake_google.py. The refresh token must never reach the
database in clear, nor any output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
import webbrowser
from collections.abc import Iterator
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
from tests.fake_google import FakeGoogle, register_consent_browser
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
    assert google.count("oauth.token") == 2  # the code exchange, then one refresh


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
