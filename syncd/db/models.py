"""The CRM schema (SQLAlchemy 2 ``Mapped[]`` models); Alembic migrations follow it.

Invariants the schema enforces rather than the code:

- one interaction per natural key (``interactions.key``: normalised Message-ID, or
  ``ical:`` iCalUID + recurrence id), however many mailboxes or calendars saw it;
- one link per (interaction, source), so redelivery never doubles a copy;
- one owner per normalised address (``contact_emails.email`` is unique), and one
  account per registrable domain (``account_domains.domain`` is unique);
- one observation per (subject, field, value, method): repeated sightings move
  ``last_seen_at`` forward and never add rows, so a rerun changes nothing.

Participants are stored by address, not by contact id. A contact's timeline joins
``interaction_participants.email`` to ``contact_emails``, so a contact made later
(``contacts: sent``), a merge or an unmerge needs no rewrite of history.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Id = BigInteger().with_variant(Integer(), "sqlite")
"""64-bit ids on PostgreSQL; SQLite needs INTEGER for its rowid alias."""


class UtcDateTime(TypeDecorator[datetime]):
    """Timestamps in UTC on every backend; SQLite hands back naive values otherwise."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; syncd stores UTC only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None,
                             dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON,
                                                     datetime: UtcDateTime()}


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime]
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)


class AccountDomain(Base):
    __tablename__ = "account_domains"
    domain: Mapped[str] = mapped_column(String(253), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"),
                                            index=True)
    created_at: Mapped[datetime]


class Contact(Base):
    __tablename__ = "contacts"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    full_name: Mapped[str | None] = mapped_column(String(300))
    given_name: Mapped[str | None] = mapped_column(String(150))
    family_name: Mapped[str | None] = mapped_column(String(150))
    job_title: Mapped[str | None] = mapped_column(String(300))
    seniority: Mapped[str | None] = mapped_column(String(20))
    """c-level, vp, director, manager or individual: from the winning job title."""
    department: Mapped[str | None] = mapped_column(String(100))
    """A signed department, else the function the winning job title names."""
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    is_internal: Mapped[bool] = mapped_column(Boolean, default=False)
    is_shared: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """A team's mailbox (it signed with three or more people's names): listed apart from
    people, never merged into one."""
    created_at: Mapped[datetime]
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)


class ContactEmail(Base):
    __tablename__ = "contact_emails"
    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"),
                                            index=True)
    created_at: Mapped[datetime]


class ContactPhone(Base):
    __tablename__ = "contact_phones"
    __table_args__ = (UniqueConstraint("contact_id", "e164"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    e164: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20), default="work")


class SeenAddress(Base):
    """Every address the pipeline met, with the rule that decided what it became.

    ``syncd why`` reads this: why a contact exists, or why an address is not one.
    A decision only ever moves towards ``contact`` (a later sent mail can make a
    person of someone first seen in received mail), never back.
    """

    __tablename__ = "seen_addresses"
    email: Mapped[str] = mapped_column(String(320), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(20))
    rule: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(String(500), default="")
    interaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("interactions.id", ondelete="SET NULL"))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime]


class Observation(Base):
    """One fact about a contact or account, with where it came from."""

    __tablename__ = "observations"
    __table_args__ = (
        UniqueConstraint("subject_type", "subject_id", "field", "value", "method",
                         name="uq_observations_fact"),
        Index("ix_observations_subject", "subject_type", "subject_id"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(10))
    subject_id: Mapped[int] = mapped_column(Id)
    field: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(500))
    method: Mapped[str] = mapped_column(String(40))
    confidence: Mapped[float] = mapped_column(Float)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="SET NULL"))
    first_interaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("interactions.id", ondelete="SET NULL"))
    last_interaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("interactions.id", ondelete="SET NULL"))
    first_seen_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    source_url: Mapped[str | None] = mapped_column(String(2000))
    """Where an enrichment provider read it (a page, an API call, ``tel:`` for a fact
    derived from a number); None for facts from mail, whose source is ``source_id``."""


class Interaction(Base):
    __tablename__ = "interactions"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    key: Mapped[str] = mapped_column(String(1000), unique=True)
    thread_key: Mapped[str | None] = mapped_column(String(1000), index=True)
    occurred_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    """When a mail was sent, or a meeting starts (upcoming meetings are in the future)."""
    ends_at: Mapped[datetime | None]
    location: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str | None] = mapped_column(String(12))
    """Meetings: confirmed, tentative, or cancelled once no calendar has it any more."""
    time_zone: Mapped[str | None] = mapped_column(String(64))
    """Meetings: the IANA zone the organizer scheduled it in, when the calendar says."""
    direction: Mapped[str] = mapped_column(String(10))
    automated: Mapped[bool] = mapped_column(Boolean, default=False)
    automated_reason: Mapped[str | None] = mapped_column(String(200))
    visibility: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str | None] = mapped_column(Text)
    snippet: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]


class InteractionSource(Base):
    __tablename__ = "interaction_sources"
    __table_args__ = (UniqueConstraint("interaction_id", "source_id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    interaction_id: Mapped[int] = mapped_column(
        ForeignKey("interactions.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(1000))
    folder: Mapped[str | None] = mapped_column(String(300))
    first_seen_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]


class SourceItem(Base):
    """An item a source delivered that is not, or no longer, an interaction's link: a
    message skipped by a rule, a second copy of a message already linked, one erased
    by ``syncd forget`` or dropped from quarantine.

    With ``interaction_sources`` and ``quarantine`` it accounts for every item the
    source delivered, so ``syncd verify`` can tell a gap from a decision. Ids only:
    what the item said is not kept."""

    __tablename__ = "source_items"
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"),
                                           primary_key=True)
    external_id: Mapped[str] = mapped_column(String(1000), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(40))
    """``skipped:RULE``, ``copy``, ``forgotten`` or ``dropped``."""
    seen_at: Mapped[datetime]


class InteractionParticipant(Base):
    __tablename__ = "interaction_participants"
    __table_args__ = (UniqueConstraint("interaction_id", "email", "role"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    interaction_id: Mapped[int] = mapped_column(
        ForeignKey("interactions.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320), index=True)
    role: Mapped[str] = mapped_column(String(10))
    name: Mapped[str | None] = mapped_column(String(300))
    response: Mapped[str | None] = mapped_column(String(20))


class Source(Base):
    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    state: Mapped[str] = mapped_column(String(20), default="new")
    cursor: Mapped[dict[str, Any] | None]
    items_total: Mapped[int] = mapped_column(BigInteger, default=0)
    newest_item_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None]


class JobLease(Base):
    """Which process runs a job that must not run twice at once across processes and
    hosts sharing the database (the enrichment pass: two at once would ask the same
    sites and APIs twice, past each one's rate limit). Held like a source's lease."""

    __tablename__ = "job_leases"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None]


class SyncRun(Base):
    __tablename__ = "sync_runs"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"),
                                           index=True)
    full: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20), default="running")
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class Quarantine(Base):
    __tablename__ = "quarantine"
    __table_args__ = (UniqueConstraint("source_id", "external_id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(1000))
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    raw_format: Mapped[str] = mapped_column(String(10), server_default="rfc822")
    """What ``raw`` holds (:class:`connectors.base.BadItem`), for a retry."""
    created_at: Mapped[datetime]


class Merge(Base):
    """A merge of two contacts or accounts, with its evidence and an undo snapshot."""

    __tablename__ = "merges"
    __table_args__ = (Index("ix_merges_pair", "subject_type", "loser_id", "winner_id"),
                      Index("ix_merges_winner", "subject_type", "winner_id"))
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(10))
    winner_id: Mapped[int] = mapped_column(Id)
    loser_id: Mapped[int] = mapped_column(Id)
    score: Mapped[float] = mapped_column(Float)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    undone_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(10), server_default="applied")
    """``applied`` (by the rules or a person), ``pending`` (a suggestion waiting for a
    person), ``rejected`` (by a person), ``undone`` (unmerged: never applied again),
    ``withdrawn`` (put back by the rules, whose grounds a namesake disproved)."""
    by: Mapped[str] = mapped_column(String(10), server_default="rules")
    """``rules`` or ``person``."""


class MatchKey(Base):
    """A short value a contact or account is indexed under for identity matching
    (``kind:value``: ``email:jdoe@gmail.com``, ``mobile:+4917...``, ``name:12|doe|john``,
    ``brand:acme``): only records sharing a key are ever compared
    (:mod:`enrichment.identity`)."""

    __tablename__ = "match_keys"
    __table_args__ = (Index("ix_match_keys_subject", "subject_type", "subject_id"),)
    key: Mapped[str] = mapped_column(String(600), primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(10), primary_key=True)
    subject_id: Mapped[int] = mapped_column(Id, primary_key=True)


class Credential(Base):
    """A source's sign-in (its OAuth token JSON), Fernet-encrypted: never in clear.

    Keyed by source name rather than id, since ``syncd auth`` may run before the
    source's first sync creates its ``sources`` row."""

    __tablename__ = "credentials"
    source: Mapped[str] = mapped_column(String(63), primary_key=True)
    secret: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime]


class Suppression(Base):
    """An address or domain that ``syncd forget`` erased and no sync may bring back.

    Only a SHA-256 digest of ``email:ADDRESS`` or ``domain:DOMAIN`` is kept, so the
    list of forgotten people is not itself a list of their addresses."""

    __tablename__ = "suppressions"
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime]


class EnrichmentCache(Base):
    """A provider's answer about one key (a domain, an address, a digest of inputs),
    kept until ``expires_at`` so that a rerun asks nobody; a failure is kept too, for
    less long. The record it was asked for is referenced so that erasing the record
    (``syncd forget``) erases the answer; a merge leaves it in place."""

    __tablename__ = "enrichment_cache"
    provider: Mapped[str] = mapped_column(String(40), primary_key=True)
    key: Mapped[str] = mapped_column(String(320), primary_key=True)
    status: Mapped[str] = mapped_column(String(10))
    """``found``, ``empty`` (asked, nothing known) or ``failed``."""
    facts: Mapped[list[Any]] = mapped_column(JSON)
    """``[field, value, confidence, source_url]`` per fact."""
    error: Mapped[str | None] = mapped_column(Text)
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    fetched_at: Mapped[datetime]
    expires_at: Mapped[datetime]
