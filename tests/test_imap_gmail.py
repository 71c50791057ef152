"""The IMAP connector on a Gmail-shaped server (tests/gmail_imap.py): only All Mail
is read, a message shown under several labels is one interaction, X-GM-THRID is
the thread and X-GM-MSGID names the message."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from syncd.db.models import Interaction, InteractionSource
from syncd.db.session import session_scope
from syncd.runner import run_source
from tests.gmail_imap import ALL_MAIL, FakeGmail
from tests.mailfactory import mail

ALICE = "alice@acme-robotics.com"
THREAD = 0x1A2B3C4D5E6F7081


@pytest.fixture
def gmail(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGmail]:
    password = secrets.token_urlsafe(12)
    monkeypatch.setenv("GMAIL_TEST_PASSWORD", password)
    with FakeGmail(ALICE, password) as server:
        server.add(mail("dana@customer.example", [ALICE], message_id="<q1@customer.example>",
                        subject="Quote", body="Can you quote 40 units?\n"),
                   0x100, THREAD, "\\Inbox", "Customers")
        server.add(mail(ALICE, ["dana@customer.example"], message_id="<r1@acme-robotics.com>",
                        subject="Re: Quote", body="Yes: 40 units at 12 EUR.\n"),
                   0x101, THREAD, "\\Sent")
        server.add(mail("eve@other.example", [ALICE], message_id="<o1@other.example>",
                        subject="Intro", body="Nice to meet you.\n"),
                   0x102, 0x999, "Customers")
        yield server


def gmail_app(make_app: Any, server: FakeGmail, **overrides: Any) -> Any:
    settings = {"name": "gmail", "kind": "imap", "host": "127.0.0.1", "port": server.port,
                "security": "plain", "username": ALICE,
                "password": "${GMAIL_TEST_PASSWORD}", "owner": ALICE}
    return make_app([settings | overrides])


def captured(app: Any) -> dict[str, tuple[str, list[str]]]:
    """Interaction key -> (thread key, external ids)."""
    with session_scope(app.sessions) as session:
        rows = session.execute(select(Interaction.key, Interaction.thread_key,
                                      InteractionSource.external_id)
                               .join(InteractionSource)).all()
    found: dict[str, tuple[str, list[str]]] = {}
    for key, thread, external in rows:
        found.setdefault(key, (thread, []))[1].append(external)
    return found


def examined(server: FakeGmail) -> list[str]:
    return [c.split(" ", 2)[2] for c in server.commands
            if c.split(" ")[1:2] in (["EXAMINE"], ["SELECT"])]


def test_only_all_mail_is_read_and_the_gmail_ids_are_kept(make_app: Any,
                                                          gmail: FakeGmail) -> None:
    app = gmail_app(make_app, gmail)
    result = run_source(app, app.config.source("gmail"))
    assert result.status == "ok", result.error
    assert examined(gmail) == [f'"{ALL_MAIL}"']
    found = captured(app)
    assert found == {
        "q1@customer.example": (f"thread:{THREAD:x}", ["gmail:100"]),
        "r1@acme-robotics.com": (f"thread:{THREAD:x}", ["gmail:101"]),
        "o1@other.example": ("thread:999", ["gmail:102"]),
    }


def test_a_message_under_two_labels_is_captured_once(make_app: Any,
                                                     gmail: FakeGmail) -> None:
    app = gmail_app(make_app, gmail, folders=["INBOX", "Customers"])
    result = run_source(app, app.config.source("gmail"))
    assert result.status == "ok", result.error
    assert sorted(captured(app)) == ["o1@other.example", "q1@customer.example"]
    assert captured(app)["q1@customer.example"][1] == ["gmail:100"]
    again = run_source(app, app.config.source("gmail"))
    assert again.status == "ok" and len(captured(app)) == 2


def test_new_mail_in_all_mail_is_read_incrementally(make_app: Any,
                                                    gmail: FakeGmail) -> None:
    app = gmail_app(make_app, gmail)
    run_source(app, app.config.source("gmail"))
    gmail.add(mail("dana@customer.example", [ALICE], message_id="<q2@customer.example>",
                   subject="Re: Quote", body="Deal.\n"), 0x103, THREAD, "\\Inbox")
    gmail.commands.clear()
    result = run_source(app, app.config.source("gmail"))
    assert result.status == "ok", result.error
    assert captured(app)["q2@customer.example"] == (f"thread:{THREAD:x}", ["gmail:103"])
    fetched_uids = {c.split()[3] for c in gmail.commands if " UID FETCH " in c.upper()}
    assert fetched_uids == {"4"}  # only the new message; UID 4 of All Mail


def test_no_body_is_fetched_when_the_policy_keeps_no_text(make_app: Any,
                                                          gmail: FakeGmail) -> None:
    app = gmail_app(make_app, gmail, capture={"visibility": "subject"})
    result = run_source(app, app.config.source("gmail"))
    assert result.status == "ok", result.error
    fetches = [c.upper() for c in gmail.commands if " UID FETCH " in c.upper()]
    assert fetches and all("BODYSTRUCTURE" not in c and "BODY.PEEK[1" not in c
                           and "HEADER.FIELDS" in c for c in fetches)
    assert len(captured(app)) == 3
