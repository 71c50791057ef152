"""Calendar v3 ``events.list`` over :class:`~tests.fakes.calendar_store.Calendar`.

Served at ``/calendar/v3/calendars/{calendarId}/events`` (``primary`` or the
owner's address). Semantics from the discovery document (shared/REMOTE-APIS.md §2):

- Full list: cancelled items left out unless ``showDeleted``; ``timeMin`` bounds the
  event's *end*, ``timeMax`` its *start*, both exclusive; ``singleEvents=true``
  expands series into instances; ``orderBy=startTime`` only with singleEvents.
- ``maxResults`` default 250, clamped to 2500; every page but the last carries
  ``nextPageToken``, the last one ``nextSyncToken`` (never both).
- ``syncToken``: only what changed since the token, tombstones included
  (``status: cancelled`` with ``id`` only, plus ``recurringEventId`` and
  ``originalStartTime`` for a cancelled occurrence); it cannot be combined with
  ``timeMin``, ``timeMax``, ``q``, ``orderBy``, ``iCalUID``, ``updatedMin`` (400); an
  expired token is 410 ``fullSyncRequired``. A token used with another
  ``singleEvents`` than it was issued for is a 400 here (Google calls it undefined).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

from tests.fakes.calendar_store import Calendar, StoredEvent, parse_when, rfc3339
from tests.fakes.google_wire import (
    ApiCall,
    GoogleError,
    bad_request,
    decode_token,
    encode_token,
    not_found,
)

ROUTES: list[tuple[str, str, str]] = [
    ("GET", r"/calendar/v3/calendars/(?P<calendarId>[^/]+)/events", "calendar.events.list"),
]
HORIZON = dt.timedelta(days=366)
_NOT_WITH_SYNC = ("iCalUID", "orderBy", "privateExtendedProperty", "q",
                  "sharedExtendedProperty", "timeMin", "timeMax", "updatedMin")
_NOT_IN_FINGERPRINT = {"pageToken", "syncToken", "maxResults", "fields", "alt", "prettyPrint"}
_GONE = GoogleError(410, "fullSyncRequired",
                    "Sync token is no longer valid, a full sync is required.",
                    domain="calendar", status=None, location=("parameter", "syncToken"))


class CalendarApi:
    def __init__(self, calendars: dict[str, Calendar], clock: Callable[[], float]) -> None:
        self.calendars, self.clock = calendars, clock

    def handle(self, call: ApiCall) -> Any:
        calendar = self._calendar(call)
        single = call.flag("singleEvents")
        since = self._since(calendar, call, single)
        snapshot, offset = calendar.seq, 0
        if call.param("pageToken"):
            state = decode_token(call.param("pageToken") or "")
            if state.get("f") != _fingerprint(call):
                raise bad_request("Invalid pageToken: the query changed between pages.")
            snapshot, offset, since = state["s"], state["o"], state["t"]
        items = self._items(calendar, call, single, since)
        size = call.number("maxResults", 250, 2500)
        answer = self._envelope(calendar)
        answer["items"] = [_item_json(e, since is not None) for e in items[offset:offset + size]]
        if offset + size < len(items):
            answer["nextPageToken"] = encode_token(
                {"s": snapshot, "o": offset + size, "t": since, "f": _fingerprint(call)})
        else:
            answer["nextSyncToken"] = encode_token({"seq": snapshot, "single": single})
        return answer

    def _calendar(self, call: ApiCall) -> Calendar:
        wanted = call.args["calendarId"].lower()
        if call.user is None or wanted not in {"primary", call.user}:
            raise not_found()
        return self.calendars[call.user]

    def _since(self, calendar: Calendar, call: ApiCall, single: bool) -> int | None:
        token = call.param("syncToken")
        if token is None:
            return None
        clash = [name for name in _NOT_WITH_SYNC if name in call.query]
        if clash:
            raise bad_request(f"syncToken cannot be combined with {', '.join(clash)}")
        state = decode_token(token, "syncToken")
        if not isinstance(state, dict) or "seq" not in state:
            raise bad_request("Invalid syncToken")
        if state.get("single") != single:
            raise bad_request("fake_google: this syncToken was issued for "
                              f"singleEvents={state.get('single')}")
        if state["seq"] < calendar.sync_floor:
            raise _GONE
        return int(state["seq"])

    def _items(self, calendar: Calendar, call: ApiCall, single: bool,
               since: int | None) -> list[StoredEvent]:
        if call.param("orderBy") == "startTime" and not single:
            raise bad_request("The requested ordering is not available for the particular "
                              "query.")
        low, high = _bound(call, "timeMin"), _bound(call, "timeMax")
        found = []
        for event in calendar.listing(single, high or self._horizon(calendar)):
            cancelled = event.data["status"] == "cancelled"
            if since is not None:
                if event.seq > since:
                    found.append(event)
            elif (not cancelled or call.flag("showDeleted")) and _overlaps(event, low, high):
                found.append(event)
        return sorted(found, key=lambda e: (_utc(parse_when(e.data["start"])), e.data["id"]))

    def _horizon(self, calendar: Calendar) -> dt.datetime:
        """How far an open-ended series is expanded: a year past now or past the
        latest start in the calendar, whichever is later."""
        latest = dt.datetime.fromtimestamp(self.clock(), dt.UTC)
        for event in calendar.events.values():
            latest = max(latest, _utc(parse_when(event.data["start"])))
        return latest + HORIZON

    def _envelope(self, calendar: Calendar) -> dict[str, Any]:
        now = dt.datetime.fromtimestamp(self.clock(), dt.UTC)
        return {"kind": "calendar#events", "etag": f'"{calendar.seq}"',
                "summary": calendar.owner, "description": "", "updated": rfc3339(now),
                "timeZone": calendar.time_zone, "accessRole": "owner",
                "defaultReminders": [{"method": "popup", "minutes": 10}]}


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC)


def _bound(call: ApiCall, name: str) -> dt.datetime | None:
    text = call.param(name)
    if text is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as error:
        raise bad_request(f"Bad Request: invalid {name}") from error
    if moment.tzinfo is None:
        raise bad_request(f"Bad Request: {name} needs a time zone offset")
    return moment


def _overlaps(event: StoredEvent, low: dt.datetime | None, high: dt.datetime | None) -> bool:
    start, end = parse_when(event.data["start"]), parse_when(event.data["end"])
    return (low is None or end > low) and (high is None or start < high)


def _item_json(event: StoredEvent, incremental: bool) -> dict[str, Any]:
    data = event.data
    if incremental and data["status"] == "cancelled":
        keep = ("id", "status", "recurringEventId", "originalStartTime")
        data = {key: data[key] for key in keep if key in data}
    return {"kind": "calendar#event", "etag": f'"{event.seq}"', **data}


def _fingerprint(call: ApiCall) -> str:
    kept = sorted((k, v) for k, v in call.query.items() if k not in _NOT_IN_FINGERPRINT)
    return hashlib.sha1(repr(kept).encode()).hexdigest()[:12]
