"""Identity resolution in the store: keys, candidate pairs, merges and their undoing.

After each batch the contacts and accounts it touched are indexed under their match
keys (``match_keys``). A key that is new for a record is looked up: every other
record holding it (or its counterpart: an address a signature lists against the
address a contact owns, a website against a domain) is a candidate, judged with
:mod:`enrichment.identity`. A pair scoring the auto-merge threshold merges at once;
from :data:`~enrichment.identity.REVIEW` it waits in ``merges`` as ``pending``. A
pair a person rejected or unmerged is never merged by the rules again.

A merge moves the loser's addresses (or domains), phones and observations to the
winner, points the loser (and whatever was merged into it) at the winner, and keeps
in its snapshot exactly what moved, so ``unmerge`` puts each row back. Work is per
key, never per table, so it costs the same with a thousand records or a million.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import bindparam, delete, func, or_, select, true, update
from sqlalchemy.orm import Session

from enrichment.domains import brand_label, registrable_domain
from enrichment.identity import (
    CROWDED,
    RARE_NAME,
    REVIEW,
    Evidence,
    IdentityRules,
    address_fits_name,
    company_key,
    expected_namesakes,
    fold,
    may_be_one,
    name_keys,
    name_parts,
    named_mailbox,
    names_agree,
    numbered_apart,
    numbered_form,
    score,
    shared_mailbox,
)
from enrichment.people import name_from_local_part
from syncd.db.models import (
    Account,
    AccountDomain,
    Contact,
    ContactEmail,
    ContactPhone,
    Interaction,
    InteractionParticipant,
    MatchKey,
    Merge,
    Observation,
)
from syncd.pipeline import InteractionPlan
from syncd.store.derive import refresh_accounts, refresh_contacts
from syncd.store.upsert import chunks, insert_ignore

CONTACT = "contact"
ACCOUNT = "account"
KEY_FIELDS = {"linkedin": "linkedin", "phone_mobile": "mobile", "phone_work": "phone",
              "email": "listed", "full_name": "name"}
"""Contact observation fields that make keys, and the key kind each makes."""
COUNTERPARTS = {"email": "listed", "listed": "email", "domain": "website",
                "website": "domain", "free": "person", "person": "free"}
"""Key kinds that match another kind: a listed address finds its owner's address, the
name of a contact who writes only from free mail finds the same name at a company."""
ONE_SIDED = frozenset({"listed", "website", "free"})
"""Kinds that say nothing when two records share them (two colleagues listing one
team address; two free-mail namesakes): they only meet their counterpart."""
COUNTED = frozenset({"given", "family", "twin"})
"""Kinds that join nobody: the parts of names, only ever counted (and only up to
:data:`COUNT_UP_TO`), so a Smith costs what a Kostolzin does."""
COUNT_UP_TO = 200
"""Bearers of a name part counted at most, so counting costs the same whatever the CRM
holds; a part this many bear is common, and its names are never rare."""
_COUNT_HOLDERS = select(func.count()).select_from(select(MatchKey.subject_id).where(
    MatchKey.subject_type == CONTACT, MatchKey.key == bindparam("key"))
    .limit(COUNT_UP_TO).subquery())
"""The contacts holding one key, counted up to :data:`COUNT_UP_TO`: one statement run
once a key, so it is compiled once, where a statement counting many keys at a time
would be compiled anew for each number of keys."""
HANDOVER = timedelta(days=14)
"""How long someone who changed jobs may still write from the old address."""


NAME_ONLY = frozenset({"same_name", "address_fits_name"})
"""Evidence that only says a name fits: never a reason to ask a person on its own."""
NAME_AT_ACCOUNT = frozenset({"same_name", "name_at_account", "nickname_at_account"})
"""A colleague's name on an address not made of it: a team mailbox signed by one person,
a namesake, an assistant; never asked about on its own."""
NAMES_AND_PHONES = NAME_ONLY | NAME_AT_ACCOUNT | {"lone_name", "rare_name", "succession",
                                                  "mobile", "work_phone"}
"""What names that belong to two people outweigh."""


@dataclass(frozen=True)
class Pair:
    """Two records of one kind; in a merge, the first absorbs the second."""

    subject: str
    winner: int
    loser: int


@dataclass(frozen=True)
class Outcome:
    """What resolution did: merges applied and suggestions left for a person."""

    merged: int = 0
    pending: int = 0


# ------------------------------------------------------------------ keys


def contact_keys(session: Session, ids: Iterable[int],
                 rules: IdentityRules) -> dict[int, set[str]]:
    """Every match key of these contacts, from their addresses and observations."""
    keys: dict[int, set[str]] = defaultdict(set)
    for chunk in chunks(sorted(set(ids))):
        rows = {row.id: row for row in session.execute(select(
            Contact.id, Contact.account_id, Contact.full_name).where(
            Contact.id.in_(chunk), Contact.merged_into_id.is_(None)))}
        emails = session.execute(select(ContactEmail.email, ContactEmail.contact_id).where(
            ContactEmail.contact_id.in_(list(rows)))).all()
        for email, contact_id in emails:
            keys[contact_id].add(f"email:{rules.canonical(email)}")
            if rows[contact_id].account_id is not None and \
                    named_mailbox(email, rows[contact_id].full_name, rules.nicknames):
                local, _, domain = email.casefold().rpartition("@")
                keys[contact_id].add(f"mailbox:{brand_label(domain)}|{local}")
        for contact_id, twins in _twin_keys(session, emails, rows, rules).items():
            keys[contact_id] |= twins
        for contact_id, found in _observed_keys(session, rows, rules).items():
            keys[contact_id] |= found
    return keys


def _observed_keys(session: Session, rows: Mapping[int, Any],
                   rules: IdentityRules) -> dict[int, set[str]]:
    """Keys from what mail said of these contacts (names, numbers, profiles, listed
    addresses) and from the name each is shown under. A name merely read off an address
    makes none (``dippel.giuseppina@`` would make Dippel a given name) unless it is the
    name shown."""
    keys: dict[int, set[str]] = defaultdict(set)
    for contact_id, field, value in session.execute(select(
            Observation.subject_id, Observation.field, Observation.value).where(
            Observation.subject_type == CONTACT, Observation.subject_id.in_(list(rows)),
            Observation.field.in_(list(KEY_FIELDS)), Observation.method != "address")
            .distinct()):
        keys[contact_id] |= _contact_value_keys(field, value, rows[contact_id].account_id,
                                                rules)
    for contact_id, row in rows.items():
        if row.full_name:
            keys[contact_id] |= _contact_value_keys("full_name", row.full_name,
                                                    row.account_id, rules)
    return keys


def _contact_value_keys(field: str, value: str, account_id: int | None,
                        rules: IdentityRules) -> set[str]:
    kind = KEY_FIELDS[field]
    if kind == "name":
        keys = name_keys(value, rules.nicknames)
        parts = _part_keys(keys)
        if account_id is None:  # free mail only: the name is all there is to go by
            return {f"free:{key}" for key in keys} | parts
        return {f"name:{account_id}|{key}" for key in keys} | \
            {f"person:{key}" for key in keys} | parts
    if kind == "listed":
        return {f"listed:{rules.canonical(value)}"}
    return {f"{kind}:{value.lower() if kind == 'linkedin' else value}"}


def _twin_keys(session: Session, emails: Sequence[Any], rows: Mapping[int, Any],
               rules: IdentityRules) -> dict[int, set[str]]:
    """``twin:ACCOUNT|NAME`` for each address at the contact's company that is its name
    numbered (``natalie.johnson2@``): the company has two people of that name, so the
    name ties nobody there (a personal address with a number in it says nothing of the
    company). Counted, never a pair of its own. The company's domains are read only for
    the few contacts with such an address."""
    numbered = [(email, rows[i]) for email, i in emails
                if rows[i].account_id is not None
                and numbered_form(email, rows[i].full_name, rules.nicknames)]
    domains = _domains_of(session, {row.account_id for _, row in numbered})
    twins: dict[int, set[str]] = defaultdict(set)
    for email, row in numbered:
        domain = email.casefold().rpartition("@")[2]
        if any(domain == d or domain.endswith("." + d) for d in domains.get(row.account_id, ())):
            twins[row.id] |= {f"twin:{row.account_id}|{key}"
                              for key in name_keys(row.full_name, rules.nicknames)}
    return twins


def _domains_of(session: Session, accounts: set[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = defaultdict(set)
    for chunk in chunks(sorted(accounts)):
        for domain, account_id in session.execute(select(
                AccountDomain.domain, AccountDomain.account_id).where(
                AccountDomain.account_id.in_(chunk))):
            found[account_id].add(domain)
    return found


def _part_keys(keys: Iterable[str]) -> set[str]:
    """``given:root`` and ``family:name`` of a name's keys: what the CRM counts to tell a
    rare name from a common one (:func:`~enrichment.identity.expected_namesakes`)."""
    parts = [name_parts(key) for key in keys]
    return {f"given:{root}" for root, _ in parts} | {f"family:{family}" for _, family in parts}


def account_keys(session: Session, ids: Iterable[int],
                 rules: IdentityRules) -> dict[int, set[str]]:
    """Every match key of these accounts: domains, their brand labels, the groups of
    domains declared one company, the company names their people sign with, the
    websites they give, the domain their homepage redirects to (enrichment)."""
    keys: dict[int, set[str]] = defaultdict(set)
    for chunk in chunks(sorted(set(ids))):
        live = list(session.execute(select(Account.id).where(
            Account.id.in_(chunk), Account.merged_into_id.is_(None))).scalars())
        for domain, account_id in session.execute(select(
                AccountDomain.domain, AccountDomain.account_id).where(
                AccountDomain.account_id.in_(live))):
            keys[account_id] |= {f"domain:{domain}", f"brand:{brand_label(domain)}"}
            group = rules.configured_group(domain)
            if group is not None:
                keys[account_id].add("group:" + ",".join(sorted(rules.same_company[group])))
        for account_id, field, value in session.execute(select(
                Observation.subject_id, Observation.field, Observation.value).where(
                Observation.subject_type == ACCOUNT, Observation.subject_id.in_(live),
                Observation.method == "signature",
                Observation.field.in_(["name", "website"])).distinct()):
            if field == "name" and company_key(value):
                keys[account_id].add(f"company:{company_key(value)}")
            elif field == "website":
                host = value.lower().removeprefix("https://").removeprefix("http://")
                host = host.split("/", 1)[0].removeprefix("www.")
                if host:
                    keys[account_id].add(f"website:{registrable_domain(host)}")
        for account_id, value in session.execute(select(
                Observation.subject_id, Observation.value).where(
                Observation.subject_type == ACCOUNT, Observation.subject_id.in_(live),
                Observation.field == "redirects_to").distinct()):
            keys[account_id].add(f"website:{registrable_domain(value.lower())}")
    return keys


# ------------------------------------------------------------------ resolving


def thread_keys(plans: Iterable[InteractionPlan],
                by_email: Mapping[str, tuple[int, int | None]],
                rules: IdentityRules) -> dict[int, set[str]]:
    """``thread:T|name`` for each named customer of each conversation: one name under
    two addresses in one thread (a reply from a personal address to mail sent to the
    work one) is one person writing from both. Colleagues make none."""
    keys: dict[int, set[str]] = defaultdict(set)
    for plan in plans:
        thread = hashlib.sha256(plan.thread_key.encode("utf-8", "surrogatepass")
                                ).hexdigest()[:16]
        people = {d.email for d in plan.decisions if d.outcome == "contact"}
        for part in plan.participants:
            known = by_email.get(part.email) if part.email in people else None
            if known is not None and part.name:
                keys[known[0]] |= {f"thread:{thread}|{key}"
                                   for key in name_keys(part.name, rules.nicknames)}
    return keys


def resolve(session: Session, rules: IdentityRules, contacts: Iterable[int],
            accounts: Iterable[int], now: datetime, *,
            more: Mapping[int, set[str]] | None = None, withdraw: bool = True) -> Outcome:
    """Index the touched records under their keys (and ``more`` keys the caller read
    from the mail itself) and judge every new candidate pair; accounts first, since
    an account merge gives contacts a common account. Merges a namesake disproves are
    withdrawn (``withdraw``) and their contacts judged once more."""
    merged = pending = 0
    contacts, account_ids = set(contacts), set(accounts)
    if account_ids:
        pairs = _new_pairs(session, ACCOUNT, account_keys(session, account_ids, rules))
        for a, b in sorted(pairs):
            result = _judge_accounts(session, rules, a, b, now)
            merged, pending = merged + (result == "merged"), pending + (result == "pending")
            if result == "merged":
                contacts |= _contacts_at(session, min(a, b))
    _mark_shared(session, rules, contacts)
    keys = contact_keys(session, contacts, rules)
    for contact_id, extra in (more or {}).items():
        if contact_id in keys:  # a live contact: its own keys were found
            keys[contact_id] |= extra
    pairs = _new_pairs(session, CONTACT, keys)
    for a, b, mailbox in _accounts_sharing_mailboxes(session, keys):
        result = _judge_accounts(session, rules, a, b, now,
                                 more=[Evidence("same_mailbox", mailbox)])
        merged, pending = merged + (result == "merged"), pending + (result == "pending")
        if result == "merged":  # its people's name keys name the account they are at now
            _rekey(session, rules, CONTACT, sorted(_contacts_at(session, min(a, b))))
    if pairs:
        done = _judge_contact_pairs(session, rules, sorted(pairs), now)
        merged, pending = merged + done.merged, pending + done.pending
    restored = _withdraw_disproved(session, rules, keys, now) if withdraw else set()
    if restored:  # judged again as new: what still holds merges again, the name does not
        done = resolve(session, rules, restored, (), now, withdraw=False)
        merged, pending = merged + done.merged, pending + done.pending
    _withdraw_side_by_side(session, contacts)
    return Outcome(merged, pending)


def _accounts_sharing_mailboxes(session: Session, keys: Mapping[int, set[str]]
                                ) -> list[tuple[int, int, str]]:
    """(account, account, mailbox) for each mailbox name these contacts hold that a
    contact at another account holds too: ``john.doe`` at two domains of one brand."""
    wanted = {key for found in keys.values() for key in found if key.startswith("mailbox:")}
    shared = {key: ids for key, ids in _holders(session, wanted).items() if len(ids) > 1}
    account_of: dict[int, int | None] = {}  # of the few holders sharing a mailbox name
    for chunk in chunks(sorted({i for ids in shared.values() for i in ids})):
        account_of.update(dict(session.execute(select(Contact.id, Contact.account_id).where(
            Contact.id.in_(chunk))).all()))
    found: dict[tuple[int, int], str] = {}
    for key in sorted(shared):
        accounts = {a for i in shared[key] if (a := account_of.get(i)) is not None}
        if 1 < len(accounts) < CROWDED:
            for a in accounts:
                for b in accounts - {a}:
                    found.setdefault((min(a, b), max(a, b)), key.partition(":")[2])
    return [(a, b, mailbox) for (a, b), mailbox in sorted(found.items())]


def _withdraw_disproved(session: Session, rules: IdentityRules,
                        keys: Mapping[int, set[str]], now: datetime) -> set[int]:
    """Withdraw the merges whose name evidence these keys disprove: a rare name nobody
    else bore, now that another contact bears it (the namesake the CRM had not met
    yet), and a name at an account, now that the account numbered a second address for
    it (two people of that name work there). The merge, and every merge the rules made
    in that contact since, are put back, latest first (a person's merge since keeps
    them all). The contacts put back lose their keys, to be judged again as new; their
    ids."""
    restored: set[int] = set()
    for holder, name in _outnumbered(session, keys):
        restored |= _withdraw_since(session, holder, partial(_rests_on, name=name, rules=rules),
                                    f"another contact bears {name}", now)
    for holder, name in _twinned(session, keys):
        restored |= _withdraw_since(
            session, holder, partial(_rests_on_account_name, name=name, rules=rules),
            f"two people bear {name} at the account", now)
    for chunk in chunks(sorted(restored)):
        session.execute(delete(MatchKey).where(MatchKey.subject_type == CONTACT,
                                               MatchKey.subject_id.in_(chunk)))
    return restored


def _twinned(session: Session, keys: Mapping[int, set[str]]) -> list[tuple[int, str]]:
    """(contact, name) for each contact bearing, at an account, a name these keys say
    two people bear there (a ``twin:`` key: an address numbered for the second)."""
    names = {key.partition(":")[2] for found in keys.values() for key in found
             if key.startswith("twin:")}
    held = _holders(session, [f"name:{name}" for name in names])
    return [(holder, name.partition("|")[2]) for name in sorted(names)
            for holder in sorted(held[f"name:{name}"])]


def _outnumbered(session: Session, keys: Mapping[int, set[str]]) -> list[tuple[int, str]]:
    """(contact, name) for each name of these keys that one contact holds both from free
    mail and at a company (what a merge on a lone name leaves) while another bears it
    too, in either order. Only names someone holds from free mail can be such a name, so
    the bearers are read of those few, not of every name touched."""
    names = {key.partition(":")[2] for found in keys.values() for key in found
             if key.startswith(("free:", "person:"))}
    names |= {_swapped(name) for name in names}
    names = {key.partition(":")[2] for key in _holders(session, [f"free:{n}" for n in names])}
    held = _holders(session, [f"{kind}:{name}" for name in names | {_swapped(n) for n in names}
                              for kind in ("free", "person")])
    return [(holder, name) for name in sorted(names)
            if len(_bearing(held, name) | _bearing(held, _swapped(name))) > 1
            for holder in sorted(held[f"free:{name}"] & held[f"person:{name}"])]


def _withdraw_since(session: Session, holder: int, rested: Callable[[Merge], bool],
                    reason: str, now: datetime) -> set[int]:
    """Put back the rules' first merge into ``holder`` (or a contact merged into it) that
    ``rested`` on what is now disproved, and the rules' merges made there since; the
    contacts restored (none if there is no such merge, or a person merged since)."""
    members = [holder, *session.execute(select(Contact.id).where(
        Contact.merged_into_id == holder)).scalars()]
    rows = list(session.execute(select(Merge).where(
        Merge.subject_type == CONTACT, Merge.status == "applied",
        Merge.winner_id.in_(members)).order_by(Merge.id)).scalars())
    first = next((i for i, row in enumerate(rows) if rested(row)), None)
    if first is None or any(row.by != "rules" for row in rows[first:]):
        return set()
    for row in reversed(rows[first:]):
        put_back(session, row, now, status="withdrawn")
        row.evidence = {**row.evidence, "withdrawn": reason}
    return {i for row in rows[first:] for i in (row.winner_id, row.loser_id)}


def _rests_on(row: Merge, name: str, rules: IdentityRules) -> bool:
    """Whether a merge was made on ``name`` being rare and unshared (under any of its
    given name's roots: Nora is Eleanor too), and on little else."""
    found = [Evidence(e["kind"], e["detail"]) for e in row.evidence.get("found", [])]
    family = name_parts(name)[1]
    on_name = any(e.kind == "lone_name" and name_parts(e.detail)[1] == family
                  for e in found) and any(e.kind == "rare_name" for e in found)
    rest = [e for e in found if e.kind not in NAME_ONLY | {"lone_name", "rare_name"}]
    return on_name and score(rest) < rules.auto_merge


def _rests_on_account_name(row: Merge, name: str, rules: IdentityRules) -> bool:
    """Whether a merge was made on ``name`` at one account, and on little else."""
    found = [Evidence(e["kind"], e["detail"]) for e in row.evidence.get("found", [])]
    on_name = any(e.kind in NAME_AT_ACCOUNT and e.detail == name for e in found)
    rest = [e for e in found if e.kind not in NAME_ONLY | NAME_AT_ACCOUNT]
    return on_name and score(rest) < rules.auto_merge


def _withdraw_side_by_side(session: Session, contacts: Iterable[int]) -> None:
    """A job change suggested for two contacts who have since written in the same
    weeks is two namesakes: the suggestion is withdrawn. (Only these contacts wrote
    anything new, so only their suggestions can have changed.)"""
    found: list[Any] = []
    for chunk in chunks(sorted(set(contacts))):
        for column in (Merge.winner_id, Merge.loser_id):
            found += session.execute(select(Merge.id, Merge.winner_id, Merge.loser_id,
                                            Merge.evidence).where(
                Merge.subject_type == CONTACT, column.in_(chunk),
                Merge.status == "pending")).all()
    moves = {row.id: (row.winner_id, row.loser_id) for row in found
             if any(e.get("kind") == "succession" for e in row.evidence.get("found", []))}
    if not moves:
        return
    spans = activity_spans(session, [i for pair in moves.values() for i in pair])
    gone = [m for m, (w, x) in moves.items() if not succeeded(spans.get(w), spans.get(x))]
    for chunk in chunks(gone):
        session.execute(delete(Merge).where(Merge.id.in_(chunk)))


def _mark_shared(session: Session, rules: IdentityRules, contacts: Iterable[int]) -> None:
    """Flag the contacts that signed with three or more people's names: a team's
    mailbox, which the CRM lists apart from people and never merges into one."""
    names: dict[int, list[str]] = defaultdict(list)
    for chunk in chunks(sorted(set(contacts))):
        for contact_id, value in session.execute(select(
                Observation.subject_id, Observation.value).where(
                Observation.subject_type == CONTACT, Observation.subject_id.in_(chunk),
                Observation.field == "full_name", Observation.method != "address")):
            names[contact_id].append(value)
    shared = [i for i, found in names.items()
              if shared_mailbox(found, rules.nicknames, rules.team_words)]
    for chunk in chunks(shared):
        session.execute(update(Contact).where(Contact.id.in_(chunk),
                                              Contact.is_shared.is_(False))
                        .values(is_shared=True))


def _new_pairs(session: Session, subject: str, keys: Mapping[int, set[str]]
               ) -> set[tuple[int, int]]:
    """Store the keys; the pairs of records that a key new to one of them joins. Only a
    few holders of a key are read (:func:`_crowd`): a key more records hold joins none,
    so a common name costs the same in a CRM of a million as in one of a thousand."""
    held = _keys_held(session, subject, keys)
    fresh = [(key, subject_id) for subject_id, found in keys.items()
             for key in found - held.get(subject_id, set())]
    insert_ignore(session, MatchKey, [{"key": k, "subject_type": subject, "subject_id": i}
                                      for k, i in fresh], ["key", "subject_type", "subject_id"])
    joining = [(key, subject_id) for key, subject_id in fresh if _kind(key) not in COUNTED]
    holders = _some_holders(session, subject, _looked_up(key for key, _ in joining),
                            CROWDED + 1)
    pairs: set[tuple[int, int]] = set()
    for key, subject_id in joining:
        same = holders.get(key, set()) if _kind(key) not in ONE_SIDED else set()
        others = (same | holders.get(_counterpart(key), set())) - {subject_id}
        if len(others) < _crowd(key):
            pairs |= {(min(subject_id, o), max(subject_id, o)) for o in others}
    return pairs


def _looked_up(keys: Iterable[str]) -> set[str]:
    """The keys whose holders these keys meet: each key itself (unless one-sided, when
    only its counterpart's holders count) and its counterpart."""
    keys = set(keys)
    return {key for key in keys if _kind(key) not in ONE_SIDED} | \
        {other for key in keys if (other := _counterpart(key))}


def _crowd(key: str) -> int:
    """How many other holders make a key join nobody: a name anywhere (``person:``,
    ``free:``) says something only while one person bears it at work and from home, or
    two at two companies one after the other (a job change), with a personal address
    beside them at most; any other key up to :data:`~enrichment.identity.CROWDED`."""
    return 3 if _kind(key) in ("person", "free") else CROWDED


def _keys_held(session: Session, subject: str, ids: Iterable[int]) -> dict[int, set[str]]:
    """The keys these records are indexed under now."""
    return _match_keys(session, subject, MatchKey.subject_id, MatchKey.key, ids)


def _some_holders(session: Session, subject: str, keys: Iterable[str], most: int
                  ) -> dict[str, set[int]]:
    """Up to ``most`` holders of each key (the first by id): enough to tell a key few
    records hold from a crowded one, without reading a crowd."""
    found: dict[str, set[int]] = defaultdict(set)
    for chunk in chunks(sorted(set(keys))):
        ranked = select(MatchKey.key, MatchKey.subject_id, func.row_number().over(
            partition_by=MatchKey.key, order_by=MatchKey.subject_id).label("rank")).where(
            MatchKey.subject_type == subject, MatchKey.key.in_(chunk)).subquery()
        for key, subject_id in session.execute(select(ranked.c.key, ranked.c.subject_id)
                                               .where(ranked.c.rank <= most)):
            found[key].add(subject_id)
    return found


def _kind(key: str) -> str:
    return key.partition(":")[0]


def _counterpart(key: str) -> str:
    kind, _, value = key.partition(":")
    return f"{COUNTERPARTS[kind]}:{value}" if kind in COUNTERPARTS else ""


def _keys_of(session: Session, subject: str, subject_id: int) -> set[str]:
    return set(session.execute(select(MatchKey.key).where(
        MatchKey.subject_type == subject, MatchKey.subject_id == subject_id)).scalars())


def _values(keys: set[str], kind: str) -> set[str]:
    return {k.partition(":")[2] for k in keys if k.startswith(f"{kind}:")}


def _both(keys_a: set[str], keys_b: set[str], kind: str, other: str | None = None
          ) -> set[str]:
    """Values one holds as ``kind`` keys and the other as ``other`` (or also ``kind``)."""
    found = _values(keys_a, kind) & _values(keys_b, other or kind)
    if other:
        found |= _values(keys_a, other) & _values(keys_b, kind)
    return found


@dataclass
class _Known:
    """What judging a round of contact pairs reads, fetched for all of them at once and
    kept current as the round merges."""

    rows: dict[int, Any]
    keys: dict[int, set[str]]
    names: dict[int, list[str]]
    emails: dict[int, list[str]]
    settled: set[frozenset[int]]
    """Pairs a person rejected or unmerged."""
    pending: dict[frozenset[int], int]
    lone_names: set[str]
    """Names one free-mail contact and one contact at a company bear, and nobody else."""
    namesakes: dict[str, float]
    """How many bearers of each lone name the CRM's counts of its parts make expected."""
    movers: set[str]
    """Names exactly two contacts at companies bear (a job change, or namesakes)."""
    spans: dict[int, tuple[datetime, datetime]]
    """When each contact bearing one of ``movers`` first and last took part in mail."""
    twins: set[str]
    """``ACCOUNT|NAME`` of these contacts' names that two people bear at the account."""

    @classmethod
    def fetch(cls, session: Session, ids: Sequence[int]) -> _Known:
        known = cls({}, defaultdict(set), defaultdict(list), defaultdict(list), set(), {},
                    set(), {}, set(), {}, set())
        for chunk in chunks(sorted(set(ids))):
            known.rows.update({row.id: row for row in session.execute(select(
                Contact.id, Contact.full_name, Contact.is_internal, Contact.merged_into_id,
                Contact.account_id).where(Contact.id.in_(chunk)))})
            for subject_id, value in session.execute(select(
                    Observation.subject_id, Observation.value).where(
                    Observation.subject_type == CONTACT, Observation.subject_id.in_(chunk),
                    Observation.field == "full_name", Observation.method != "address")):
                known.names[subject_id].append(value)
            for email, contact_id in session.execute(select(
                    ContactEmail.email, ContactEmail.contact_id).where(
                    ContactEmail.contact_id.in_(chunk))):
                known.emails[contact_id].append(email)
            for merge_id, winner, loser, status in session.execute(select(
                    Merge.id, Merge.winner_id, Merge.loser_id, Merge.status).where(
                    Merge.subject_type == CONTACT, Merge.loser_id.in_(chunk),
                    Merge.status.in_(["rejected", "undone", "pending"]))):
                if status == "pending":
                    known.pending[frozenset((winner, loser))] = merge_id
                else:
                    known.settled.add(frozenset((winner, loser)))
        known.keys.update(_keys_held(session, CONTACT, ids))
        known.lone_names, known.movers = _lone_names(session, known.keys.values())
        known.namesakes = _namesakes(session, known.lone_names)
        known.spans = activity_spans(session, [
            i for i, keys in known.keys.items()
            if any(k.startswith("person:") and k[7:] in known.movers for k in keys)])
        names = {k.partition(":")[2] for keys in known.keys.values() for k in keys
                 if k.startswith("name:")}
        known.twins = {k.partition(":")[2] for k in _holders(session, [f"twin:{n}" for n in names])}
        return known

    def absorb(self, winner: int, loser: int) -> None:
        self.keys[winner] |= self.keys.pop(loser, set())
        self.names[winner] += self.names.pop(loser, [])
        self.emails[winner] += self.emails.pop(loser, [])


def _lone_names(session: Session, keys: Iterable[set[str]]) -> tuple[set[str], set[str]]:
    """The names among these keys that exactly one free-mail contact and exactly one
    contact at a company bear (a person who writes from work and from home; a third
    bearer, a namesake anywhere, makes the name say nothing), and those exactly two
    contacts at companies bear."""
    names = {key.partition(":")[2] for found in keys for key in found
             if key.startswith(("free:", "person:"))}
    wanted = [f"{kind}:{name}" for name in sorted(names) for kind in ("free", "person")]
    bearers: dict[str, int] = {}
    for chunk in chunks(wanted):
        for key, count in session.execute(select(MatchKey.key, func.count()).where(
                MatchKey.subject_type == CONTACT, MatchKey.key.in_(chunk))
                .group_by(MatchKey.key)):
            bearers[key] = count
    return ({name for name in names
             if bearers.get(f"free:{name}") == 1 and bearers.get(f"person:{name}") == 1},
            {name for name in names if bearers.get(f"person:{name}") == 2})


def _namesakes(session: Session, names: Iterable[str]) -> dict[str, float]:
    """For each ``family|root`` name, the bearers the CRM would hold by chance
    (:func:`~enrichment.identity.expected_namesakes`), from capped counts of the contacts
    bearing its parts and the number of contacts ever made (the highest id: one index
    lookup; merged contacts make it an overcount, which errs towards rare only by the
    share of contacts merged). Left out: names with a part :data:`COUNT_UP_TO` contacts
    bear, and names someone else bears written the other way round."""
    names = sorted(set(names))
    if not names:
        return {}
    held = _holders(session, [f"{kind}:{name}" for name in [*names, *map(_swapped, names)]
                              for kind in ("free", "person")])
    names = [n for n in names if _bearing(held, _swapped(n)) <= _bearing(held, n)]
    parts = sorted({f"given:{root}" for root, _ in map(name_parts, names)} |
                   {f"family:{family}" for _, family in map(name_parts, names)})
    counts = {part: session.execute(_COUNT_HOLDERS, {"key": part}).scalar_one()
              for part in parts}
    population = session.execute(select(func.max(Contact.id))).scalar() or 0
    return {name: expected_namesakes(given, family, population)
            for name in names for root, last in [name_parts(name)]
            for given, family in [(counts[f"given:{root}"], counts[f"family:{last}"])]
            if max(given, family) < COUNT_UP_TO}


def _swapped(name: str) -> str:
    """A ``family|root`` name key read the other way round: Takuya Sakamoto's key as
    "Sakamoto Takuya" (family name first) makes it."""
    first, _, second = name.partition("|")
    return f"{second}|{first}"


def _holders(session: Session, keys: Iterable[str]) -> dict[str, set[int]]:
    """The contacts holding each of these keys."""
    return _match_keys(session, CONTACT, MatchKey.key, MatchKey.subject_id, keys)


def _match_keys(session: Session, subject: str, by: Any, get: Any, values: Iterable[Any]
                ) -> dict[Any, set[Any]]:
    """For each of ``values`` of the ``match_keys`` column ``by``, the values of column
    ``get`` beside it among ``subject`` records: a key's holders, or a record's keys."""
    found: dict[Any, set[Any]] = defaultdict(set)
    for chunk in chunks(sorted(set(values))):
        for value, other in session.execute(select(by, get).where(
                MatchKey.subject_type == subject, by.in_(chunk))):
            found[value].add(other)
    return found


def _bearing(held: Mapping[str, set[int]], name: str) -> set[int]:
    """The contacts bearing a name, from free mail or at a company."""
    return held.get(f"free:{name}", set()) | held.get(f"person:{name}", set())


def activity_spans(session: Session, ids: Sequence[int]
                   ) -> dict[int, tuple[datetime, datetime]]:
    """The first and the last mail or meeting each contact took part in."""
    spans: dict[int, tuple[datetime, datetime]] = {}
    for chunk in chunks(sorted(set(ids))):
        for contact_id, first, last in session.execute(select(
                ContactEmail.contact_id, func.min(Interaction.occurred_at),
                func.max(Interaction.occurred_at))
                .join(InteractionParticipant, InteractionParticipant.email == ContactEmail.email)
                .join(Interaction, Interaction.id == InteractionParticipant.interaction_id)
                .where(ContactEmail.contact_id.in_(chunk))
                .group_by(ContactEmail.contact_id)):
            if first is not None and last is not None:
                spans[contact_id] = (first, last)
    return spans


def succeeded(earlier: tuple[datetime, datetime] | None,
              later: tuple[datetime, datetime] | None) -> bool:
    """Whether one contact's mail ends where the other's begins (give or take the
    :data:`HANDOVER`) and never after the other's: one person who moved on, where
    namesakes write side by side."""
    if earlier is None or later is None:
        return False
    earlier, later = sorted((earlier, later))
    return earlier[1] <= later[1] and earlier[1] <= later[0] + HANDOVER


def _judge_contact_pairs(session: Session, rules: IdentityRules,
                         pairs: Sequence[tuple[int, int]], now: datetime) -> Outcome:
    """Judge a round of pairs; a record merged earlier in the round is judged as the
    record it went into, with everything it brought."""
    known = _Known.fetch(session, [i for pair in pairs for i in pair])
    into: dict[int, int] = {}
    merged = pending = 0
    winners: set[int] = set()

    def root(contact_id: int) -> int:
        while contact_id in into:
            contact_id = into[contact_id]
        return contact_id

    for first, second in pairs:
        a, b = sorted((root(first), root(second)))
        verdict = _contact_verdict(known, rules, a, b)
        if verdict is None:
            continue
        evidence, veto = verdict
        value = score(evidence)
        pair = Pair(CONTACT, a, b)
        if value >= rules.auto_merge and not veto:
            merge(session, rules, pair, value=value, evidence=evidence, by="rules", now=now,
                  keys=(known.keys[a], known.keys[b]))
            known.absorb(a, b)
            into[b] = a
            winners.add(a)
            merged += 1
        elif value >= REVIEW:
            pending += _suggest(session, pair, evidence, veto=veto, now=now,
                                existing=known.pending.get(frozenset((a, b))))
    refresh_contacts(session, winners - set(into), {})
    return Outcome(merged, pending)


def _contact_verdict(known: _Known, rules: IdentityRules, a: int, b: int
                     ) -> tuple[list[Evidence], bool] | None:
    """The evidence on a pair and whether names veto an automatic merge; None when the
    pair must not merge at all."""
    row_a, row_b = known.rows.get(a), known.rows.get(b)
    if a == b or row_a is None or row_b is None or frozenset((a, b)) in known.settled:
        return None
    if row_a.is_internal != row_b.is_internal:
        return None
    if shared_mailbox(known.names[a], rules.nicknames, rules.team_words) or \
            shared_mailbox(known.names[b], rules.nicknames, rules.team_words):
        return None  # a team's mailbox never merges into a person
    evidence = contact_evidence(rules, (known.keys[a], known.keys[b]),
                                (known.emails[a], known.emails[b]),
                                (row_a.full_name, row_b.full_name),
                                lone_names=known.lone_names, namesakes=known.namesakes,
                                twins=known.twins, known_as=(known.names[a], known.names[b]))
    if _moved_on(known, rules, (a, row_a), (b, row_b)):
        evidence.append(Evidence("succession", f"{row_a.full_name}: one company after "
                                               "the other"))
    kinds = {e.kind for e in evidence}
    if kinds <= NAME_ONLY or kinds <= NAME_AT_ACCOUNT or kinds <= {"succession"}:
        return None  # namesakes, or a name on an address not made of it (a team's)
    certain = "same_address" in kinds
    veto = not certain and (
        not may_be_one(row_a.full_name or "", row_b.full_name or "", rules.nicknames)
        or _addresses_name_two_people(known.emails[a], known.emails[b], rules)
        or any(numbered_apart(x, y) for x in known.emails[a] for y in known.emails[b]))
    if veto and kinds <= NAMES_AND_PHONES:
        return None  # two people's names outweigh a name or a number they share
    return evidence, veto


def _addresses_name_two_people(emails_a: Sequence[str], emails_b: Sequence[str],
                               rules: IdentityRules) -> bool:
    """Whether the addresses themselves spell two people's names (joseph.green@ and
    carlos.sullivan@): an assistant who signs with the executive's block is not the
    executive, whatever the signature says."""
    names_a = [n for e in emails_a if (n := name_from_local_part(e))]
    names_b = [n for e in emails_b if (n := name_from_local_part(e))]
    return any(not _share_a_word(x, y) for x in names_a for y in names_b)


def _share_a_word(name_a: str, name_b: str) -> bool:
    """Whether two names from addresses share a word (a family name, in whichever
    order the address puts it; a nickname missing from the list is not a reason to
    keep Mandy and Amanda Martinez apart, another family name is)."""
    return bool({fold(w) for w in name_a.split()} & {fold(w) for w in name_b.split()})


def contact_evidence(rules: IdentityRules, keys: tuple[set[str], set[str]],
                     emails: tuple[Sequence[str], Sequence[str]],
                     names: tuple[str | None, str | None], *,
                     lone_names: Set[str] = frozenset(),
                     namesakes: Mapping[str, float] | None = None,
                     twins: Set[str] = frozenset(),
                     known_as: tuple[Sequence[str], Sequence[str]] = ((), ())
                     ) -> list[Evidence]:
    """Every reason to think two contacts (their keys, addresses, names) are one;
    ``lone_names`` are the names only a free-mail contact and one other bear,
    ``namesakes`` how many bearers of each the CRM's name counts make expected,
    ``twins`` the names (``ACCOUNT|NAME``) two people bear at an account: there the
    name is no more than the same name anywhere; ``known_as`` every name each was
    written with (tony.martinez@, "Tony Martinez", addressed as "Anthony Martinez" by
    colleagues, bears the very name of anthony.martinez@ at the company)."""
    keys_a, keys_b = keys
    evidence = [Evidence("same_address", v) for v in _both(keys_a, keys_b, "email")]
    evidence += [Evidence("listed_address", v)
                 for v in _both(keys_a, keys_b, "email", "listed")]
    for kind, evidence_kind in (("linkedin", "linkedin"), ("mobile", "mobile"),
                                ("phone", "work_phone")):
        evidence += [Evidence(evidence_kind, v) for v in _both(keys_a, keys_b, kind)]
    threads = {v.partition("|")[2] for v in _both(keys_a, keys_b, "thread")}
    evidence += [Evidence("same_thread", v) for v in sorted(threads)[:1]]
    shared_names = _both(keys_a, keys_b, "name") - twins
    name_a, name_b = names
    if shared_names:
        exact = bool(name_a and name_b) and _named_alike((name_a, name_b), known_as)
        evidence.append(Evidence("name_at_account" if exact else "nickname_at_account",
                                 sorted(shared_names)[0].partition("|")[2]))
    elif name_a and name_b and fold(name_a) == fold(name_b):
        evidence.append(Evidence("same_name", name_a))
    lone = _both(keys_a, keys_b, "free", "person") & lone_names
    if lone and names_agree(name_a, name_b, rules.nicknames) and not _own_numbers(keys_a, keys_b):
        evidence.append(Evidence("lone_name", sorted(lone)[0]))
        evidence += _rare(sorted(lone), namesakes or {})
    else:
        lone = set()
    if (shared_names or threads or lone or any(e.kind == "same_name" for e in evidence)) and any(
            address_fits_name(e, name_a, rules.nicknames) for e in emails[0]) and any(
            address_fits_name(e, name_b, rules.nicknames) for e in emails[1]):
        evidence.append(Evidence("address_fits_name",
                                 ", ".join(sorted([*emails[0], *emails[1]]))[:200]))
    return evidence


def _named_alike(names: tuple[str | None, str | None],
                 known_as: tuple[Sequence[str], Sequence[str]]) -> bool:
    """Whether one contact's name is the other's, or one the other was written with."""
    name_a, name_b = (fold(n or "") for n in names)
    return name_a == name_b or name_a in {fold(n) for n in known_as[1]} or \
        name_b in {fold(n) for n in known_as[0]}


def _rare(names: Sequence[str], namesakes: Mapping[str, float]) -> list[Evidence]:
    """``rare_name`` when the CRM's counts make a bearer of these lone names (one per
    root of the given name: Nora, Eleanor) by chance unlikely, at most
    :data:`~enrichment.identity.RARE_NAME` expected for each."""
    expected = max(namesakes.get(name, float("inf")) for name in names)
    if expected > RARE_NAME:
        return []
    return [Evidence("rare_name", f"{names[0]}: {expected:.4f} bearers expected by chance")]


def _moved_on(known: _Known, rules: IdentityRules, a: tuple[int, Any],
              b: tuple[int, Any]) -> bool:
    """Whether two contacts at two companies, under a name only they bear, look like
    one person who changed jobs: one's mail ends where the other's begins."""
    (id_a, row_a), (id_b, row_b) = a, b
    if row_a.account_id is None or row_b.account_id is None or \
            row_a.account_id == row_b.account_id:
        return False
    shared = _both(known.keys[id_a], known.keys[id_b], "person") & known.movers
    return bool(shared) and names_agree(row_a.full_name, row_b.full_name,
                                        rules.nicknames) is True and \
        not _own_numbers(known.keys[id_a], known.keys[id_b]) and \
        succeeded(known.spans.get(id_a), known.spans.get(id_b))


def _own_numbers(keys_a: set[str], keys_b: set[str]) -> bool:
    """Whether each gives a mobile number or a LinkedIn profile and none is shared: two
    people with one name, whom the name alone must not join."""
    for kind in ("mobile", "linkedin"):
        mine, theirs = _values(keys_a, kind), _values(keys_b, kind)
        if mine and theirs and not mine & theirs:
            return True
    return False


def _judge_accounts(session: Session, rules: IdentityRules, a: int, b: int,
                    now: datetime, *, more: Sequence[Evidence] = ()) -> str | None:
    """Judge two accounts; ``more`` is a ``same_mailbox`` their people showed, which
    counts only under a brand the two share (the mailbox key carries its brand)."""
    live = set(session.execute(select(Account.id).where(
        Account.id.in_([a, b]), Account.merged_into_id.is_(None))).scalars())
    if live != {a, b} or _decided(session, Pair(ACCOUNT, a, b)):
        return None
    keys_a, keys_b = _keys_of(session, ACCOUNT, a), _keys_of(session, ACCOUNT, b)
    brands = _both(keys_a, keys_b, "brand")
    evidence = account_evidence(keys_a, keys_b) + [
        e for e in more if e.detail.partition("|")[0] in brands]
    companies_a = {k for k in keys_a if k.startswith("company:")}
    companies_b = {k for k in keys_b if k.startswith("company:")}
    veto = bool(companies_a and companies_b and not companies_a & companies_b)
    certain = any(e.kind == "configured" for e in evidence)
    return _decide(session, rules, Pair(ACCOUNT, a, b), evidence, veto=veto and not certain,
                   now=now)


def account_evidence(keys_a: set[str], keys_b: set[str]) -> list[Evidence]:
    """Every reason to think two accounts are one company."""
    evidence = [Evidence("configured", group) for group in _both(keys_a, keys_b, "group")]
    evidence += [Evidence("website", v) for v in sorted(_both(keys_a, keys_b, "website",
                                                               "domain"))]
    brands, companies = _both(keys_a, keys_b, "brand"), _both(keys_a, keys_b, "company")
    if brands and companies:
        evidence.append(Evidence("brand_and_company", sorted(companies)[0]))
    elif brands:
        evidence.append(Evidence("brand", sorted(brands)[0]))
    elif companies:
        evidence.append(Evidence("company_name", sorted(companies)[0]))
    return evidence


def _decide(session: Session, rules: IdentityRules, pair: Pair, evidence: list[Evidence],
            *, veto: bool, now: datetime) -> str | None:
    """Merge, suggest, or let be; an existing suggestion is brought up to date."""
    value = score(evidence)
    if value >= rules.auto_merge and not veto:
        merge(session, rules, pair, value=value, evidence=evidence, by="rules", now=now)
        return "merged"
    if value < REVIEW:
        return None
    return "pending" if _suggest(session, pair, evidence, veto=veto, now=now,
                                 existing=_pending(session, pair)) else None


def _suggest(session: Session, pair: Pair, evidence: Sequence[Evidence], *, veto: bool,
             now: datetime, existing: int | None) -> int:
    """Leave the pair for a person (1), or bring its waiting suggestion up to date (0)."""
    record = {"score": score(evidence),
              "evidence": _evidence_json(evidence, HELD_BACK[pair.subject] if veto else None)}
    if existing is not None:
        session.execute(update(Merge).where(Merge.id == existing).values(**record))
        return 0
    session.add(Merge(subject_type=pair.subject, winner_id=pair.winner, loser_id=pair.loser,
                      snapshot={}, created_at=now, status="pending", by="rules", **record))
    return 1


HELD_BACK = {CONTACT: "their names belong to two different people",
             ACCOUNT: "their people sign with different company names"}


def _evidence_json(evidence: Sequence[Evidence], veto: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"found": [{"kind": e.kind, "detail": e.detail,
                                        "weight": e.weight} for e in evidence]}
    if veto:
        found["held_back"] = veto
    return found


def _either_way(pair: Pair) -> Any:
    a, b = pair.winner, pair.loser
    return (Merge.subject_type == pair.subject) & or_(
        (Merge.winner_id == a) & (Merge.loser_id == b),
        (Merge.winner_id == b) & (Merge.loser_id == a))


def _decided(session: Session, pair: Pair) -> bool:
    """A person rejected this pair, or unmerged it: the rules leave it alone."""
    return session.execute(select(Merge.id).where(
        _either_way(pair), Merge.status.in_(["rejected", "undone"]))).first() is not None


def _pending(session: Session, pair: Pair) -> int | None:
    found: int | None = session.execute(select(Merge.id).where(
        _either_way(pair), Merge.status == "pending")).scalar()
    return found


def _contacts_at(session: Session, account_id: int) -> set[int]:
    return set(session.execute(select(Contact.id).where(
        Contact.account_id == account_id, Contact.merged_into_id.is_(None))).scalars())


# ------------------------------------------------------------------ merging


def merge(session: Session, rules: IdentityRules, pair: Pair, *, value: float,
          evidence: Sequence[Evidence], by: str, now: datetime,
          keys: tuple[set[str], set[str]] | None = None) -> int:
    """Fold the pair's loser into its winner; the merge's id (its snapshot undoes it).

    ``keys`` (both records' match keys, when the caller holds them) moves the loser's
    keys to the winner as they are, and leaves refreshing the winner's fields to the
    caller; without them the keys are computed again and the fields refreshed."""
    if pair.subject == CONTACT:
        snapshot = _merge_contacts(session, pair, refresh=keys is None)
    else:
        snapshot = _merge_accounts(session, pair)
    found = _pending(session, pair)
    record = {"winner_id": pair.winner, "loser_id": pair.loser, "score": value,
              "snapshot": snapshot, "evidence": _evidence_json(evidence),
              "status": "applied", "by": by, "created_at": now}
    if found is not None:
        session.execute(update(Merge).where(Merge.id == found).values(**record))
        merge_id = found
    else:
        row = Merge(subject_type=pair.subject, **record)
        session.add(row)
        session.flush()
        merge_id = row.id
    if keys is None:
        _rekey(session, rules, pair.subject, [pair.winner, pair.loser])
    else:
        session.execute(delete(MatchKey).where(MatchKey.subject_type == pair.subject,
                                               MatchKey.subject_id == pair.loser))
        insert_ignore(session, MatchKey, [
            {"key": k, "subject_type": pair.subject, "subject_id": pair.winner}
            for k in keys[1] - keys[0]], ["key", "subject_type", "subject_id"])
    return merge_id


def _moved(session: Session, pair: Pair, *, model: Any, column: Any, ident: Sequence[str],
           where: Any = None) -> list[int]:
    """Move the loser's rows that the winner does not already have; their ids."""
    key_columns = [getattr(model, name) for name in ident]
    scope = where if where is not None else true()

    def held_by(owner: int) -> Any:
        return (column == owner) & scope

    have = set(session.execute(select(*key_columns).where(held_by(pair.winner))).all())
    rows = session.execute(select(model.id, *key_columns).where(held_by(pair.loser))).all()
    ids = [row[0] for row in rows if tuple(row[1:]) not in have]
    for chunk in chunks(ids):
        session.execute(update(model).where(model.id.in_(chunk))
                        .values({column.key: pair.winner}))
    return ids


def _merge_contacts(session: Session, pair: Pair, *, refresh: bool) -> dict[str, Any]:
    winner, loser = pair.winner, pair.loser
    accounts = dict(session.execute(select(Contact.id, Contact.account_id).where(
        Contact.id.in_([winner, loser]))).all())
    emails = list(session.execute(select(ContactEmail.email).where(
        ContactEmail.contact_id == loser)).scalars())
    session.execute(update(ContactEmail).where(ContactEmail.contact_id == loser)
                    .values(contact_id=winner))
    phones = _moved(session, pair, model=ContactPhone, column=ContactPhone.contact_id,
                    ident=["e164"])
    observations = _moved(session, pair, model=Observation, column=Observation.subject_id,
                          ident=["field", "value", "method"],
                          where=Observation.subject_type == CONTACT)
    folded = list(session.execute(select(Contact.id).where(
        Contact.merged_into_id == loser)).scalars())
    session.execute(update(Contact).where(Contact.id.in_([loser, *folded]))
                    .values(merged_into_id=winner))
    account = _latest_account(session, winner, accounts[winner], accounts[loser])
    if account != accounts[winner]:
        session.execute(update(Contact).where(Contact.id == winner).values(account_id=account))
    if refresh:
        refresh_contacts(session, {winner}, {})
    return {"emails": emails, "phones": phones, "observations": observations,
            "folded": folded, "accounts": {"winner": accounts[winner],
                                           "loser": accounts[loser]}}


def _latest_account(session: Session, contact_id: int, mine: int | None,
                    theirs: int | None) -> int | None:
    """After a merge across companies (a job change), the account of the address the
    person wrote from last; history stays with every address."""
    if mine is None or theirs is None or mine == theirs:
        return mine if mine is not None else theirs
    emails = list(session.execute(select(ContactEmail.email).where(
        ContactEmail.contact_id == contact_id)).scalars())
    domains = {e: registrable_domain(e.rpartition("@")[2]) for e in emails}
    owner = dict(session.execute(select(AccountDomain.domain, AccountDomain.account_id).where(
        AccountDomain.domain.in_(set(domains.values())))).all())
    last = session.execute(
        select(InteractionParticipant.email, func.max(Interaction.occurred_at))
        .join(Interaction, Interaction.id == InteractionParticipant.interaction_id)
        .where(InteractionParticipant.email.in_(emails))
        .group_by(InteractionParticipant.email)).all()
    dated = sorted(((when, owner.get(domains[email])) for email, when in last if when),
                   key=lambda pair: pair[0], reverse=True)
    return next((account for _, account in dated if account in (mine, theirs)), mine)


def _merge_accounts(session: Session, pair: Pair) -> dict[str, Any]:
    winner, loser = pair.winner, pair.loser
    domains = list(session.execute(select(AccountDomain.domain).where(
        AccountDomain.account_id == loser)).scalars())
    session.execute(update(AccountDomain).where(AccountDomain.account_id == loser)
                    .values(account_id=winner))
    people = list(session.execute(select(Contact.id).where(
        Contact.account_id == loser)).scalars())
    for chunk in chunks(people):
        session.execute(update(Contact).where(Contact.id.in_(chunk)).values(account_id=winner))
    observations = _moved(session, pair, model=Observation, column=Observation.subject_id,
                          ident=["field", "value", "method"],
                          where=Observation.subject_type == ACCOUNT)
    folded = list(session.execute(select(Account.id).where(
        Account.merged_into_id == loser)).scalars())
    session.execute(update(Account).where(Account.id.in_([loser, *folded]))
                    .values(merged_into_id=winner))
    refresh_accounts(session, {winner}, {})
    return {"domains": domains, "contacts": people, "observations": observations,
            "folded": folded}


def merge_by_hand(session: Session, rules: IdentityRules, pair: Pair, now: datetime) -> int:
    """A person's merge (``syncd merge``, or accepting a suggestion): the first record
    keeps, the second folds into it."""
    model = Contact if pair.subject == CONTACT else Account
    live = set(session.execute(select(model.id).where(
        model.id.in_([pair.winner, pair.loser]), model.merged_into_id.is_(None))).scalars())
    for subject_id in (pair.winner, pair.loser):
        if subject_id not in live:
            raise LookupError(f"no {pair.subject} #{subject_id} to merge (or it was merged "
                              "into another already)")
    if pair.winner == pair.loser:
        raise LookupError("a record cannot be merged into itself")
    return merge(session, rules, pair, value=1.0, evidence=[Evidence("by_hand", "")],
                 by="person", now=now)


def reject(session: Session, merge_id: int) -> None:
    """A person says the suggestion is wrong: the rules never suggest the pair again."""
    row = session.get(Merge, merge_id)
    if row is None or row.status != "pending":
        raise LookupError(f"no pending suggestion #{merge_id}")
    row.status, row.by = "rejected", "person"


def unmerge(session: Session, rules: IdentityRules, merge_id: int, now: datetime) -> Merge:
    """Put back every row the merge moved; the rules never merge the pair again."""
    row = session.get(Merge, merge_id)
    if row is None or row.status != "applied":
        raise LookupError(f"no applied merge #{merge_id}"
                          + (f" (it is {row.status})" if row is not None else ""))
    put_back(session, row, now, status="undone")
    _rekey(session, rules, row.subject_type, [row.winner_id, row.loser_id])
    return row


def put_back(session: Session, row: Merge, now: datetime, *, status: str) -> None:
    """Undo an applied merge from its snapshot and give it ``status``: ``undone`` by a
    person (never merged by the rules again), ``withdrawn`` by the rules (whose grounds
    are gone; other evidence may merge the pair again). Keys are the caller's."""
    snap, winner, loser = row.snapshot, row.winner_id, row.loser_id
    pair = Pair(row.subject_type, winner, loser)
    if row.subject_type == CONTACT:
        _back(session, pair, model=ContactEmail, ident=ContactEmail.email,
              values=snap["emails"], column=ContactEmail.contact_id)
        _back(session, pair, model=ContactPhone, ident=ContactPhone.id,
              values=snap["phones"], column=ContactPhone.contact_id)
        _back(session, pair, model=Observation, ident=Observation.id,
              values=snap["observations"], column=Observation.subject_id)
        session.execute(update(Contact).where(Contact.id.in_(snap["folded"]))
                        .values(merged_into_id=loser))
        session.execute(update(Contact).where(Contact.id == loser)
                        .values(merged_into_id=None, account_id=snap["accounts"]["loser"]))
        session.execute(update(Contact).where(Contact.id == winner)
                        .values(account_id=snap["accounts"]["winner"]))
        refresh_contacts(session, {winner, loser}, {})
    else:
        _back(session, pair, model=AccountDomain, ident=AccountDomain.domain,
              values=snap["domains"], column=AccountDomain.account_id)
        _back(session, pair, model=Contact, ident=Contact.id,
              values=snap["contacts"], column=Contact.account_id)
        _back(session, pair, model=Observation, ident=Observation.id,
              values=snap["observations"], column=Observation.subject_id)
        session.execute(update(Account).where(Account.id.in_(snap["folded"]))
                        .values(merged_into_id=loser))
        session.execute(update(Account).where(Account.id == loser).values(merged_into_id=None))
        refresh_accounts(session, {winner, loser}, {})
    row.status, row.undone_at = status, now


def _back(session: Session, pair: Pair, *, model: Any, ident: Any, values: Sequence[Any],
          column: Any) -> None:
    """Rows named in the snapshot that still belong to the winner go back."""
    for chunk in chunks(list(values)):
        session.execute(update(model).where(ident.in_(chunk), column == pair.winner)
                        .values({column.key: pair.loser}))


def _rekey(session: Session, rules: IdentityRules, subject: str, ids: Sequence[int]) -> None:
    """The keys of ``ids`` computed again from what they now hold."""
    session.execute(delete(MatchKey).where(MatchKey.subject_type == subject,
                                           MatchKey.subject_id.in_(ids)))
    keys = contact_keys(session, ids, rules) if subject == CONTACT \
        else account_keys(session, ids, rules)
    insert_ignore(session, MatchKey, [{"key": k, "subject_type": subject, "subject_id": i}
                                      for i, found in keys.items() for k in found],
                  ["key", "subject_type", "subject_id"])
