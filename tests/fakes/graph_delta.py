"""Graph delta-query rounds, shared by message delta and calendarView delta.

How Graph behaves (shared/REMOTE-APIS.md §4, V-doc delta-query-overview): a round
starts with a request without token (or with the ``$deltatoken`` of the previous
round), pages through ``@odata.nextLink`` (``$skiptoken``) and ends with a page that
carries ``@odata.deltaLink`` (``$deltatoken``). Query parameters are given on the
first request only; the tokens carry them. A page can be empty and still have a
nextLink; items may repeat (replays); an old deltaLink may be used again. A token
the server no longer has state for is answered ``410 Gone`` with a ``Location``
header holding the request URL with an empty ``$deltatoken`` (code
``syncStateNotFound``; the exact message is UNVERIFIED).

The fake keeps what Graph keeps, server-side sync state: the deltaLink names a
snapshot ``{item id: version}`` of what the client was told; the next round sends
what differs from it (changed or new items, ``@removed`` for the rest). A round's
item list is fixed when it starts, so a change made while a client pages is
reported in the next round, never lost. :meth:`DeltaState.expire` forgets every
snapshot and round, as Exchange does when its delta token cache overflows.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.graph_wire import GraphError, decode_token, encode_token

INSIDE = "inside"
DEFAULT_PAGE_SIZE = 10  # UNVERIFIED (the doc samples page by 10 without a Prefer)
MAX_PAGE_SIZE = 1000  # UNVERIFIED cap on odata.maxpagesize for Outlook delta


@dataclass(frozen=True)
class Snapshot:
    """What a deltaLink stands for: the query and the versions the client holds."""

    query: dict[str, Any]
    versions: dict[str, str]
    # calendar: event id -> version, or INSIDE when the event has instances in the window
    parents: dict[str, str]


@dataclass
class Round:
    query: dict[str, Any]
    items: list[tuple[str, bool]]  # (id, removed)
    snapshot: str  # the snapshot the round's deltaLink will name


@dataclass
class DeltaState:
    """Sync state for one collection (a mail folder, a calendar)."""

    epoch: int = 0
    snapshots: dict[str, Snapshot] = field(default_factory=dict)
    rounds: dict[str, Round] = field(default_factory=dict)
    replays: bool = False  # incremental rounds send each changed item twice
    empty_pages: int = 0  # each round starts with this many empty pages
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def expire(self) -> None:
        """Every deltaLink and nextLink handed out so far is now answered 410."""
        self.epoch += 1
        self.snapshots.clear()
        self.rounds.clear()

    def start(self, query: dict[str, Any], base: Snapshot | None, versions: dict[str, str],
              parents: dict[str, str] | None = None, change_type: str | None = None) -> str:
        """Begin a round from ``base`` (None: initial sync) to ``versions`` (ids in the
        order they should be sent); returns the round's skiptoken.

        ``change_type`` (messages' custom ``changeType``) keeps only ``created``,
        ``updated`` or ``deleted`` items in incremental rounds; the initial round
        sends everything, as the doc's example 2 does."""
        before = base.versions if base else {}
        changed = [(item, False) for item, version in versions.items()
                   if before.get(item) != version]
        if base is not None and self.replays:
            changed = [entry for entry in changed for _ in (0, 1)]
        removed = [(item, True) for item in before if item not in versions]
        if base is not None and parents is not None:
            # Graph reports events added, changed or deleted outside the window as
            # @removed too; events with instances inside are reported through those
            shown = {item for item, _ in changed + removed}
            removed += [(parent, True) for parent, version in parents.items()
                        if version != INSIDE and base.parents.get(parent) != version
                        and parent not in shown]
            removed += [(parent, True) for parent, version in base.parents.items()
                        if parent not in parents and version != INSIDE
                        and parent not in shown]
        if base is not None and change_type is not None:
            changed = [] if change_type == "deleted" else [
                (item, gone) for item, gone in changed
                if (item in before) == (change_type == "updated")]
            removed = removed if change_type == "deleted" else []
        snapshot = f"s{next(self._ids)}"
        self.snapshots[snapshot] = Snapshot(query, dict(versions), dict(parents or {}))
        round_id = f"r{next(self._ids)}"
        self.rounds[round_id] = Round(query, changed + removed, snapshot)
        return encode_token({"e": self.epoch, "r": round_id, "o": 0, "x": self.empty_pages,
                             "q": query})

    def snapshot(self, deltatoken: str, location: str) -> Snapshot:
        """The snapshot a deltaLink names, or 410 for one this state has dropped."""
        state = decode_token(deltatoken)
        found = self.snapshots.get(state.get("s", "")) if state.get("e") == self.epoch else None
        if found is None:
            raise gone(location)
        return found

    def page(self, skiptoken: str, size: int, location: str
             ) -> tuple[Round, list[tuple[str, bool]], str | None, str | None]:
        """One page of a round: (round, items, next skiptoken, deltatoken); exactly one
        of the tokens is set."""
        state = decode_token(skiptoken)
        found = self.rounds.get(state.get("r", "")) if state.get("e") == self.epoch else None
        if found is None:
            raise gone(location)
        offset, empty = int(state["o"]), int(state.get("x", 0))
        if empty > 0:
            return found, [], encode_token(dict(state, x=empty - 1)), None
        items = found.items[offset:offset + size]
        if offset + size < len(found.items):
            return found, items, encode_token(dict(state, o=offset + size)), None
        return found, items, None, encode_token({"e": self.epoch, "s": found.snapshot,
                                                 "q": found.query})


def query_of(token: str) -> dict[str, Any]:
    """The first request's parameters, carried by every token of the round."""
    query = decode_token(token).get("q", {})
    return query if isinstance(query, dict) else {}


def gone(location: str) -> GraphError:
    return GraphError(410, "syncStateNotFound",
                      "The sync state generation is not found. Resync is required.",
                      (("Location", location),))


def page_size(prefer: list[str]) -> tuple[int, str | None]:
    """``Prefer: odata.maxpagesize=N`` -> (size, the Preference-Applied entry)."""
    for entry in prefer:
        name, _, value = entry.partition("=")
        if name.strip().lower() == "odata.maxpagesize" and value.strip().isdigit():
            size = max(1, min(int(value), MAX_PAGE_SIZE))
            return size, f"odata.maxpagesize={size}"
    return DEFAULT_PAGE_SIZE, None
