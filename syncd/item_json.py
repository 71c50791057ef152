"""A delivered item as JSON and back, for items kept in quarantine.

When the pipeline fails on a message or a meeting, the item the connector delivered
is kept whole, so that ``syncd quarantine retry`` (after an upgrade that fixes the
failure) can plan it again without asking the source for it.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any

from connectors.base import Address, Attendee, RawEvent, RawMessage

_KINDS: dict[str, type[RawMessage] | type[RawEvent]] = {
    "message": RawMessage, "event": RawEvent}
_PEOPLE = {"sender": Address, "to": Address, "cc": Address, "bcc": Address,
           "reply_to": Address, "organizer": Attendee, "attendees": Attendee}


def dumps(item: RawMessage | RawEvent) -> bytes:
    kind = "message" if isinstance(item, RawMessage) else "event"
    fields = {f.name: _plain(getattr(item, f.name)) for f in dataclasses.fields(item)}
    return json.dumps({"kind": kind, "fields": fields}, ensure_ascii=False,
                      default=str).encode("utf-8", "surrogatepass")


def loads(raw: bytes) -> RawMessage | RawEvent:
    """The item :func:`dumps` wrote; ValueError for anything else."""
    try:
        data = json.loads(raw.decode("utf-8", "surrogatepass"))
        cls = _KINDS[data["kind"]]
        fields: dict[str, Any] = data["fields"]
        return cls(**{name: _typed(name, value) for name, value in fields.items()})
    except (KeyError, TypeError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a kept item: {type(exc).__name__}: {exc}") from exc


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"datetime": value.isoformat()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict) or hasattr(value, "items"):
        return dict(value)
    return value


def _typed(name: str, value: Any) -> Any:
    person = _PEOPLE.get(name)
    if isinstance(value, dict) and "datetime" in value:
        return datetime.fromisoformat(value["datetime"])
    if person is not None and isinstance(value, dict):
        return person(**value)
    if isinstance(value, list):
        return tuple(person(**v) if person is not None else v for v in value)
    return value
