"""One user's primary Google Calendar in memory, with recurrence and change tracking.

Calendar v3's model (shared/REMOTE-APIS.md §2): an event has an ``id``, an
``iCalUID``, ``status`` (confirmed | tentative | cancelled), ``start``/``end`` as
``{dateTime}`` or all-day ``{date}`` (end exclusive), ``organizer``, ``attendees``
with ``responseStatus``, ``visibility``. A recurring master carries ``recurrence``
(RRULE/EXDATE/RDATE lines); its instances share its iCalUID, have ids
``{masterId}_{YYYYMMDDTHHMMSSZ}`` (``_{YYYYMMDD}`` all-day) and carry
``recurringEventId`` + ``originalStartTime``. A moved or cancelled occurrence is an
*exception*, stored here under its instance id.

Every change takes the next value of ``seq``; a sync token remembers the ``seq`` it
was issued at, so an incremental list returns what changed after it. Deleting keeps a
tombstone (``status: cancelled``). Instances are expanded with dateutil's RFC 5545
rules in the master's UTC offset (no DST shifts), up to ``horizon`` or
``MAX_INSTANCES`` per series.
"""

from __future__ import annotations

import copy
import datetime as dt
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from dateutil.rrule import rrulestr

MAX_INSTANCES = 1000
_BASE32HEX = "0123456789abcdefghijklmnopqrstuv"


@dataclass
class StoredEvent:
    data: dict[str, Any]
    seq: int


def parse_when(when: dict[str, Any]) -> dt.datetime:
    """An event time as an aware datetime (an all-day date is UTC midnight)."""
    if "dateTime" in when:
        return dt.datetime.fromisoformat(when["dateTime"])
    return dt.datetime.fromisoformat(when["date"]).replace(tzinfo=dt.UTC)


def rfc3339(moment: dt.datetime) -> str:
    text = moment.isoformat(timespec="seconds")
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


class Calendar:
    """The mutable state behind ``calendars/primary/events`` for one user."""

    def __init__(self, owner: str, clock: Callable[[], float]) -> None:
        self.owner, self.time_zone = owner.lower(), "UTC"
        self.events: dict[str, StoredEvent] = {}
        self.seq = 0
        self.sync_floor = 0
        self._clock = clock

    def put(self, event: dict[str, Any]) -> dict[str, Any]:
        """Insert or replace an event (``events.insert``/``update``); Google's
        defaults fill what the test left out. Returns the stored resource."""
        data = copy.deepcopy(event)
        event_id = data.setdefault("id", "".join(secrets.choice(_BASE32HEX) for _ in range(26)))
        old = self.events.get(event_id)
        now = self._now()
        data.setdefault("status", "confirmed")
        data.setdefault("iCalUID", old.data["iCalUID"] if old else f"{event_id}@google.com")
        data["created"] = old.data["created"] if old else now
        data["updated"] = now
        data.setdefault("sequence", old.data.get("sequence", 0) if old else 0)
        data.setdefault("organizer", {"email": self.owner, "self": True})
        data.setdefault("creator", {"email": self.owner, "self": True})
        data.setdefault("htmlLink", f"https://www.google.com/calendar/event?eid={event_id}")
        data.setdefault("eventType", "default")
        data.setdefault("reminders", {"useDefault": True})
        self.seq += 1
        self.events[event_id] = StoredEvent(data, self.seq)
        return copy.deepcopy(data)

    def delete(self, event_id: str) -> None:
        """``events.delete``: the event (a whole series, for a master) is cancelled."""
        stored = self.events[event_id]
        self.seq += 1
        stored.data.update(status="cancelled", updated=self._now())
        stored.seq = self.seq

    def put_occurrence(self, master_id: str, original_start: str,
                       changes: dict[str, Any] | None = None) -> str:
        """Make one occurrence an exception (moved, renamed, re-attended...).
        ``original_start`` is the occurrence's unmoved start, as the master's
        ``start`` spells times (``dateTime`` or ``date``)."""
        master = self.events[master_id].data
        key = "date" if "date" in master["start"] else "dateTime"
        instance = self._instance(master, parse_when({key: original_start}))
        fixed = {k: instance[k] for k in ("id", "recurringEventId", "originalStartTime")}
        instance.update(copy.deepcopy(changes or {}))
        instance.update(fixed)
        return str(self.put(instance)["id"])

    def cancel_occurrence(self, master_id: str, original_start: str) -> str:
        return self.put_occurrence(master_id, original_start, {"status": "cancelled"})

    def expire_sync_tokens(self) -> None:
        """Every sync token issued so far now answers 410 GONE."""
        self.sync_floor = self.seq + 1

    def listing(self, single_events: bool, horizon: dt.datetime) -> list[StoredEvent]:
        """All items a list could return (cancelled ones included), each with the
        ``seq`` of its last change. ``single_events`` expands series into instances."""
        if not single_events:
            return [StoredEvent(copy.deepcopy(e.data), e.seq) for e in self.events.values()]
        found: list[StoredEvent] = []
        for stored in self.events.values():
            if "recurringEventId" in stored.data:
                continue  # an exception: emitted with its series below
            if "recurrence" in stored.data:
                found += self._expand(stored, horizon)
            else:
                found.append(StoredEvent(copy.deepcopy(stored.data), stored.seq))
        return found

    def _expand(self, master: StoredEvent, horizon: dt.datetime) -> Iterator[StoredEvent]:
        for start in self._occurrences(master.data, horizon):
            instance = self._instance(master.data, start)
            exception = self.events.get(instance["id"])
            seq = master.seq
            if exception is not None:
                instance, seq = copy.deepcopy(exception.data), max(seq, exception.seq)
            if master.data["status"] == "cancelled":
                instance["status"] = "cancelled"
            yield StoredEvent(instance, seq)

    def _occurrences(self, master: dict[str, Any], horizon: dt.datetime) -> list[dt.datetime]:
        first = parse_when(master["start"])
        all_day = "date" in master["start"]
        dtstart = first.replace(tzinfo=None) if all_day else first
        rules = rrulestr("\n".join(master["recurrence"]), dtstart=dtstart, forceset=True)
        found: list[dt.datetime] = []
        for moment in rules:
            aware = moment.replace(tzinfo=dt.UTC) if all_day else moment
            if aware >= horizon or len(found) >= MAX_INSTANCES:
                break
            found.append(aware)
        return found

    def _instance(self, master: dict[str, Any], start: dt.datetime) -> dict[str, Any]:
        all_day = "date" in master["start"]
        length = parse_when(master["end"]) - parse_when(master["start"])
        stamp = start.strftime("%Y%m%d") if all_day else \
            start.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        instance = {k: copy.deepcopy(v) for k, v in master.items() if k != "recurrence"}
        instance.update(id=f"{master['id']}_{stamp}", recurringEventId=master["id"])
        for field, moment in (("start", start), ("end", start + length)):
            when = dict(master[field])
            if all_day:
                when["date"] = moment.date().isoformat()
            else:
                when["dateTime"] = rfc3339(moment)
            instance[field] = when
        instance["originalStartTime"] = dict(instance["start"])
        return instance

    def _now(self) -> str:
        moment = dt.datetime.fromtimestamp(self._clock(), dt.UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
