"""The pure decisions about meetings: keys, participants, direction, policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from connectors.base import Attendee, RawEvent
from syncd.config import CapturePolicy, Lists, MeetingPolicy
from syncd.lists import load_lists
from syncd.meetings import meeting_key, plan_event
from syncd.pipeline import Context, InteractionPlan

LISTS = load_lists(Lists())
ALICE = "alice@acme-robotics.com"
BOB = "bob@acme-robotics.com"
DANA = "dana@customer.example"
START = datetime(2026, 5, 4, 9, tzinfo=UTC)


def ctx(**policy: object) -> Context:
    return Context("cal", frozenset({ALICE}), frozenset({"acme-robotics.com"}),
                   CapturePolicy(**policy), LISTS)  # type: ignore[arg-type]


def event(*guests: Attendee, organizer: str = ALICE, **kw: object) -> RawEvent:
    fields: dict[str, object] = {
        "external_id": "gcal:e1", "ical_uid": "e1@google.com", "start": START,
        "end": START + timedelta(hours=1), "organizer": Attendee(organizer, "", "accepted"),
        "attendees": guests or (Attendee(DANA, "Dana Scully", "accepted"),),
        "subject": "Pilot review", "location": "Room 4", "description": "Agenda: pricing"}
    return RawEvent(**(fields | kw))  # type: ignore[arg-type]


def outcomes(plan: InteractionPlan) -> dict[str, tuple[str, str]]:
    return {d.email: (d.outcome, d.rule) for d in plan.decisions}


def test_a_meeting_the_team_organised_makes_a_contact_of_its_guest() -> None:
    plan = plan_event(event(), ctx())
    assert (plan.kind, plan.key, plan.thread_key) == ("meeting", "ical:e1@google.com",
                                                      "ical:e1@google.com")
    assert (plan.direction, plan.occurred_at, plan.ends_at) == (
        "outbound", START, START + timedelta(hours=1))
    assert [(p.email, p.role, p.response) for p in plan.participants] == [
        (ALICE, "organizer", "accepted"), (DANA, "attendee", "accepted")]
    assert outcomes(plan) == {ALICE: ("internal", "team_member"), DANA: ("contact", "met")}
    assert (plan.subject, plan.location, plan.snippet, plan.body) == (
        "Pilot review", "Room 4", "Agenda: pricing", None)
    assert plan.skipped is None
    names = {(f.email, f.value, f.method) for f in plan.facts}
    assert (DANA, "Dana Scully", "display_name") in names


def test_an_occurrence_is_keyed_by_its_original_start() -> None:
    moved = event(recurrence_id="20260504T090000Z", start=START + timedelta(hours=3))
    assert plan_event(moved, ctx()).key == "ical:e1@google.com/20260504T090000Z"
    assert plan_event(moved, ctx()).thread_key == "ical:e1@google.com"


def test_an_invitation_from_a_customer_is_inbound() -> None:
    plan = plan_event(event(Attendee(ALICE, "", "accepted"), organizer=DANA), ctx())
    assert plan.direction == "inbound"
    assert outcomes(plan)[DANA] == ("contact", "met")


def test_contacts_sent_takes_people_met_but_not_those_who_declined() -> None:
    erin = "erin@customer.example"
    plan = plan_event(event(Attendee(DANA, "", "tentative"), Attendee(erin, "", "declined")),
                      ctx(contacts="sent"))
    assert outcomes(plan)[DANA] == ("contact", "met")
    assert outcomes(plan)[erin] == ("not_written_to", "capture_contacts_sent")
    everyone = plan_event(event(Attendee(erin, "", "declined")), ctx())
    assert outcomes(everyone)[erin] == ("contact", "copied")


def test_a_role_address_on_the_guest_list_is_not_a_person() -> None:
    plan = plan_event(event(Attendee("sales@customer.example"), Attendee(DANA)), ctx())
    assert outcomes(plan)["sales@customer.example"][0] == "role"


def test_private_events_keep_only_time_and_guests() -> None:
    plan = plan_event(event(private=True), ctx(visibility="full"))
    assert (plan.subject, plan.location, plan.snippet, plan.body) == (None, None, None, None)
    assert [p.email for p in plan.participants] == [ALICE, DANA]


def test_visibility_levels_hold_for_meetings() -> None:
    metadata = plan_event(event(), ctx(visibility="metadata"))
    assert (metadata.subject, metadata.location, metadata.snippet) == (None, None, None)
    full = plan_event(event(), ctx(visibility="full"))
    assert (full.subject, full.body) == ("Pilot review", "Agenda: pricing")


def test_what_is_not_a_meeting_by_default_and_the_policy_that_admits_it() -> None:
    cases = {
        "all_day_event": (event(all_day=True), MeetingPolicy(all_day=True)),
        "declined_meeting": (event(my_response="declined"), MeetingPolicy(declined=True)),
        "no_attendees": (event(attendees=(), organizer=DANA),
                         MeetingPolicy(without_attendees=True)),
    }
    for rule, (raw, admitting) in cases.items():
        skipped = plan_event(raw, ctx()).skipped
        assert skipped is not None and skipped.rule == rule
        assert plan_event(raw, ctx(meetings=admitting)).skipped is None


def test_colleague_only_and_denied_meetings_are_skipped() -> None:
    internal = plan_event(event(Attendee(BOB, "", "accepted")), ctx())
    assert internal.skipped is not None and internal.skipped.rule == "internal_conversation"
    assert internal.direction == "internal"
    denied = plan_event(event(), ctx(deny=["*@customer.example"]))
    assert denied.skipped is not None and denied.skipped.rule == "deny_list"


@given(st.text(min_size=1, max_size=40), st.one_of(st.none(), st.text(max_size=20)))
def test_keys_differ_between_occurrences_and_never_between_copies(
        uid: str, recurrence: str | None) -> None:
    one = event(ical_uid=uid, recurrence_id=recurrence)
    other_copy = event(ical_uid=uid, recurrence_id=recurrence, external_id="gcal:other",
                       start=START + timedelta(days=1), subject="Renamed")
    assert meeting_key(one) == meeting_key(other_copy)
    if recurrence:
        assert meeting_key(one) != meeting_key(event(ical_uid=uid))
