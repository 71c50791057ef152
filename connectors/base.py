"""The connector contract: how a remote mailbox or calendar becomes items.

Terminology
-----------
item
    One thing a source delivers: a :class:`RawMessage`, a :class:`RawEvent`, a
    :class:`Deletion`, or a :class:`BadItem` (something the connector could not
    decode; the runner quarantines it with its reason).
external id
    The source's own stable name for an item (a maildir file name without its
    flags, an IMAP ``UIDVALIDITY:UID``, a Gmail message id). It identifies the
    *copy in that mailbox*, not the interaction: the pipeline keys interactions by
    Message-ID or iCalUID so that two mailboxes' copies become one interaction.
cursor
    A JSON-serialisable value that only the connector understands. The runner
    stores it in the same transaction as the batch it follows, so a crash repeats at
    most one batch. ``None`` means "from the beginning".
batch
    Items plus the cursor to store once they are written. Connectors yield batches
    in order; each ``next_cursor`` must be safe to resume from.

A connector knows protocols, not the CRM: it never touches the database and the
pipeline never imports a connector. Library exceptions are translated into
:mod:`syncd.errors` here, at the boundary, and nowhere else.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, ClassVar, TypeAlias

from pydantic import BaseModel

Cursor: TypeAlias = Any
"""JSON-serialisable, opaque outside the connector that made it."""


@dataclass(frozen=True, slots=True)
class Address:
    """One mailbox from a header: the address as written and its display name."""

    email: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class RawMessage:
    """An email as a connector delivers it: decoded headers and text parts only.

    ``headers`` keeps the lower-cased header fields that classification reads
    (``list-unsubscribe``, ``list-id``, ``precedence``, ``auto-submitted``,
    ``return-path``, ``x-auto-response-suppress`` ...). Attachments are never
    fetched or decoded.
    """

    external_id: str
    message_id: str | None
    date: datetime | None
    subject: str
    sender: Address | None
    to: tuple[Address, ...] = ()
    cc: tuple[Address, ...] = ()
    bcc: tuple[Address, ...] = ()
    reply_to: tuple[Address, ...] = ()
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    thread_hint: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    folder: str | None = None
    labels: tuple[str, ...] = ()
    sent_by_me: bool | None = None
    text: str = ""
    html: str = ""


@dataclass(frozen=True, slots=True)
class Attendee:
    """A meeting participant with the answer they gave, if any."""

    email: str
    name: str = ""
    response: str | None = None
    optional: bool = False


@dataclass(frozen=True, slots=True)
class RawEvent:
    """One meeting (one occurrence of a series) as a calendar delivers it.

    The pipeline keys it by ``ical_uid`` + ``recurrence_id``, which every calendar
    that has the meeting agrees on, so the same meeting in two people's calendars is
    one interaction. ``recurrence_id`` is the occurrence's *original* start in UTC
    (``YYYYMMDDTHHMMSSZ``, or ``YYYYMMDD`` all day), so a moved occurrence keeps its
    key; it is None for a one-off meeting. A cancelled meeting or occurrence comes
    as a :class:`Deletion` of its ``external_id``. ``attendees`` are people only
    (rooms and other resources left out); the organizer is ``organizer`` and is not
    repeated among them.
    """

    external_id: str
    ical_uid: str
    start: datetime
    end: datetime | None = None
    recurrence_id: str | None = None
    all_day: bool = False
    organizer: Attendee | None = None
    attendees: tuple[Attendee, ...] = ()
    my_response: str | None = None
    """The calendar owner's own answer (accepted, tentative, declined, needsAction);
    None when the owner is not on the guest list (their own event)."""
    subject: str = ""
    location: str = ""
    description: str = ""
    status: str = "confirmed"
    private: bool = False
    thread_hint: str | None = None
    """What groups the occurrences of a series when ``ical_uid`` is per occurrence
    (Graph); None: the ``ical_uid`` does."""
    time_zone: str | None = None
    """The IANA zone the organizer scheduled it in (:func:`connectors.time_zones.iana`):
    where the organizer's day is. None when the calendar does not say, or says UTC."""


@dataclass(frozen=True, slots=True)
class Deletion:
    """The source says an item is gone. History does not un-happen: the pipeline
    keeps the interaction and only records that this copy disappeared."""

    external_id: str


@dataclass(frozen=True, slots=True)
class BadItem:
    """An item that could not be decoded; quarantined with ``reason`` and ``raw``.

    ``format`` says what ``raw`` holds, so ``syncd quarantine retry`` knows how to
    read it again: ``rfc822`` (the message, or its header block), ``item`` (a
    delivered item as JSON, after the pipeline failed on it), ``json`` (the
    provider's own JSON, which only a new sync can read again)."""

    external_id: str
    reason: str
    raw: bytes = b""
    format: str = "rfc822"


Item: TypeAlias = RawMessage | RawEvent | Deletion | BadItem


@dataclass(frozen=True, slots=True)
class Held:
    """One item the source holds now, as ``syncd verify`` counts it: ids, no content."""

    external_id: str
    folder: str | None
    day: date | None
    """The UTC day the item is dated, when the source says."""


@dataclass(frozen=True, slots=True)
class Batch:
    """Items to write, then ``next_cursor`` to store in the same transaction."""

    items: Sequence[Item]
    next_cursor: Cursor
    total: int | None = None
    """How many items the whole pull is expected to deliver, when known (progress)."""


class Connector(abc.ABC):
    """A source kind. Subclasses set ``kind`` and ``Settings`` and implement ``pull``.

    ``Settings`` is the pydantic model of the source's own YAML keys (beside the
    common ones every source has); the config loader validates it at start.
    """

    kind: ClassVar[str]
    Settings: ClassVar[type[BaseModel]]
    shares_nothing: ClassVar[bool] = False
    """True when ``pull`` touches no state outside itself (files only, no token store,
    no database), so the runner may run it in a second process."""

    def prepare(self) -> None:  # noqa: B027  (an optional hook: most have nothing to do)
        """Called in this process before a pull runs in a second one: what the child
        should inherit rather than fetch for itself (an access token this process
        keeps for its later runs) is fetched here."""

    def forkable(self, *, backfill: bool) -> bool:
        """Whether the runner may run this pull in a second process. A remote source
        whose access token lives in this process says yes for a first or full sync
        only: there the second core pays, and later runs keep reusing the token held
        here (a token a child fetched would die with it)."""
        return self.shares_nothing

    def __init__(self, name: str, settings: BaseModel, token: str | None = None, *,
                 bodies: bool = True) -> None:
        self.name = name
        self.settings = settings
        self.token = token
        """The source's stored sign-in (token JSON) when :meth:`needs_token` says so;
        the runner reads it from the encrypted token store, so the connector itself
        never touches the database. A connector that refreshes it replaces it here,
        and the runner stores the new value after the pull."""
        self.bodies = bodies
        """False when the capture policy stores no text (``visibility`` metadata or
        subject): a connector may then skip bodies, or ask for a narrower scope."""

    @classmethod
    def needs_token(cls, settings: BaseModel) -> bool:
        """True when these settings sign in with a token from ``syncd auth``."""
        return False

    @classmethod
    def scopes(cls, settings: BaseModel, bodies: bool) -> list[str]:
        """The OAuth scopes this source signs in with: the least that reads what the
        capture policy keeps (``bodies``). ``syncd auth`` asks for exactly these."""
        return []

    @classmethod
    def sign_in(cls, settings: BaseModel, scopes: list[str], *, say: Callable[[str], None],
                open_browser: bool) -> str:
        """``syncd auth``: a person signs in; returns the sign-in to store (encrypted).
        Only kinds whose :meth:`needs_token` can be true implement it."""
        raise NotImplementedError(f"{cls.kind} sources do not sign in interactively")

    @abc.abstractmethod
    def pull(self, cursor: Cursor, *, full: bool = False,
             since: datetime | None = None) -> Iterator[Batch]:
        """Yield batches of what changed after ``cursor``.

        ``full`` ignores the cursor and delivers everything (a resync); ``since``
        limits a backfill to items dated on or after it where the source can tell.
        Raise :class:`syncd.errors.CursorExpired` when the cursor can no longer be
        honoured; the runner then calls again with ``full=True``.
        """

    @abc.abstractmethod
    def check(self) -> str:
        """Reach the source and sign in, reading no mail: what ``syncd doctor`` asks.

        Returns what was found, in a few words; raises :mod:`syncd.errors` source
        errors (AuthRequired, Transient, SourceUnusable) for what is wrong."""

    def holdings(self, since: datetime, until: datetime) -> Iterator[Held]:
        """Every item the source holds dated in ``[since, until)`` (an undated or
        undecodable one too), with the external id :meth:`pull` gives it: what ``syncd
        verify`` compares with the database.

        This default reads everything as a full pull would, which is exact and cheap
        for local files; a remote kind overrides it with a listing of ids and dates."""
        for batch in self.pull(None, full=True, since=since):
            for item in batch.items:
                if isinstance(item, RawMessage | RawEvent):
                    when = item.date if isinstance(item, RawMessage) else item.start
                    if when is None or when < until:
                        yield Held(item.external_id, getattr(item, "folder", None),
                                   when.astimezone(UTC).date() if when else None)
                elif isinstance(item, BadItem):
                    yield Held(item.external_id, None, None)

    def holds_connection(self) -> bool:
        """Whether a signed-in connection is open, worth keeping for the source's next
        run (:mod:`syncd.kept`) instead of closing: a pull then uses it instead of
        signing in again, and opens another at once if the server dropped it."""
        return False

    def close(self) -> None:  # noqa: B027  (an optional hook: file sources hold nothing)
        """Release connections; called once the runner is done with the source."""
