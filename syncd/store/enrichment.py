"""What the enrichment job reads and writes: targets, cached answers, facts.

Facts are observations like the ones mail gives (method: the provider's name,
``source_url``: where it was read), upserted on the same natural key, so a second
answer with the same facts changes nothing but their last-seen time, and the
derived fields (:mod:`syncd.store.derive`) rank them beside signature facts: a
value set by hand still wins. Answers are cached per (provider, key); a cached
answer is applied again, without asking anyone, to a record that lacks its facts
(a new account for a known domain).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from enrichment.providers.base import Found, Subject, Target
from syncd.db.models import (
    Account,
    AccountDomain,
    Contact,
    ContactEmail,
    ContactPhone,
    EnrichmentCache,
    Interaction,
    InteractionParticipant,
    Observation,
)
from syncd.store.derive import refresh_accounts, refresh_contacts
from syncd.store.upsert import chunks, greater, insert_for

PHONE_FIELDS = ("phone", "phone_work", "phone_mobile", "phone_direct", "phone_main")


@dataclass(frozen=True)
class Answer:
    """A provider's answer about one key, for one record."""

    provider: str
    key: str
    subject: Subject
    subject_id: int
    status: str
    facts: tuple[Found, ...] = ()
    error: str | None = None


def accounts(session: Session, ids: Sequence[int] | None = None) -> list[Target]:
    """Live accounts (``ids``: only those) with their domains, name, and the phones
    and addresses their evidence holds."""
    query = select(Account.id, Account.name).where(Account.merged_into_id.is_(None))
    if ids is not None:
        query = query.where(Account.id.in_(list(ids)))
    rows: dict[int, str] = dict(session.execute(query.order_by(Account.id)).all())
    domains: dict[int, list[str]] = defaultdict(list)
    for chunk in chunks(list(rows)):
        for domain, account_id in session.execute(select(
                AccountDomain.domain, AccountDomain.account_id).where(
                AccountDomain.account_id.in_(chunk)).order_by(AccountDomain.domain)):
            domains[account_id].append(domain)
    facts = _evidence(session, "account", list(rows), ("phone", "address"))
    zones = _meeting_zones(session, Contact.account_id, list(rows))
    return [Target("account", i, name=name, domains=tuple(domains[i]),
                   phones=tuple(sorted(facts[i]["phone"])),
                   addresses=tuple(sorted(facts[i]["address"])),
                   meeting_zones=zones.get(i, ())) for i, name in rows.items()]


def contacts(session: Session, account_ids: Sequence[int] | None = None) -> list[Target]:
    """Live customer contacts (``account_ids``: only theirs) with addresses, company,
    phones and postal addresses."""
    query = select(Contact.id, Contact.full_name, Account.name).outerjoin(
        Account, Account.id == Contact.account_id).where(
        Contact.merged_into_id.is_(None), Contact.is_internal.is_(False),
        Contact.is_shared.is_(False))
    if account_ids is not None:
        query = query.where(Contact.account_id.in_(list(account_ids)))
    rows = {i: (name, company) for i, name, company in session.execute(
        query.order_by(Contact.id))}
    emails: dict[int, list[str]] = defaultdict(list)
    phones: dict[int, list[str]] = defaultdict(list)
    for chunk in chunks(list(rows)):
        for email, contact_id in session.execute(select(
                ContactEmail.email, ContactEmail.contact_id).where(
                ContactEmail.contact_id.in_(chunk)).order_by(ContactEmail.email)):
            emails[contact_id].append(email)
        for e164, contact_id in session.execute(select(
                ContactPhone.e164, ContactPhone.contact_id).where(
                ContactPhone.contact_id.in_(chunk))):
            phones[contact_id].append(e164)
    facts = _evidence(session, "contact", list(rows), ("address",))
    zones = _meeting_zones(session, Contact.id, list(rows))
    return [Target("contact", i, name=name, company=company, emails=tuple(emails[i]),
                   phones=tuple(sorted(set(phones[i]))),
                   addresses=tuple(sorted(facts[i]["address"])),
                   meeting_zones=zones.get(i, ()))
            for i, (name, company) in rows.items()]


def _meeting_zones(session: Session, owner: InstrumentedAttribute[Any], ids: list[int]
                   ) -> dict[int, tuple[tuple[str, int], ...]]:
    """For each id of ``owner`` (a contact's id, or its account's), the time zones of
    the meetings its people organized, with how many; most first."""
    counted: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for chunk in chunks(ids):
        query = (select(owner, Interaction.time_zone, func.count())
                 .select_from(InteractionParticipant)
                 .join(Interaction, Interaction.id == InteractionParticipant.interaction_id)
                 .join(ContactEmail, ContactEmail.email == InteractionParticipant.email)
                 .join(Contact, Contact.id == ContactEmail.contact_id)
                 .where(InteractionParticipant.role == "organizer",
                        Interaction.time_zone.is_not(None), owner.in_(chunk))
                 .group_by(owner, Interaction.time_zone))
        for owner_id, zone, count in session.execute(query):
            counted[owner_id].append((zone, count))
    return {i: tuple(sorted(found, key=lambda z: (-z[1], z[0]))) for i, found in counted.items()}


def _evidence(session: Session, subject: str, ids: list[int], fields: Iterable[str]
              ) -> dict[int, dict[str, set[str]]]:
    """Values of ``fields`` (``phone``: any phone field) in each record's evidence."""
    wanted = [*fields]
    names = [*wanted, *PHONE_FIELDS] if "phone" in wanted else wanted
    found: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for chunk in chunks(ids):
        for subject_id, field, value in session.execute(select(
                Observation.subject_id, Observation.field, Observation.value).where(
                Observation.subject_type == subject, Observation.subject_id.in_(chunk),
                Observation.field.in_(names))):
            found[subject_id]["phone" if field in PHONE_FIELDS else field].add(value)
    return found


def cached(session: Session, provider: str, keys: Sequence[str]
           ) -> dict[str, EnrichmentCache]:
    found: dict[str, EnrichmentCache] = {}
    for chunk in chunks(sorted(set(keys))):
        for row in session.execute(select(EnrichmentCache).where(
                EnrichmentCache.provider == provider,
                EnrichmentCache.key.in_(chunk))).scalars():
            found[row.key] = row
    return found


def holding(session: Session, subject: str, method: str, ids: Sequence[int]) -> set[int]:
    """Which of ``ids`` hold facts by ``method``."""
    found: set[int] = set()
    for chunk in chunks(sorted(set(ids))):
        found.update(session.execute(select(Observation.subject_id).where(
            Observation.subject_type == subject, Observation.method == method,
            Observation.subject_id.in_(chunk)).distinct()).scalars())
    return found


def save(session: Session, answers: Sequence[Answer], now: datetime,
         expiry: dict[tuple[str, str], datetime]) -> int:
    """Store the answers' facts and cache the answers (``expiry``: when each of them,
    by (provider, key), should be asked again); the fields derived from the facts
    follow. Returns how many facts were stored."""
    rows: dict[tuple[str, int, str, str, str], dict[str, Any]] = {}
    for answer in answers:
        for fact in answer.facts:
            ident = (answer.subject, answer.subject_id, fact.field, fact.value[:500],
                     answer.provider)
            if ident in rows and rows[ident]["confidence"] >= fact.confidence:
                continue
            rows[ident] = {"subject_type": ident[0], "subject_id": ident[1],
                           "field": ident[2], "value": ident[3], "method": ident[4],
                           "confidence": fact.confidence, "source_url": fact.source_url,
                           "first_seen_at": now, "last_seen_at": now}
    _upsert_facts(session, list(rows.values()))
    _cache(session, answers, now, expiry)
    seen: dict[str, dict[int, set[tuple[str, str]]]] = {"account": {}, "contact": {}}
    for subject, subject_id, field, value, _ in rows:
        seen[subject].setdefault(subject_id, set()).add((field, value))
    refresh_accounts(session, set(seen["account"]), seen["account"])
    refresh_contacts(session, set(seen["contact"]), seen["contact"])
    return len(rows)


def _upsert_facts(session: Session, rows: list[dict[str, Any]]) -> None:
    columns = Observation.__table__.c
    for chunk in chunks(sorted(rows, key=lambda r: (r["subject_id"], r["field"]))):
        statement = insert_for(session, Observation)
        new = statement.excluded
        statement = statement.on_conflict_do_update(
            index_elements=["subject_type", "subject_id", "field", "value", "method"],
            set_={"confidence": greater(columns.confidence, new.confidence),
                  "last_seen_at": greater(columns.last_seen_at, new.last_seen_at),
                  "source_url": new.source_url})
        session.execute(statement, chunk)


def _cache(session: Session, answers: Sequence[Answer], now: datetime,
           expiry: dict[tuple[str, str], datetime]) -> None:
    rows = {(a.provider, a.key): {
        "provider": a.provider, "key": a.key, "status": a.status,
        "facts": [[f.field, f.value, f.confidence, f.source_url] for f in a.facts],
        "error": a.error, "fetched_at": now, "expires_at": expiry[(a.provider, a.key)],
        "account_id": a.subject_id if a.subject == "account" else None,
        "contact_id": a.subject_id if a.subject == "contact" else None}
        for a in answers if (a.provider, a.key) in expiry}
    for chunk in chunks(list(rows.values())):
        statement = insert_for(session, EnrichmentCache)
        new = statement.excluded
        statement = statement.on_conflict_do_update(
            index_elements=["provider", "key"],
            set_={name: getattr(new, name) for name in (
                "status", "facts", "error", "account_id", "contact_id", "fetched_at",
                "expires_at")})
        session.execute(statement, chunk)


def from_cache(row: EnrichmentCache) -> tuple[Found, ...]:
    return tuple(Found(str(f), str(v), float(c), u) for f, v, c, u in row.facts)
