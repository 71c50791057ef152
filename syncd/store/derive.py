"""Contact and account fields derived from their observations.

A field is never written by the pipeline directly: it is the best observation of
that field, ranked by method (a value set by hand beats everything), then
confidence, then recency. Recomputing from observations is what lets a merge be
explained and undone, and makes the result independent of the order mail arrives.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from enrichment.people import split_name
from enrichment.titles import department, seniority
from syncd.db.models import Account, Contact, Observation
from syncd.store.upsert import chunks

MANUAL = "manual"
CONTACT_FIELDS = ("full_name", "job_title", "department")
ACCOUNT_FIELDS = ("name",)


class Candidate(NamedTuple):
    value: str
    method: str
    confidence: float
    last_seen_at: datetime


def best_values(candidates: Iterable[tuple[str, Candidate]]) -> dict[str, str]:
    """The winning value per field."""
    best: dict[str, Candidate] = {}
    for field, candidate in candidates:
        current = best.get(field)
        if current is None or _rank(field, candidate) > _rank(field, current):
            best[field] = candidate
    return {field: c.value for field, c in best.items()}


def _rank(field: str, candidate: Candidate) -> tuple[bool, bool, float, datetime, str]:
    """A name with a family name beats a bare first name whatever its source: "Melanie"
    closing a signature says less than "Melanie Moore" in a header."""
    complete = field != "full_name" or all(split_name(candidate.value))
    return (candidate.method == MANUAL, complete, candidate.confidence,
            candidate.last_seen_at, candidate.value)


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
        for contact_id, fields in _derive(session, "contact", stale, CONTACT_FIELDS).items():
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


def _derive(session: Session, subject: str, ids: Iterable[int],
            fields: tuple[str, ...]) -> dict[int, dict[str, str]]:
    query = select(Observation.subject_id, Observation.field, Observation.value,
                   Observation.method, Observation.confidence, Observation.last_seen_at).where(
        Observation.subject_type == subject, Observation.subject_id.in_(list(ids)),
        Observation.field.in_(fields))
    grouped: dict[int, list[tuple[str, Candidate]]] = defaultdict(list)
    for subject_id, field, value, method, confidence, seen in session.execute(query):
        grouped[subject_id].append((field, Candidate(value, method, confidence, seen)))
    return {subject_id: best_values(items) for subject_id, items in grouped.items()}
