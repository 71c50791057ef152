"""Writing one batch of plans, with its cursor, in the caller's transaction.

Every statement is a set-based upsert on a natural key, so writing the same batch
twice (a crash before COMMIT, a resync, a second mailbox with the same message)
leaves the database as it was after the first time. Work is done per batch, not
per message: one lookup per table per batch keeps the write cost flat.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, case, delete, literal, select, update
from sqlalchemy.orm import Session

from connectors.base import BadItem, Deletion
from enrichment.identity import IdentityRules
from syncd.db.models import (
    ContactPhone,
    Interaction,
    InteractionParticipant,
    InteractionSource,
    Observation,
    Quarantine,
    Source,
    UtcDateTime,
)
from syncd.pipeline import Decision, InteractionPlan
from syncd.store.derive import Seen, refresh_accounts, refresh_contacts
from syncd.store.identity import resolve, thread_keys
from syncd.store.items import record_items
from syncd.store.people import Person, ensure_people, record_decisions
from syncd.store.upsert import chunks, greater, insert_for, insert_ignore, lesser

KEEP_CURSOR: Any = object()
"""The cursor argument of a write that must not move the source's cursor."""


@dataclass
class BatchStats:
    """What one batch changed; summed into the run's stats."""

    messages: int = 0
    new_interactions: int = 0
    skipped: int = 0
    quarantined: int = 0
    deleted: int = 0
    new_contacts: int = 0
    new_accounts: int = 0
    merged: int = 0
    skip_reasons: dict[str, int] = field(default_factory=dict)

    def add(self, other: BatchStats) -> None:
        for name in ("messages", "new_interactions", "skipped", "quarantined", "deleted",
                     "new_contacts", "new_accounts", "merged"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for reason, count in other.skip_reasons.items():
            self.skip_reasons[reason] = self.skip_reasons.get(reason, 0) + count


@dataclass(frozen=True)
class Written:
    """An interaction row the batch refers to: its id and the time facts are dated."""

    id: int
    at: datetime


def write_batch(session: Session, source_id: int, plans: Sequence[InteractionPlan], *,
                bad: Sequence[BadItem], deletions: Sequence[Deletion],
                cursor: Any, now: datetime, rules: IdentityRules) -> BatchStats:
    """Upsert everything in the batch, then move the source's cursor with it
    (:data:`KEEP_CURSOR` leaves the cursor alone: items retried from quarantine)."""
    stats = BatchStats(messages=len(plans) + len(bad))
    kept, copies = _unique_by_key([p for p in plans if not _count_skip(p, stats)])
    written, created = _store_interactions(session, kept, now)
    stats.new_interactions = len(created)
    _update_meetings(session, [p for p in kept if p.kind == "meeting" and p.key not in created],
                     written)
    copies += _other_copies(session, source_id, kept, written, created)
    _link_sources(session, source_id, kept, written, now)
    accounted = [(p.external_id, f"skipped:{p.skipped.rule}") for p in plans if p.skipped]
    record_items(session, source_id, accounted + [(c, "copy") for c in copies], now)
    _store_participants(session, kept, written)
    people = ensure_people(session, _people(kept), now)
    stats.new_contacts, stats.new_accounts = people.new_contacts, people.new_accounts
    record_decisions(session, source_id, _decisions(kept, written), now)
    touched = _store_facts(session, source_id, kept, written, people.by_email)
    contacts_seen, accounts_seen = touched
    contacts = contacts_seen.keys() | people.created_contacts
    accounts = accounts_seen.keys() | people.created_accounts
    refresh_contacts(session, contacts, contacts_seen)
    refresh_accounts(session, accounts, accounts_seen)
    threads = thread_keys(kept, people.by_email, rules)
    stats.merged = resolve(session, rules, contacts | threads.keys(), accounts, now,
                           more=threads).merged
    stats.quarantined = _quarantine(session, source_id, bad, now)
    stats.deleted = _mark_deleted(session, source_id, deletions, now)
    _advance(session, source_id, cursor, len(kept), kept, now=now)
    return stats


def _count_skip(plan: InteractionPlan, stats: BatchStats) -> bool:
    if plan.skipped is None:
        return False
    stats.skipped += 1
    rule = plan.skipped.rule
    stats.skip_reasons[rule] = stats.skip_reasons.get(rule, 0) + 1
    return True


def _unique_by_key(plans: list[InteractionPlan]) -> tuple[list[InteractionPlan], list[str]]:
    """One plan per key: the same message twice in one batch (two folders) is one;
    the external ids of the other copies are returned apart."""
    kept = {plan.key: plan for plan in reversed(plans)}
    first = {id(plan) for plan in kept.values()}
    return list(kept.values())[::-1], [p.external_id for p in plans if id(p) not in first]


def _other_copies(session: Session, source_id: int, plans: Sequence[InteractionPlan],
                  written: dict[str, Written], created: set[str]) -> list[str]:
    """External ids this source's links hold for stored interactions the batch links
    under another id (the same message in a second folder): the link keeps one id,
    so the other is recorded as a copy."""
    new_id = {written[p.key].id: p.external_id for p in plans if p.key not in created}
    links = InteractionSource
    other: list[str] = []
    for chunk in chunks(list(new_id)):
        rows = session.execute(select(links.interaction_id, links.external_id).where(
            links.source_id == source_id, links.interaction_id.in_(chunk)))
        other += [external for interaction, external in rows
                  if external != new_id[interaction]]
    return other


def _store_interactions(session: Session, plans: Sequence[InteractionPlan],
                        now: datetime) -> tuple[dict[str, Written], set[str]]:
    """Rows for the plans' keys, inserting those not yet stored (returned apart)."""
    written = _existing(session, [p.key for p in plans])
    rows = [_interaction_row(p, now) for p in plans if p.key not in written]
    for chunk in chunks(rows):
        statement = insert_for(session, Interaction).on_conflict_do_nothing(
            index_elements=["key"])
        session.execute(statement, chunk)
    created = {r["key"] for r in rows}
    written.update(_existing(session, list(created)))
    return written, created


def _existing(session: Session, keys: Sequence[str]) -> dict[str, Written]:
    found: dict[str, Written] = {}
    for chunk in chunks(keys):
        query = select(Interaction.key, Interaction.id, Interaction.occurred_at,
                       Interaction.created_at).where(Interaction.key.in_(chunk))
        for key, id_, occurred, created in session.execute(query):
            found[key] = Written(id_, occurred or created)
    return found


def _interaction_row(plan: InteractionPlan, now: datetime) -> dict[str, Any]:
    return {"kind": plan.kind, "key": plan.key, "created_at": now} | _content(plan)


def _content(plan: InteractionPlan) -> dict[str, Any]:
    """What a newer copy of a meeting may change (an email never changes)."""
    return {
        "thread_key": plan.thread_key, "occurred_at": plan.occurred_at,
        "ends_at": plan.ends_at, "direction": plan.direction,
        "automated": plan.automated is not None, "automated_reason": plan.automated,
        "visibility": plan.visibility, "subject": plan.subject, "snippet": plan.snippet,
        "body": plan.body, "location": plan.location, "status": plan.status,
        "time_zone": plan.time_zone,
    }


def _update_meetings(session: Session, plans: Sequence[InteractionPlan],
                     written: dict[str, Written]) -> None:
    """A stored meeting that was moved, renamed or re-attended is updated in place:
    the calendar's latest version is the meeting (one that was cancelled and is back
    is confirmed again)."""
    table = cast(Table, Interaction.__table__)
    rows = [{"row_id": written[p.key].id} | _content(p) for p in plans]
    statement = update(table).where(table.c.id == bindparam("row_id"))
    for chunk in chunks(rows):
        session.execute(statement, list(chunk))


def _link_sources(session: Session, source_id: int, plans: Sequence[InteractionPlan],
                  written: dict[str, Written], now: datetime) -> None:
    rows = [{"interaction_id": written[p.key].id, "source_id": source_id,
             "external_id": p.external_id, "folder": p.folder, "first_seen_at": now,
             "deleted_at": None} for p in plans]
    for chunk in chunks(rows):
        statement = insert_for(session, InteractionSource)
        statement = statement.on_conflict_do_update(
            index_elements=["interaction_id", "source_id"],
            set_={"external_id": statement.excluded.external_id,
                  "folder": statement.excluded.folder, "deleted_at": None})
        session.execute(statement, chunk)


def _store_participants(session: Session, plans: Sequence[InteractionPlan],
                        written: dict[str, Written]) -> None:
    """An email's participants never change; a meeting's guest list is replaced by
    the latest one, answers included."""
    rows = [{"interaction_id": written[p.key].id, "email": part.email, "role": part.role,
             "name": part.name, "response": part.response}
            for p in plans for part in p.participants]
    meetings = {written[p.key].id for p in plans if p.kind == "meeting"}
    guests = [r for r in rows if r["interaction_id"] in meetings]
    insert_ignore(session, InteractionParticipant,
                  [r for r in rows if r["interaction_id"] not in meetings],
                  ["interaction_id", "email", "role"])
    if not meetings:
        return
    _drop_former_guests(session, guests, sorted(meetings))
    for chunk in chunks(guests):
        statement = insert_for(session, InteractionParticipant)
        statement = statement.on_conflict_do_update(
            index_elements=["interaction_id", "email", "role"],
            set_={"name": statement.excluded.name, "response": statement.excluded.response})
        session.execute(statement, chunk)


def _drop_former_guests(session: Session, rows: list[dict[str, Any]],
                        meetings: list[int]) -> None:
    current = {(r["interaction_id"], r["email"], r["role"]) for r in rows}
    table = InteractionParticipant
    for chunk in chunks(meetings):
        stored = session.execute(select(table.id, table.interaction_id, table.email,
                                        table.role).where(table.interaction_id.in_(chunk)))
        gone = [row_id for row_id, *ident in stored if tuple(ident) not in current]
        if gone:
            session.execute(delete(table).where(table.id.in_(gone)))


def _people(plans: Iterable[InteractionPlan]) -> dict[str, Person]:
    """Addresses that should be people, with what they need: internal? which domain?"""
    people: dict[str, Person] = {}
    for plan in plans:
        for decision in plan.decisions:
            if decision.outcome == "contact":
                people.setdefault(decision.email, Person(False, decision.account_domain))
            elif decision.outcome == "internal":
                people.setdefault(decision.email, Person(True, None))
    return people


def _decisions(plans: Iterable[InteractionPlan],
               written: dict[str, Written]) -> list[tuple[Decision, int]]:
    return [(d, written[p.key].id) for p in plans for d in p.decisions]


def _store_facts(session: Session, source_id: int, plans: Sequence[InteractionPlan],
                 written: dict[str, Written],
                 by_email: dict[str, tuple[int, int | None]]) -> tuple[Seen, Seen]:
    """Upsert the batch's observations; returns what each contact and account was
    seen with, so that only those with news are derived again."""
    rows: dict[tuple[str, int, str, str, str], dict[str, Any]] = {}
    phones: list[dict[str, Any]] = []
    for plan in plans:
        row = written[plan.key]
        for fact in plan.facts:
            contact_id, account_id = by_email.get(fact.email, (None, None))
            subject_id = contact_id if fact.subject == "contact" else account_id
            if subject_id is None:
                continue
            ident = (fact.subject, subject_id, fact.field, fact.value, fact.method)
            _merge_fact(rows, ident, fact.confidence, row, source_id)
            if fact.field.startswith("phone_") and contact_id is not None:
                phones.append({"contact_id": contact_id, "e164": fact.value,
                               "kind": fact.field.removeprefix("phone_")})
    _upsert_observations(session, list(rows.values()))
    insert_ignore(session, ContactPhone, phones, ["contact_id", "e164"])
    seen: dict[str, dict[int, set[tuple[str, str]]]] = {"contact": {}, "account": {}}
    for subject, subject_id, name, value, _ in rows:
        seen[subject].setdefault(subject_id, set()).add((name, value))
    return seen["contact"], seen["account"]


def _merge_fact(rows: dict[tuple[str, int, str, str, str], dict[str, Any]],
                ident: tuple[str, int, str, str, str], confidence: float,
                row: Written, source_id: int) -> None:
    """Fold repeated sightings within the batch, as the upsert folds them across."""
    current = rows.get(ident)
    if current is None:
        rows[ident] = {
            "subject_type": ident[0], "subject_id": ident[1], "field": ident[2],
            "value": ident[3], "method": ident[4], "confidence": confidence,
            "source_id": source_id, "first_interaction_id": row.id,
            "last_interaction_id": row.id, "first_seen_at": row.at, "last_seen_at": row.at}
        return
    if row.at < current["first_seen_at"]:
        current.update(first_seen_at=row.at, first_interaction_id=row.id)
    if row.at > current["last_seen_at"]:
        current.update(last_seen_at=row.at, last_interaction_id=row.id)
    current["confidence"] = max(current["confidence"], confidence)


def _upsert_observations(session: Session, rows: list[dict[str, Any]]) -> None:
    columns = Observation.__table__.c
    for chunk in chunks(sorted(rows, key=lambda r: (r["subject_id"], r["field"]))):
        statement = insert_for(session, Observation)
        new = statement.excluded
        statement = statement.on_conflict_do_update(
            index_elements=["subject_type", "subject_id", "field", "value", "method"],
            set_={
                "confidence": greater(columns.confidence, new.confidence),
                "first_seen_at": lesser(columns.first_seen_at, new.first_seen_at),
                "first_interaction_id": _pick(columns.first_seen_at > new.first_seen_at,
                                              new.first_interaction_id,
                                              columns.first_interaction_id),
                "last_seen_at": greater(columns.last_seen_at, new.last_seen_at),
                "last_interaction_id": _pick(new.last_seen_at > columns.last_seen_at,
                                             new.last_interaction_id,
                                             columns.last_interaction_id),
            })
        session.execute(statement, chunk)


def _pick(condition: Any, when_true: Any, otherwise: Any) -> Any:
    return case((condition, when_true), else_=otherwise)


def _quarantine(session: Session, source_id: int, bad: Sequence[BadItem],
                now: datetime) -> int:
    rows = [{"source_id": source_id, "external_id": item.external_id,
             "reason": item.reason, "raw": item.raw, "raw_format": item.format,
             "created_at": now} for item in bad]
    for chunk in chunks(rows, 50):
        statement = insert_for(session, Quarantine)
        statement = statement.on_conflict_do_update(
            index_elements=["source_id", "external_id"],
            set_={"reason": statement.excluded.reason, "raw": statement.excluded.raw,
                  "raw_format": statement.excluded.raw_format})
        session.execute(statement, chunk)
    return len(rows)


def _mark_deleted(session: Session, source_id: int, deletions: Sequence[Deletion],
                  now: datetime) -> int:
    """History does not un-happen: only the copy's link records that it is gone."""
    ids = [d.external_id for d in deletions]
    for chunk in chunks(ids):
        session.execute(update(InteractionSource)
                        .where(InteractionSource.source_id == source_id,
                               InteractionSource.external_id.in_(chunk),
                               InteractionSource.deleted_at.is_(None))
                        .values(deleted_at=now))
        _cancel_meetings(session, source_id, chunk)
    return len(ids)


def _cancel_meetings(session: Session, source_id: int, external_ids: Sequence[str]) -> None:
    """A meeting gone from every calendar that had it did not take place (or will
    not): it is cancelled, and stays in the history as such."""
    links = InteractionSource
    gone = select(links.interaction_id).where(links.source_id == source_id,
                                              links.external_id.in_(external_ids))
    live = select(links.interaction_id).where(links.deleted_at.is_(None))
    session.execute(update(Interaction)
                    .where(Interaction.kind == "meeting", Interaction.id.in_(gone),
                           Interaction.id.not_in(live))
                    .values(status="cancelled"))


def _advance(session: Session, source_id: int, cursor: Any, count: int,
             plans: Sequence[InteractionPlan], *, now: datetime) -> None:
    """The cursor, the item count, and the newest item's time (an upcoming meeting
    is not news yet)."""
    newest = max((p.occurred_at for p in plans if p.occurred_at and p.occurred_at <= now),
                 default=None)
    values: dict[str, Any] = {"items_total": Source.items_total + count}
    if cursor is not KEEP_CURSOR:
        values["cursor"] = {"v": cursor}
    if newest is not None:
        candidate = literal(newest, UtcDateTime())
        values["newest_item_at"] = case(
            (Source.newest_item_at.is_(None), candidate),
            (candidate > Source.newest_item_at, candidate), else_=Source.newest_item_at)
    session.execute(update(Source).where(Source.id == source_id).values(**values))
