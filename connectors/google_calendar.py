"""Google Calendar through the Calendar API v3 (google-api-python-client): meetings.

Cursor: ``{"sync_token": T}``, the ``nextSyncToken`` of the last listing. While a
listing is under way it also carries the next ``page_token`` (and, during a full
listing, the ``time_min`` it started with), so a crash resumes on the next page.

Full sync: ``events.list(singleEvents=true, showDeleted=true, timeMin=window)``,
:data:`PAGE` events a page, each page one :class:`Batch`. ``singleEvents`` expands a
series into its occurrences, so each occurrence is its own meeting (keyed by the
series' iCalUID and the occurrence's ``originalStartTime``, which a moved occurrence
keeps). ``showDeleted`` brings the cancellations Google still remembers, so a full
sync after an expired token also learns what was cancelled meanwhile. No ``timeMax``:
Google's own expansion horizon bounds a never-ending series, and an occurrence
outside a window would never come back through the sync token (incremental
listings only report changes).

Incremental: the same query with ``syncToken`` instead of ``timeMin`` (Google asks
for the same parameters), page by page. An unchanged calendar costs one request.
``410 fullSyncRequired`` means the token is too old: :class:`CursorExpired`, and the
runner lists the calendar in full again, which the meeting keys make duplicate-free.

A cancelled event or occurrence (a tombstone carrying only its id) is a
:class:`Deletion` of that copy: the store marks the meeting cancelled once no
calendar that had it still has it. Focus time, out-of-office, working-location and
birthday entries and Gmail's reservations are not meetings and are left out; so are
rooms and other resources among the guests.

Holdings (``syncd verify``): ``events.list`` as the full sync lists, bounded by
``timeMax`` too and without ``showDeleted`` (a cancelled meeting is not held), and
``fields`` cut to each event's id, type and start: one request per :data:`HELD_PAGE`
events.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, Field

from connectors.base import (
    Attendee,
    BadItem,
    Batch,
    Cursor,
    Deletion,
    Held,
    Item,
    RawEvent,
)
from connectors.google_api import execute
from connectors.google_service import GoogleConnector, GoogleSettings
from connectors.retry import with_retries
from connectors.time_zones import iana

CALENDAR_READONLY = "https://www.googleapis.com/auth/calendar.readonly"
PAGE = 500
HELD_PAGE = 2500
"""Events a holdings page asks for: Google's most."""
HELD_FIELDS = "items(id,status,eventType,start),nextPageToken"
MEETING_TYPES = frozenset({"default"})
PRIVATE = frozenset({"private", "confidential"})


class GoogleCalendarSettings(GoogleSettings):
    calendar: str = Field("primary", min_length=1, description=(
        "the calendar to read: primary (the user's own) or a calendar id"))


class GoogleCalendarConnector(GoogleConnector):
    kind = "google_calendar"
    api = ("calendar", "v3")
    Settings = GoogleCalendarSettings
    settings: GoogleCalendarSettings

    @classmethod
    def scopes(cls, settings: BaseModel, bodies: bool) -> list[str]:
        return [CALENDAR_READONLY]

    def check(self) -> str:
        request = self._service().events().list(calendarId=self.settings.calendar,
                                                maxResults=1, fields="summary,timeZone")
        found = with_retries("events.list", functools.partial(execute, request,
                                                              "events.list"))
        return f"calendar {found.get('summary')} ({found.get('timeZone')})"

    def pull(self, cursor: Cursor, *, full: bool = False,
             since: datetime | None = None) -> Iterator[Batch]:
        state: dict[str, Any] = {} if full or not cursor else dict(cursor)
        service = self._service()
        if state.get("sync_token"):
            query = {"syncToken": state["sync_token"]}
        else:
            time_min = state.get("time_min") or (_rfc3339(since) if since else None)
            query = {"timeMin": time_min} if time_min else {}
        yield from self._listing(service, query, state.get("page_token"))

    def holdings(self, since: datetime, until: datetime) -> Iterator[Held]:
        """The meetings pull would deliver that overlap the window: ids and start days."""
        service = self._service()
        token: str | None = None
        while True:
            request = service.events().list(
                calendarId=self.settings.calendar, singleEvents=True, maxResults=HELD_PAGE,
                timeMin=_rfc3339(since), timeMax=_rfc3339(until), pageToken=token,
                fields=HELD_FIELDS)
            page = with_retries("events.list", functools.partial(
                execute, request, "events.list"))
            for event in page.get("items", []):
                if event.get("status") != "cancelled" \
                        and event.get("eventType", "default") in MEETING_TYPES:
                    yield Held(_external_id(event), None, _day(event))
            token = page.get("nextPageToken")
            if not token:
                return

    def _listing(self, service: Any, query: dict[str, str], token: str | None
                 ) -> Iterator[Batch]:
        """Pages of one listing; each page's cursor resumes on the next page, the last
        one's is the new sync token. A token Google no longer honours (410, or 400
        for a resumed page token) is an expired cursor."""
        expired_on = frozenset({410, 400} if token else {410})
        resumed = token is not None
        while True:
            request = service.events().list(
                calendarId=self.settings.calendar, singleEvents=True, showDeleted=True,
                maxResults=PAGE, pageToken=token, **query)
            page = with_retries("events.list", functools.partial(
                execute, request, "events.list", expired_on))
            items = [_item(event) for event in page.get("items", [])]
            token = page.get("nextPageToken")
            found = [item for item in items if item is not None]
            if token:
                yield Batch(found, _progress(query, token))
                continue
            next_sync = page.get("nextSyncToken")
            if found or resumed or next_sync != query.get("syncToken"):
                yield Batch(found, {"sync_token": next_sync})
            return


def _progress(query: dict[str, str], page_token: str) -> dict[str, Any]:
    """A mid-listing cursor: the query it belongs to and the page to go on from."""
    if "syncToken" in query:
        return {"sync_token": query["syncToken"], "page_token": page_token}
    return {"time_min": query.get("timeMin"), "page_token": page_token}


def _item(event: dict[str, Any]) -> Item | None:
    """The event as the pipeline takes it: a meeting, a cancellation, or nothing."""
    external_id = _external_id(event)
    if event.get("status") == "cancelled":
        return Deletion(external_id)
    if event.get("eventType", "default") not in MEETING_TYPES:
        return None
    try:
        return _event(external_id, event)
    except (KeyError, TypeError, ValueError) as exc:
        return BadItem(external_id, f"Google sent an event syncd cannot read: "
                       f"{type(exc).__name__}: {exc}",
                       json.dumps(event, ensure_ascii=False).encode()[:65536], "json")


def _external_id(event: dict[str, Any]) -> str:
    return f"gcal:{event.get('id', '')}"


def _event(external_id: str, event: dict[str, Any]) -> RawEvent:
    guests = [g for g in event.get("attendees", []) if g.get("email")]
    organizer = _organizer(event.get("organizer") or {}, guests)
    me = next((g for g in guests if g.get("self")), None)
    original = event.get("originalStartTime") if event.get("recurringEventId") else None
    return RawEvent(
        external_id=external_id, ical_uid=str(event.get("iCalUID") or event["id"]),
        start=_when(event["start"]), end=_when(event["end"]) if "end" in event else None,
        recurrence_id=_recurrence_id(original) if original else None,
        all_day="date" in event["start"], organizer=organizer,
        attendees=tuple(_attendee(g) for g in guests
                        if not g.get("resource") and not _is_organizer(g, organizer)),
        my_response=me.get("responseStatus") if me else None,
        subject=str(event.get("summary", "")), location=str(event.get("location", "")),
        description=str(event.get("description", "")), status=str(event["status"]),
        private=event.get("visibility") in PRIVATE,
        time_zone=iana(event["start"].get("timeZone")))


def _organizer(organizer: dict[str, Any], guests: list[dict[str, Any]]) -> Attendee | None:
    """The organizer, with the answer its own guest entry gives (Google lists the
    organizer among the guests, flagged, when it attends)."""
    email = organizer.get("email")
    if not email:
        return None
    entry = next((g for g in guests if g.get("organizer")
                  or str(g["email"]).lower() == str(email).lower()), {})
    return Attendee(str(email), str(organizer.get("displayName", "")),
                    entry.get("responseStatus"))


def _is_organizer(guest: dict[str, Any], organizer: Attendee | None) -> bool:
    return bool(guest.get("organizer")) or (
        organizer is not None and str(guest["email"]).lower() == organizer.email.lower())


def _attendee(guest: dict[str, Any]) -> Attendee:
    return Attendee(str(guest["email"]), str(guest.get("displayName", "")),
                    guest.get("responseStatus"), bool(guest.get("optional")))


def _when(when: dict[str, Any]) -> datetime:
    """An event time in UTC; an all-day date is UTC midnight of that day."""
    if "dateTime" in when:
        moment = datetime.fromisoformat(str(when["dateTime"]).replace("Z", "+00:00"))
        if moment.tzinfo is None:  # Google always sends an offset; be safe anyway
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    return datetime.fromisoformat(str(when["date"])).replace(tzinfo=UTC)


def _day(event: dict[str, Any]) -> date | None:
    """The UTC day the event starts, as pull dates it; None when Google sent no start."""
    try:
        return _when(event["start"]).date()
    except (KeyError, TypeError, ValueError):
        return None


def _recurrence_id(original: dict[str, Any]) -> str:
    """The occurrence's original start as RFC 5545 writes a RECURRENCE-ID in UTC,
    which any calendar can compute for the same occurrence."""
    if "dateTime" in original:
        return _when(original).strftime("%Y%m%dT%H%M%SZ")
    return str(original["date"]).replace("-", "")


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
