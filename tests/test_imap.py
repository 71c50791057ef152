"""The IMAP connector against a real Dovecot server (started by the fixture).

Through the runner and the store, as in production: what lands in the CRM, what
is read again, and how many IMAP commands an unchanged mailbox costs.
"""

from __future__ import annotations

import http.server
import json
import secrets
import threading
import time
import urllib.parse
from typing import Any

import pytest
from sqlalchemy import func, select

from connectors.imap import ImapConnector
from syncd.db.models import Interaction, InteractionSource
from syncd.db.session import session_scope
from syncd.kept import Kept
from syncd.prefetch import can_fork
from syncd.runner import run_source
from tests.dovecot import Dovecot, command_name
from tests.mailfactory import mail

ALICE = "alice@acme-robotics.com"


def source(dovecot: Any, **overrides: Any) -> dict[str, Any]:
    settings = {"name": "imap", "kind": "imap", "host": dovecot.host,
                "port": dovecot.imaps_port, "security": "tls",
                "ca_file": str(dovecot.ca_file), "username": dovecot.user,
                "password": "${IMAP_TEST_PASSWORD}", "owner": ALICE}
    return settings | overrides


@pytest.fixture
def imap_app(make_app: Any, dovecot: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("IMAP_TEST_PASSWORD", dovecot.password)

    def build(**overrides: Any) -> Any:
        return make_app([source(dovecot, **overrides)])
    return build


def keys(app: Any) -> list[str]:
    with session_scope(app.sessions) as session:
        return sorted(session.execute(select(Interaction.key)).scalars())


def sync(app: Any, **kw: Any) -> Any:
    result = run_source(app, app.config.source("imap"), **kw)
    assert result.status == "ok", result.error
    return result


def customer(n: int, **kw: Any) -> bytes:
    return mail(f"buyer{n}@customer.example", [ALICE], message_id=f"<c{n}@customer.example>",
                subject=f"Order {n}", body=f"Please quote item {n}.\n", **kw)


def test_initial_sync_new_mail_and_sent_folder(imap_app: Any, dovecot: Any) -> None:
    for n in range(3):
        dovecot.deliver(customer(n))
    dovecot.deliver(mail(ALICE, ["buyer0@customer.example"], message_id="<s1@acme>",
                         subject="Re: Order 0"), folder="Sent")
    app = imap_app()
    first = sync(app)
    assert first.stats.new_interactions == 4
    with session_scope(app.sessions) as session:
        sent = session.execute(select(Interaction).where(Interaction.key == "s1@acme")
                               ).scalar_one()
        assert sent.direction == "outbound"
        snippet = session.execute(select(Interaction.snippet)
                                  .where(Interaction.key == "c1@customer.example")).scalar()
    assert snippet == "Please quote item 1."
    dovecot.deliver(customer(9))
    again = sync(app)
    assert again.stats.messages == 1 and again.stats.new_interactions == 1


def test_an_unchanged_mailbox_costs_one_status_per_folder(imap_app: Any,
                                                          dovecot: Any) -> None:
    dovecot.deliver(customer(1))
    app = imap_app()
    sync(app)
    sync(app)
    session = [command_name(line) for line in dovecot.command_log()[-1]]
    login = next(i for i, name in enumerate(session) if name.startswith(("LOGIN",
                                                                         "AUTHENTICATE")))
    work = [name for name in session[login + 1:] if name not in {"LOGOUT", "CAPABILITY"}]
    assert work.count("STATUS") == 2, work  # INBOX and Sent: one each
    assert len(work) <= 3 * 2, work  # at most 3 commands per folder, the folder list included
    assert not any("FETCH" in name or "SELECT" in name or "EXAMINE" in name for name in work)


def test_uidvalidity_reset_reads_again_without_duplicates(imap_app: Any,
                                                          dovecot: Any) -> None:
    for n in range(3):
        dovecot.deliver(customer(n))
    app = imap_app()
    sync(app)
    dovecot.reset_uidvalidity("INBOX")
    again = sync(app)
    assert again.stats.messages == 3 and again.stats.new_interactions == 0
    assert len(keys(app)) == 3


def test_one_message_in_inbox_and_sent_is_one_interaction(imap_app: Any,
                                                          dovecot: Any) -> None:
    copy = mail(ALICE, [ALICE, "buyer1@customer.example"], message_id="<cc@acme>")
    dovecot.deliver(copy)
    dovecot.deliver(copy, folder="Sent")
    app = imap_app()
    sync(app)
    assert keys(app) == ["cc@acme"]
    with session_scope(app.sessions) as session:
        assert session.execute(select(func.count()).select_from(InteractionSource)
                               ).scalar() == 1


def sync_until_fetching(app: Any, dovecot: Any) -> tuple[threading.Thread, list[Any]]:
    """Start a sync of 2,500 messages in a thread; return once the server has seen its
    first FETCH, so that five batches are still to come."""
    for n in range(2500):
        dovecot.deliver(customer(n))
    results: list[Any] = []
    runner = threading.Thread(target=lambda: results.append(
        run_source(app, app.config.source("imap"))))
    runner.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(
            "FETCH" in command_name(line) for session in dovecot.command_log()
            for line in session):
        time.sleep(0.02)
    return runner, results


def test_server_killed_mid_sync_then_the_next_run_completes(imap_app: Any,
                                                            dovecot: Any) -> None:
    app = imap_app()
    runner, results = sync_until_fetching(app, dovecot)
    dovecot.kill()
    runner.join(timeout=120)
    assert results and results[0].status == "failed", results
    assert "connection lost" in (results[0].error or "") or "127.0.0.1" in (
        results[0].error or "")
    dovecot.start()
    finished = sync(app)
    assert len(keys(app)) == 2500
    assert finished.stats.new_interactions == 2500 - results[0].stats.new_interactions


def test_wrong_password_needs_auth(make_app: Any, dovecot: Any,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAP_TEST_PASSWORD", "not-the-password")
    app = make_app([source(dovecot)])
    result = run_source(app, app.config.source("imap"))
    assert result.status == "needs_auth"
    assert "not-the-password" not in (result.error or "")


def test_starttls_with_an_untrusted_certificate_is_refused(imap_app: Any,
                                                           dovecot: Any) -> None:
    app = imap_app(security="starttls", port=dovecot.imap_port,
                   ca_file=str(dovecot.wrong_ca_file))
    result = run_source(app, app.config.source("imap"))
    assert result.status == "failed" and "not trusted" in (result.error or "")
    ok = imap_app(security="starttls", port=dovecot.imap_port)
    dovecot.deliver(customer(1))
    assert sync(ok).stats.new_interactions == 1


def test_an_unreadable_ca_file_fails_the_source_and_says_which(imap_app: Any,
                                                              tmp_path: Any) -> None:
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    for ca_file in (tmp_path / "missing.pem", garbage):
        app = imap_app(ca_file=str(ca_file))
        result = run_source(app, app.config.source("imap"))
        assert result.status == "failed"
        assert f"ca_file {ca_file} cannot be used" in (result.error or "")


def test_eight_bit_and_odd_charsets(imap_app: Any, dovecot: Any) -> None:
    latin = (b"From: =?iso-8859-1?q?Ren=E9?= <rene@client.example>\r\n"
             b"To: alice@acme-robotics.com\r\nSubject: =?koi8-r?b?8NLJ18XU?=\r\n"
             b"Message-ID: <latin@client.example>\r\nDate: Mon, 2 Mar 2026 09:00:00 +0000\r\n"
             b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
             b"Content-Transfer-Encoding: 8bit\r\n\r\nVoil\xe0 le devis, \xe0 bient\xf4t.\r\n")
    lying = latin.replace(b"<latin@", b"<lying@").replace(b"charset=iso-8859-1",
                                                            b"charset=x-unknown")
    dovecot.deliver(latin)
    dovecot.deliver(lying)
    app = imap_app()
    sync(app)
    with session_scope(app.sessions) as session:
        rows = dict(session.execute(select(Interaction.key, Interaction.snippet)).all())
        subject = session.execute(select(Interaction.subject)
                                  .where(Interaction.key == "latin@client.example")).scalar()
    assert rows["latin@client.example"] == "Voilà le devis, à bientôt."
    assert rows["lying@client.example"] == "Voilà le devis, à bientôt."
    assert subject == "Привет"


def test_odd_attachment_names_and_nested_parts_read_from_the_real_structure(
        imap_app: Any, dovecot: Any) -> None:
    """Dovecot's own BODYSTRUCTURE for an 8-bit, a quoted and an RFC 2231 file name
    (one may come as a literal), a nested alternative and a forwarded message."""
    message = (
        b"From: Dana <dana@client.example>\r\nTo: alice@acme-robotics.com\r\n"
        b"Subject: Files\r\nMessage-ID: <files@client.example>\r\n"
        b"Date: Mon, 2 Mar 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="m"\r\n\r\n'
        b'--m\r\nContent-Type: multipart/alternative; boundary="a"\r\n\r\n'
        b"--a\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        b"Here are the drawings, see attached.\r\n"
        b"--a\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Here are the drawings</p>\r\n"
        b"--a--\r\n"
        b'--m\r\nContent-Type: application/pdf; name="na\xc3\xafve r\xc3\xa9sum\xc3\xa9.pdf"\r\n'
        b'Content-Disposition: attachment; '
        b'filename="na\xc3\xafve \\"r\xc3\xa9sum\xc3\xa9\\".pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n"
        b"--m\r\nContent-Type: text/plain; name*=utf-8''%E2%82%AC%20notes.txt\r\n"
        b"Content-Disposition: attachment; filename*=utf-8''%E2%82%AC%20notes.txt\r\n\r\n"
        b"Attachment text that is not the body.\r\n"
        b"--m\r\nContent-Type: message/rfc822\r\n\r\n"
        b"From: x@y.example\r\nSubject: inner\r\n\r\nInner body.\r\n"
        b"--m--\r\n")
    dovecot.deliver(message)
    app = imap_app()
    result = sync(app)
    assert result.stats.quarantined == 0
    with session_scope(app.sessions) as session:
        snippet = session.execute(select(Interaction.snippet)).scalar_one()
    assert snippet == "Here are the drawings, see attached."


def test_plain_text_is_refused_for_a_remote_host(make_app: Any, tmp_path: Any) -> None:
    from syncd.errors import ConfigError

    with pytest.raises(ConfigError, match="loopback"):
        make_app([{"name": "imap", "kind": "imap", "host": "imap.example.net",
                   "security": "plain", "username": "a", "password": "b"}])



def test_a_server_restart_mid_sync_is_survived_within_the_run(imap_app: Any,
                                                              dovecot: Any) -> None:
    app = imap_app()
    runner, results = sync_until_fetching(app, dovecot)
    dovecot.kill()
    dovecot.start()  # back within the connector's reconnect backoff
    runner.join(timeout=120)
    assert results and results[0].status == "ok", results
    assert results[0].stats.new_interactions == 2500 == len(keys(app))


class _Introspection(http.server.BaseHTTPRequestHandler):
    """An RFC 7662 token introspection endpoint that knows one token."""

    token = ""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        active = form.get("token", [""])[0] == self.token
        body = json.dumps({"active": active, "username": ALICE if active else None})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: Any) -> None:  # keep tokens out of the test output
        pass


@pytest.fixture
def oauth_dovecot(tmp_path: Any) -> Any:
    token = secrets.token_urlsafe(24)
    handler = type("Handler", (_Introspection,), {"token": token})
    endpoint = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=endpoint.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{endpoint.server_address[1]}/introspect"
    server = Dovecot(tmp_path / "dovecot", secrets.token_urlsafe(16), token_introspection=url)
    server.start()
    try:
        yield server, token
    finally:
        server.close()
        endpoint.shutdown()


def test_xoauth2_login_with_a_token(make_app: Any, oauth_dovecot: Any,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    server, token = oauth_dovecot
    server.deliver(customer(1))
    settings = source(server) | {"auth": "xoauth2", "access_token": "${IMAP_TOKEN}"}
    del settings["password"]
    monkeypatch.setenv("IMAP_TOKEN", token)
    app = make_app([settings])
    assert sync(app).stats.new_interactions == 1
    monkeypatch.setenv("IMAP_TOKEN", "revoked-token")
    refused = make_app([settings])
    result = run_source(refused, refused.config.source("imap"))
    assert result.status == "needs_auth" and "revoked-token" not in (result.error or "")


# -- the connection kept between runs (syncd/kept.py) ------------------------------------


def sessions(dovecot: Any) -> list[list[str]]:
    """Each session's command names, oldest first."""
    return [[command_name(line) for line in session] for session in dovecot.command_log()]


def test_the_next_run_uses_the_kept_connection_and_the_end_logs_it_out(
        imap_app: Any, dovecot: Any) -> None:
    dovecot.deliver(customer(1))
    app = imap_app()
    sync(app)  # the first sync reads in a child process, on a connection of its own
    sync(app)  # this one opens a connection here and keeps it
    before = sessions(dovecot)
    sync(app)
    after = sessions(dovecot)
    assert len(after) == len(before)  # no handshake, no LOGIN: the same session
    # the folder list (SPECIAL-USE may name another Sent by now), then INBOX and Sent
    assert after[-1][len(before[-1]):] == ["LIST", "STATUS", "STATUS"]
    dovecot.deliver(customer(2))
    assert sync(app).stats.new_interactions == 1  # new mail is seen on the kept connection
    reading = sessions(dovecot)[-1][len(after[-1]):]
    assert "UID FETCH" in reading  # then INBOX is left (nothing stays selected) for Sent:
    assert reading[-2:] == ["CLOSE", "STATUS"]
    sync(app)
    app.close()
    final = sessions(dovecot)
    assert len(final) == len(before) and final[-1][-1] == "LOGOUT"


def test_a_kept_connection_the_server_dropped_is_opened_again_at_once(
        imap_app: Any, dovecot: Any, waits: list[float]) -> None:
    dovecot.deliver(customer(1))
    app = imap_app()
    sync(app)
    sync(app)
    dovecot.kill()  # every session ends with the server
    dovecot.start()
    dovecot.deliver(customer(2))
    before = len(sessions(dovecot))
    again = sync(app)
    assert again.stats.messages == 1 and again.stats.new_interactions == 1
    assert len(keys(app)) == 2
    assert waits == []  # no backoff: a dead idle connection says nothing of the server
    assert len(sessions(dovecot)) == before + 1


def test_a_kept_connector_serves_one_run_at_a_time(imap_app: Any, dovecot: Any) -> None:
    settings = imap_app().config.source("imap")
    first, second, third = (ImapConnector("imap", settings) for _ in range(3))
    for connector in (first, second, third):
        list(connector.pull(None))  # each signs in and reads; the connection stays open
    kept, made_for = Kept(), ("settings",)
    kept.give_back("imap", made_for, first)
    kept.give_back("imap", made_for, second)  # one is kept already: this one is closed
    assert first.holds_connection() and not second.holds_connection()
    assert kept.take("imap", made_for) is first
    assert kept.take("imap", made_for) is None  # a run at the same time makes its own
    kept.give_back("imap", made_for, first)
    assert kept.take("imap", ("other settings",)) is None  # a reload changed them
    assert not first.holds_connection()
    kept.give_back("imap", made_for, third)
    kept.close()
    assert not third.holds_connection()
    logged_out = sessions(dovecot)
    assert len(logged_out) == 3 and all(s[-1] == "LOGOUT" for s in logged_out)


@pytest.mark.skipif(not can_fork(), reason="a full resync forks only with two cores")
def test_a_full_resync_reads_in_a_child_on_its_own_connection(imap_app: Any,
                                                              dovecot: Any) -> None:
    for n in range(3):
        dovecot.deliver(customer(n))
    app = imap_app()
    sync(app)
    sync(app)
    kept = len(sessions(dovecot)) - 1
    full = sync(app, full=True)
    assert full.full and full.stats.messages == 3 and full.stats.new_interactions == 0
    log = sessions(dovecot)
    assert len(log) == kept + 2  # the child signed in for itself
    assert "UID FETCH" not in log[kept] and log[kept][-1] == "LOGOUT"  # the parent's
    assert "UID FETCH" in log[-1] and log[-1][-1] == "LOGOUT"  # the child's
    assert len(keys(app)) == 3
