"""Outlook calendars through Graph's ``calendarView/delta``: meetings, as for Google.

A delta round covers a fixed window (Graph encodes ``startDateTime`` and
``endDateTime`` in its links): from the backfill start (``backfill``, else a year)
to :attr:`~OutlookCalendarSettings.upcoming` ahead. Cursor: ``{"link", "start",
"end"}``, the round's next link while it is under way, then its delta link. Once
half of the upcoming span has passed, a new round with a window reaching further
ahead begins (a full listing; the meeting keys make it duplicate-free), so
meetings planned later keep coming in. An unchanged calendar costs one request.

The view holds single meetings and the occurrences and exceptions of series, never
a series master. Graph gives each occurrence its own ``iCalUId`` (the same in every
calendar that has the meeting, and kept when the occurrence moves), which keys the
interaction; ``seriesMasterId`` is the thread. A cancelled meeting
(``isCancelled``, the attendee's copy) and a removed one (``@removed``) are a
:class:`Deletion` of that copy. Rooms and other resources are not guests. The same
interaction rules as Google's apply (:mod:`syncd.meetings`): all-day, declined and
guest-less events are not meetings by default; private ones keep time and guests.

Holdings (``syncd verify``): the plain ``calendarView`` over the window (the delta
form takes no ``$select``), ``$select`` of the id, start, type and
``isCancelled``, :data:`HELD_PAGE` a page: one request per 1,000 meetings.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pydantic import Field

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
from connectors.graph_api import GraphRequest
from connectors.microsoft_service import MicrosoftConnector, MicrosoftSettings
from connectors.time_zones import iana
from syncd.configtypes import Duration

PAGE = 500
HELD_PAGE = 1000
HELD_FIELDS = "id,start,type,isCancelled"
DEFAULT_BACKFILL = timedelta(days=365)
ANSWERS = {"accepted": "accepted", "declined": "declined", "tentativelyAccepted": "tentative",
           "organizer": "accepted", "notResponded": "needsAction", "none": "needsAction"}
PRIVATE = frozenset({"private", "confidential"})


class OutlookCalendarSettings(MicrosoftSettings):
    upcoming: Duration = Field(timedelta(days=180), description=(
        "how far ahead meetings are read, so a contact shows its next meeting"))


class OutlookCalendarConnector(MicrosoftConnector):
    kind = "outlook_calendar"
    Settings = OutlookCalendarSettings
    settings: OutlookCalendarSettings
    read_permissions = ("Calendars.Read", "Calendars.Read")

    def check(self) -> str:
        found = self.graph().get(GraphRequest(f"{self.owner_path}/calendar",
                                              {"$select": "name"}), "calendar")
        return f"calendar {found.get('name', '?')}"

    def pull(self, cursor: Cursor, *, full: bool = False,
             since: datetime | None = None) -> Iterator[Batch]:
        state: dict[str, Any] = {} if full or not cursor else dict(cursor)
        now = datetime.now(UTC)
        if state and now + self.settings.upcoming / 2 > datetime.fromisoformat(state["end"]):
            state = {"start": state["start"]}  # a new round, further ahead
        start = state.get("start") or _iso(since or now - DEFAULT_BACKFILL)
        end = state.get("end") or _iso(now + self.settings.upcoming)
        request = GraphRequest(state["link"], None, self._prefer()) if state.get("link") \
            else GraphRequest(f"{self.owner_path}/calendarView/delta",
                              {"startDateTime": start, "endDateTime": end}, self._prefer())
        while True:
            page = self.graph().get(request, "calendarView/delta")
            items = [item for entry in page.get("value", [])
                     if (item := _item(entry)) is not None]
            following = page.get("@odata.nextLink")
            link = str(following or page.get("@odata.deltaLink"))
            if items or following or link != state.get("link"):
                yield Batch(items, {"link": link, "start": start, "end": end})
            if not following:
                return
            request = GraphRequest(following, None, self._prefer())

    def _prefer(self) -> tuple[str, ...]:
        return (f"odata.maxpagesize={PAGE}",)

    def holdings(self, since: datetime, until: datetime) -> Iterator[Held]:
        """The meetings pull would deliver that overlap the window: ids and start days."""
        request = GraphRequest(f"{self.owner_path}/calendarView", {
            "startDateTime": _iso(since), "endDateTime": _iso(until),
            "$select": HELD_FIELDS, "$top": str(HELD_PAGE)})
        while True:
            page = self.graph().get(request, "calendarView")
            for entry in page.get("value", []):
                if not entry.get("isCancelled") and entry.get("type") != "seriesMaster":
                    yield Held(_external_id(entry), None, _day(entry))
            following = page.get("@odata.nextLink")
            if not following:
                return
            request = GraphRequest(following)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _external_id(entry: dict[str, Any]) -> str:
    return f"graph:{entry.get('id', '')}"


def _day(entry: dict[str, Any]) -> date | None:
    """The UTC day the event starts, as pull dates it; None when Graph sent none."""
    try:
        return _when(entry["start"]).date()
    except (KeyError, TypeError, ValueError):
        return None


def _item(entry: dict[str, Any]) -> Item | None:
    external_id = _external_id(entry)
    if "@removed" in entry or entry.get("isCancelled"):
        return Deletion(external_id)
    if entry.get("type") == "seriesMaster":
        return None
    try:
        return _event(external_id, entry)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return BadItem(external_id, f"Graph sent an event syncd cannot read: "
                       f"{type(exc).__name__}: {exc}",
                       json.dumps(entry, ensure_ascii=False).encode()[:65536], "json")


def _event(external_id: str, entry: dict[str, Any]) -> RawEvent:
    organizer = _person((entry.get("organizer") or {}).get("emailAddress") or {}, "organizer")
    guests = tuple(
        person for attendee in entry.get("attendees") or []
        if attendee.get("type") != "resource"
        and (person := _person(attendee.get("emailAddress") or {},
                               (attendee.get("status") or {}).get("response"),
                               attendee.get("type") == "optional")) is not None
        and (organizer is None or person.email.lower() != organizer.email.lower()))
    mine = (entry.get("responseStatus") or {}).get("response")
    series = entry.get("seriesMasterId")
    return RawEvent(
        external_id=external_id, ical_uid=str(entry["iCalUId"]),
        start=_when(entry["start"]), end=_when(entry["end"]) if entry.get("end") else None,
        all_day=bool(entry.get("isAllDay")), organizer=organizer, attendees=guests,
        my_response=ANSWERS.get(mine) if mine and mine != "none" else None,
        subject=str(entry.get("subject") or ""),
        location=str((entry.get("location") or {}).get("displayName") or ""),
        description=str(entry.get("bodyPreview") or ""),
        private=entry.get("sensitivity") in PRIVATE,
        thread_hint=f"graph-series:{series}" if series else None,
        time_zone=iana(entry.get("originalStartTimeZone")))


def _person(address: dict[str, Any], response: str | None,
            optional: bool = False) -> Attendee | None:
    email = address.get("address")
    if not email:
        return None
    return Attendee(str(email), str(address.get("name") or ""),
                    ANSWERS.get(response) if response else None, optional)


def _when(when: dict[str, Any]) -> datetime:
    """Graph's ``{dateTime, timeZone}``: UTC, since no ``outlook.timezone`` is asked."""
    moment = datetime.fromisoformat(str(when["dateTime"])[:26])
    if when.get("timeZone", "UTC") not in {"UTC", "Etc/UTC"}:
        raise ValueError(f"time zone {when.get('timeZone')!r} where UTC was asked for")
    return moment.replace(tzinfo=UTC)
