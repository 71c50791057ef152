"""``syncd forget EMAIL|DOMAIN``: erase a person or a company, and keep them erased.

For an address: its contact (with every other address of that contact, the same
person), their observations and phones, their participations, the record of why
each address was decided, and every interaction left with no external participant.
For a domain: the same for every address at it or below it, and its account. Then a
suppression digest per address and for the domain (:mod:`syncd.forgetting`), so no
later sync creates them again. Interactions that still have another external
participant stay, without the forgotten one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from syncd.db.models import (
    Account,
    AccountDomain,
    Contact,
    ContactEmail,
    Interaction,
    InteractionParticipant,
    InteractionSource,
    MatchKey,
    Merge,
    Observation,
    SeenAddress,
    Suppression,
)
from syncd.forgetting import Forgotten, digest
from syncd.pipeline import Context
from syncd.store.items import record_items
from syncd.store.upsert import chunks, insert_ignore


@dataclass(frozen=True)
class Erased:
    addresses: int
    contacts: int
    accounts: int
    interactions: int


def forget(session: Session, target: str, internal_domains: Collection[str],
           now: datetime) -> Erased:
    """Erase ``target`` (an address, or a domain) and record its suppression."""
    target = target.strip().lower()
    domain = None if "@" in target else target.lstrip("@")
    addresses = _addresses_at(session, domain) if domain else {target}
    contacts = set(session.execute(select(ContactEmail.contact_id).where(
        ContactEmail.email.in_(addresses))).scalars())
    addresses |= set(session.execute(select(ContactEmail.email).where(
        ContactEmail.contact_id.in_(contacts))).scalars())
    interactions = _erase_participations(session, addresses, internal_domains, now)
    _erase_contacts(session, contacts)
    session.execute(delete(SeenAddress).where(SeenAddress.email.in_(addresses)))
    accounts = _erase_accounts(session, domain) if domain else 0
    kinds = [("email", address) for address in addresses]
    if domain:
        kinds.append(("domain", domain))
    insert_ignore(session, Suppression, [{"digest": digest(kind, value), "kind": kind,
                                          "created_at": now} for kind, value in kinds],
                  ["digest"])
    return Erased(len(addresses), len(contacts), accounts, interactions)


def _at(column: Any, domain: str) -> Any:
    """The address is at ``domain`` or at a subdomain of it."""
    return or_(column.like(f"%@{domain}"), column.like(f"%.{domain}"))


def _addresses_at(session: Session, domain: str) -> set[str]:
    """Every address at the domain or below it that the CRM holds anywhere."""
    found: set[str] = set()
    for column in (ContactEmail.email, InteractionParticipant.email, SeenAddress.email):
        found |= set(session.execute(select(column).where(_at(column, domain))
                                     .distinct()).scalars())
    return found


def _erase_participations(session: Session, addresses: set[str],
                          internal_domains: Collection[str], now: datetime) -> int:
    """Their participations; then the interactions no external participant is left in."""
    touched: set[int] = set()
    for chunk in chunks(sorted(addresses)):
        touched |= set(session.execute(select(InteractionParticipant.interaction_id).where(
            InteractionParticipant.email.in_(chunk))).scalars())
        session.execute(delete(InteractionParticipant).where(
            InteractionParticipant.email.in_(chunk)))
    colleagues = set(session.execute(select(ContactEmail.email).join(
        Contact, Contact.id == ContactEmail.contact_id).where(Contact.is_internal)).scalars())
    empty = [i for i in touched if not _has_external(session, i, colleagues, internal_domains)]
    for chunk in chunks(empty):
        _account_for_copies(session, chunk, now)
        session.execute(delete(Interaction).where(Interaction.id.in_(chunk)))
    return len(empty)


def _account_for_copies(session: Session, interactions: Sequence[int], now: datetime) -> None:
    """The erased interactions' copies stay accounted for, as forgotten (``verify``)."""
    links = session.execute(select(InteractionSource.source_id, InteractionSource.external_id)
                            .where(InteractionSource.interaction_id.in_(interactions))).all()
    for source_id in {source for source, _ in links}:
        record_items(session, source_id, [(external, "forgotten")
                                          for source, external in links if source == source_id],
                     now)


def _has_external(session: Session, interaction_id: int, colleagues: set[str],
                  internal_domains: Collection[str]) -> bool:
    left = session.execute(select(InteractionParticipant.email).where(
        InteractionParticipant.interaction_id == interaction_id)).scalars()
    return any(email not in colleagues and not _internal(email, internal_domains)
               for email in left)


def _internal(email: str, internal_domains: Iterable[str]) -> bool:
    domain = email.rpartition("@")[2]
    return any(domain == d or domain.endswith("." + d) for d in internal_domains)


def _erase_contacts(session: Session, contacts: set[int]) -> None:
    """The contacts, the records merged into them (the same person), and what identity
    matching kept of them: keys and merges, whose evidence names addresses."""
    ids = _with_merged(session, Contact, contacts)
    for chunk in chunks(ids):
        session.execute(update(Contact).where(Contact.merged_into_id.in_(chunk))
                        .values(merged_into_id=None))
        _erase_identity(session, "contact", chunk)
        session.execute(delete(Contact).where(Contact.id.in_(chunk)))  # emails, phones cascade


def _with_merged(session: Session, model: type[Contact] | type[Account], ids: set[int]
                 ) -> list[int]:
    """``ids`` and every record merged into them, however many merges ago: the same
    person or company, whose rows (and cached lookups) must go with them, not come back
    to life as records of nothing."""
    found, fresh = set(ids), set(ids)
    while fresh:
        merged: set[int] = set()
        for chunk in chunks(sorted(fresh)):
            merged |= set(session.execute(select(model.id).where(
                model.merged_into_id.in_(chunk))).scalars())
        fresh = merged - found
        found |= fresh
    return sorted(found)


def _erase_identity(session: Session, subject: str, ids: Sequence[int]) -> None:
    session.execute(delete(Observation).where(Observation.subject_type == subject,
                                              Observation.subject_id.in_(ids)))
    session.execute(delete(MatchKey).where(MatchKey.subject_type == subject,
                                           MatchKey.subject_id.in_(ids)))
    session.execute(delete(Merge).where(Merge.subject_type == subject, or_(
        Merge.winner_id.in_(ids), Merge.loser_id.in_(ids))))


def _erase_accounts(session: Session, domain: str) -> int:
    ids = _with_merged(session, Account, set(session.execute(select(
        AccountDomain.account_id).where(or_(AccountDomain.domain == domain,
                                            AccountDomain.domain.like(f"%.{domain}")))
    ).scalars()))
    for chunk in chunks(ids):
        session.execute(update(Contact).where(Contact.account_id.in_(chunk))
                        .values(account_id=None))
        session.execute(update(Account).where(Account.merged_into_id.in_(chunk))
                        .values(merged_into_id=None))
        _erase_identity(session, "account", chunk)
        session.execute(delete(Account).where(Account.id.in_(chunk)))  # domains cascade
    return len(ids)


def told_what_is_forgotten(session: Session, context: Context) -> Context:
    """``context`` with the suppressions as its ``forgotten`` test."""
    digests = frozenset(session.execute(select(Suppression.digest)).scalars())
    return replace(context, forgotten=Forgotten(digests).covers) if digests else context
