"""Contact and account fields derived from their observations.

A field is never written by the pipeline directly: it is the best observation of
that field, ranked by method (a value set by hand beats everything), then
confidence, then recency. Recomputing from observations is what lets a merge be
explained and undone, and makes the result independent of the order mail arrives.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from enrichment.identity import address_fits_name, fold, spellings
from enrichment.people import name_from_local_part, split_name
from enrichment.titles import department, seniority
from syncd.db.models import Account, Contact, ContactEmail, Observation
from syncd.store.upsert import chunks

MANUAL = "manual"
OWN_NAMES = frozenset({MANUAL, "signature", "display_name"})
"""Name sources the person wrote: a signature, the From header their client sends."""
CONTACT_FIELDS = ("full_name", "job_title", "department")
ACCOUNT_FIELDS = ("name",)


class Candidate(NamedTuple):
    value: str
    method: str
    confidence: float
    last_seen_at: datetime


def best_values(candidates: Iterable[tuple[str, Candidate]],
                emails: Sequence[str] = ()) -> dict[str, str]:
    """The winning value per field; ``emails`` are the addresses of the contact whose
    name is chosen."""
    best: dict[str, tuple[Any, ...]] = {}
    chosen: dict[str, str] = {}
    for field, candidate in candidates:
        rank = _rank(field, candidate, emails)
        if field not in best or rank > best[field]:
            best[field], chosen[field] = rank, candidate.value
    return chosen


def _rank(field: str, candidate: Candidate, emails: Sequence[str]) -> tuple[Any, ...]:
    """A value set by hand first; for a name, then how complete it is ("Melanie"
    closing a signature says less than "M. Moore", which says less than "Melanie
    Moore"), whether the addresses disagree with it (an assistant signing with the
    executive's block: "Amanda Owens" from gabriella.flynn@), and whether the person
    gave it (a signature, their own From header) rather than a correspondent's address
    book or a guess from the address. Among the person's own, the surer source, then
    the one the address spells; among the others, the one the address spells ("Tammy
    Duncan" at tammy.duncan@ over a correspondent's "Tmmy Duncan"). Then the latest."""
    manual = candidate.method == MANUAL
    if field != "full_name":
        return (manual, candidate.confidence, candidate.last_seen_at, candidate.value)
    own = candidate.method in OWN_NAMES
    spelled = any(address_fits_name(e, candidate.value) for e in emails)
    order = (candidate.confidence, spelled) if own else (spelled, candidate.confidence)
    return (manual, _completeness(candidate.value), not _contradicted(candidate.value, emails),
            own, *order, candidate.last_seen_at, candidate.value)


def _completeness(name: str) -> int:
    """2 for a given and a family name, 1 when the given name is an initial, else 0."""
    given, family = split_name(name)
    if not given or not family:
        return 0
    return 1 if len(fold(given.split()[0])) == 1 else 2


def _contradicted(name: str, emails: Sequence[str]) -> bool:
    """Whether the contact's addresses spell names (``joseph.davis@``) none of which
    shares a word with ``name`` (umlauts written out or not: ``bjoern.juettner@``)."""
    spelled = [n for e in emails if (n := name_from_local_part(e))]
    words = _words(name)
    return bool(spelled) and not any(words & _words(n) for n in spelled)


def _words(name: str) -> set[str]:
    return {spelling for word in name.split() for spelling in spellings(word)}


Seen = Mapping[int, set[tuple[str, str]]]
"""Per contact or account, the (field, value) pairs a batch observed."""


def refresh_contacts(session: Session, ids: set[int], seen: Seen) -> None:
    """Recompute the derived fields of ``ids``; one bulk UPDATE for those that changed.

    A contact whose batch only saw its current values again is skipped: a repeated
    sighting makes the winner stronger, never another value the winner. Most mail
    comes from people already known with the same signature, so this is most of them.
    """
    changed: list[dict[str, Any]] = []
    for chunk in chunks(sorted(ids)):
        current = {row.id: row for row in session.execute(
            select(Contact.id, Contact.full_name, Contact.job_title, Contact.seniority,
                   Contact.department).where(Contact.id.in_(chunk)))}
        stale = [i for i in chunk if i in current and _news(current[i], seen.get(i))]
        if not stale:
            continue  # most batches: every contact seen again as it stands
        emails: dict[int, list[str]] = defaultdict(list)
        for email, contact_id in session.execute(select(
                ContactEmail.email, ContactEmail.contact_id).where(
                ContactEmail.contact_id.in_(stale))):
            emails[contact_id].append(email)
        for contact_id, fields in _derive(session, "contact", stale, CONTACT_FIELDS,
                                          emails).items():
            values = _contact_values(fields)
            if any(getattr(current[contact_id], k) != values[k] for k in _COMPARED):
                changed.append({"id": contact_id, **values})
    if changed:
        session.execute(update(Contact), changed)


def _news(row: Any, seen: set[tuple[str, str]] | None) -> bool:
    """Whether the batch saw a value of a derived field other than the current one."""
    if seen is None:
        return True
    return any(field in CONTACT_FIELDS and getattr(row, field) != value
               for field, value in seen)


_COMPARED = ("full_name", "job_title", "seniority", "department")


def _contact_values(fields: dict[str, str]) -> dict[str, Any]:
    """The stored fields; seniority and department follow the winning title, so a
    title set by hand moves them too (a signed department still wins)."""
    full_name, title = fields.get("full_name"), fields.get("job_title")
    given, family = split_name(full_name) if full_name else (None, None)
    return {"full_name": full_name, "given_name": given, "family_name": family,
            "job_title": title, "seniority": seniority(title),
            "department": fields.get("department") or department(title)}


def refresh_accounts(session: Session, ids: set[int], seen: Seen) -> None:
    """As :func:`refresh_contacts`, for the account name."""
    changed: list[dict[str, Any]] = []
    for chunk in chunks(sorted(ids)):
        current = dict(session.execute(select(Account.id, Account.name)
                                       .where(Account.id.in_(chunk))).all())
        stale = [i for i in chunk if i in current and (
            i not in seen or any(f == "name" and v != current[i] for f, v in seen[i]))]
        derived = _derive(session, "account", stale, ACCOUNT_FIELDS)
        changed += [{"id": account_id, "name": fields["name"]}
                    for account_id, fields in derived.items()
                    if fields.get("name") and current.get(account_id) != fields["name"]]
    if changed:
        session.execute(update(Account), changed)


def _derive(session: Session, subject: str, ids: Iterable[int], fields: tuple[str, ...],
            emails: Mapping[int, Sequence[str]] | None = None) -> dict[int, dict[str, str]]:
    query = select(Observation.subject_id, Observation.field, Observation.value,
                   Observation.method, Observation.confidence, Observation.last_seen_at).where(
        Observation.subject_type == subject, Observation.subject_id.in_(list(ids)),
        Observation.field.in_(fields))
    grouped: dict[int, list[tuple[str, Candidate]]] = defaultdict(list)
    for subject_id, field, value, method, confidence, seen in session.execute(query):
        grouped[subject_id].append((field, Candidate(value, method, confidence, seen)))
    return {subject_id: best_values(items, (emails or {}).get(subject_id, ()))
            for subject_id, items in grouped.items()}
