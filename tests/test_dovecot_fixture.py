"""The Dovecot fixture itself, proven with the client library the IMAP connector uses.

If these fail, the connector's tests would fail for reasons that are not the
connector's; so TLS verification, login, special-use, CONDSTORE, UIDVALIDITY,
crash/restart and the command log are each checked here on their own.
"""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

import imapclient
import pytest
from imapclient.exceptions import LoginError

from tests.dovecot import REDACTED, Dovecot, command_name
from tests.mailfactory import mail


def tls(server: Dovecot, *, wrong: bool = False) -> ssl.SSLContext:
    return ssl.create_default_context(
        cafile=str(server.wrong_ca_file if wrong else server.ca_file))


def imaps(server: Dovecot) -> imapclient.IMAPClient:
    """A verified IMAPS connection, logged in."""
    client = imapclient.IMAPClient(server.host, port=server.imaps_port, ssl=True,
                                   ssl_context=tls(server), timeout=10)
    client.login(server.user, server.password)
    return client


def running(conf: Path) -> bool:
    return subprocess.run(["pgrep", "-f", str(conf)], capture_output=True,
                          check=False).returncode == 0


def test_imaps_verifies_against_the_ca_and_lists_special_use(dovecot: Dovecot) -> None:
    client = imaps(dovecot)
    folders = {name: flags for flags, _sep, name in client.list_folders()}
    client.logout()
    assert set(folders) == {"INBOX", "Sent"}
    assert b"\\Sent" in folders["Sent"]
    assert dovecot.host == "127.0.0.1"


def test_starttls_with_the_right_ca_and_not_with_a_wrong_one(dovecot: Dovecot) -> None:
    client = imapclient.IMAPClient(dovecot.host, port=dovecot.imap_port, ssl=False, timeout=10)
    assert b"STARTTLS" in client.capabilities()
    client.starttls(tls(dovecot))
    client.login(dovecot.user, dovecot.password)
    assert client.select_folder("INBOX", readonly=True)[b"EXISTS"] == 0
    client.logout()
    other = imapclient.IMAPClient(dovecot.host, port=dovecot.imap_port, ssl=False, timeout=10)
    with pytest.raises(ssl.SSLCertVerificationError):
        other.starttls(tls(dovecot, wrong=True))
    with pytest.raises(ssl.SSLCertVerificationError):
        imapclient.IMAPClient(dovecot.host, port=dovecot.imaps_port, ssl=True,
                              ssl_context=tls(dovecot, wrong=True), timeout=10)


def test_a_wrong_password_is_a_login_error(dovecot: Dovecot) -> None:
    client = imapclient.IMAPClient(dovecot.host, port=dovecot.imaps_port, ssl=True,
                                   ssl_context=tls(dovecot), timeout=10)
    with pytest.raises(LoginError):
        client.login(dovecot.user, "not-" + dovecot.password)


def test_delivered_mail_is_seen_with_condstore(dovecot: Dovecot) -> None:
    for n in range(3):
        dovecot.deliver(mail("buyer@customer.example", dovecot.user, subject=f"Order {n}"))
    dovecot.deliver(mail(dovecot.user, "buyer@customer.example"), folder="Sent")
    client = imaps(dovecot)
    assert client.has_capability("CONDSTORE") and client.has_capability("QRESYNC")
    client.enable("CONDSTORE")
    inbox = client.select_folder("INBOX", readonly=True)
    assert inbox[b"EXISTS"] == 3
    assert inbox[b"HIGHESTMODSEQ"] > 0
    assert client.folder_status("Sent", [b"MESSAGES"])[b"MESSAGES"] == 1
    subjects = [v[b"ENVELOPE"].subject for v in client.fetch(client.search(), ["ENVELOPE"])
                .values()]
    client.logout()
    assert sorted(subjects) == [b"Order 0", b"Order 1", b"Order 2"]


def test_reset_uidvalidity_changes_it_and_keeps_the_mail(dovecot: Dovecot) -> None:
    dovecot.deliver(mail("buyer@customer.example", dovecot.user))
    client = imaps(dovecot)
    before = client.select_folder("INBOX", readonly=True)[b"UIDVALIDITY"]
    client.logout()
    dovecot.reset_uidvalidity("INBOX")
    client = imaps(dovecot)
    after = client.select_folder("INBOX", readonly=True)
    client.logout()
    assert after[b"UIDVALIDITY"] != before
    assert after[b"EXISTS"] == 1


def test_kill_then_start_again_keeps_the_mail(dovecot: Dovecot) -> None:
    dovecot.deliver(mail("buyer@customer.example", dovecot.user))
    client = imaps(dovecot)
    client.select_folder("INBOX")
    dovecot.kill()
    assert not running(dovecot.conf_path)
    with pytest.raises((OSError, imapclient.IMAPClient.AbortError)):
        client.noop()
    dovecot.deliver(mail("buyer@customer.example", dovecot.user))  # while it is down
    dovecot.start()
    client = imaps(dovecot)
    assert client.select_folder("INBOX", readonly=True)[b"EXISTS"] == 2
    client.logout()


def test_the_command_log_has_each_session_without_the_password(dovecot: Dovecot) -> None:
    client = imaps(dovecot)
    client.select_folder("INBOX", readonly=True)
    client.search()
    client.logout()
    # the plain port on loopback: Dovecot logs LOGIN and AUTHENTICATE in clear here
    for login in ("login", "plain_login"):
        plain = imapclient.IMAPClient(dovecot.host, port=dovecot.imap_port, ssl=False,
                                      timeout=10)
        getattr(plain, login)(dovecot.user, dovecot.password)
        plain.noop()
        plain.logout()

    log = dovecot.command_log()
    assert len(log) == 3, log
    tls_session, login_session, auth_session = ([command_name(line) for line in s] for s in log)
    # imapclient asks CAPABILITY before its first search; its pre-login one is in TLS
    assert tls_session == ["AUTHENTICATE|LOGIN", "EXAMINE", "CAPABILITY", "UID SEARCH",
                           "LOGOUT"], log[0]
    assert login_session[-3:] == ["LOGIN", "NOOP", "LOGOUT"]
    assert auth_session[-3:] == ["AUTHENTICATE", "NOOP", "LOGOUT"]
    everything = "\n".join(line for session in log for line in session)
    assert f"LOGIN {dovecot.user} {REDACTED}" in everything
    assert f"AUTHENTICATE PLAIN {REDACTED}" in everything
    leaked = dovecot.password in everything
    assert not leaked  # a bare bool, so pytest never prints the secret
    raw = b"".join(p.read_bytes() for p in dovecot.rawlog_paths())
    in_clear = dovecot.password.encode() in raw
    assert in_clear  # proves the redaction is needed, not decorative


def test_stop_leaves_no_process(tmp_path: Path) -> None:
    server = Dovecot(tmp_path / "dc", password="pw-for-stop-test")
    with server:
        assert running(server.conf_path)
        client = imaps(server)  # a child imap process exists
        client.noop()
    assert not running(server.conf_path)
    assert not server.running
