"""Contacts, accounts and address decisions: find or create, set-based.

An address belongs to at most one contact (``contact_emails`` is keyed by it), a
registrable domain to at most one account. Creation inserts with ``ON CONFLICT DO
NOTHING`` and then reads back, so two processes racing on the same new person end
with one contact; the loser's empty row is removed in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from enrichment.domains import company_name_from_domain
from syncd.db.models import Account, AccountDomain, Contact, ContactEmail, Observation, SeenAddress
from syncd.pipeline import CONTACT_OUTCOMES, Decision
from syncd.store.upsert import chunks, insert_ignore


class Person(NamedTuple):
    """An address that should be a contact: a colleague? at which account domain?"""

    internal: bool
    domain: str | None


@dataclass
class People:
    """Contact ids for the batch's addresses, the account of each address's domain
    (what its signature speaks for, even when its contact has moved on to another
    company), and what was created."""

    by_email: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    created_contacts: set[int] = field(default_factory=set)
    created_accounts: set[int] = field(default_factory=set)

    @property
    def new_contacts(self) -> int:
        return len(self.created_contacts)

    @property
    def new_accounts(self) -> int:
        return len(self.created_accounts)


def ensure_people(session: Session, people: Mapping[str, Person], now: datetime) -> People:
    """Contact (and account) ids for every address in ``people``, creating what is new."""
    result = People()
    found = _contacts_of(session, list(people))
    missing = {email: p for email, p in people.items() if email not in found}
    domains = {p.domain for p in people.values() if p.domain}
    if missing:
        accounts = _ensure_accounts(session, {p.domain for p in missing.values() if p.domain},
                                    now, result.created_accounts)
        _create_contacts(session, missing, accounts, now, result.created_contacts)
        found.update(_contacts_of(session, list(missing)))
    at_domain = _accounts_of(session, domains) if domains else {}
    result.by_email = {email: (contact, at_domain.get(people[email].domain or ""))
                       for email, (contact, _) in found.items()}
    return result


def _contacts_of(session: Session, emails: Sequence[str]) -> dict[str, tuple[int, int | None]]:
    found: dict[str, tuple[int, int | None]] = {}
    for chunk in chunks(emails):
        query = (select(ContactEmail.email, Contact.id, Contact.account_id)
                 .join(Contact, Contact.id == ContactEmail.contact_id)
                 .where(ContactEmail.email.in_(chunk)))
        found.update({email: (cid, aid) for email, cid, aid in session.execute(query)})
    return found


def _ensure_accounts(session: Session, domains: set[str], now: datetime,
                     created: set[int]) -> dict[str, int]:
    known = _accounts_of(session, domains)
    missing = sorted(domains - known.keys())
    ids = _insert_returning_ids(session, Account, [
        {"name": company_name_from_domain(d), "created_at": now} for d in missing])
    insert_ignore(session, AccountDomain,
                  [{"domain": d, "account_id": i, "created_at": now}
                   for d, i in zip(missing, ids, strict=True)], ["domain"])
    known.update(_accounts_of(session, set(missing)))
    won = {d: i for d, i in zip(missing, ids, strict=True) if known[d] == i}
    lost = set(ids) - set(won.values())
    for chunk in chunks(sorted(lost)):
        session.execute(delete(Account).where(Account.id.in_(chunk)))
    created.update(won.values())
    _name_from_domain(session, won, now)
    return known


def _insert_returning_ids(session: Session, model: type[Account] | type[Contact],
                          rows: Sequence[dict[str, Any]]) -> list[int]:
    """Ids of the inserted rows, in the order of ``rows``."""
    ids: list[int] = []
    for chunk in chunks(rows):
        result = session.execute(
            insert(model).returning(model.id, sort_by_parameter_order=True), chunk)
        ids.extend(result.scalars().all())
    return ids


def _name_from_domain(session: Session, accounts: Mapping[str, int], now: datetime) -> None:
    """The weakest evidence of a name, so that any signature outranks it; and the
    domain itself, the strongest evidence there is."""
    rows = []
    for domain, account_id in accounts.items():
        base = {"subject_type": "account", "subject_id": account_id, "method": "domain",
                "first_seen_at": now, "last_seen_at": now}
        rows.append({**base, "field": "name", "value": company_name_from_domain(domain),
                     "confidence": 0.1})
        rows.append({**base, "field": "domain", "value": domain, "confidence": 1.0})
    insert_ignore(session, Observation, rows,
                  ["subject_type", "subject_id", "field", "value", "method"])


def _accounts_of(session: Session, domains: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in chunks(sorted(domains)):
        query = select(AccountDomain.domain, AccountDomain.account_id).where(
            AccountDomain.domain.in_(chunk))
        found.update(dict(session.execute(query).all()))
    return found


def _create_contacts(session: Session, missing: Mapping[str, Person],
                     accounts: Mapping[str, int], now: datetime, created: set[int]) -> None:
    emails = sorted(missing)
    ids = _insert_returning_ids(session, Contact, [
        {"is_internal": missing[e].internal, "created_at": now,
         "account_id": accounts.get(missing[e].domain or "")} for e in emails])
    insert_ignore(session, ContactEmail,
                  [{"email": e, "contact_id": i, "created_at": now}
                   for e, i in zip(emails, ids, strict=True)], ["email"])
    owners = _contacts_of(session, emails)
    orphans = [i for e, i in zip(emails, ids, strict=True) if owners[e][0] != i]
    for chunk in chunks(orphans):
        session.execute(delete(Contact).where(Contact.id.in_(chunk)))
    created.update(set(ids) - set(orphans))


def record_decisions(session: Session, source_id: int,
                     decisions: Sequence[tuple[Decision, int]], now: datetime) -> None:
    """Remember what each address became; a decision only ever upgrades to a person."""
    best: dict[str, tuple[Decision, int]] = {}
    for decision, interaction_id in decisions:
        current = best.get(decision.email)
        if current is None or (decision.outcome in CONTACT_OUTCOMES
                               and current[0].outcome not in CONTACT_OUTCOMES):
            best[decision.email] = (decision, interaction_id)
    existing = _seen(session, list(best))
    rows = [_seen_row(d, i, source_id, now) for e, (d, i) in best.items() if e not in existing]
    insert_ignore(session, SeenAddress, rows, ["email"])
    for email, (decision, interaction_id) in best.items():
        if email in existing and decision.outcome in CONTACT_OUTCOMES \
                and existing[email] not in CONTACT_OUTCOMES:
            session.execute(update(SeenAddress).where(SeenAddress.email == email).values(
                _seen_row(decision, interaction_id, source_id, now)))


def _seen(session: Session, emails: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for chunk in chunks(emails):
        query = select(SeenAddress.email, SeenAddress.outcome).where(
            SeenAddress.email.in_(chunk))
        found.update(dict(session.execute(query).all()))
    return found


def _seen_row(decision: Decision, interaction_id: int, source_id: int,
              now: datetime) -> dict[str, object]:
    return {"email": decision.email, "outcome": decision.outcome, "rule": decision.rule,
            "detail": decision.detail[:500], "interaction_id": interaction_id,
            "source_id": source_id, "decided_at": now}
