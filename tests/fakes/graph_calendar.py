"""One user's Outlook calendar as ``calendarView/delta`` shows it.

Only what the view returns exists here: single instances, and the occurrences and
exceptions of recurring series inside the requested window, never the series master
(V-doc ``concepts/delta-query-events.md``; shared/REMOTE-APIS.md §4). Each instance
has its own ``id`` and its own ``iCalUId`` (the v1.0 text: "different for each
occurrence in a recurring series"), ``seriesMasterId`` and ``originalStart`` tie an
occurrence to its series, ``type`` is ``singleInstance|occurrence|exception``,
``start``/``end`` are ``{"dateTime": "...0000000", "timeZone": "UTC"}`` (UTC unless
``Prefer: outlook.timezone`` says otherwise, which the fake does not implement).

Recurrence is the subset a CRM test needs: daily or weekly every ``interval``, for
``count`` occurrences or ``until`` a date. An occurrence can be edited (an
exception), cancelled (``isCancelled``: the attendee's copy of a cancelled meeting)
or deleted (gone from the view: ``@removed`` in the next round).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.fakes.graph_delta import INSIDE, DeltaState
from tests.fakes.graph_mail import graph_time, opaque_id

ATTENDEE_TYPES = frozenset({"required", "optional", "resource"})
RESPONSES = frozenset({"none", "organizer", "tentativelyAccepted", "accepted", "declined",
                       "notResponded"})


@dataclass
class Attendee:
    address: str
    name: str = ""
    type: str = "required"
    response: str = "none"

    def __post_init__(self) -> None:
        if self.type not in ATTENDEE_TYPES or self.response not in RESPONSES:
            raise ValueError(f"bad attendee {self}")

    def resource(self) -> dict[str, Any]:
        return {"type": self.type,
                "status": {"response": self.response, "time": "0001-01-01T00:00:00Z"},
                "emailAddress": {"name": self.name or self.address, "address": self.address}}


@dataclass
class Event:
    """A single event or a series master (``recurrence`` set)."""

    id: str
    ical_uid: str
    subject: str
    start: datetime
    end: datetime
    organizer: tuple[str, str]  # (address, name)
    attendees: list[Attendee]
    is_all_day: bool = False
    is_cancelled: bool = False
    sensitivity: str = "normal"
    body: str = ""
    location: str = ""
    time_zone: str = "UTC"
    """The organizer's zone, a Windows name as Outlook writes it ("Pacific Standard Time")."""
    recurrence: dict[str, Any] | None = None  # {"type", "interval", "count"|"until"}
    # original start -> overrides of that occurrence (None: deleted occurrence)
    exceptions: dict[datetime, dict[str, Any] | None] = field(default_factory=dict)
    version: int = 0
    modified: float = 0.0  # clock time of the last change

    def starts(self, window_end: datetime) -> Iterator[datetime]:
        """Original start of every occurrence that begins before ``window_end``."""
        if self.recurrence is None:
            yield self.start
            return
        step = timedelta(days=self.recurrence.get("interval", 1) *
                         (7 if self.recurrence["type"] == "weekly" else 1))
        count, until = self.recurrence.get("count"), self.recurrence.get("until")
        for number in itertools.count():
            moment = self.start + number * step
            if (count is not None and number >= count) or (until and moment > until) \
                    or moment >= window_end:
                return
            yield moment


class Calendar:
    """The mutable state behind ``/users/{id}/calendarView/delta`` for one user."""

    def __init__(self, upn: str, name: str, clock: Callable[[], float],
                 numbers: Iterator[int]) -> None:
        self.upn, self.name = upn.lower(), name
        self._clock, self._numbers = clock, numbers
        self.events: dict[str, Event] = {}
        self.delta = DeltaState()
        self._versions = itertools.count(1)

    def add(self, subject: str, start: datetime, end: datetime, *,
            organizer: str | None = None, attendees: list[Attendee] | None = None,
            recurrence: dict[str, Any] | None = None, is_all_day: bool = False,
            sensitivity: str = "normal", body: str = "", location: str = "",
            organizer_name: str = "", time_zone: str = "UTC") -> str:
        """A meeting (organizer defaults to the owner) or a series when
        ``recurrence`` is given; returns its id (the series master id)."""
        event = Event(opaque_id("AAMkAGEv", self._numbers),
                      "040000008200E00074C5B7101A82E008" + hashlib.sha1(
                          str(next(self._numbers)).encode()).hexdigest().upper(),
                      subject, _utc(start), _utc(end),
                      ((organizer or self.upn).lower(), organizer_name),
                      list(attendees or []), is_all_day=is_all_day, sensitivity=sensitivity,
                      body=body, location=location, time_zone=time_zone,
                      recurrence=_utc_rule(recurrence),
                      version=next(self._versions), modified=self._clock())
        self.events[event.id] = event
        return event.id

    def update(self, event_id: str, **changes: Any) -> None:
        """Change a single event or a whole series (``subject``, ``start``,
        ``attendees``, ``is_cancelled``...)."""
        event = self.events[event_id]
        for name, value in changes.items():
            if not hasattr(event, name):
                raise AttributeError(name)
            setattr(event, name, _utc(value) if isinstance(value, datetime)
                    else _utc_rule(value) if name == "recurrence" else value)
        self._touch(event)

    def respond(self, event_id: str, attendee: str, response: str) -> None:
        event = self.events[event_id]
        for person in event.attendees:
            if person.address.lower() == attendee.lower():
                person.response = response
        self._touch(event)

    def edit_occurrence(self, series_id: str, original_start: datetime, **overrides: Any
                        ) -> None:
        """Make one occurrence an exception (``subject``, ``start``, ``end``,
        ``is_cancelled``)."""
        event = self.events[series_id]
        moment = _utc(original_start)
        current = event.exceptions.get(moment) or {}
        event.exceptions[moment] = {**current, **{k: _utc(v) if isinstance(v, datetime) else v
                                                  for k, v in overrides.items()}}
        self._touch(event)

    def delete_occurrence(self, series_id: str, original_start: datetime) -> None:
        event = self.events[series_id]
        event.exceptions[_utc(original_start)] = None
        self._touch(event)

    def delete(self, event_id: str) -> None:
        del self.events[event_id]

    def _touch(self, event: Event) -> None:
        event.version = next(self._versions)
        event.modified = self._clock()

    # -- the view ---------------------------------------------------------------------
    def instances(self, window_start: datetime, window_end: datetime
                  ) -> dict[str, dict[str, Any]]:
        """Every instance overlapping the window, by id, in start order."""
        found: list[dict[str, Any]] = []
        for event in self.events.values():
            for original in event.starts(window_end):
                overrides = event.exceptions.get(original, {})
                if overrides is None:
                    continue
                start = overrides.get("start", original)
                end = overrides.get("end", start + (event.end - event.start))
                if start < window_end and end > window_start:
                    found.append(self._instance(event, original, start, end, overrides))
        found.sort(key=lambda item: item["start"]["dateTime"])
        return {item["id"]: item for item in found}

    def versions(self, instances: dict[str, dict[str, Any]]) -> dict[str, str]:
        """Event (series) id -> version, or ``INSIDE`` for events that have some of
        ``instances`` (whose changes the instances themselves report)."""
        inside = {item["seriesMasterId"] or item["id"] for item in instances.values()}
        return {event.id: INSIDE if event.id in inside else str(event.version)
                for event in self.events.values()}

    def _instance(self, event: Event, original: datetime, start: datetime, end: datetime,
                  overrides: dict[str, Any]) -> dict[str, Any]:
        recurring = event.recurrence is not None
        kind = ("exception" if overrides else "occurrence") if recurring else "singleInstance"
        stamp = original.strftime("%Y%m%dT%H%M%SZ")
        instance_id = event.id if not recurring else event.id[:-4] + base64.urlsafe_b64encode(
            hashlib.sha1(f"{event.id}/{stamp}".encode()).digest()).decode()
        ical_uid = event.ical_uid if not recurring else (
            event.ical_uid[:16] + original.strftime("%Y%m%d").encode().hex().upper()
            + event.ical_uid[32:])
        organizer_address, organizer_name = event.organizer
        owner_is_organizer = organizer_address == self.upn
        mine = next((a for a in event.attendees if a.address.lower() == self.upn), None)
        response = "organizer" if owner_is_organizer else (mine.response if mine else "none")
        item: dict[str, Any] = {
            "@odata.type": "#microsoft.graph.event",
            "id": instance_id,
            "createdDateTime": "2024-01-01T00:00:00Z",
            "lastModifiedDateTime": graph_time(datetime.fromtimestamp(event.modified, UTC)),
            "categories": [],
            "originalStartTimeZone": event.time_zone, "originalEndTimeZone": event.time_zone,
            "iCalUId": ical_uid,
            "reminderMinutesBeforeStart": 15, "isReminderOn": True,
            "hasAttachments": False,
            "subject": overrides.get("subject", event.subject),
            "bodyPreview": " ".join(event.body.split())[:255],
            "importance": "normal",
            "sensitivity": event.sensitivity,
            "isAllDay": event.is_all_day,
            "isCancelled": bool(overrides.get("is_cancelled", event.is_cancelled)),
            "isOrganizer": owner_is_organizer,
            "responseRequested": True,
            "seriesMasterId": event.id if recurring else None,
            "showAs": "busy",
            "type": kind,
            "webLink": "https://outlook.office365.com/owa/?itemid=" + instance_id,
            "onlineMeetingUrl": None, "isOnlineMeeting": False,
            "responseStatus": {"response": response, "time": "0001-01-01T00:00:00Z"},
            "body": {"contentType": "html", "content": event.body},
            "start": {"dateTime": _graph_local(start), "timeZone": "UTC"},
            "end": {"dateTime": _graph_local(end), "timeZone": "UTC"},
            "location": {"displayName": event.location, "locationType": "default"},
            "locations": [{"displayName": event.location}] if event.location else [],
            "recurrence": None,
            "attendees": [a.resource() for a in overrides.get("attendees", event.attendees)],
            "organizer": {"emailAddress": {"name": organizer_name or organizer_address,
                                           "address": organizer_address}},
        }
        if recurring:
            item["originalStart"] = graph_time(original)
        digest = hashlib.sha1(json.dumps(
            {k: v for k, v in item.items() if k != "lastModifiedDateTime"},
            sort_keys=True).encode()).hexdigest()
        item["changeKey"] = base64.b64encode(bytes.fromhex(digest)).decode()
        item["@odata.etag"] = f'W/"{item["changeKey"]}"'
        return item


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _utc_rule(recurrence: dict[str, Any] | None) -> dict[str, Any] | None:
    """A recurrence whose ``until`` compares with the (UTC) occurrence starts."""
    if recurrence is None or not isinstance(recurrence.get("until"), datetime):
        return recurrence
    return {**recurrence, "until": _utc(recurrence["until"])}


def _graph_local(moment: datetime) -> str:
    """Graph's dateTimeTimeZone text: no offset, seven fractional digits."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000")
