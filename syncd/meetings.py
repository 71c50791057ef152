"""From one calendar event to a plan of what the CRM should hold: pure decisions.

A meeting is an interaction like an email, under the same rules for each address
(:func:`syncd.pipeline.decide`) and the same capture policy, with these differences:

- its key is ``ical:`` + iCalUID (+ ``/`` + the occurrence's original start), which
  every calendar that has the meeting shares: one meeting in two calendars is one
  interaction, one occurrence of a series is one interaction, and a moved occurrence
  keeps its key, so it is updated rather than doubled; its thread is the series;
- the organizer and the guests are its participants, with their answers; a guest
  who did not decline is someone the team *met*, which counts as reaching out
  (``capture.contacts: sent`` makes contacts of them);
- by default only events that are meetings with someone are captured: not all-day
  events, not events with nobody else on them, not events the owner declined
  (``capture.meetings`` changes each);
- a private event keeps only its time and guests, whatever the visibility;
- the description plays the body's part (snippet, full); there is no signature.

Upcoming meetings are planned like past ones, so a contact can show its next one.
"""

from __future__ import annotations

from connectors.base import Attendee, RawEvent
from enrichment.addresses import normalize_address
from enrichment.mime import MAX_TEXT_CHARS
from enrichment.people import clean_display_name
from syncd.pipeline import (
    Context,
    InteractionPlan,
    Participant,
    Skip,
    decide,
    name_facts,
    shows,
    skip_reason,
    snippet,
    storable,
    unique_addresses,
)

DECLINED = "declined"


def plan_event(event: RawEvent, ctx: Context) -> InteractionPlan:
    """Every decision about ``event``; the caller stores it or reports it."""
    participants = _participants(event, ctx.case_sensitive)
    direction = _direction(participants, ctx)
    decisions = tuple(decide(p, automated=None, engaged=_met(p), ctx=ctx)
                      for p in unique_addresses(participants))
    kept = not event.private
    text = storable(event.description[:MAX_TEXT_CHARS]) if kept else ""
    return InteractionPlan(
        external_id=event.external_id, folder=None, key=meeting_key(event),
        thread_key=event.thread_hint or f"ical:{event.ical_uid}", occurred_at=event.start,
        direction=direction, automated=None, visibility=ctx.policy.visibility,
        subject=storable(event.subject) if kept and shows(ctx.policy, "subject") else None,
        snippet=snippet(text) if shows(ctx.policy, "snippet") else None,
        body=(text or None) if shows(ctx.policy, "full") else None,
        participants=participants, decisions=decisions,
        facts=tuple(name_facts(participants, decisions)),
        skipped=_not_a_meeting(event, ctx) or skip_reason(participants, ctx),
        kind="meeting", ends_at=event.end,
        location=(storable(event.location)[:500] or None)
        if kept and shows(ctx.policy, "subject") else None,
        status=event.status, time_zone=event.time_zone)


def meeting_key(event: RawEvent) -> str:
    """The interaction key every calendar agrees on for this meeting (occurrence)."""
    base = f"ical:{event.ical_uid}"
    return f"{base}/{event.recurrence_id}" if event.recurrence_id else base


def _participants(event: RawEvent, keep_case: frozenset[str]) -> tuple[Participant, ...]:
    """The organizer first, then each guest once; the organizer is not repeated."""
    out: list[Participant] = []
    seen: set[str] = set()
    guests = [("organizer", event.organizer)] if event.organizer else []
    guests += [("attendee", attendee) for attendee in event.attendees]
    for role, guest in guests:
        participant = _participant(role, guest, keep_case)
        if participant.email and participant.email not in seen:
            seen.add(participant.email)
            out.append(participant)
    return tuple(out)


def _participant(role: str, guest: Attendee, keep_case: frozenset[str]) -> Participant:
    email = normalize_address(guest.email, keep_case) or guest.email.strip().lower()
    name = clean_display_name(guest.name, email)
    return Participant(storable(email), role, name and storable(name), guest.response)


def _direction(participants: tuple[Participant, ...], ctx: Context) -> str:
    """Outbound when the team organised it, inbound when someone else invited the
    team, internal when nobody outside the team is on it."""
    if all(ctx.is_internal(p.email) for p in participants):
        return "internal"
    organizer = next((p for p in participants if p.role == "organizer"), None)
    return "outbound" if organizer is None or ctx.is_internal(organizer.email) else "inbound"


def _met(p: Participant) -> tuple[str, str] | None:
    if p.response == DECLINED:
        return None
    answer = f", {p.response}" if p.response else ""
    return "met", f"the team met it in a meeting ({p.role}{answer})"


def _not_a_meeting(event: RawEvent, ctx: Context) -> Skip | None:
    rules = ctx.policy.meetings
    if event.all_day and not rules.all_day:
        return Skip("all_day_event", "an all-day event (capture.meetings.all_day)")
    if event.my_response == DECLINED and not rules.declined:
        return Skip("declined_meeting", "the owner declined it (capture.meetings.declined)")
    if not event.attendees and not rules.without_attendees:
        return Skip("no_attendees", "nobody but the organizer is on it "
                    "(capture.meetings.without_attendees)")
    return None
