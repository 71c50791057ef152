"""Forgotten people and companies stay forgotten: the pipeline's side of ``syncd forget``.

``syncd forget`` erases a person (an address) or a company (a domain) from the CRM
and records a suppression: a SHA-256 digest of ``email:ADDRESS`` or
``domain:DOMAIN``, so that the list of the forgotten is no list of addresses. The
runner gives the pipeline's context :meth:`Forgotten.covers` as its ``forgotten``
test, and every plan then passes through :func:`without_forgotten`: a forgotten address is no
participant, no decision and no fact, and a message or meeting left with no
external participant is not captured at all. A full resync from every source so
brings none of it back.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

from enrichment.addresses import domain_of
from syncd.pipeline import Context, InteractionPlan, Skip


def digest(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value.strip().lower()}".encode()).hexdigest()


@dataclass(frozen=True)
class Forgotten:
    """The suppression digests, and the test of an address against them."""

    digests: frozenset[str] = frozenset()

    def covers(self, email: str) -> bool:
        """The address, or its domain or a parent domain of it, was forgotten."""
        if not self.digests:
            return False
        if digest("email", email) in self.digests:
            return True
        labels = domain_of(email).split(".")
        return any(digest("domain", ".".join(labels[i:])) in self.digests
                   for i in range(len(labels) - 1))


def without_forgotten(plan: InteractionPlan, ctx: Context) -> InteractionPlan:
    """``plan`` with every address ``ctx.forgotten`` names taken out of it."""
    gone = {p.email for p in plan.participants if ctx.forgotten(p.email)}
    if not gone:
        return plan
    participants = tuple(p for p in plan.participants if p.email not in gone)
    skipped = plan.skipped
    if skipped is None and all(ctx.is_internal(p.email) for p in participants):
        skipped = Skip("forgotten", "every external participant was forgotten "
                                    "(syncd forget)")
    return replace(plan, participants=participants,
                   decisions=tuple(d for d in plan.decisions if d.email not in gone),
                   facts=tuple(f for f in plan.facts if f.email not in gone),
                   skipped=skipped)
