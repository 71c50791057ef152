"""Why a contact or account looks the way it does: every field with the evidence for
each value, every merge with its reasons, every suggestion waiting for a person.
Also the two things a person does by hand: set a field, and resolve everything
again after the rules changed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session, sessionmaker

from enrichment.identity import IdentityRules
from enrichment.providers.base import ACCOUNT_FIELDS as ACCOUNT_FACTS
from enrichment.providers.base import CONTACT_FIELDS as CONTACT_FACTS
from syncd.db.models import (
    Account,
    AccountDomain,
    Contact,
    ContactEmail,
    ContactPhone,
    MatchKey,
    Merge,
    Observation,
    Source,
)
from syncd.db.session import session_scope
from syncd.store.derive import (
    ACCOUNT_FIELDS,
    CONTACT_FIELDS,
    MANUAL,
    Candidate,
    best_values,
    refresh_accounts,
    refresh_contacts,
)
from syncd.store.identity import ACCOUNT, CONTACT, resolve
from syncd.store.upsert import chunks, insert_for

SETTABLE = {CONTACT: CONTACT_FIELDS, ACCOUNT: ACCOUNT_FIELDS}


def explain(session: Session, subject: str, subject_id: int) -> dict[str, Any] | None:
    """The record, its evidence per field (strongest first), and its merges."""
    row: Contact | Account | None = (session.get(Contact, subject_id) if subject == CONTACT
                                     else session.get(Account, subject_id))
    if row is None:
        return None
    sources = dict(session.execute(select(Source.id, Source.name)).all())
    evidence: dict[str, list[dict[str, Any]]] = {}
    for obs in session.execute(select(Observation).where(
            Observation.subject_type == subject, Observation.subject_id == subject_id)
            .order_by(Observation.field, Observation.confidence.desc(),
                      Observation.last_seen_at.desc())).scalars():
        evidence.setdefault(obs.field, []).append({
            "value": obs.value, "method": obs.method, "confidence": obs.confidence,
            "source": obs.source_url or (sources.get(obs.source_id) if obs.source_id else None),
            "source_url": obs.source_url,
            "interaction": obs.last_interaction_id,
            "first_seen_at": obs.first_seen_at, "last_seen_at": obs.last_seen_at})
    found: dict[str, Any] = {
        "subject": subject, "id": subject_id, "merged_into": row.merged_into_id,
        "fields": {f: getattr(row, f) for f in SETTABLE[subject]} | _facts(subject, evidence),
        "evidence": evidence,
        "merges": _merges(session, subject, subject_id)}
    if subject == CONTACT:
        found["emails"] = sorted(session.execute(select(ContactEmail.email).where(
            ContactEmail.contact_id == subject_id)).scalars())
        found["phones"] = sorted(session.execute(select(ContactPhone.e164).where(
            ContactPhone.contact_id == subject_id)).scalars())
        found["account"] = getattr(row, "account_id", None)
    else:
        found["domains"] = sorted(session.execute(select(AccountDomain.domain).where(
            AccountDomain.account_id == subject_id)).scalars())
    return found


def _facts(subject: str, evidence: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    """The winning value of each field kept as evidence only (no column): what a
    company's website or an enrichment API says, country and time zone."""
    known = ACCOUNT_FACTS if subject == ACCOUNT else CONTACT_FACTS
    return best_values(
        (field, Candidate(r["value"], r["method"], r["confidence"], r["last_seen_at"]))
        for field, rows in evidence.items() if field in known - set(SETTABLE[subject])
        and not field.startswith("phone_") for r in rows)


def _merges(session: Session, subject: str, subject_id: int) -> list[dict[str, Any]]:
    rows = session.execute(select(Merge).where(
        Merge.subject_type == subject,
        or_(Merge.winner_id == subject_id, Merge.loser_id == subject_id))
        .order_by(Merge.created_at)).scalars()
    return [merge_row(m) for m in rows]


def merge_row(merge: Merge) -> dict[str, Any]:
    return {"id": merge.id, "subject": merge.subject_type, "kept": merge.winner_id,
            "folded": merge.loser_id, "score": merge.score, "status": merge.status,
            "by": merge.by, "evidence": merge.evidence.get("found", []),
            "held_back": merge.evidence.get("held_back"), "created_at": merge.created_at,
            "undone_at": merge.undone_at}


def merges(session: Session, subject: str | None, status: str, limit: int
           ) -> list[dict[str, Any]]:
    """Merges in a state (``pending``: the suggestions waiting for a person)."""
    query = select(Merge).where(Merge.status == status)
    if subject:
        query = query.where(Merge.subject_type == subject)
    ordered = query.order_by(Merge.score.desc(), Merge.id).limit(limit)
    return [merge_row(m) for m in session.execute(ordered).scalars()]


def set_field(session: Session, subject: str, subject_id: int, *, field: str, value: str,
              now: datetime) -> None:
    """A value set by a person: it outranks every extracted one, for good; an empty
    value takes the person's value back, and the evidence decides again."""
    if field not in SETTABLE[subject]:
        raise LookupError(f"{subject}s have no field {field!r} to set "
                          f"(settable: {', '.join(SETTABLE[subject])})")
    if session.get(Contact if subject == CONTACT else Account, subject_id) is None:
        raise LookupError(f"no {subject} #{subject_id}")
    session.execute(delete(Observation).where(
        Observation.subject_type == subject, Observation.subject_id == subject_id,
        Observation.field == field, Observation.method == MANUAL))
    if value:
        session.execute(insert_for(session, Observation).values(
            subject_type=subject, subject_id=subject_id, field=field, value=value[:500],
            method=MANUAL, confidence=1.0, first_seen_at=now, last_seen_at=now))
    refresh = refresh_contacts if subject == CONTACT else refresh_accounts
    refresh(session, {subject_id}, {})


def resolve_all(sessions: sessionmaker[Session], rules: IdentityRules, now: datetime,
                progress: Callable[[int, int], None] | None = None,
                chunk: int = 2000) -> tuple[int, int]:
    """Index every record again and judge every pair, after the rules changed; one
    transaction per chunk of records. Merges and pending suggestions already made
    stay; so does every pair a person rejected or unmerged."""
    with session_scope(sessions) as session:
        session.execute(delete(MatchKey))
        accounts = list(session.execute(select(Account.id).where(
            Account.merged_into_id.is_(None)).order_by(Account.id)).scalars())
        contacts = list(session.execute(select(Contact.id).where(
            Contact.merged_into_id.is_(None)).order_by(Contact.id)).scalars())
    merged = pending = done = 0
    total = len(accounts) + len(contacts)
    for ids, kind in ((accounts, ACCOUNT), (contacts, CONTACT)):
        for part in chunks(ids, chunk):
            with session_scope(sessions) as session:
                outcome = resolve(session, rules, part if kind == CONTACT else (),
                                  part if kind == ACCOUNT else (), now)
            merged, pending = merged + outcome.merged, pending + outcome.pending
            done += len(part)
            if progress:
                progress(done, total)
    return merged, pending
