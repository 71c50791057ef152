"""The Google Calendar connector against the wire-level fake Google (tests/fake_google.py),
through the runner, the meeting pipeline and the store, on SQLite and PostgreSQL.

Meetings are set up in the fake's calendar store as Google would hold them (series
with RRULEs, exceptions, tombstones); the real google-api-python-client lists them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from connectors import retry
from connectors.google_calendar import GoogleCalendarConnector
from syncd.db.models import (
    ContactEmail,
    Interaction,
    InteractionParticipant,
    InteractionSource,
    Source,
)
from syncd.db.session import session_scope
from syncd.errors import CursorExpired
from syncd.runner import RunResult, run_source
from syncd.store import read
from tests.fake_google import FakeGoogle
from tests.test_cli import syncd as syncd_cli
from tests.test_fake_google import loopback_only  # noqa: F401  (autouse: loopback only)

ALICE = "alice@acme-robotics.com"
BOB = "bob@acme-robotics.com"
DANA = "dana@customer.example"
ERIN = "erin@customer.example"
ROOM = "c_1888@resource.calendar.google.com"
LIST = "calendar.events.list"
NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def google() -> Iterator[FakeGoogle]:
    with FakeGoogle() as fake:
        fake.add_user(ALICE)
        fake.add_user(BOB)
        yield fake


@pytest.fixture
def key_file(google: FakeGoogle, tmp_path: Path) -> Path:
    path = tmp_path / "service-account.json"
    path.write_text(json.dumps(google.service_account()), encoding="utf-8")
    path.chmod(0o600)
    return path


def calendar_source(google: FakeGoogle, key_file: Path, user: str = ALICE,
                    **overrides: Any) -> dict[str, Any]:
    return {"name": f"cal-{user.partition('@')[0]}", "kind": "google_calendar", "owner": user,
            "auth": {"type": "service_account", "key_file": str(key_file), "subject": user},
            "endpoints": {"api": google.calendar_endpoint, "token": google.token_uri},
            "backfill": "365d"} | overrides


@pytest.fixture
def app(make_app: Any, google: FakeGoogle, key_file: Path) -> Any:
    return make_app([calendar_source(google, key_file)])


def sync(app: Any, name: str = "cal-alice") -> RunResult:
    result = run_source(app, app.config.source(name))
    assert result.status == "ok", result.error
    return result


def when(moment: datetime) -> dict[str, str]:
    return {"dateTime": moment.isoformat()}


def meeting(start: datetime, *guests: str, organizer: str = ALICE, hours: float = 1,
            **extra: Any) -> dict[str, Any]:
    """An event as Google stores it: the organizer attends and is flagged."""
    attendees = [{"email": organizer, "organizer": True, "responseStatus": "accepted"}]
    attendees += [{"email": g, "responseStatus": "accepted"} for g in guests]
    return {"summary": "Quarterly review", "start": when(start),
            "end": when(start + timedelta(hours=hours)),
            "organizer": {"email": organizer}, "attendees": attendees} | extra


def meetings(app: Any) -> dict[str, dict[str, Any]]:
    """Interaction key -> what is stored about the meeting."""
    with session_scope(app.sessions) as session:
        rows = session.execute(select(Interaction).where(Interaction.kind == "meeting")
                               ).scalars().all()
        found = {}
        for row in rows:
            guests = session.execute(
                select(InteractionParticipant.email, InteractionParticipant.role,
                       InteractionParticipant.response)
                .where(InteractionParticipant.interaction_id == row.id)).all()
            links = session.execute(select(Source.name, InteractionSource.external_id)
                                    .join(Source).where(InteractionSource.interaction_id
                                                        == row.id)).all()
            found[row.key] = {"start": row.occurred_at, "end": row.ends_at,
                              "status": row.status, "subject": row.subject,
                              "location": row.location, "direction": row.direction,
                              "thread": row.thread_key,
                              "guests": {(e, r, a) for e, r, a in guests},
                              "links": sorted(links)}
    return found


def contacts(app: Any) -> set[str]:
    with session_scope(app.sessions) as session:
        return set(session.execute(select(ContactEmail.email)).scalars())


def test_a_meeting_with_customers_is_an_interaction(app: Any, google: FakeGoogle) -> None:
    start = NOW - timedelta(days=3)
    event = google.calendar(ALICE).put(meeting(
        start, DANA, ROOM, location="Room 4", attendees=[
            {"email": ALICE, "organizer": True, "self": True, "responseStatus": "accepted"},
            {"email": DANA, "displayName": "Dana Scully", "responseStatus": "tentative"},
            {"email": ROOM, "resource": True, "responseStatus": "accepted"},
            {"email": ERIN, "responseStatus": "declined", "optional": True}]))
    result = sync(app)
    assert result.stats.new_interactions == 1
    stored = meetings(app)
    assert list(stored) == [f"ical:{event['iCalUID']}"]
    found = stored[f"ical:{event['iCalUID']}"]
    assert found["start"] == start and found["end"] == start + timedelta(hours=1)
    assert found["status"] == "confirmed" and found["direction"] == "outbound"
    assert (found["subject"], found["location"]) == ("Quarterly review", "Room 4")
    assert found["guests"] == {(ALICE, "organizer", "accepted"),
                               (DANA, "attendee", "tentative"),
                               (ERIN, "attendee", "declined")}
    assert found["links"] == [("cal-alice", f"gcal:{event['id']}")]
    assert contacts(app) == {ALICE, DANA, ERIN}  # the room is nobody


def test_declined_all_day_lonely_and_non_meeting_events_are_skipped(
        app: Any, google: FakeGoogle) -> None:
    calendar = google.calendar(ALICE)
    day = (NOW - timedelta(days=2)).date()
    calendar.put(meeting(NOW - timedelta(days=1), DANA, summary="Kept"))
    calendar.put(meeting(NOW, DANA) | {"start": {"date": day.isoformat()},
                                       "end": {"date": (day + timedelta(days=1)).isoformat()}})
    calendar.put({"summary": "Dentist", "start": when(NOW), "end": when(NOW)})
    calendar.put(meeting(NOW, ERIN, organizer=DANA, attendees=[
        {"email": DANA, "organizer": True, "responseStatus": "accepted"},
        {"email": ALICE, "self": True, "responseStatus": "declined"}]))
    calendar.put(meeting(NOW, DANA, eventType="outOfOffice"))
    result = sync(app)
    assert [m["subject"] for m in meetings(app).values()] == ["Kept"]
    assert result.stats.skip_reasons == {"all_day_event": 1, "no_attendees": 1,
                                         "declined_meeting": 1}


def test_capture_meetings_policy_takes_what_it_names(make_app: Any, google: FakeGoogle,
                                                   key_file: Path) -> None:
    google.calendar(ALICE).put({"summary": "Call Dana", "start": when(NOW), "end": when(NOW),
                                "organizer": {"email": DANA}})
    app = make_app([calendar_source(google, key_file,
                                    capture={"meetings": {"without_attendees": True}})])
    sync(app)
    assert [m["subject"] for m in meetings(app).values()] == ["Call Dana"]


def test_a_private_event_keeps_only_time_and_guests(app: Any, google: FakeGoogle) -> None:
    google.calendar(ALICE).put(meeting(NOW, DANA, visibility="private",
                                       location="Secret place", description="Layoffs"))
    sync(app)
    (found,) = meetings(app).values()
    assert (found["subject"], found["location"]) == (None, None)
    assert (DANA, "attendee", "accepted") in found["guests"]
    with session_scope(app.sessions) as session:
        assert session.execute(select(Interaction.snippet, Interaction.body)).one() == (
            None, None)


def test_recurring_meetings_are_one_interaction_per_occurrence(
        app: Any, google: FakeGoogle) -> None:
    """A weekly series: a moved occurrence keeps its key and is updated, a cancelled one
    is not captured (full sync) or is marked cancelled (incremental), nothing doubles."""
    calendar = google.calendar(ALICE)
    first = NOW - timedelta(weeks=5) + timedelta(hours=1)
    series = calendar.put(meeting(first, DANA, summary="Weekly sync",
                                  recurrence=["RRULE:FREQ=WEEKLY;COUNT=6"]))
    third, fourth = first + timedelta(weeks=2), first + timedelta(weeks=3)
    calendar.put_occurrence(series["id"], third.isoformat(),
                            {"start": when(third + timedelta(hours=2)),
                             "end": when(third + timedelta(hours=3))})
    calendar.cancel_occurrence(series["id"], fourth.isoformat())
    sync(app)
    stamp = "%Y%m%dT%H%M%SZ"
    key = f"ical:{series['iCalUID']}/" + "{}"
    stored = meetings(app)
    assert sorted(stored) == sorted(key.format((first + timedelta(weeks=n)).strftime(stamp))
                                    for n in (0, 1, 2, 4, 5))
    moved = stored[key.format(third.strftime(stamp))]
    assert moved["start"] == third + timedelta(hours=2)
    assert {m["thread"] for m in stored.values()} == {f"ical:{series['iCalUID']}"}
    upcoming = stored[key.format((first + timedelta(weeks=5)).strftime(stamp))]
    assert upcoming["start"] > NOW  # the next occurrence is kept

    calendar.put_occurrence(series["id"], third.isoformat(),
                            {"start": when(third + timedelta(hours=4)),
                             "end": when(third + timedelta(hours=5))})
    calendar.cancel_occurrence(series["id"], (first + timedelta(weeks=5)).isoformat())
    result = sync(app)
    assert result.stats.new_interactions == 0 and not result.full
    stored = meetings(app)
    assert len(stored) == 5
    assert stored[key.format(third.strftime(stamp))]["start"] == third + timedelta(hours=4)
    assert stored[key.format((first + timedelta(weeks=5)).strftime(stamp))][
        "status"] == "cancelled"


def test_answers_and_guests_follow_the_calendar(app: Any, google: FakeGoogle) -> None:
    calendar = google.calendar(ALICE)
    event = calendar.put(meeting(NOW + timedelta(days=2), DANA))
    sync(app)
    changed = meeting(NOW + timedelta(days=2), ERIN, id=event["id"], attendees=[
        {"email": ALICE, "organizer": True, "responseStatus": "accepted"},
        {"email": ERIN, "responseStatus": "needsAction"}])
    calendar.put(changed)
    sync(app)
    (found,) = meetings(app).values()
    assert found["guests"] == {(ALICE, "organizer", "accepted"),
                               (ERIN, "attendee", "needsAction")}


def test_an_unchanged_calendar_costs_one_request(app: Any, google: FakeGoogle) -> None:
    google.calendar(ALICE).put(meeting(NOW, DANA))
    sync(app)
    google.calls.clear()
    sync(app)
    assert [c.endpoint for c in google.calls if c.endpoint != "oauth.token"] == [LIST]


def test_an_expired_sync_token_resyncs_in_full_without_duplicates(
        app: Any, google: FakeGoogle) -> None:
    calendar = google.calendar(ALICE)
    kept = calendar.put(meeting(NOW - timedelta(days=1), DANA, summary="Kept"))
    dropped = calendar.put(meeting(NOW + timedelta(days=1), DANA, summary="Dropped"))
    sync(app)
    calendar.delete(dropped["id"])
    calendar.put(meeting(NOW + timedelta(days=3), ERIN, summary="New"))
    calendar.expire_sync_tokens()
    google.calls.clear()
    result = sync(app)
    assert result.full
    assert google.count(LIST, status=410) == 1
    stored = meetings(app)
    assert {m["subject"]: m["status"] for m in stored.values()} == {
        "Kept": "confirmed", "Dropped": "cancelled", "New": "confirmed"}
    assert all(len(m["links"]) == 1 for m in stored.values())
    assert f"ical:{kept['iCalUID']}" in stored


def test_one_meeting_in_two_calendars_is_one_interaction(
        make_app: Any, google: FakeGoogle, key_file: Path) -> None:
    app = make_app([calendar_source(google, key_file),
                    calendar_source(google, key_file, user=BOB)])
    event = meeting(NOW - timedelta(hours=5), DANA, BOB, iCalUID="shared-1@google.com")
    google.calendar(ALICE).put(event)
    google.calendar(BOB).put(event)
    sync(app)
    sync(app, "cal-bob")
    (found,) = meetings(app).values()
    assert [name for name, _ in found["links"]] == ["cal-alice", "cal-bob"]
    google.calendar(BOB).delete(next(iter(google.calendar(BOB).events)))
    sync(app, "cal-bob")  # Bob removed it from his calendar; Alice still meets Dana
    assert next(iter(meetings(app).values()))["status"] == "confirmed"


def test_pages_resume_after_a_crash(app: Any, google: FakeGoogle,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("connectors.google_calendar.PAGE", 3)
    calendar = google.calendar(ALICE)
    for n in range(7):
        calendar.put(meeting(NOW - timedelta(days=n + 1), DANA, summary=f"M{n}"))
    source = app.config.source("cal-alice")
    first = next(GoogleCalendarConnector("cal-alice", source).pull(None))
    assert len(first.items) == 3 and first.next_cursor["page_token"]
    rest = list(GoogleCalendarConnector("cal-alice", source).pull(first.next_cursor))
    assert [len(b.items) for b in rest] == [3, 1]
    assert set(rest[-1].next_cursor) == {"sync_token"}
    with pytest.raises(CursorExpired):
        list(GoogleCalendarConnector("cal-alice", source).pull(
            first.next_cursor | {"page_token": "x"}))


def test_429_then_success_and_a_5xx_storm_keeps_the_cursor(
        app: Any, google: FakeGoogle, monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(retry, "sleep", slept.append)
    calendar = google.calendar(ALICE)
    sync(app)  # the first sync; the throttled one is an increment, run in this process
    calendar.put(meeting(NOW, DANA, summary="First"))
    google.fail_next(1, 429, endpoint=LIST, retry_after="7")
    sync(app)
    assert slept == [7.0]
    with session_scope(app.sessions) as session:
        before = session.execute(select(Source.cursor)).scalar()
    calendar.put(meeting(NOW, ERIN, summary="Second"))
    google.fail_next(retry.ATTEMPTS, 500, endpoint=LIST)
    failed = run_source(app, app.config.source("cal-alice"))
    assert failed.status == "failed" and "HTTP 500" in (failed.error or "")
    with session_scope(app.sessions) as session:
        assert session.execute(select(Source.cursor)).scalar() == before
    sync(app)
    assert {m["subject"] for m in meetings(app).values()} == {"First", "Second"}


def test_a_revoked_grant_needs_auth(make_app: Any, google: FakeGoogle,
                                    key_file: Path) -> None:
    app = make_app([calendar_source(google, key_file) | {
        "auth": {"type": "service_account", "key_file": str(key_file),
                 "subject": "gone@acme-robotics.com"}}])
    result = run_source(app, app.config.source("cal-alice"))
    assert result.status == "needs_auth" and "invalid_grant" in (result.error or "")


def test_a_contact_shows_its_next_meeting(app: Any, google: FakeGoogle,
                                          tmp_path: Path) -> None:
    calendar = google.calendar(ALICE)
    calendar.put(meeting(NOW - timedelta(days=7), DANA, summary="Kick-off"))
    upcoming = NOW + timedelta(days=2)
    calendar.put(meeting(upcoming, DANA, summary="Pilot review"))
    later = calendar.put(meeting(NOW + timedelta(days=1), DANA, summary="Cancelled call"))
    sync(app)
    calendar.delete(later["id"])
    sync(app)
    with session_scope(app.sessions) as session:
        (dana,) = [c for c in read.contacts(session) if c["emails"] == [DANA]]
        exported = {i["subject"]: i for i in read.interactions(session)}
    assert dana["interaction_count"] == 1  # upcoming and cancelled meetings have not happened
    assert dana["last_interaction_at"] == NOW - timedelta(days=7)
    assert dana["next_meeting_at"] == upcoming
    review = exported["Pilot review"]
    assert (review["kind"], review["status"], review["ends_at"]) == (
        "meeting", "confirmed", upcoming + timedelta(hours=1))
    assert {"email": DANA, "role": "attendee", "response": "accepted"} in review[
        "participants"]
    assert exported["Cancelled call"]["status"] == "cancelled"
    shown = syncd_cli(tmp_path / "syncd.yaml", "contacts", "show", str(dana["id"])).stdout
    assert f"next meeting: {upcoming:%Y-%m-%d %H:%M}" in shown
    assert "meeting (cancelled)" in shown


def test_the_zone_an_event_was_scheduled_in_is_kept(app: Any, google: FakeGoogle) -> None:
    calendar = google.calendar(ALICE)
    start = NOW - timedelta(days=1)
    chicago = calendar.put(meeting(start, ALICE, organizer=DANA) | {
        "start": when(start) | {"timeZone": "America/Chicago"}})
    utc = calendar.put(meeting(start, DANA) | {"start": when(start) | {"timeZone": "UTC"}})
    plain = calendar.put(meeting(start + timedelta(hours=2), DANA))
    sync(app)
    with session_scope(app.sessions) as session:
        zones = {i["key"]: i["time_zone"] for i in read.interactions(session)}
    assert zones == {f"ical:{chicago['iCalUID']}": "America/Chicago",
                     f"ical:{utc['iCalUID']}": None, f"ical:{plain['iCalUID']}": None}
