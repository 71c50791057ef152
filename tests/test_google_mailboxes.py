"""Several Google sources into one CRM: two teammates' mailboxes and a calendar.

The same email in Alice's and Bob's Gmail is one interaction with two source links;
Dana, met in a meeting and written to by mail, is one contact whose timeline holds
both. Runs on SQLite and PostgreSQL against the wire-level fake Google.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from syncd.db.models import Interaction, InteractionSource, Source
from syncd.db.session import session_scope
from syncd.runner import run_source
from syncd.store import read
from tests.fake_google import FakeGoogle
from tests.mailfactory import mail
from tests.test_fake_google import loopback_only  # noqa: F401  (autouse: loopback only)

ALICE = "alice@acme-robotics.com"
BOB = "bob@acme-robotics.com"
DANA = "dana@customer.example"


@pytest.fixture
def google() -> Iterator[FakeGoogle]:
    with FakeGoogle() as fake:
        fake.add_user(ALICE)
        fake.add_user(BOB)
        yield fake


@pytest.fixture
def app(make_app: Any, google: FakeGoogle, tmp_path: Path) -> Any:
    key = tmp_path / "service-account.json"
    key.write_text(json.dumps(google.service_account()), encoding="utf-8")
    key.chmod(0o600)

    def source(name: str, kind: str, user: str, api: str) -> dict[str, Any]:
        return {"name": name, "kind": kind, "owner": user,
                "auth": {"type": "service_account", "key_file": str(key), "subject": user},
                "endpoints": {"api": api, "token": google.token_uri}}

    return make_app([source("alice-mail", "gmail", ALICE, google.gmail_endpoint),
                     source("bob-mail", "gmail", BOB, google.gmail_endpoint),
                     source("alice-cal", "google_calendar", ALICE, google.calendar_endpoint)])


def sync_all(app: Any) -> None:
    for name in ("alice-mail", "bob-mail", "alice-cal"):
        result = run_source(app, app.config.source(name))
        assert result.status == "ok", (name, result.error)


def test_one_email_in_two_mailboxes_and_a_meeting_make_one_contact(
        app: Any, google: FakeGoogle) -> None:
    quote = mail(DANA, [ALICE], cc=[BOB], message_id="<quote-7@customer.example>",
                 subject="Quote 7", body="Could you quote 7 units?\n")
    google.mailbox(ALICE).add(quote)
    google.mailbox(BOB).add(quote)
    google.mailbox(BOB).add(mail(BOB, [DANA], message_id="<re-7@acme-robotics.com>",
                                 subject="Re: Quote 7", body="Yes, tomorrow.\n"))
    met = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    google.calendar(ALICE).put({
        "summary": "Quote walkthrough", "start": {"dateTime": met.isoformat()},
        "end": {"dateTime": (met + timedelta(minutes=30)).isoformat()},
        "organizer": {"email": ALICE},
        "attendees": [{"email": ALICE, "organizer": True, "responseStatus": "accepted"},
                      {"email": DANA, "responseStatus": "accepted"}]})
    sync_all(app)
    sync_all(app)  # a second round changes nothing

    with session_scope(app.sessions) as session:
        links = session.execute(
            select(Interaction.key, Source.name)
            .join(InteractionSource, InteractionSource.interaction_id == Interaction.id)
            .join(Source, Source.id == InteractionSource.source_id)).all()
        (dana,) = [c for c in read.contacts(session) if c["emails"] == [DANA]]
        timeline = list(read.interactions(session, contact_id=dana["id"]))
    by_key: dict[str, list[str]] = {}
    for key, name in links:
        by_key.setdefault(key, []).append(name)
    assert sorted(by_key.pop("quote-7@customer.example")) == ["alice-mail", "bob-mail"]
    assert by_key.pop("re-7@acme-robotics.com") == ["bob-mail"]
    ((meeting_key, meeting_sources),) = by_key.items()
    assert meeting_key.startswith("ical:") and meeting_sources == ["alice-cal"]
    assert dana["interaction_count"] == 3
    assert sorted(i["kind"] for i in timeline) == ["email", "email", "meeting"]
