"""Questions the CLI and exports ask of the CRM, as plain dicts.

The export shapes are a documented contract (README, "Export format"): keys are
only ever added, never renamed or removed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, case, delete, func, select
from sqlalchemy.orm import Session

from syncd.db.models import (
    Account,
    AccountDomain,
    Contact,
    ContactEmail,
    ContactPhone,
    Interaction,
    InteractionParticipant,
    InteractionSource,
    Quarantine,
    SeenAddress,
    Source,
    SyncRun,
)
from syncd.store.items import record_items
from syncd.store.upsert import chunks

PAGE = 500


def _activity(session: Session, contact_ids: Sequence[int]
              ) -> dict[int, tuple[int, Any, Any]]:
    """``contact id -> (interactions so far, the last one's time, next meeting's time)``.

    An upcoming meeting has not happened yet and a cancelled one never will: neither
    counts as activity; the next meeting is the earliest upcoming one not cancelled."""
    now = datetime.now(UTC)
    happened = (Interaction.occurred_at <= now) & _taking_place()
    query = (select(ContactEmail.contact_id,
                    func.count(func.distinct(case((happened,
                                                   InteractionParticipant.interaction_id)))),
                    func.max(case((happened, Interaction.occurred_at))),
                    func.min(case(((Interaction.occurred_at > now) & _taking_place(),
                                   Interaction.occurred_at))))
             .join(InteractionParticipant, InteractionParticipant.email == ContactEmail.email)
             .join(Interaction, Interaction.id == InteractionParticipant.interaction_id)
             .where(ContactEmail.contact_id.in_(contact_ids))
             .group_by(ContactEmail.contact_id))
    return {cid: (count, _utc(last), _utc(upcoming))
            for cid, count, last, upcoming in session.execute(query)}


def _taking_place() -> Any:
    return Interaction.status.is_(None) | (Interaction.status != "cancelled")


def _utc(value: Any) -> Any:
    """Aggregates bypass the column type, so SQLite's naive text comes back as is."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def contacts(session: Session, *, internal: bool | None = False, query: str | None = None,
             limit: int | None = None, shared: bool | None = False
             ) -> Iterator[dict[str, Any]]:
    """Contacts in the export shape, streamed page by page; people by default, team
    mailboxes with ``shared`` (None: both)."""
    statement = select(Contact).where(Contact.merged_into_id.is_(None))
    if internal is not None:
        statement = statement.where(Contact.is_internal.is_(internal))
    if shared is not None:
        statement = statement.where(Contact.is_shared.is_(shared))
    if query:
        pattern = f"%{query.lower()}%"
        statement = statement.where(
            func.lower(func.coalesce(Contact.full_name, "")).like(pattern)
            | Contact.id.in_(select(ContactEmail.contact_id)
                             .where(ContactEmail.email.like(pattern))))
    yield from _pages(session, statement, limit, _contact_rows)


def _pages(session: Session, statement: Select[Any], limit: int | None,
           render: Any) -> Iterator[dict[str, Any]]:
    """Rows in pages by ascending id (keyset paging: an export of a million rows
    costs the same per page at the end as at the start)."""
    model = statement.column_descriptions[0]["entity"]
    last, done = 0, 0
    while limit is None or done < limit:
        size = PAGE if limit is None else min(PAGE, limit - done)
        rows = session.execute(statement.where(model.id > last).order_by(model.id)
                               .limit(size)).scalars().all()
        if not rows:
            return
        yield from render(session, rows)
        last, done = rows[-1].id, done + len(rows)


def _contact_rows(session: Session, rows: Sequence[Contact]) -> Iterator[dict[str, Any]]:
    ids = [c.id for c in rows]
    emails = _grouped(session, select(ContactEmail.contact_id, ContactEmail.email)
                      .where(ContactEmail.contact_id.in_(ids)).order_by(ContactEmail.email))
    phones = _grouped(session, select(ContactPhone.contact_id, ContactPhone.e164)
                      .where(ContactPhone.contact_id.in_(ids)).order_by(ContactPhone.e164))
    accounts = _account_refs(session, {c.account_id for c in rows if c.account_id})
    activity = _activity(session, ids)
    for contact in rows:
        count, last, upcoming = activity.get(contact.id, (0, None, None))
        yield {
            "id": contact.id, "full_name": contact.full_name,
            "given_name": contact.given_name, "family_name": contact.family_name,
            "emails": emails.get(contact.id, []), "phones": phones.get(contact.id, []),
            "job_title": contact.job_title, "seniority": contact.seniority,
            "department": contact.department,
            "account": accounts.get(contact.account_id) if contact.account_id else None,
            "is_internal": contact.is_internal, "is_shared": contact.is_shared,
            "first_seen_at": contact.created_at,
            "last_interaction_at": last, "interaction_count": count,
            "next_meeting_at": upcoming,
        }


def _grouped(session: Session, statement: Select[int, Any]) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    for key, value in session.execute(statement):
        grouped[key].append(value)
    return grouped


def _account_refs(session: Session, ids: set[int]) -> dict[int, dict[str, Any]]:
    domains = _domains(session, ids)
    names = dict(session.execute(select(Account.id, Account.name)
                                 .where(Account.id.in_(ids))).all())
    return {i: {"id": i, "name": names[i], "domains": domains.get(i, [])} for i in names}


def _domains(session: Session, ids: set[int]) -> dict[int, list[str]]:
    return _grouped(session, select(AccountDomain.account_id, AccountDomain.domain)
                    .where(AccountDomain.account_id.in_(ids)).order_by(AccountDomain.domain))


def accounts(session: Session, *, query: str | None = None,
             limit: int | None = None) -> Iterator[dict[str, Any]]:
    statement = select(Account).where(Account.merged_into_id.is_(None))
    if query:
        pattern = f"%{query.lower()}%"
        statement = statement.where(
            func.lower(Account.name).like(pattern)
            | Account.id.in_(select(AccountDomain.account_id)
                             .where(AccountDomain.domain.like(pattern))))
    yield from _pages(session, statement, limit, _account_rows)


def _account_rows(session: Session, rows: Sequence[Account]) -> Iterator[dict[str, Any]]:
    ids = {a.id for a in rows}
    domains = _domains(session, ids)
    counts = dict(session.execute(
        select(Contact.account_id, func.count()).where(Contact.account_id.in_(ids))
        .group_by(Contact.account_id)).all())
    last = dict(session.execute(
        select(Contact.account_id, func.max(Interaction.occurred_at))
        .join(ContactEmail, ContactEmail.contact_id == Contact.id)
        .join(InteractionParticipant, InteractionParticipant.email == ContactEmail.email)
        .join(Interaction, Interaction.id == InteractionParticipant.interaction_id)
        .where(Contact.account_id.in_(ids), Interaction.occurred_at <= datetime.now(UTC),
               _taking_place())
        .group_by(Contact.account_id)).all())
    for account in rows:
        yield {"id": account.id, "name": account.name, "domains": domains.get(account.id, []),
               "contact_count": counts.get(account.id, 0),
               "last_interaction_at": _utc(last.get(account.id))}


def interactions(session: Session, *, contact_id: int | None = None,
                 account_id: int | None = None, limit: int | None = None,
                 newest_first: bool = False) -> Iterator[dict[str, Any]]:
    """Interactions in id order (exports), or the ``limit`` newest (timelines)."""
    statement = select(Interaction)
    if contact_id is not None or account_id is not None:
        people = select(ContactEmail.email).join(Contact, Contact.id == ContactEmail.contact_id)
        people = people.where(Contact.id == contact_id) if contact_id is not None \
            else people.where(Contact.account_id == account_id)
        statement = statement.where(Interaction.id.in_(
            select(InteractionParticipant.interaction_id)
            .where(InteractionParticipant.email.in_(people))))
    if not newest_first:
        yield from _pages(session, statement, limit, _interaction_rows)
        return
    newest = statement.order_by(Interaction.occurred_at.desc().nulls_last(),
                                Interaction.id.desc()).limit(limit or PAGE)
    yield from _interaction_rows(session, session.execute(newest).scalars().all())


def _interaction_rows(session: Session,
                      rows: Sequence[Interaction]) -> Iterator[dict[str, Any]]:
    ids = [i.id for i in rows]
    participants: dict[int, list[dict[str, str]]] = defaultdict(list)
    for interaction_id, email, role, response in session.execute(
            select(InteractionParticipant.interaction_id, InteractionParticipant.email,
                   InteractionParticipant.role, InteractionParticipant.response)
            .where(InteractionParticipant.interaction_id.in_(ids))
            .order_by(InteractionParticipant.id)):
        participant = {"email": email, "role": role}
        participants[interaction_id].append(
            participant | {"response": response} if response else participant)
    sources = _grouped(session, select(InteractionSource.interaction_id, Source.name)
                       .join(Source, Source.id == InteractionSource.source_id)
                       .where(InteractionSource.interaction_id.in_(ids)).order_by(Source.name))
    for row in rows:
        yield {"id": row.id, "kind": row.kind, "key": row.key, "subject": row.subject,
               "occurred_at": row.occurred_at, "direction": row.direction,
               "automated": row.automated,
               "participants": participants.get(row.id, []),
               "sources": sources.get(row.id, []), "snippet": row.snippet,
               "ends_at": row.ends_at, "location": row.location, "status": row.status,
               "time_zone": row.time_zone}


def why(session: Session, address: str) -> dict[str, Any] | None:
    """Why an address is a contact, or why it is not one."""
    seen = session.get(SeenAddress, address)
    owner = session.execute(select(ContactEmail.contact_id)
                            .where(ContactEmail.email == address)).scalar()
    if seen is None and owner is None:
        return None
    interaction = session.get(Interaction, seen.interaction_id) \
        if seen and seen.interaction_id else None
    source = session.get(Source, seen.source_id) if seen and seen.source_id else None
    return {"email": address, "contact_id": owner,
            "outcome": seen.outcome if seen else "contact",
            "rule": seen.rule if seen else "manual", "detail": seen.detail if seen else "",
            "decided_at": seen.decided_at if seen else None,
            "source": source.name if source else None,
            "interaction": {"id": interaction.id, "key": interaction.key,
                            "subject": interaction.subject,
                            "occurred_at": interaction.occurred_at} if interaction else None}


def status(session: Session) -> list[dict[str, Any]]:
    quarantined = dict(session.execute(select(Quarantine.source_id, func.count())
                                       .group_by(Quarantine.source_id)).all())
    last_runs = dict(session.execute(select(SyncRun.source_id, func.max(SyncRun.id))
                                     .group_by(SyncRun.source_id)).all())
    runs = {r.id: r for r in session.execute(select(SyncRun).where(
        SyncRun.id.in_(list(last_runs.values())))).scalars()}
    rows = []
    for source in session.execute(select(Source).order_by(Source.name)).scalars():
        run = runs.get(last_runs.get(source.id, -1))
        rows.append({"name": source.name, "kind": source.kind, "state": source.state,
                     "last_success_at": source.last_success_at,
                     "newest_item_at": source.newest_item_at,
                     "items_total": source.items_total,
                     "quarantined": quarantined.get(source.id, 0),
                     "last_run": dict(run.stats) if run else None,
                     "last_error": source.last_error, "last_error_at": source.last_error_at,
                     "failures": failures_in_a_row(session, source.id)
                     if source.state == "failed" else 0,
                     "lease_owner": source.lease_owner if source.lease_expires_at
                     and source.lease_expires_at > datetime.now(UTC) else None})
    return rows


def failures_in_a_row(session: Session, source_id: int, limit: int = 25) -> int:
    """Failed runs since the last one that succeeded (interrupted runs do not count)."""
    statuses = session.execute(select(SyncRun.status).where(SyncRun.source_id == source_id)
                               .order_by(SyncRun.id.desc()).limit(limit)).scalars()
    count = 0
    for status in statuses:
        if status == "interrupted":
            continue
        if status != "failed":
            break
        count += 1
    return count


def quarantined(session: Session, limit: int | None = 100, *,
                source: str | None = None) -> list[dict[str, Any]]:
    """The newest quarantined items (of ``source``), without their raw bytes."""
    statement = (select(Quarantine.id, Source.name, Quarantine.external_id,
                        Quarantine.reason, Quarantine.created_at)
                 .join(Source, Source.id == Quarantine.source_id)
                 .order_by(Quarantine.id.desc()).limit(limit))
    if source is not None:
        statement = statement.where(Source.name == source)
    return [{"id": id_, "source": name, "external_id": external, "reason": reason,
             "created_at": created}
            for id_, name, external, reason, created in session.execute(statement)]


def quarantined_item(session: Session, quarantine_id: int) -> dict[str, Any] | None:
    row = session.get(Quarantine, quarantine_id)
    if row is None:
        return None
    source = session.get(Source, row.source_id)
    return {"id": row.id, "source": source.name if source else None,
            "external_id": row.external_id, "reason": row.reason, "raw": row.raw,
            "raw_format": row.raw_format, "created_at": row.created_at}


def drop_quarantined(session: Session, ids: Sequence[int] | None, *,
                     source: str | None = None) -> int:
    """Delete the given items (all, when ``ids`` is None) of ``source`` (any); they
    stay accounted for as dropped (``syncd verify``)."""
    chosen = select(Quarantine.id, Quarantine.source_id, Quarantine.external_id)
    if ids:
        chosen = chosen.where(Quarantine.id.in_(ids))
    if source is not None:
        chosen = chosen.where(Quarantine.source_id.in_(
            select(Source.id).where(Source.name == source)))
    rows = session.execute(chosen).all()
    now = datetime.now(UTC)
    for source_id in {row.source_id for row in rows}:
        record_items(session, source_id, [(row.external_id, "dropped") for row in rows
                                          if row.source_id == source_id], now)
    for chunk in chunks([row.id for row in rows]):
        session.execute(delete(Quarantine).where(Quarantine.id.in_(chunk)))
    return len(rows)



def contact(session: Session, contact_id: int) -> dict[str, Any] | None:
    row = session.get(Contact, contact_id)
    return next(_contact_rows(session, [row])) if row is not None else None


def account(session: Session, account_id: int) -> dict[str, Any] | None:
    row = session.get(Account, account_id)
    return next(_account_rows(session, [row])) if row is not None else None


def interaction(session: Session, interaction_id: int) -> dict[str, Any] | None:
    row = session.get(Interaction, interaction_id)
    if row is None:
        return None
    result = next(_interaction_rows(session, [row]))
    result |= {"thread_key": row.thread_key, "automated_reason": row.automated_reason,
               "visibility": row.visibility, "body": row.body}
    return result
