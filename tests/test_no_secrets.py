"""The secrets check that runs around every test (tests/conftest.py,
``no_secrets_shown``) can fail: it sees the fakes' tokens, remembered passwords,
private keys and Fernet keys in log records (tracebacks too), CLI output and
subprocess output, and a test that leaks one fails.
"""

from __future__ import annotations

import logging
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from syncd.cli.app import app as cli
from tests import known_secrets
from tests.fake_google import FakeGoogle

pytest_plugins = ("pytester",)
ROOT = Path(__file__).resolve().parents[1]


def test_what_the_fakes_issue_is_recognised() -> None:
    with FakeGoogle() as google:
        client = google.oauth_client()["installed"]
    token = known_secrets.new("ya29.fake-")
    assert known_secrets.leaks(f"Authorization: Bearer {token}") == ["a token the fakes issued"]
    assert known_secrets.leaks(f"secret={client['client_secret'][:20]}...")  # a piece of one
    assert known_secrets.leaks(known_secrets.remember(secrets.token_hex(8))) != []
    assert known_secrets.leaks("-----BEGIN PRIVATE KEY-----\nMIIE") == ["a private key"]
    assert known_secrets.leaks("xyz hunter2-pass", extra=["hunter2-pass"]) != []
    assert known_secrets.leaks("synced 3 messages, token refreshed") == []


def test_the_watch_sees_logs_tracebacks_cli_and_subprocess_output(
        tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Secrets known to this watch only (not to the one around this test, which would
    rightly fail it), in a folder that is not this test's ``tmp_path``."""
    folder = tmp_path_factory.mktemp("leaky")
    watch = known_secrets.Watch()
    secret = "pw-for-the-watch-42"
    watch.extra.add(secret)
    fernet = Fernet.generate_key().decode()
    (folder / "syncd.key").write_text(fernet + "\n", encoding="ascii")
    log_file = folder / "daemon.log"
    with monkeypatch.context() as patch, watch.installed(patch):
        try:
            raise RuntimeError(f"login refused for {secret}")
        except RuntimeError:
            logging.getLogger("syncd.test").error("sign-in failed", exc_info=True)
        CliRunner().invoke(cli, ["--config", str(folder / "missing.yaml"), "status"])
        subprocess.run([sys.executable, "-c", f"print({fernet!r})"], capture_output=True,
                       check=True)
        with log_file.open("w") as out:
            subprocess.Popen([sys.executable, "-c", f"print({secret!r})"], stdout=out).wait()
    found = watch.found(folder)
    assert any(p.startswith("a known secret") and "log record syncd.test" in p for p in found)
    assert any("process" in p for p in found)  # the Fernet key of the key file
    assert any(f"output file {log_file}" in p for p in found)
    assert not any("syncd [" in p for p in found)  # the CLI said nothing secret


def test_a_test_that_leaks_a_token_fails(pytester: pytest.Pytester,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makepyfile(test_leaky="""
        import logging
        from tests.fake_google import FakeGoogle

        def test_leaks_a_client_secret():
            with FakeGoogle() as google:
                secret = google.oauth_client()["installed"]["client_secret"]
            logging.getLogger("syncd").warning("signing in with %s", secret)

        def test_keeps_it():
            with FakeGoogle() as google:
                google.oauth_client()
            logging.getLogger("syncd").warning("signing in")
    """)
    result = pytester.runpytest_subprocess("-p", "tests.conftest", "-p", "no:logging",
                                           "-p", "no:cacheprovider", "--show-capture=no")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*a secret was shown*",
                                 "*a token the fakes issued in log record syncd*"])
