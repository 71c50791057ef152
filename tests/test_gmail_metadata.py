"""The Gmail connector when the capture policy keeps no text (``gmail.metadata``), and
its quota limiter, against the wire-level fake Google (tests/fake_google.py).

With ``gmail.metadata`` Google refuses ``q`` and ``format=raw|full`` (403), so each
test here signs in with a key delegated *only* that scope: a connector that slipped
back to the readonly way would be refused its token or its requests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from googleapiclient.errors import HttpError

from connectors import quota, retry, rfc822
from connectors.base import Address, RawMessage
from connectors.gmail import GMAIL_METADATA, UNITS, GmailConnector
from connectors.gmail_message import METADATA_HEADERS
from tests.fake_google import FakeGoogle
from tests.mailfactory import mail
from tests.test_fake_google import (
    delegated,
    gmail,
    loopback_only,  # noqa: F401  (autouse: loopback only)
)
from tests.test_gmail import ALICE, DANA, GET, HISTORY, LIST, captured, customer, gmail_app, sync
from tests.test_quota import FakeClock

NO_TEXT = {"visibility": "subject"}
EVERY_HEADER = b"""\
Return-Path: <bounces@mailer.customer.example>
Received: from mx.customer.example by mx.google.com; Mon, 04 Mar 2024 09:00:01 +0000
Return-Path: <second@mailer.customer.example>
From: =?utf-8?q?Doe=2C_J=C3=B6rg?= <Dana@Customer.Example>
Sender: assistant@customer.example
Reply-To: "Sales desk" <desk@customer.example>
To: Alice <alice@acme-robotics.com>,
 "Bob, B." <bob@acme-robotics.com>
Cc: carol@customer.example
Bcc: audit@acme-robotics.com
Subject: =?utf-8?b?UXVvdGUg4oCTIEdyw7zDn2U=?= and
\tmore
Date: Mon, 04 Mar 2024 10:00:00 +0100
Message-Id: <h1@customer.example>
In-Reply-To: <r0@acme-robotics.com>
References: <q0@customer.example>
 <r0@acme-robotics.com>
List-Unsubscribe: <mailto:unsubscribe@customer.example>
List-Id: Customers <customers.customer.example>
List-Post: NO
Precedence: bulk
Auto-Submitted: auto-replied
X-Auto-Response-Suppress: All
X-Autoreply: yes
X-Autorespond: yes
X-Mailer: Customer Mailer 1.0
Feedback-ID: 1:campaign:customer
X-Campaign: spring
X-Mailgun-Tag: quotes
X-SES-Outgoing: 2024.03.04-1.2.3.4
X-SG-EID: abc123
X-MC-User: u42
X-Not-Read: by syncd
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b"

--b
Content-Type: text/plain; charset=utf-8

Hello Alice.
--b
Content-Type: text/html; charset=utf-8

<p>Hello Alice.</p>
--b--
""".replace(b"\n", b"\r\n")



@pytest.fixture(autouse=True)
def pages_of_100(monkeypatch: pytest.MonkeyPatch) -> None:
    """The page size these tests count requests by (syncd's own page is larger)."""
    monkeypatch.setattr("connectors.gmail.PAGE", 100)


@pytest.fixture
def google() -> Iterator[FakeGoogle]:
    with FakeGoogle() as fake:
        fake.add_user(ALICE)
        yield fake


def write_key(google: FakeGoogle, path: Path, scopes: set[str] | None = None) -> Path:
    """A service-account key delegated ``scopes`` (None: any)."""
    path.write_text(json.dumps(google.service_account(scopes)), encoding="utf-8")
    return path


@pytest.fixture
def key_file(google: FakeGoogle, tmp_path: Path) -> Path:
    return write_key(google, tmp_path / "service-account.json")


@pytest.fixture
def metadata_key(google: FakeGoogle, tmp_path: Path) -> Path:
    """A key the admin delegated gmail.metadata only."""
    return write_key(google, tmp_path / "metadata-only.json", {GMAIL_METADATA})


def messages(connector: GmailConnector) -> list[RawMessage]:
    found = [item for batch in connector.pull(None) for item in batch.items]
    assert all(isinstance(item, RawMessage) for item in found), found
    return found  # type: ignore[return-value]


def refused(google: FakeGoogle) -> int:
    """Answers Google gives a request the grant does not allow."""
    return google.count(status=403) + google.count(status=401)


def test_headers_asked_for_are_those_the_parser_reads() -> None:
    mime = {"content-type", "content-transfer-encoding", "content-disposition"}
    assert {name.lower() for name in METADATA_HEADERS} == set(rfc822._KEPT.values()) - mime
    block = EVERY_HEADER.lower()
    assert all(f"\n{name.lower()}:".encode() in block for name in METADATA_HEADERS[1:])


def test_the_fake_refuses_search_and_bodies_to_a_metadata_grant(google: FakeGoogle) -> None:
    message_id = google.mailbox(ALICE).add(customer(1))
    service = gmail(google, delegated(google, [GMAIL_METADATA], ALICE))
    messages = service.users().messages()
    for request in (messages.list(userId="me", q="after:0"),
                    messages.get(userId="me", id=message_id, format="raw"),
                    messages.get(userId="me", id=message_id, format="full")):
        with pytest.raises(HttpError) as forbidden:
            request.execute()
        assert forbidden.value.status_code == 403
    assert messages.list(userId="me").execute()["messages"][0]["id"] == message_id


def test_metadata_gives_the_raw_message_less_its_text(google: FakeGoogle, key_file: Path,
                                                      make_app: Any) -> None:
    """Same headers, same RawMessage: encoded words, folding, repeats, the case of
    Gmail's names and every field classification reads."""
    box = google.mailbox(ALICE)
    box.add(EVERY_HEADER)
    box.add(customer(1))
    box.add(mail(ALICE, [DANA], message_id="<r1@acme-robotics.com>", subject="Re: Quote 1",
                 headers={"In-Reply-To": "<q1@customer.example>"}))
    source = gmail_app(make_app, google, key_file).config.source("gmail")
    full = messages(GmailConnector("gmail", source, bodies=True))
    bare = messages(GmailConnector("gmail", source, bodies=False))
    assert (full[-1].text, full[-1].html) == ("Hello Alice.", "<p>Hello Alice.</p>")
    assert bare == [replace(item, text="", html="") for item in full]
    oldest = bare[-1]
    assert oldest.sender == Address("Dana@customer.example", "Doe, Jörg")
    assert oldest.subject == "Quote – Grüße and\tmore"
    assert len(oldest.to) == 2 and oldest.references == ("q0@customer.example",
                                                         "r0@acme-robotics.com")
    assert oldest.headers["return-path"] == "<bounces@mailer.customer.example>"
    assert set(oldest.headers) == set(rfc822.CLASSIFY_FIELDS)  # every one came through


def test_no_text_kept_syncs_with_the_metadata_scope_alone(
        google: FakeGoogle, metadata_key: Path, make_app: Any) -> None:
    app = gmail_app(make_app, google, metadata_key, capture=NO_TEXT)
    box = google.mailbox(ALICE)
    asked = box.add(customer(1))
    box.add(mail(ALICE, [DANA], message_id="<r1@acme-robotics.com>", subject="Re: Quote 1",
                 headers={"In-Reply-To": "<q1@customer.example>"}))
    result = sync(app)
    assert result.status == "ok", result.error
    thread = f"thread:{int(asked, 16):x}"
    assert {key: value[:2] for key, value in captured(app).items()} == {
        "q1@customer.example": (thread, "inbound"),
        "r1@acme-robotics.com": (thread, "outbound")}
    box.add(customer(2))
    assert sync(app).stats.new_interactions == 1
    assert google.count(HISTORY) == 1 and google.count(GET, batched=True) == 3
    assert refused(google) == 0


def test_the_window_is_applied_to_internal_date(google: FakeGoogle, metadata_key: Path,
                                                make_app: Any) -> None:
    """No ``q``: the newest-first listing stops after the first page that is wholly
    older than the window, and a resumed backfill keeps the window."""
    box = google.mailbox(ALICE)
    now = datetime.now(UTC)
    for n in range(250):
        box.add(customer(1000 + n, date=now - timedelta(days=90, minutes=n)))
    for n in range(130):
        box.add(customer(n, date=now - timedelta(days=2, minutes=n)))
    source = gmail_app(make_app, google, metadata_key, capture=NO_TEXT).config.source("gmail")
    since = now - timedelta(days=30)
    batches = list(GmailConnector("gmail", source, bodies=False).pull(None, since=since))
    assert [len(batch.items) for batch in batches] == [100, 30, 0]
    assert google.count(LIST) == 3 and google.count(GET) == 300  # page 4 never listed
    assert batches[0].next_cursor["after"] == int(since.timestamp())
    assert set(batches[-1].next_cursor) == {"history_id"}
    resumed = list(GmailConnector("gmail", source, bodies=False).pull(batches[0].next_cursor))
    assert [len(batch.items) for batch in resumed] == [30, 0]
    assert refused(google) == 0

    app = gmail_app(make_app, google, metadata_key, capture=NO_TEXT, backfill="30d")
    assert sync(app).status == "ok"
    assert sorted(captured(app)) == sorted(f"q{n}@customer.example" for n in range(130))


def wire_units(google: FakeGoogle) -> int:
    """Quota units of every API call the fake saw, batch parts and refused ones too."""
    names = {"gmail.users.getProfile": "getProfile", LIST: "messages.list",
             GET: "messages.get", HISTORY: "history.list"}
    return sum(UNITS[names[call.endpoint]] for call in google.calls if call.endpoint in names)


def test_every_request_spends_its_units_first(google: FakeGoogle, key_file: Path,
                                              make_app: Any,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    monkeypatch.setattr(quota, "clock", clock)
    monkeypatch.setattr(quota, "sleep", clock.sleep)
    monkeypatch.setattr(retry, "sleep", lambda seconds: None)  # Retry-After
    box = google.mailbox(ALICE)
    for n in range(130):
        box.add(customer(n))
    google.fail_next(3, 429, endpoint=GET)  # three parts sent, and paid for, twice
    source = gmail_app(make_app, google, key_file, quota_per_minute=600).config.source("gmail")
    connector = GmailConnector("gmail", source)
    assert len(messages(connector)) == 130
    spent = 1 + 2 * 5 + (130 + 3) * 5
    assert connector.quota.spent == wire_units(google) == spent
    assert sum(clock.sleeps) == pytest.approx((spent - 600) / 10)  # 600 a minute: 10/s
    assert all(wait > 0 for wait in clock.sleeps)


SHAPES = {
    "latin-1 quoted-printable beside html": b"""From: Dana <dana@customer.example>
To: alice@acme-robotics.com
Subject: Shapes 1
Message-ID: <shape1@customer.example>
Content-Type: multipart/alternative; boundary="b"

--b
Content-Type: text/plain; charset="iso-8859-1"
Content-Transfer-Encoding: quoted-printable

Gr=FC=DFe aus K=F6ln
--b
Content-Type: text/html; charset=iso-8859-1

<p>Gr\xfc\xdfe</p>
--b--
""",
    "html only, base64": b"""From: dana@customer.example
To: alice@acme-robotics.com
Subject: Shapes 2
Message-ID: <shape2@customer.example>
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: base64

PHA+SGVsbG8sIDxiPkFsaWNlPC9iPjwvcD4=
""",
    "text attachment and a forwarded message": b"""From: dana@customer.example
To: alice@acme-robotics.com
Subject: Shapes 3
Message-ID: <shape3@customer.example>
Content-Type: multipart/mixed; boundary="m"

--m
Content-Type: text/plain; charset=utf-8

See attached.
--m
Content-Type: text/plain; name="notes.txt"
Content-Disposition: attachment; filename="notes.txt"

not the body
--m
Content-Type: message/rfc822

From: someone@else.example
Subject: inner
Content-Type: text/html

<p>inner html, not this message's</p>
--m--
""",
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_bodies_read_from_gmails_tree_equal_the_parsers_reading_of_the_raw_message(
        google: FakeGoogle, key_file: Path, make_app: Any, shape: str) -> None:
    """format=full (no attachment bytes on the wire) gives the RawMessage that the
    parser gives for the raw bytes: headers, charsets, transfer encodings, the
    attachment and the forwarded message left out."""
    raw = SHAPES[shape].replace(b"\n", b"\r\n")
    google.mailbox(ALICE).add(raw)
    source = gmail_app(make_app, google, key_file).config.source("gmail")
    (got,) = messages(GmailConnector("gmail", source, bodies=True))
    expected = rfc822.parse_message(raw, external_id=got.external_id)
    assert replace(got, thread_hint=None, labels=(), sent_by_me=None) == expected
    assert got.text or got.html
