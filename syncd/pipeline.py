"""From one delivered message to a plan of what the CRM should hold: pure decisions.

parse (the connector) -> classify -> read the body -> decide about each address ->
:class:`InteractionPlan`. Nothing here touches the database; :mod:`syncd.store` turns
plans into idempotent upserts. The rules, in the order they apply to an address:

1. not a valid address                          -> ``invalid``
2. a team domain or the mailbox owner           -> ``internal`` (a colleague)
3. on the ``allow`` list                        -> a contact, whatever it looks like
4. the message is automated                     -> ``automated``
5. a role local part (info@, support@)          -> ``role``
6. ``capture.contacts: none``                   -> ``not_captured``
7. ``capture.contacts: sent`` and the team did not write to it -> ``not_written_to``
8. otherwise                                    -> a contact

A message with any address on the ``deny`` list, or (unless enabled) with no
external participant at all, is skipped whole.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from connectors.base import Address, RawMessage
from enrichment.addresses import (
    domain_of,
    local_part_of,
    normalize_address,
    normalize_message_id,
    synthetic_key,
)
from enrichment.classify import automated_reason
from enrichment.domains import DomainLists, glob_matches, registrable_domain
from enrichment.identity import acting_for
from enrichment.mime import body_text
from enrichment.people import clean_display_name, name_from_local_part
from enrichment.quotes import split_reply
from enrichment.signature import Fields, find_signature, parse_signature
from syncd.config import CapturePolicy

SNIPPET_CHARS = 200
KEY_CHARS, EMAIL_CHARS, NAME_CHARS, REASON_CHARS = 1000, 320, 300, 200
"""The store's column sizes (PostgreSQL enforces them): a longer header value from a
hostile or broken mailer is shortened here, so it cannot fail its whole batch."""
CONTACT_OUTCOMES = frozenset({"contact", "internal"})
ADDRESSED = frozenset({"to", "cc", "bcc"})
"""Roles whose display name another person's mail client wrote."""


@dataclass(frozen=True)
class Context:
    """Everything about the source and the team that the decisions depend on."""

    source: str
    owner: frozenset[str]
    internal_domains: frozenset[str]
    policy: CapturePolicy
    lists: DomainLists
    forgotten: Callable[[str], bool] = field(default=lambda email: False, compare=False,
                                             repr=False)
    """Whether ``syncd forget`` erased the address (see :mod:`syncd.forgetting`)."""
    content_cutoff: datetime | None = None
    """What is dated before it is stored as metadata only (``retention.content``)."""
    case_sensitive: frozenset[str] = frozenset()
    """Domains whose addresses keep the local part's case (``identity.case_sensitive_domains``)."""
    _internal: dict[str, bool] = field(default_factory=dict, compare=False, repr=False)

    def is_internal(self, address: str) -> bool:
        known = self._internal.get(address)
        if known is None:
            domain = domain_of(address)
            known = address in self.owner or domain in self.internal_domains or (
                registrable_domain(domain) in self.internal_domains)
            self._internal[address] = known
        return known


@dataclass(frozen=True)
class Fact:
    """An observation about the person behind ``email`` (or their account)."""

    email: str
    subject: str
    field: str
    value: str
    method: str
    confidence: float


@dataclass(frozen=True)
class Decision:
    """What one address became, and the rule that decided it (``syncd why``)."""

    email: str
    outcome: str
    rule: str
    detail: str
    account_domain: str | None = None


@dataclass(frozen=True)
class Skip:
    """Why a message is not captured: a rule name (counted per run) and the detail."""

    rule: str
    detail: str


@dataclass(frozen=True)
class Participant:
    email: str
    role: str
    name: str | None
    response: str | None = None
    """A meeting guest's answer (accepted, tentative, declined, needsAction)."""


@dataclass(frozen=True)
class InteractionPlan:
    """One interaction (an email or a meeting) to upsert, or the reason it is
    skipped (``skipped``)."""

    external_id: str
    folder: str | None
    key: str
    thread_key: str
    occurred_at: datetime | None
    direction: str
    automated: str | None
    visibility: str
    subject: str | None
    snippet: str | None
    body: str | None
    participants: tuple[Participant, ...]
    decisions: tuple[Decision, ...]
    facts: tuple[Fact, ...] = ()
    skipped: Skip | None = None
    kind: str = "email"
    ends_at: datetime | None = None
    location: str | None = None
    status: str | None = None
    time_zone: str | None = None


def plan_message(msg: RawMessage, ctx: Context) -> InteractionPlan:
    """Every decision about ``msg``; the caller stores it or reports it."""
    participants = _participants(msg, ctx.case_sensitive)
    sender = participants[0].email if participants and participants[0].role == "from" else None
    automated = _automated(msg, sender, ctx)
    direction = _direction(msg, sender, participants, ctx)
    decisions = tuple(decide(p, automated=automated, engaged=_wrote_to(p, direction), ctx=ctx)
                      for p in unique_addresses(participants))
    customer = any(d.email == sender and d.outcome == "contact" for d in decisions)
    reply = read_body(msg, with_signature=customer) if shows(ctx.policy, "snippet") else Reading()
    facts = _facts(sender, participants, decisions, reply, signed=not _acting(msg),
                   keep_case=ctx.case_sensitive)
    return InteractionPlan(
        external_id=msg.external_id, folder=msg.folder, key=_key(msg, participants),
        thread_key=_thread_key(msg, participants), occurred_at=msg.date,
        direction=direction, automated=automated, visibility=ctx.policy.visibility,
        subject=storable(msg.subject) if ctx.policy.visibility != "metadata" else None,
        snippet=snippet(storable(reply.new_text)) if shows(ctx.policy, "snippet") else None,
        body=storable(reply.new_text) if shows(ctx.policy, "full") else None,
        participants=participants, decisions=decisions, facts=facts,
        skipped=skip_reason(participants, ctx))


_VISIBILITY_ORDER = ("metadata", "subject", "snippet", "full")


def shows(policy: CapturePolicy, level: str) -> bool:
    return _VISIBILITY_ORDER.index(policy.visibility) >= _VISIBILITY_ORDER.index(level)


def shows_text(policy: CapturePolicy) -> bool:
    """Whether the policy keeps any body text (and so reads signatures): connectors
    fetch no bodies, and may sign in with a narrower scope, when it does not."""
    return shows(policy, "snippet")


def _participants(msg: RawMessage, keep_case: frozenset[str]) -> tuple[Participant, ...]:
    """Normalised participants, sender first; invalid addresses keep their raw text so
    the decision can say why they were dropped."""
    out: list[Participant] = []
    seen: set[tuple[str, str]] = set()
    roles: list[tuple[str, tuple[Address, ...]]] = [
        ("from", (msg.sender,) if msg.sender else ()),
        ("to", msg.to), ("cc", msg.cc), ("bcc", msg.bcc)]
    for role, addresses in roles:
        for address in addresses:
            email = normalize_address(address.email, keep_case) or \
                storable(address.email.strip().lower())[:EMAIL_CHARS]
            if email and (email, role) not in seen:
                seen.add((email, role))
                name = clean_display_name(address.name, email)
                agent = acting_for(name)
                name = agent[0] if agent else name
                out.append(Participant(storable(email), role,
                                       name and storable(name)[:NAME_CHARS]))
    return tuple(out)


def unique_addresses(participants: tuple[Participant, ...]) -> list[Participant]:
    first: dict[str, Participant] = {}
    for participant in participants:
        first.setdefault(participant.email, participant)
    return list(first.values())


def _automated(msg: RawMessage, sender: str | None, ctx: Context) -> str | None:
    if sender and glob_matches(ctx.policy.allow, sender):
        return None
    reason = automated_reason(msg.headers, sender, ctx.lists)
    return storable(reason)[:REASON_CHARS] if reason else reason


def _direction(msg: RawMessage, sender: str | None,
               participants: tuple[Participant, ...], ctx: Context) -> str:
    from_team = msg.sent_by_me or (sender is not None and ctx.is_internal(sender))
    external = any(not ctx.is_internal(p.email) for p in participants)
    if from_team:
        return "outbound" if external else "internal"
    return "inbound"


def _wrote_to(p: Participant, direction: str) -> tuple[str, str] | None:
    if direction == "outbound" and p.role in {"to", "cc", "bcc"}:
        return "team_wrote_to", f"the team wrote to it ({p.role})"
    return None


def decide(p: Participant, *, automated: str | None, engaged: tuple[str, str] | None,
           ctx: Context) -> Decision:
    """What the address becomes. ``engaged`` is the rule and detail when the team
    reached out to it (wrote to it, met it), which ``capture.contacts: sent`` needs."""
    email = p.email
    if normalize_address(email) is None:
        return Decision(email, "invalid", "invalid_address", "not a valid email address")
    if ctx.is_internal(email):
        return Decision(email, "internal", "team_member",
                        "the address is the mailbox owner's or at a team domain")
    account = _account_domain(email, ctx)
    allowed = glob_matches(ctx.policy.allow, email)
    if allowed:
        return Decision(email, "contact", "allow_list", f"matches allow {allowed!r}", account)
    if automated:
        sender_pattern = ctx.lists.automated_pattern(email) if p.role == "from" else None
        if sender_pattern:
            return Decision(email, "automated", "automated_sender",
                            f"matches automated sender pattern {sender_pattern}")
        return Decision(email, "automated", "automated_message", automated)
    if ctx.lists.is_role(local_part_of(email)):
        return Decision(email, "role", "role_address",
                        f"{local_part_of(email)}@ is a group or role mailbox, not a person")
    return _by_contacts_rule(p, engaged, ctx, account)


def _by_contacts_rule(p: Participant, engaged: tuple[str, str] | None, ctx: Context,
                      account: str | None) -> Decision:
    rule = ctx.policy.contacts
    if rule == "none":
        return Decision(p.email, "not_captured", "capture_contacts_none",
                        "capture.contacts is none")
    if rule == "sent" and engaged is None:
        return Decision(p.email, "not_written_to", "capture_contacts_sent",
                        "capture.contacts is sent and the team has not written to it")
    if engaged is not None:
        return Decision(p.email, "contact", engaged[0], engaged[1], account)
    if p.role == "from":
        return Decision(p.email, "contact", "wrote_to_team", "it wrote to the team", account)
    if p.role == "organizer":
        return Decision(p.email, "contact", "invited_team", "it invited the team to a "
                        "meeting", account)
    return Decision(p.email, "contact", "copied",
                    f"it was a participant ({p.role}) of a captured conversation", account)


def _account_domain(email: str, ctx: Context) -> str | None:
    domain = domain_of(email)
    if ctx.lists.is_free_mail(domain):
        return None
    return registrable_domain(domain)


def skip_reason(participants: tuple[Participant, ...], ctx: Context) -> Skip | None:
    for participant in participants:
        denied = glob_matches(ctx.policy.deny, participant.email)
        if denied:
            return Skip("deny_list", f"{participant.email} matches deny {denied!r}")
    if participants and not ctx.policy.internal_conversations and all(
            ctx.is_internal(p.email) for p in participants):
        return Skip("internal_conversation",
                    "every participant is a colleague (capture.internal_conversations)")
    return None


def _key(msg: RawMessage, participants: tuple[Participant, ...]) -> str:
    key = normalize_message_id(msg.message_id)
    if key:
        return _fitted(key)
    sender = participants[0].email if participants else ""
    recipients = [p.email for p in participants if p.role != "from"]
    stamp = msg.date.isoformat() if msg.date else ""
    return synthetic_key(sender, recipients, stamp, msg.subject)


def _thread_key(msg: RawMessage, participants: tuple[Participant, ...]) -> str:
    """The thread root: a provider's thread id, else the first Reference (RFC 5322
    keeps the root there), else In-Reply-To, else the message itself."""
    if msg.thread_hint:
        return "thread:" + msg.thread_hint
    for candidate in (msg.references[0] if msg.references else None, msg.in_reply_to):
        key = normalize_message_id(candidate)
        if key:
            return _fitted(key)
    return _key(msg, participants)


def _fitted(key: str) -> str:
    """A Message-ID longer than the key column stands for its digest (the same for
    every copy of the message, so it still deduplicates); NUL and lone surrogates,
    which PostgreSQL refuses, are replaced."""
    key = storable(key)
    if len(key) <= KEY_CHARS:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Reading:
    """What the body says: the sender's new text, the quoted rest, the signature."""

    new_text: str = ""
    quoted: str = ""
    signature: str | None = None
    fields: Fields | None = None


def read_body(msg: RawMessage, *, with_signature: bool = True) -> Reading:
    """Reply text, quoted history and, for a customer, the signature's fields
    (colleagues' and automated senders' signatures are not worth their cost)."""
    reply = split_reply(body_text(msg.text, msg.html))
    if not with_signature:
        return Reading(reply.new_text, reply.quoted)
    sender_name = msg.sender.name if msg.sender else ""
    sender_email = msg.sender.email.lower() if msg.sender else ""
    signature = find_signature(reply.new_text, sender_name, sender_email)
    fields = _parse_signature(signature.text, sender_name, sender_email) if signature else None
    return Reading(reply.new_text, reply.quoted, signature.text if signature else None, fields)


_parse_signature = lru_cache(maxsize=8192)(parse_signature)
"""People sign the same way every time: parse each distinct signature once."""


_SPACE = re.compile(r"\s+")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """``text`` without NUL and lone surrogates, which PostgreSQL's text type and
    UTF-8 reject: one odd character must not fail a whole batch."""
    return _UNSTORABLE.sub("\ufffd", text) if _UNSTORABLE.search(text) else text


def snippet(text: str) -> str | None:
    if not text.strip():
        return None
    flat = _SPACE.sub(" ", text).strip()
    return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1] + "…"


def _acting(msg: RawMessage) -> bool:
    """Whether the sender writes on someone else's behalf: the signature is then the
    principal's, and must not describe the assistant's address."""
    return msg.sender is not None and acting_for(msg.sender.name) is not None


def _facts(sender: str | None, participants: tuple[Participant, ...],
           decisions: tuple[Decision, ...], reply: Reading, *,
           signed: bool = True, keep_case: frozenset[str] = frozenset()) -> tuple[Fact, ...]:
    facts = name_facts(participants, decisions)
    people = {d.email for d in decisions if d.outcome in CONTACT_OUTCOMES}
    if signed and sender in people and reply.fields is not None and sender is not None:
        facts.extend(_signature_facts(sender, reply.fields, keep_case))
    return tuple(facts)


def name_facts(participants: tuple[Participant, ...],
               decisions: tuple[Decision, ...]) -> list[Fact]:
    """Each person's name as the header (or guest list) gives it, else a guess from
    the address; weak evidence that a signature's name outranks. A name in To or Cc
    is how someone else's address book spells it, typos and all ("Diana Mrecer"), so
    the one a person's own mail client sends in From outranks it. The name an address
    spells (``jessica.rice@``) is kept beside a display name that differs from it ("J.
    Rice", "Tmmy Duncan"), for :mod:`syncd.store.derive` to weigh."""
    people = {d.email for d in decisions if d.outcome in CONTACT_OUTCOMES}
    facts: list[Fact] = []
    for p in unique_addresses(participants):
        if p.email not in people:
            continue
        if p.name and p.role in ADDRESSED:
            facts.append(Fact(p.email, "contact", "full_name", p.name, "addressed_as", 0.4))
        elif p.name:
            facts.append(Fact(p.email, "contact", "full_name", p.name, "display_name", 0.5))
        guess = name_from_local_part(p.email)
        if guess and (not p.name or p.name.casefold() != guess.casefold()):
            facts.append(Fact(p.email, "contact", "full_name", guess, "address", 0.2))
    return facts


def _signature_facts(sender: str, fields: Fields, keep_case: frozenset[str]) -> list[Fact]:
    found = [("contact", "full_name", fields.full_name),
             ("contact", "job_title", fields.job_title),
             ("contact", "department", fields.department),
             ("contact", "linkedin", fields.linkedin), ("contact", "twitter", fields.twitter),
             ("contact", "address", fields.address),
             ("account", "name", fields.company), ("account", "website", fields.website)]
    facts = [Fact(sender, subject, name, storable(value)[:500], "signature", 0.7)
             for subject, name, value in found if value]
    facts += [Fact(sender, "contact", f"phone_{phone.kind}", phone.e164, "signature", 0.7)
              for phone in fields.phones]
    listed = {address for raw in fields.emails
              if (address := normalize_address(raw, keep_case)) and address != sender}
    facts += [Fact(sender, "contact", "email", address, "signature", 0.7)
              for address in sorted(listed)]
    return facts
