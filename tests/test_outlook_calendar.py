"""The Outlook calendar connector against the fake Microsoft: calendarView delta
rounds, occurrences and exceptions, cancellations, the window moving ahead, on
SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from syncd.db.models import Contact, ContactEmail, Interaction, InteractionParticipant, Source
from syncd.db.session import session_scope
from syncd.enrich import enrich
from syncd.runner import RunResult, run_source
from syncd.store.explain import explain
from tests.fake_microsoft import FakeMicrosoft
from tests.fakes.graph_calendar import Attendee
from tests.test_fake_google import loopback_only  # noqa: F401  (autouse: loopback only)
from tests.test_outlook_mail import ALICE, DANA, app_only

ERIN = "erin@customer.example"
ROOM = "room-4@acme-robotics.com"
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def ms() -> Iterator[FakeMicrosoft]:
    with FakeMicrosoft() as fake:
        fake.add_user(ALICE, "Alice Martin")
        yield fake


def calendar_source(ms: FakeMicrosoft, monkeypatch: pytest.MonkeyPatch,
                    **extra: Any) -> dict[str, Any]:
    return app_only(ms, monkeypatch, roles=frozenset({"Calendars.Read"})) | {
        "name": "alice-cal", "kind": "outlook_calendar", "backfill": "60d"} | extra


@pytest.fixture
def app(make_app: Any, ms: FakeMicrosoft, monkeypatch: pytest.MonkeyPatch) -> Any:
    return make_app([calendar_source(ms, monkeypatch)])


def sync(app: Any) -> RunResult:
    result = run_source(app, app.config.source("alice-cal"))
    assert result.status == "ok", result.error
    return result


def meetings(app: Any) -> dict[str, dict[str, Any]]:
    with session_scope(app.sessions) as session:
        rows = session.execute(select(Interaction).where(Interaction.kind == "meeting")
                               ).scalars().all()
        found = {}
        for row in rows:
            guests = set(session.execute(
                select(InteractionParticipant.email, InteractionParticipant.role,
                       InteractionParticipant.response)
                .where(InteractionParticipant.interaction_id == row.id)).all())
            found[row.key] = {"start": row.occurred_at, "status": row.status,
                              "subject": row.subject, "thread": row.thread_key,
                              "guests": guests}
    return found


def test_a_meeting_with_a_customer_is_captured_with_answers(app: Any,
                                                            ms: FakeMicrosoft) -> None:
    start = NOW - timedelta(days=2)
    ms.calendar(ALICE).add("Pilot review", start, start + timedelta(hours=1), attendees=[
        Attendee(DANA, "Dana Scully", response="tentativelyAccepted"),
        Attendee(ERIN, type="optional", response="declined"),
        Attendee(ROOM, type="resource", response="accepted")], location="Room 4")
    sync(app)
    ((key, found),) = meetings(app).items()
    assert key.startswith("ical:040000008200E00074C5B7101A82E008")
    assert (found["start"], found["status"], found["subject"]) == (
        start, "confirmed", "Pilot review")
    assert found["guests"] == {(ALICE, "organizer", "accepted"),
                               (DANA, "attendee", "tentative"),
                               (ERIN, "attendee", "declined")}


def test_a_series_is_one_interaction_per_occurrence(app: Any, ms: FakeMicrosoft) -> None:
    calendar = ms.calendar(ALICE)
    first = NOW - timedelta(weeks=3) + timedelta(hours=1)
    series = calendar.add("Weekly sync", first, first + timedelta(minutes=30),
                          attendees=[Attendee(DANA, response="accepted")],
                          recurrence={"type": "weekly", "interval": 1, "count": 6})
    calendar.edit_occurrence(series, first + timedelta(weeks=1),
                             start=first + timedelta(weeks=1, hours=2),
                             end=first + timedelta(weeks=1, hours=3))
    sync(app)
    found = meetings(app)
    assert len(found) == 6
    assert len({m["thread"] for m in found.values()}) == 1
    assert sum(1 for m in found.values() if m["start"] > NOW) == 3  # upcoming ones too
    calendar.edit_occurrence(series, first + timedelta(weeks=1),
                             start=first + timedelta(weeks=1, hours=4),
                             end=first + timedelta(weeks=1, hours=5))
    calendar.edit_occurrence(series, first + timedelta(weeks=4), is_cancelled=True)
    result = sync(app)
    assert result.stats.new_interactions == 0
    found = meetings(app)
    assert len(found) == 6
    assert first + timedelta(weeks=1, hours=4) in {m["start"] for m in found.values()}
    assert [m["status"] for m in found.values()].count("cancelled") == 1


def test_skips_private_and_an_unchanged_calendar(app: Any, ms: FakeMicrosoft) -> None:
    calendar = ms.calendar(ALICE)
    calendar.add("Layoffs", NOW, NOW + timedelta(hours=1), sensitivity="private",
                 attendees=[Attendee(DANA)])
    calendar.add("Offsite", NOW, NOW + timedelta(days=1), is_all_day=True,
                 attendees=[Attendee(DANA)])
    calendar.add("Focus", NOW, NOW + timedelta(hours=2))
    result = sync(app)
    assert [m["subject"] for m in meetings(app).values()] == [None]
    assert result.stats.skip_reasons == {"all_day_event": 1, "no_attendees": 1}
    ms.calls.clear()
    sync(app)
    assert [c.endpoint for c in ms.calls if not c.endpoint.startswith("identity")] == [
        "calendar.delta"]


def test_removed_meetings_are_cancelled_and_an_expired_round_starts_again(
        app: Any, ms: FakeMicrosoft) -> None:
    calendar = ms.calendar(ALICE)
    kept = calendar.add("Kept", NOW + timedelta(days=1), NOW + timedelta(days=1, hours=1),
                        attendees=[Attendee(DANA)])
    dropped = calendar.add("Dropped", NOW + timedelta(days=2),
                           NOW + timedelta(days=2, hours=1), attendees=[Attendee(DANA)])
    sync(app)
    calendar.delete(dropped)
    sync(app)
    assert {m["subject"]: m["status"] for m in meetings(app).values()} == {
        "Kept": "confirmed", "Dropped": "cancelled"}
    ms.expire_delta(ALICE)
    calendar.update(kept, subject="Kept, renamed")
    result = sync(app)
    assert result.full
    assert sorted(m["subject"] for m in meetings(app).values()) == ["Dropped",
                                                                    "Kept, renamed"]


def test_the_window_moves_ahead(app: Any, ms: FakeMicrosoft) -> None:
    ms.calendar(ALICE).add("Soon", NOW + timedelta(days=1), NOW + timedelta(days=1, hours=1),
                           attendees=[Attendee(DANA)])
    sync(app)
    with session_scope(app.sessions) as session:
        cursor = session.execute(select(Source.cursor)).scalar()["v"]
        session.execute(update(Source).values(cursor={"v": cursor | {
            "end": (NOW + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")}}))
    ms.calls.clear()
    sync(app)  # half the upcoming span (180 days) is past the stored end: a new round
    with session_scope(app.sessions) as session:
        moved = session.execute(select(Source.cursor)).scalar()["v"]
    assert datetime.fromisoformat(moved["end"]) > NOW + timedelta(days=170)
    assert moved["start"] == cursor["start"] and len(meetings(app)) == 1


def test_a_customer_organizers_time_zone_becomes_theirs(app: Any, ms: FakeMicrosoft) -> None:
    calendar = ms.calendar(ALICE)
    for days, zone in ((3, "W. Europe Standard Time"), (2, "W. Europe Standard Time"),
                       (1, "Eastern Standard Time")):
        start = NOW - timedelta(days=days)
        calendar.add("Roadmap", start, start + timedelta(hours=1), organizer=DANA,
                     attendees=[Attendee(ALICE, response="accepted")], time_zone=zone)
    calendar.add("Demo", NOW, NOW + timedelta(hours=1),
                 attendees=[Attendee(DANA, response="accepted")], time_zone="UTC")
    sync(app)
    with session_scope(app.sessions) as session:
        zones = sorted(((subject, zone) for subject, zone in session.execute(
            select(Interaction.subject, Interaction.time_zone))),
            key=lambda row: (row[0], row[1] or ""))
        dana, account = session.execute(select(Contact.id, Contact.account_id).join(
            ContactEmail).where(ContactEmail.email == DANA)).one()
    assert zones == [("Demo", None), ("Roadmap", "America/New_York"),
                     ("Roadmap", "Europe/Berlin"), ("Roadmap", "Europe/Berlin")]
    enrich(app)
    with session_scope(app.sessions) as session:
        found = explain(session, "contact", dana)
    assert found is not None
    assert found["fields"]["timezone"] == "Europe/Berlin"
    assert [e["method"] for e in found["evidence"]["timezone"]] == ["offline"]
    with session_scope(app.sessions) as session:
        company = explain(session, "account", account)
    assert company is not None
    assert company["fields"]["timezone"] == "Europe/Berlin"  # from its people's calendars
